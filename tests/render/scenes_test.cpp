// Scenes in the running render loop: a photomosaic of solid feeds reproduces its target cell by
// cell, and a scene switch passes through a blend of the two scenes.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "platform/png.hpp"
#include "render/render_loop.hpp"
#include "render/scenes.hpp"
#include "tests/render/gl_fixtures.hpp"
#include "tests/support/frames.hpp"
#include "tests/support/wait.hpp"

using namespace std::chrono_literals;
using tessera::core::FeedChannel;
using tessera::core::FeedId;
using tessera::core::FeedSource;
using tessera::core::FeedTable;
using tessera::core::FrameRef;
using tessera::core::LatestMailbox;
using tessera::core::LayoutKind;
using tessera::core::SceneConfig;
using tessera::core::ScoreTable;
using tessera::core::SizePx;
using tessera::render::RenderLoop;
using tessera::render::RenderSettings;
using tessera::test::PixelView;
using tessera::test::Rgba;
using tessera::test::solidFrame;
using tessera::test::waitUntil;

namespace {

constexpr SizePx kCanvas{320, 180};
constexpr SizePx kTile{16, 12};

std::shared_ptr<FeedChannel> feedOf(std::uint32_t id, Rgba colour) {
  auto c = std::make_shared<FeedChannel>(FeedId{id}, FeedSource::kSynthetic, "");
  auto frame = std::make_shared<tessera::core::VideoFrame>(*solidFrame(16, 12, colour));
  frame->arrival = std::chrono::steady_clock::now();
  c->pushFrame(std::move(frame), kTile.width, kTile.height);
  return c;
}

void publish(LatestMailbox<FeedTable>& box, std::vector<std::shared_ptr<FeedChannel>> feeds) {
  auto table = std::make_shared<FeedTable>();
  table->version = 1;
  table->feeds = std::move(feeds);
  box.put(std::move(table));
}

// Scores as the analysis workers would give them for solid feeds: their colour.
std::shared_ptr<ScoreTable> scoresOf(const std::vector<std::pair<std::uint32_t, Rgba>>& feeds) {
  auto t = std::make_shared<ScoreTable>();
  t->version = 1;
  for (const auto& [id, c] : feeds) {
    tessera::core::Scores s;
    s.meanRgb = {static_cast<float>(c.r), static_cast<float>(c.g), static_cast<float>(c.b)};
    t->byFeed[FeedId{id}] = s;
  }
  return t;
}

// A PNG in a scratch directory, removed at the end of the test.
class TargetFile {
 public:
  TargetFile(int width, int height, const std::function<Rgba(int, int)>& pixel) {
    static int counter = 0;
    mPath = std::filesystem::temp_directory_path() /
            ("tessera-scenes-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) +
             ".png");
    std::vector<std::uint8_t> rgba;
    for (int y = 0; y < height; ++y) {
      for (int x = 0; x < width; ++x) {
        const Rgba c = pixel(x, y);
        rgba.insert(rgba.end(), {c.r, c.g, c.b, 255});
      }
    }
    const auto png = tessera::platform::encodePng(rgba.data(), width, height, width * 4u);
    std::ofstream(mPath, std::ios::binary)
        .write(reinterpret_cast<const char*>(png.data()), static_cast<std::streamsize>(png.size()));
  }
  ~TargetFile() {
    std::error_code ec;
    std::filesystem::remove(mPath, ec);
  }
  const std::filesystem::path& path() const { return mPath; }

 private:
  std::filesystem::path mPath;
};

RenderSettings settings(std::vector<SceneConfig> scenes) {
  RenderSettings s;
  s.canvas = kCanvas;
  s.fps = 30;
  s.tile = kTile;
  s.maxFeeds = 8;
  s.shaderDir = tessera::render::testing::shaderDir();
  std::vector<tessera::core::ConfigProblem> problems;
  s.scenes = tessera::render::loadScenes(scenes, kCanvas, "t.toml", &problems);
  REQUIRE(problems.empty());
  return s;
}

// Records one pixel of every canvas frame handed out (render thread).
class PixelRecorder final : public tessera::render::CanvasListener {
 public:
  PixelRecorder(int x, int y) : mX(x), mY(y) {}
  void onCanvasFrame(const tessera::render::CanvasFrames& frames,
                     const tessera::render::CanvasTick&) override {
    const Rgba c = PixelView::of(*frames.rgba).at(mX, mY);
    std::lock_guard lock(mMutex);
    if (mPixels.empty() || !(mPixels.back() == c)) mPixels.push_back(c);
  }
  std::vector<Rgba> pixels() const {
    std::lock_guard lock(mMutex);
    return mPixels;
  }

 private:
  const int mX, mY;
  mutable std::mutex mMutex;
  std::vector<Rgba> mPixels;  // each change, in order
};

const Rgba kSky{40, 90, 200}, kSun{250, 200, 40}, kSea{20, 120, 110}, kRock{120, 50, 60};

}  // namespace

TEST_CASE("a photomosaic of solid feeds reproduces the target's colours cell by cell",
          "[render][gl][scenes]") {
  // 8 x 4 cells of 40 x 45 px; the target (64 x 36 px, the canvas's aspect: 8 x 9 px per cell) has
  // four colours in diagonal stripes, 8 cells each, and there are four feeds of exactly those
  // colours.
  const auto colourOf = [](int column, int row) {
    const Rgba stripes[] = {kSky, kSun, kSea, kRock};
    return stripes[(column + row) % 4];
  };
  TargetFile target(64, 36, [&](int x, int y) { return colourOf(x / 8, y / 9); });
  SceneConfig scene;
  scene.name = "mosaic";
  scene.layout = LayoutKind::kPhotomosaic;
  scene.target = target.path();
  scene.columns = 8;
  scene.rows = 4;
  scene.tint = GENERATE(0.0, 0.6);
  INFO("tint " << scene.tint);

  LatestMailbox<FeedTable> feeds;
  // Join order differs from the target's order.
  publish(feeds, {feedOf(1, kRock), feedOf(2, kSky), feedOf(3, kSea), feedOf(4, kSun)});
  RenderLoop loop(settings({scene}), feeds, nullptr);
  loop.scores().put(scoresOf({{1, kRock}, {2, kSky}, {3, kSea}, {4, kSun}}));
  std::string error;
  REQUIRE(loop.start(&error));

  std::string why;
  const bool ok = waitUntil(
      [&] {
        const auto canvas = loop.canvas().peek();
        const auto layout = loop.layout().peek();
        if (!canvas || !layout || layout->tiles.size() != 32) return false;
        why.clear();
        for (int row = 0; row < 4; ++row) {
          for (int column = 0; column < 8; ++column) {
            // Inside each cell (a pixel's margin for edges), the target's colour.
            const int x = column * 40 + 2, y = row * 45 + 2;
            const auto e = tessera::test::checkRect(PixelView::of(*canvas), x, y, 36, 41,
                                                    colourOf(column, row), 3);
            if (!e.empty() && why.empty()) {
              why = "cell " + std::to_string(column) + "," + std::to_string(row) + ": " + e;
            }
          }
        }
        return why.empty();
      },
      5s);
  INFO(why);
  CHECK(ok);
  // Every feed is on the canvas, 8 times.
  const auto layout = loop.layout().peek();
  REQUIRE(layout);
  std::map<std::uint32_t, int> uses;
  for (const auto& t : layout->tiles) ++uses[t.feed.value];
  CHECK(uses == std::map<std::uint32_t, int>{{1, 8}, {2, 8}, {3, 8}, {4, 8}});
  loop.stop();
}

TEST_CASE("a scene switch passes through a blend of the two scenes", "[render][gl][scenes]") {
  // Scene 0: a grid of two red feeds. Scene 1: a photomosaic of an all-blue target at full tint,
  // so the whole canvas turns blue; it fades in over 1.2 s.
  TargetFile blue(4, 4, [](int, int) { return Rgba{0, 0, 255}; });
  SceneConfig grid;
  grid.name = "grid";
  SceneConfig mosaic;
  mosaic.name = "blue";
  mosaic.layout = LayoutKind::kPhotomosaic;
  mosaic.target = blue.path();
  mosaic.columns = 4;
  mosaic.rows = 2;
  mosaic.tint = 1;
  mosaic.fadeSeconds = 1.2;

  LatestMailbox<FeedTable> feeds;
  publish(feeds, {feedOf(1, tessera::test::kRed), feedOf(2, tessera::test::kRed)});
  // A pixel inside the first grid tile (two 4:3 tiles side by side on 320 x 180).
  PixelRecorder recorder(80, 90);
  RenderLoop loop(settings({grid, mosaic}), feeds, &recorder);
  std::string error;
  REQUIRE(loop.start(&error));
  REQUIRE(waitUntil(
      [&] {
        const auto p = recorder.pixels();
        return !p.empty() && tessera::test::near(p.back(), tessera::test::kRed, 2);
      },
      5s));
  CHECK(loop.stats().scene == 0);

  loop.setScene(1);
  REQUIRE(waitUntil(
      [&] {
        const auto p = recorder.pixels();
        return tessera::test::near(p.back(), tessera::test::kBlue, 2);
      },
      5s));
  const auto pixels = recorder.pixels();
  // From red to blue through mixtures: several frames in between, with red falling and blue
  // rising (never the other way by more than rounding).
  int between = 0;
  for (std::size_t i = 0; i < pixels.size(); ++i) {
    const Rgba& c = pixels[i];
    if (c.r > 30 && c.r < 225 && c.b > 30 && c.b < 225) ++between;
    if (i > 0 && !tessera::test::near(pixels[i - 1], tessera::test::kRed, 2)) {
      CHECK(c.r <= pixels[i - 1].r + 1);
      CHECK(c.b + 1 >= pixels[i - 1].b);
    }
  }
  INFO("pixel values: " << pixels.size());
  CHECK(between >= 5);  // 1.2 s at 30 fps: about 36 frames of blend, most of them in between
  // The stats say which scene it is (published once a second).
  CHECK(waitUntil([&] { return loop.stats().scene == 1 && !loop.stats().crossFading; }, 3s));
  loop.stop();
}

TEST_CASE("a photomosaic target that is not a PNG is a problem naming file, line and key",
          "[render][scenes]") {
  const auto bogus = std::filesystem::temp_directory_path() /
                     ("tessera-scenes-test-" + std::to_string(::getpid()) + "-bogus.png");
  std::ofstream(bogus) << "not a png";
  SceneConfig grid;
  grid.name = "grid";
  SceneConfig mosaic;
  mosaic.name = "portrait";
  mosaic.layout = LayoutKind::kPhotomosaic;
  mosaic.target = bogus;
  mosaic.line = 12;
  std::vector<tessera::core::ConfigProblem> problems;
  const auto specs = tessera::render::loadScenes({grid, mosaic}, kCanvas, "inst.toml", &problems);
  std::filesystem::remove(bogus);
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].file == "inst.toml");
  CHECK(problems[0].line == 12);
  CHECK(problems[0].key == "scenes[1].target");
  CHECK_THAT(problems[0].message, Catch::Contains("PNG"));
  // The scene still exists (as a grid), so indices stay those of the file.
  REQUIRE(specs.size() == 2);
  CHECK(specs[1].name == "portrait");
  CHECK(specs[1].kind == LayoutKind::kGrid);
}
