// The tile renderer's features for the paintings: tint, crop, rotation, blending and bands, brush
// dabs on persistent paint that fades, and the snapshot that scene switches cross-fade from.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <numbers>
#include <vector>

#include "platform/png.hpp"
#include "render/tile_renderer.hpp"
#include "tests/render/gl_fixtures.hpp"
#include "tests/support/frames.hpp"

using tessera::core::Rect;
using tessera::core::SizePx;
using tessera::render::TileInstance;
using tessera::render::testing::checkCanvas;
using tessera::render::testing::GlRenderer;
using tessera::render::testing::kClear;
using tessera::test::kBlue;
using tessera::test::kGreen;
using tessera::test::kRed;
using tessera::test::kWhite;
using tessera::test::Picture;
using tessera::test::PixelView;
using tessera::test::quadrantFrame;
using tessera::test::Rgba;
using tessera::test::solidFrame;
using tessera::test::solidI420Frame;
using tessera::test::toYuv;

namespace {

constexpr SizePx kCanvas{320, 180};
constexpr SizePx kTile{16, 12};

GlRenderer makeRenderer() {
  return GlRenderer(kCanvas, kTile, 8);
}

TileInstance tile(Rect rect, int layer) {
  return {rect, layer};
}

Rgba at(const Picture& p, int x, int y) {
  return p.view().at(x, y);
}

std::string near(const Picture& p, int x, int y, Rgba expected, int tolerance = 3) {
  return tessera::test::checkRect(p.view(), x, y, 1, 1, expected, tolerance);
}

}  // namespace

TEST_CASE("tinted tiles are pulled toward their tint", "[render][gl][paint]") {
  auto gl = makeRenderer();
  REQUIRE(gl->upload(0, *solidFrame(16, 12, kRed)));
  REQUIRE(gl->upload(1, *solidI420Frame(16, 12, toYuv(kWhite))));
  auto half = tile({10, 10, 32, 24}, 0);
  half.tint = {0, 0, 1, 0.5f};
  auto full = tile({60, 10, 16, 12}, 0);  // drawn at its own size: the direct-read variant
  full.tint = {0, 1, 0, 1};
  auto yuv = tile({100, 10, 40, 30}, 1);
  yuv.tint = {0, 0, 0, 0.25f};
  gl->draw(std::vector<TileInstance>{half, full, yuv});
  const Picture canvas = gl.readNow();
  CHECK(checkCanvas(canvas.view(), {{{10, 10, 32, 24}, {128, 0, 128, 255}},
                                    {{60, 10, 16, 12}, kGreen},
                                    {{100, 10, 40, 30}, {191, 191, 191, 255}}}) == "");
}

TEST_CASE("a source crop shows that part of the picture", "[render][gl][paint]") {
  auto gl = makeRenderer();
  REQUIRE(gl->upload(0, *quadrantFrame(16, 12, kRed, kGreen, kBlue, kWhite)));
  auto topRight = tile({20, 20, 40, 30}, 0);
  topRight.source = {0.5f, 0, 0.5f, 0.5f};
  auto bottomLeft = tile({100, 20, 8, 6}, 0);  // at the texel scale: the direct-read variant
  bottomLeft.source = {0, 0.5f, 0.5f, 0.5f};
  gl->draw(std::vector<TileInstance>{topRight, bottomLeft});
  const Picture canvas = gl.readNow();
  // Magnified 5x and filtered, the crop's edge blends with the texels beyond it over half a texel
  // (2.5 px); inside that it is the quadrant's colour.
  CHECK(tessera::test::checkRect(canvas.view(), 23, 23, 34, 24, kGreen, 2) == "");
  CHECK(tessera::test::checkRect(canvas.view(), 100, 20, 8, 6, kBlue, 2) == "");
}

TEST_CASE("a rotated tile turns clockwise about its centre", "[render][gl][paint]") {
  auto gl = makeRenderer();
  REQUIRE(gl->upload(0, *quadrantFrame(16, 12, kRed, kGreen, kBlue, kWhite)));
  auto t = tile({100, 50, 60, 60}, 0);
  t.rotationRad = std::numbers::pi_v<float> / 2;
  gl->draw(std::vector<TileInstance>{t});
  const Picture canvas = gl.readNow();
  // Turned a quarter clockwise: the picture's top-left (red) is now top-right, and so on.
  CHECK(near(canvas, 145, 65, kRed) == "");
  CHECK(near(canvas, 145, 95, kGreen) == "");
  CHECK(near(canvas, 115, 95, kWhite) == "");
  CHECK(near(canvas, 115, 65, kBlue) == "");
}

TEST_CASE("translucent tiles blend, and band 0 is drawn under band 1", "[render][gl][paint]") {
  auto gl = makeRenderer();
  REQUIRE(gl->upload(0, *solidFrame(16, 12, kRed)));
  REQUIRE(gl->upload(1, *solidFrame(16, 12, kBlue)));
  // Same place: blue in band 1 is listed first but drawn last, over the half-transparent red.
  auto redUnder = tile({10, 10, 40, 30}, 0);
  redUnder.alpha = 0.5f;
  redUnder.z = 0;
  const auto blueOver = tile({10, 10, 40, 30}, 1);
  // Elsewhere: half-transparent red over opaque blue in the same band: opaque tiles go first.
  auto redHalf = tile({80, 10, 40, 30}, 0);
  redHalf.alpha = 0.5f;
  const auto blue = tile({80, 10, 40, 30}, 1);
  // A fully transparent tile is not drawn at all.
  auto invisible = tile({150, 10, 40, 30}, 0);
  invisible.alpha = 0;
  gl->draw(std::vector<TileInstance>{blueOver, redUnder, redHalf, blue, invisible});
  const Picture canvas = gl.readNow();
  CHECK(checkCanvas(canvas.view(),
                    {{{10, 10, 40, 30}, kBlue}, {{80, 10, 40, 30}, {128, 0, 128, 255}}}) == "");
  CHECK(at(canvas, 90, 20).a == 255);  // the canvas stays opaque
}

TEST_CASE("brush dabs are soft ellipses painted on paint that persists and fades",
          "[render][gl][paint]") {
  auto gl = makeRenderer();
  REQUIRE(gl->upload(0, *solidFrame(16, 12, kWhite)));
  auto dab = tile({100, 60, 80, 40}, 0);
  dab.alpha = 1;
  gl->paint(std::vector<TileInstance>{dab}, 0);
  Picture canvas = gl.readNow();
  // Solid at the centre, nothing at the corners of its rectangle or outside it.
  CHECK(near(canvas, 140, 80, kWhite) == "");
  CHECK(near(canvas, 101, 61, kClear) == "");
  CHECK(near(canvas, 178, 98, kClear) == "");
  CHECK(near(canvas, 20, 20, kClear) == "");
  // Soft edge: part way out along the long axis it is in between.
  const Rgba edge = at(canvas, 172, 80);
  CHECK(edge.r > 20);
  CHECK(edge.r < 235);

  // Paint persists: nothing more painted, nothing faded, the canvas still shows it.
  gl->paint({}, 0);
  CHECK(near(gl.readNow(), 140, 80, kWhite) == "");

  // Fading 10 % a frame: down monotonically, and all the way to black (no ghost left by 8-bit
  // rounding).
  int previous = 255;
  int frames = 0;
  for (; frames < 200; ++frames) {
    gl->paint({}, 0.1f);
    const int now = at(gl.readNow(), 140, 80).r;
    CHECK(now <= previous);
    if (frames == 0) CHECK(now == Approx(229).margin(3));  // 255 * 0.9 - 1
    previous = now;
    if (now == 0) break;
  }
  CHECK(previous == 0);
  CHECK(frames < 80);
  // clearPaint starts again from the background.
  gl->paint(std::vector<TileInstance>{dab}, 0);
  gl->clearPaint();
  gl->paint({}, 0);
  CHECK(near(gl.readNow(), 140, 80, kClear) == "");
}

TEST_CASE("the snapshot is drawn over the canvas with the given opacity", "[render][gl][paint]") {
  auto gl = makeRenderer();
  REQUIRE(gl->upload(0, *solidFrame(16, 12, kRed)));
  REQUIRE(gl->upload(1, *solidFrame(16, 12, kBlue)));
  gl->draw(std::vector<TileInstance>{tile({0, 0, 320, 180}, 0)});
  gl->snapshot();
  gl->draw(std::vector<TileInstance>{tile({0, 0, 320, 180}, 1)});
  CHECK(near(gl.readNow(), 160, 90, kBlue) == "");
  gl->overlaySnapshot(0.25f);
  const Picture canvas = gl.readNow();
  CHECK(checkCanvas(canvas.view(), {{{0, 0, 320, 180}, {64, 0, 191, 255}}}) == "");
}

TEST_CASE("a painting scene matches the golden image", "[render][gl][golden][paint]") {
  auto gl = makeRenderer();
  REQUIRE(gl->upload(0, *quadrantFrame(16, 12, kRed, kGreen, kBlue, kWhite)));
  REQUIRE(gl->upload(1, *solidI420Frame(16, 12, toYuv({230, 180, 40, 255}))));
  std::vector<TileInstance> tiles;
  // Mosaic cells: square crops, tinted toward a gradient of cell colours.
  for (int i = 0; i < 8; ++i) {
    auto t = tile({static_cast<float>(4 + i * 20), 4, 20, 20}, i % 2);
    t.source = {0.125f, 0, 0.75f, 1};
    t.tint = {i / 7.0f, 0.2f, 1 - i / 7.0f, 0.4f};
    tiles.push_back(t);
  }
  // A rotated, translucent tile over them.
  auto turned = tile({40, 10, 60, 30}, 0);
  turned.rotationRad = 0.6f;
  turned.alpha = 0.7f;
  tiles.push_back(turned);
  gl->draw(tiles);
  // Dabs along a curve on the paint, composited in the lower half.
  std::vector<TileInstance> dabs;
  for (int i = 0; i < 24; ++i) {
    const float x = 20 + i * 11.0f, y = 130 + 25 * std::sin(i * 0.4f);
    auto d = tile({x - 14, y - 8, 28, 16}, i % 2);
    d.rotationRad = std::atan(25 * 0.4f / 11 * std::cos(i * 0.4f));
    d.alpha = 0.8f;
    d.tint = {0.9f, 0.3f, 0.6f, 0.3f};
    dabs.push_back(d);
  }
  gl->paint(dabs, 0);
  const Picture painted = gl.readNow();
  // paint() replaces the canvas with the paint: compose the golden from the tiles (upper part)
  // and the paint (lower part) so both are covered.
  gl->draw(tiles);
  const Picture drawn = gl.readNow();
  Picture canvas = drawn;
  const std::size_t half = static_cast<std::size_t>(kCanvas.width) * 4 * 90;
  std::copy(painted.rgba.begin() + half, painted.rgba.end(), canvas.rgba.begin() + half);

  const auto golden = std::filesystem::path(TESSERA_SOURCE_DIR) / "tests/render/golden/paint.png";
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
  std::size_t large = 0;
  int worst = 0;
  for (std::size_t i = 0; i < canvas.rgba.size(); i += 4) {
    int d = 0;
    for (int c = 0; c < 3; ++c) {
      d = std::max(d, std::abs(canvas.rgba[i + c] - expected->rgba[i + c]));
    }
    worst = std::max(worst, d);
    if (d > 3) ++large;
  }
  if (large > 0) {
    const auto out = std::filesystem::path(TESSERA_BINARY_DIR) / "test-output";
    std::filesystem::create_directories(out);
    const auto png = tessera::platform::encodePng(canvas.rgba.data(), canvas.width, canvas.height,
                                                  canvas.width * 4u);
    std::ofstream(out / "paint.actual.png", std::ios::binary)
        .write(reinterpret_cast<const char*>(png.data()), static_cast<std::streamsize>(png.size()));
    WARN("actual image written to " << (out / "paint.actual.png"));
  }
  CAPTURE(large, worst);
  // Another rasteriser places edges of rotated and soft shapes slightly differently.
  CHECK(large <= canvas.rgba.size() / 4 / 200);  // at most 0.5 % of the pixels beyond +-3
  CHECK(worst <= 96);
}
