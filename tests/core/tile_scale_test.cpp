#include "core/tile_scale.hpp"

#include <catch2/catch.hpp>

using tessera::core::scaledTileSize;
using tessera::core::SizePx;

TEST_CASE("a feed is scaled to its drawn size, in its tile's exact aspect", "[core][tile_scale]") {
  const SizePx tile{160, 120};
  struct Row {
    SizePx drawn;
    SizePx want;
  };
  const Row rows[] = {
      {{0, 0}, {160, 120}},      // any size (brush and shader scenes): the whole tile
      {{160, 120}, {160, 120}},  // drawn at the tile's size
      {{640, 480}, {160, 120}},  // a spotlight: never above the tile (the layers' size)
      {{106, 80}, {104, 78}},    // 4:3 in steps of 8x6
      {{98, 73}, {96, 72}},      // 256 feeds on a 1080p grid
      {{120, 90}, {120, 90}},   {{124, 93}, {128, 96}},  // the nearest step, up as well as down
      {{30, 200}, {160, 120}},  // a crop showing a narrow part needs the picture's full height
      {{2, 2}, {8, 6}},         // the smallest even size of the aspect
  };
  for (const Row& r : rows) {
    CAPTURE(r.drawn.width, r.drawn.height);
    const SizePx got = scaledTileSize(tile, r.drawn);
    CHECK(got == r.want);
    // The aspect exactly: one factor maps a frame into its layer.
    CHECK(got.width * tile.height == got.height * tile.width);
    CHECK(got.width % 2 == 0);
    CHECK(got.height % 2 == 0);
  }
  // An aspect with no smaller even size: the tile.
  CHECK(scaledTileSize({158, 118}, {40, 30}) == SizePx{158, 118});
  CHECK(scaledTileSize({1920, 1080}, {480, 270}) == SizePx{480, 270});
}
