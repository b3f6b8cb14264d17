// Shared by the GL tests: a headless context with a TileRenderer, canvas readback as a Picture,
// and the checks that compare a canvas with the tiles expected on it.
#pragma once

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "core/types.hpp"
#include "platform/gl_surface.hpp"
#include "render/tile_renderer.hpp"
#include "tests/support/frames.hpp"

namespace tessera::render::testing {

// What TileRenderer::draw clears the canvas to (0.02, 0.02, 0.03), in bytes.
inline constexpr test::Rgba kClear{5, 5, 8, 255};
inline constexpr int kTolerance = 2;

inline std::filesystem::path shaderDir() {
  return std::filesystem::path(TESSERA_SOURCE_DIR) / "shaders";
}

// A headless GL context current on this thread and a renderer in it. The renderer is declared
// after the surface so it is destroyed while the context is still alive.
struct GlRenderer {
  std::unique_ptr<platform::GlSurface> surface;
  std::unique_ptr<TileRenderer> renderer;

  GlRenderer(core::SizePx canvas, core::SizePx tile, int layers) {
    std::string error;
    surface = platform::createHeadlessSurface(&error);
    INFO("createHeadlessSurface: " << error);
    REQUIRE(surface);
    renderer = TileRenderer::create(canvas, tile, layers, shaderDir(), &error);
    INFO("TileRenderer::create: " << error);
    REQUIRE(renderer);
  }
  TileRenderer* operator->() const { return renderer.get(); }

  test::Picture readNow() const {
    test::Picture p;
    p.width = renderer->canvas().width;
    p.height = renderer->canvas().height;
    p.rgba.assign(static_cast<std::size_t>(p.width) * p.height * 4, 0);
    renderer->readNow(p.rgba.data());
    return p;
  }
};

// A tile the canvas should show: `rect` filled with `colour`.
struct ExpectedTile {
  core::Rect rect;
  test::Rgba colour;
};

// Every pixel of each tile (but a 1-pixel rim, where edges may blend) has the tile's colour,
// and every pixel at least 1 pixel away from all tiles has the clear colour. "" when so.
inline std::string checkCanvas(const test::PixelView& canvas,
                               const std::vector<ExpectedTile>& tiles, int tolerance = kTolerance) {
  for (const auto& t : tiles) {
    const int x = static_cast<int>(t.rect.x) + 1, y = static_cast<int>(t.rect.y) + 1;
    const int w = static_cast<int>(t.rect.w) - 2, h = static_cast<int>(t.rect.h) - 2;
    if (auto e = test::checkRect(canvas, x, y, w, h, t.colour, tolerance); !e.empty()) {
      return "tile at (" + std::to_string(x - 1) + "," + std::to_string(y - 1) + "): " + e;
    }
  }
  for (int y = 0; y < canvas.height; ++y) {
    for (int x = 0; x < canvas.width; ++x) {
      bool nearTile = false;
      for (const auto& t : tiles) {
        nearTile = nearTile || (x >= t.rect.x - 1 && x < t.rect.right() + 1 && y >= t.rect.y - 1 &&
                                y < t.rect.bottom() + 1);
      }
      if (nearTile) continue;
      if (auto e = test::checkRect(canvas, x, y, 1, 1, kClear, tolerance); !e.empty()) {
        return "background: " + e;
      }
    }
  }
  return {};
}

}  // namespace tessera::render::testing
