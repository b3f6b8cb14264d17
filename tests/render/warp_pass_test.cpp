// The gallery windows' shader (platform::WarpPass) against the pure maps it mirrors
// (core/screen_warp.hpp): every pixel it draws is compared with the colour those maps predict.
#include "platform/warp_pass.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <string>
#include <vector>

#include "core/screen_warp.hpp"
#include "platform/gl_surface.hpp"

using namespace tessera;

namespace {

constexpr int kCanvasW = 64, kCanvasH = 32;
// The canvas's left half is grey; its right half (the region shown) four flat blocks.
std::array<std::uint8_t, 3> canvasColour(int x, int y) {
  if (x < 32) return {128, 128, 128};
  if (y < 16)
    return x < 48 ? std::array<std::uint8_t, 3>{250, 20, 20}
                  : std::array<std::uint8_t, 3>{20, 250, 20};
  return x < 48 ? std::array<std::uint8_t, 3>{20, 20, 250}
                : std::array<std::uint8_t, 3>{250, 250, 20};
}

}  // namespace

TEST_CASE("WarpPass draws the region pinned to the corners, edge-blended", "[render][warp][gl]") {
  std::string error;
  auto surface = platform::createHeadlessSurface(&error);
  INFO(error);
  REQUIRE(surface);
  auto pass = platform::WarpPass::create(&error);
  INFO(error);
  REQUIRE(pass);

  // The canvas texture: row 0 = the canvas's top, at t = 0.
  std::vector<std::uint8_t> pixels(kCanvasW * kCanvasH * 4);
  for (int y = 0; y < kCanvasH; ++y) {
    for (int x = 0; x < kCanvasW; ++x) {
      const auto c = canvasColour(x, y);
      std::copy(c.begin(), c.end(), &pixels[(y * kCanvasW + x) * 4]);
      pixels[(y * kCanvasW + x) * 4 + 3] = 255;
    }
  }
  auto canvas = platform::makeTarget(kCanvasW, kCanvasH, GL_RGBA8, GL_NEAREST);
  REQUIRE(canvas);
  glBindTexture(GL_TEXTURE_2D, canvas->texture.id());
  glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, kCanvasW, kCanvasH, GL_RGBA, GL_UNSIGNED_BYTE,
                  pixels.data());

  constexpr int kW = 160, kH = 120;
  auto window = platform::makeTarget(kW, kH);
  REQUIRE(window);
  const core::Quad corners{core::PointD{30, 10}, {150, 20}, {140, 115}, {5, 100}};
  const auto m = core::pictureFromFragment(corners, kH);
  REQUIRE(m);
  platform::WarpView view;
  view.region = {32, 0, 32, 32};
  view.canvas = {kCanvasW, kCanvasH};
  view.pictureFromFragment = *m;
  view.picture = {kW, kH};
  view.blend.left = 40;
  view.blend.gamma = 2.2;
  glBindFramebuffer(GL_FRAMEBUFFER, window->framebuffer.id());
  glViewport(0, 0, kW, kH);
  pass->draw(canvas->texture.id(), view);
  std::vector<std::uint8_t> out(kW * kH * 4);
  glReadPixels(0, 0, kW, kH, GL_RGBA, GL_UNSIGNED_BYTE, out.data());
  REQUIRE(platform::glErrorString().empty());

  int checked = 0, inside = 0;
  for (int row = 0; row < kH; ++row) {
    for (int x = 0; x < kW; ++x) {
      const auto uv = m->apply({x + 0.5, row + 0.5});
      REQUIRE(uv);
      const std::uint8_t* got = &out[(row * kW + x) * 4];
      const bool in = uv->x >= 0 && uv->x <= 1 && uv->y >= 0 && uv->y <= 1;
      // Pixels on the quad's edge or a block's edge may mix two colours: not checked.
      const double cx = 32 + uv->x * 32, cy = uv->y * 32;
      const bool edge = std::abs(uv->x) < 0.03 || std::abs(uv->x - 1) < 0.03 ||
                        std::abs(uv->y) < 0.03 || std::abs(uv->y - 1) < 0.03 ||
                        std::abs(cx - 48) < 1.5 || std::abs(cy - 16) < 1.5;
      if (edge) continue;
      std::array<double, 3> want{0, 0, 0};
      if (in) {
        ++inside;
        const auto c = canvasColour(static_cast<int>(cx), static_cast<int>(cy));
        const double f = core::blendFactorAt(view.blend, uv->x * kW, uv->y * kH, kW, kH);
        for (int k = 0; k < 3; ++k) want[k] = c[k] * f;
      }
      for (int k = 0; k < 3; ++k) {
        INFO("pixel " << x << "," << (kH - 1 - row) << " channel " << k << " uv " << uv->x << ","
                      << uv->y);
        REQUIRE(std::abs(got[k] - want[k]) <= 3.0);
      }
      ++checked;
    }
  }
  CHECK(inside > 5000);  // most of the quad was compared
  CHECK(checked > 12000);
  (void)surface;
}
