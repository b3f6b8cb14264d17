#include "render/tile_renderer.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <vector>

#include "platform/png.hpp"
#include "tests/render/gl_fixtures.hpp"
#include "tests/support/frames.hpp"

using tessera::core::Rect;
using tessera::core::SizePx;
using tessera::render::TileInstance;
using tessera::render::TileRenderer;
using tessera::render::testing::checkCanvas;
using tessera::render::testing::ExpectedTile;
using tessera::render::testing::GlRenderer;
using tessera::render::testing::kClear;
using tessera::render::testing::kTolerance;
using tessera::test::kBlue;
using tessera::test::kGreen;
using tessera::test::kMagenta;
using tessera::test::kRed;
using tessera::test::kWhite;
using tessera::test::Picture;
using tessera::test::PixelView;
using tessera::test::quadrantFrame;
using tessera::test::Rgba;
using tessera::test::solidFrame;
using tessera::test::solidI420Frame;
using tessera::test::toRgba;
using tessera::test::toYuv;

namespace {

constexpr SizePx kCanvas{320, 180};
constexpr SizePx kTile{16, 12};
constexpr int kLayers = 8;

GlRenderer makeRenderer() {
  return GlRenderer(kCanvas, kTile, kLayers);
}

// A tile whose every texel differs, so filtering, orientation and scaling all show.
std::shared_ptr<tessera::core::VideoFrame> gradientFrame() {
  std::vector<std::uint8_t> px(static_cast<std::size_t>(kTile.width) * kTile.height * 4);
  for (int y = 0; y < kTile.height; ++y) {
    for (int x = 0; x < kTile.width; ++x) {
      auto* p = &px[(static_cast<std::size_t>(y) * kTile.width + x) * 4];
      p[0] = static_cast<std::uint8_t>(x * 17);
      p[1] = static_cast<std::uint8_t>(y * 23);
      p[2] = static_cast<std::uint8_t>(255 - x * 8 - y * 4);
      p[3] = 255;
    }
  }
  return tessera::core::VideoFrame::fromPixels(kTile.width, kTile.height, std::move(px));
}

}  // namespace

TEST_CASE("solid tiles land at their rectangles in their colours", "[render][gl]") {
  auto gl = makeRenderer();
  CHECK(gl->canvas() == kCanvas);
  CHECK(gl->tile() == kTile);
  CHECK(gl->layers() == kLayers);
  REQUIRE(gl->upload(0, *solidFrame(16, 12, kRed)));
  REQUIRE(gl->upload(1, *solidFrame(16, 12, kGreen)));
  REQUIRE(gl->upload(2, *solidFrame(16, 12, kBlue)));
  REQUIRE(gl->upload(3, *solidFrame(16, 12, kWhite)));

  // Scales 2, 3, 1 (texel reads), 4 and 0.5: every sampling path the renderer has.
  const std::vector<TileInstance> tiles = {
      {{8, 8, 32, 24}, 0},    {{100, 20, 48, 36}, 1}, {{200, 100, 16, 12}, 2},
      {{40, 110, 64, 48}, 3}, {{260, 10, 8, 6}, 0},
  };
  gl->draw(tiles);
  CHECK(tessera::platform::glErrorString().empty());
  const Picture canvas = gl.readNow();
  const std::vector<ExpectedTile> expected = {
      {{8, 8, 32, 24}, kRed},      {{100, 20, 48, 36}, kGreen}, {{200, 100, 16, 12}, kBlue},
      {{40, 110, 64, 48}, kWhite}, {{260, 10, 8, 6}, kRed},
  };
  CHECK(checkCanvas(canvas.view(), expected) == "");
  // Tiles are opaque whatever the frame's alpha.
  CHECK(canvas.view().at(20, 20).a == 255);
}

TEST_CASE("readback row 0 is the canvas top", "[render][gl]") {
  auto gl = makeRenderer();
  REQUIRE(gl->upload(0, *solidFrame(16, 12, kRed)));
  const TileInstance topLeft{{0, 0, 16, 12}, 0};
  gl->draw({&topLeft, 1});
  const Picture canvas = gl.readNow();
  // The first bytes of the buffer are the top-left pixel.
  CHECK(Rgba{canvas.rgba[0], canvas.rgba[1], canvas.rgba[2], canvas.rgba[3]} == kRed);
  const PixelView v = canvas.view();
  CHECK(tessera::test::near(v.at(15, 11), kRed, kTolerance));
  CHECK(tessera::test::near(v.at(16, 0), kClear, kTolerance));
  CHECK(tessera::test::near(v.at(0, 12), kClear, kTolerance));
  CHECK(tessera::test::near(v.at(0, kCanvas.height - 1), kClear, kTolerance));
  CHECK(checkCanvas(v, {{{0, 0, 16, 12}, kRed}}) == "");
}

TEST_CASE("a tile is drawn upright and unmirrored at any scale", "[render][gl]") {
  auto gl = makeRenderer();
  REQUIRE(gl->upload(0, *quadrantFrame(16, 12, kRed, kGreen, kBlue, kWhite)));
  const std::vector<TileInstance> tiles = {{{0, 0, 16, 12}, 0}, {{100, 60, 64, 48}, 0}};
  gl->draw(tiles);
  const Picture canvas = gl.readNow();
  const PixelView v = canvas.view();
  // 1:1: texels land on pixels exactly.
  CHECK(v.at(0, 0) == kRed);
  CHECK(v.at(15, 0) == kGreen);
  CHECK(v.at(0, 11) == kBlue);
  CHECK(v.at(15, 11) == kWhite);
  // 4x: each quadrant is 32x24; stay 3 px clear of the seams, where filtering blends.
  CHECK(tessera::test::checkRect(v, 101, 61, 28, 20, kRed, kTolerance) == "");
  CHECK(tessera::test::checkRect(v, 135, 61, 28, 20, kGreen, kTolerance) == "");
  CHECK(tessera::test::checkRect(v, 101, 87, 28, 20, kBlue, kTolerance) == "");
  CHECK(tessera::test::checkRect(v, 135, 87, 28, 20, kWhite, kTolerance) == "");
}

TEST_CASE("I420 tiles are converted to RGB on the GPU", "[render][gl]") {
  auto gl = makeRenderer();
  const std::vector<Rgba> colours = {kRed, kGreen, kBlue, kWhite, {200, 120, 40, 255}};
  std::vector<TileInstance> tiles;
  std::vector<ExpectedTile> expected;
  for (std::size_t i = 0; i < colours.size(); ++i) {
    const auto yuv = toYuv(colours[i]);
    // Padded rows too: the luma stride is wider than the tile.
    const std::size_t stride = i % 2 ? 24 : 0;
    REQUIRE(gl->upload(static_cast<int>(i), *solidI420Frame(16, 12, yuv, stride)));
    const float x = 10 + 60.0f * static_cast<float>(i);
    // Alternate 1:1 (texel reads) and 3x (filtered).
    const Rect rect = i % 2 ? Rect{x, 20, 16, 12} : Rect{x, 20, 48, 36};
    tiles.push_back({rect, static_cast<int>(i)});
    expected.push_back({rect, toRgba(yuv)});
  }
  gl->draw(tiles);
  const Picture canvas = gl.readNow();
  // The shader converts in float: allow a step more than for RGBA tiles.
  CHECK(checkCanvas(canvas.view(), expected, 3) == "");
}

TEST_CASE("a layer is drawn in the format of its latest upload", "[render][gl]") {
  auto gl = makeRenderer();
  const TileInstance tile{{40, 40, 32, 24}, 2};
  REQUIRE(gl->upload(2, *solidI420Frame(16, 12, toYuv(kBlue))));
  REQUIRE(gl->upload(2, *solidFrame(16, 12, kGreen)));
  gl->draw({&tile, 1});
  CHECK(checkCanvas(gl.readNow().view(), {{tile.rect, kGreen}}) == "");
  REQUIRE(gl->upload(2, *solidI420Frame(16, 12, toYuv(kRed))));
  gl->draw({&tile, 1});
  CHECK(checkCanvas(gl.readNow().view(), {{tile.rect, toRgba(toYuv(kRed))}}, 3) == "");
}

TEST_CASE("frames larger than the tile or of no layer are refused and change nothing",
          "[render][gl]") {
  auto gl = makeRenderer();
  REQUIRE(gl->upload(0, *solidFrame(16, 12, kRed)));
  CHECK_FALSE(gl->upload(0, *solidFrame(32, 12, kGreen)));
  CHECK_FALSE(gl->upload(0, *solidFrame(16, 13, kGreen)));
  CHECK_FALSE(gl->upload(0, *solidFrame(0, 0, kGreen)));
  CHECK_FALSE(gl->upload(0, *solidI420Frame(32, 24, toYuv(kGreen))));
  CHECK_FALSE(gl->upload(-1, *solidFrame(16, 12, kGreen)));
  CHECK_FALSE(gl->upload(kLayers, *solidFrame(16, 12, kGreen)));
  CHECK(tessera::platform::glErrorString().empty());
  const TileInstance tile{{0, 0, 32, 24}, 0};
  gl->draw({&tile, 1});
  CHECK(checkCanvas(gl.readNow().view(), {{tile.rect, kRed}}) == "");
}

TEST_CASE("a frame scaled to its drawn size fills its layer's top left and is drawn whole",
          "[render][gl]") {
  // Ingest scales a feed to the size its tile is drawn at (core/tile_scale.hpp): 8x6 into a
  // 16x12 layer. The tile shows that frame, not the rest of the layer (the larger frame before).
  auto gl = makeRenderer();
  REQUIRE(gl->upload(0, *solidFrame(16, 12, kWhite)));
  REQUIRE(gl->upload(0, *quadrantFrame(8, 6, kRed, kGreen, kBlue, kWhite)));
  CHECK(gl->layerScale(0) == Approx(0.5));
  REQUIRE(gl->upload(1, *solidI420Frame(8, 6, toYuv(kBlue))));
  REQUIRE(gl->upload(2, *solidFrame(16, 12, kGreen)));
  const std::vector<TileInstance> tiles = {
      {{0, 0, 8, 6}, 0}, {{20, 0, 8, 6}, 1}, {{40, 0, 16, 12}, 2}, {{100, 60, 64, 48}, 0}};
  gl->draw(tiles);
  const Picture canvas = gl.readNow();
  const PixelView v = canvas.view();
  // Drawn at its size: texel for pixel.
  CHECK(v.at(0, 0) == kRed);
  CHECK(v.at(7, 0) == kGreen);
  CHECK(v.at(0, 5) == kBlue);
  CHECK(v.at(7, 5) == kWhite);
  CHECK(tessera::test::checkRect(v, 20, 0, 8, 6, toRgba(toYuv(kBlue)), 3) == "");
  CHECK(tessera::test::checkRect(v, 40, 0, 16, 12, kGreen, kTolerance) == "");
  // Magnified 8x (filtered): the quadrants, each 32x24 (5 px clear of the seams, where texels
  // blend), and no white from the older frame at the far edges.
  CHECK(tessera::test::checkRect(v, 100, 60, 27, 19, kRed, kTolerance) == "");
  CHECK(tessera::test::checkRect(v, 137, 60, 27, 19, kGreen, kTolerance) == "");
  CHECK(tessera::test::checkRect(v, 100, 89, 27, 19, kBlue, kTolerance) == "");
  CHECK(tessera::test::checkRect(v, 137, 89, 27, 19, kWhite, kTolerance) == "");
  // Back to a whole-tile frame: the whole layer again.
  REQUIRE(gl->upload(0, *solidFrame(16, 12, kRed)));
  CHECK(gl->layerScale(0) == Approx(1.0));
  const TileInstance whole{{0, 0, 16, 12}, 0};
  gl->draw({&whole, 1});
  CHECK(checkCanvas(gl.readNow().view(), {{whole.rect, kRed}}) == "");
}

TEST_CASE("a frame whose stride exceeds width*4 uploads its rows only", "[render][gl]") {
  auto gl = makeRenderer();
  // Each row is followed by 8 magenta padding pixels, which must never show.
  const auto frame = solidFrame(16, 12, kGreen, 16 * 4 + 32, kMagenta);
  REQUIRE(frame->strideBytes == 16 * 4 + 32);
  REQUIRE(gl->upload(1, *frame));
  const std::vector<TileInstance> tiles = {{{0, 0, 16, 12}, 1}, {{50, 50, 48, 36}, 1}};
  gl->draw(tiles);
  const Picture canvas = gl.readNow();
  CHECK(checkCanvas(canvas.view(), {{tiles[0].rect, kGreen}, {tiles[1].rect, kGreen}}) == "");
  // The 1:1 tile has no filtered rim: its edge pixels are green too.
  CHECK(tessera::test::checkRect(canvas.view(), 0, 0, 16, 12, kGreen, 0) == "");
}

TEST_CASE("drawing without clearing keeps the rest of the canvas", "[render][gl]") {
  auto gl = makeRenderer();
  REQUIRE(gl->upload(0, *solidFrame(16, 12, kRed)));
  REQUIRE(gl->upload(1, *solidFrame(16, 12, kBlue)));
  const std::vector<TileInstance> both = {{{10, 10, 32, 24}, 0}, {{60, 10, 32, 24}, 1}};
  gl->draw(both);
  REQUIRE(gl->upload(1, *solidFrame(16, 12, kWhite)));
  gl->draw({&both[1], 1}, /*clear=*/false);
  CHECK(checkCanvas(gl.readNow().view(), {{both[0].rect, kRed}, {both[1].rect, kWhite}}) == "");
  gl->draw({&both[1], 1}, /*clear=*/true);
  CHECK(checkCanvas(gl.readNow().view(), {{both[1].rect, kWhite}}) == "");
}

TEST_CASE("the pixel-buffer readback returns the frames readNow saw, a frame late",
          "[render][gl]") {
  auto gl = makeRenderer();
  REQUIRE(gl->upload(0, *solidFrame(16, 12, kRed)));
  REQUIRE(gl->upload(1, *solidFrame(16, 12, kGreen)));
  const std::size_t bytes = static_cast<std::size_t>(kCanvas.width) * kCanvas.height * 4;
  std::vector<std::uint8_t> dst(bytes, 0xEE);

  // Nothing started: nothing to finish.
  CHECK_FALSE(gl->finishReadback(dst.data(), true));

  const TileInstance first{{0, 0, 32, 24}, 0}, second{{100, 100, 48, 36}, 1};
  gl->draw({&first, 1});
  const Picture frame1 = gl.readNow();
  gl->startReadback();
  // The only read in flight is the newest: left alone unless allowed.
  CHECK_FALSE(gl->finishReadback(dst.data(), false));

  gl->draw({&second, 1});
  const Picture frame2 = gl.readNow();
  REQUIRE(frame1.rgba != frame2.rgba);
  gl->startReadback();
  REQUIRE(gl->finishReadback(dst.data(), false));
  CHECK(dst == frame1.rgba);
  CHECK_FALSE(gl->finishReadback(dst.data(), false));  // frame 2 is the newest now
  REQUIRE(gl->finishReadback(dst.data(), true));       // drained on request
  CHECK(dst == frame2.rgba);
  CHECK_FALSE(gl->finishReadback(dst.data(), true));
  CHECK(tessera::platform::glErrorString().empty());
}

TEST_CASE("a full readback ring drops its oldest frame", "[render][gl]") {
  auto gl = makeRenderer();
  const std::vector<Rgba> colours = {kRed, kGreen, kBlue, kWhite};
  std::vector<Picture> frames;
  for (std::size_t i = 0; i < colours.size(); ++i) {
    REQUIRE(gl->upload(0, *solidFrame(16, 12, colours[i])));
    const TileInstance tile{{10.0f * static_cast<float>(i), 0, 16, 12}, 0};
    gl->draw({&tile, 1});
    frames.push_back(gl.readNow());
    gl->startReadback();
  }
  static_assert(TileRenderer::kReadbackRing == 3);
  std::vector<std::uint8_t> dst(frames[0].rgba.size());
  for (std::size_t i = 1; i < frames.size(); ++i) {
    CAPTURE(i);
    REQUIRE(gl->finishReadback(dst.data(), true));
    CHECK(dst == frames[i].rgba);
  }
  CHECK_FALSE(gl->finishReadback(dst.data(), true));
}

TEST_CASE("create fails cleanly without shaders or with too many layers", "[render][gl]") {
  std::string error;
  auto surface = tessera::platform::createHeadlessSurface(&error);
  REQUIRE(surface);
  CHECK_FALSE(TileRenderer::create(kCanvas, kTile, 4, "/nonexistent/shaders", &error));
  CHECK_THAT(error, Catch::Contains("tiles.vert"));
  error.clear();
  CHECK_FALSE(
      TileRenderer::create(kCanvas, kTile, 1 << 20, tessera::render::testing::shaderDir(), &error));
  CHECK_THAT(error, Catch::Contains("layers"));
}

TEST_CASE("a mixed scene matches the golden image", "[render][gl][golden]") {
  auto gl = makeRenderer();
  REQUIRE(gl->upload(0, *gradientFrame()));
  REQUIRE(gl->upload(1, *quadrantFrame(16, 12, kRed, kGreen, kBlue, kWhite)));
  REQUIRE(gl->upload(2, *solidI420Frame(16, 12, toYuv({230, 180, 40, 255}))));
  REQUIRE(gl->upload(3, *solidFrame(16, 12, {40, 90, 200, 255})));
  const std::vector<TileInstance> tiles = {
      {{4, 4, 16, 12}, 0},    {{28, 4, 64, 48}, 0},    {{100, 4, 8, 6}, 0},
      {{120, 4, 40, 30}, 1},  {{170, 4, 144, 108}, 0}, {{4, 64, 90, 67}, 1},
      {{100, 64, 33, 25}, 2}, {{4, 140, 48, 36}, 3},   {{60, 140, 17, 13}, 1},
  };
  gl->draw(tiles);
  const Picture canvas = gl.readNow();

  const auto golden = std::filesystem::path(TESSERA_SOURCE_DIR) / "tests/render/golden/tiles.png";
  if (std::getenv("TESSERA_UPDATE_GOLDEN")) {
    const auto png = tessera::platform::encodePng(canvas.rgba.data(), canvas.width, canvas.height,
                                                  canvas.width * 4u);
    std::ofstream(golden, std::ios::binary)
        .write(reinterpret_cast<const char*>(png.data()), static_cast<std::streamsize>(png.size()));
    WARN("golden image rewritten: " << golden);
  }
  std::string error;
  const auto expected = tessera::platform::loadPng(golden, &error);
  INFO(error << " (set TESSERA_UPDATE_GOLDEN=1 to write it)");
  REQUIRE(expected);
  REQUIRE(expected->width == canvas.width);
  REQUIRE(expected->height == canvas.height);

  // Another GPU filters and converts slightly differently: small differences anywhere, larger
  // ones only on a few edge pixels.
  std::size_t large = 0;
  int worst = 0;
  for (std::size_t i = 0; i < canvas.rgba.size(); i += 4) {
    int d = 0;
    for (int c = 0; c < 3; ++c)
      d = std::max(d, std::abs(canvas.rgba[i + c] - expected->rgba[i + c]));
    worst = std::max(worst, d);
    if (d > 3) ++large;
  }
  const std::size_t pixels = canvas.rgba.size() / 4;
  if (large > 0) {
    const auto out = std::filesystem::path(TESSERA_BINARY_DIR) / "test-output";
    std::filesystem::create_directories(out);
    const auto png = tessera::platform::encodePng(canvas.rgba.data(), canvas.width, canvas.height,
                                                  canvas.width * 4u);
    std::ofstream(out / "tiles.actual.png", std::ios::binary)
        .write(reinterpret_cast<const char*>(png.data()), static_cast<std::streamsize>(png.size()));
    WARN("actual image written to " << (out / "tiles.actual.png"));
  }
  CAPTURE(large, worst);
  CHECK(large <= pixels / 500);  // at most 0.2% of the pixels beyond +-3
  CHECK(worst <= 64);
}

// Regression: TileRenderer::upload once refused an I420 frame only on reaching a missing plane,
// after the layer's Y plane had already been replaced.
TEST_CASE("a refused I420 frame leaves its layer as it was", "[render][gl][regression]") {
  auto gl = makeRenderer();
  const auto red = toYuv(kRed);
  REQUIRE(gl->upload(0, *solidI420Frame(16, 12, red)));
  auto broken = solidI420Frame(16, 12, toYuv(kWhite));
  broken->planes[1] = nullptr;  // no U plane
  CHECK_FALSE(gl->upload(0, *broken));
  const TileInstance tile{{0, 0, 32, 24}, 0};
  gl->draw({&tile, 1});
  CHECK(checkCanvas(gl.readNow().view(), {{tile.rect, toRgba(red)}}, 3) == "");
}
