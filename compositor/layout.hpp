// Layouts: where each feed's tile goes on the canvas. Pure C++; links only core.
#pragma once

#include <span>
#include <vector>

#include "core/types.hpp"

namespace tessera::compositor {

// The colour a tile is pulled toward (0..1 RGB) and how far (0 = untouched, 1 = flat colour).
struct Tint {
  float r = 0;
  float g = 0;
  float b = 0;
  float amount = 0;
  bool operator==(const Tint&) const = default;
};

// One tile on the canvas. A feed may have several (a photomosaic reuses feeds in many cells).
struct Placement {
  core::FeedId feed{};
  core::Rect rect{};              // canvas pixels
  core::Rect source{0, 0, 1, 1};  // the part of the feed's picture shown, in 0..1 of the tile
  Tint tint{};
  float alpha = 1;        // below 1 while the tile fades in or out (drawn blended)
  float rotationRad = 0;  // about the rect's centre, clockwise on the canvas (brush dabs)
  int z = 1;              // band: 0 is drawn under 1 (tiles leaving during an animation)
  bool operator==(const Placement&) const = default;
};

struct Layout {
  core::SizePx canvas;
  std::vector<Placement> tiles;  // drawing order within a band; grid: the order of the feeds given
};

// The centred part of a picture of aspect `picture` (w:h) that fills `rect` without distortion
// (like CSS object-fit: cover), in 0..1 of the picture.
core::Rect coverSource(const core::Rect& rect, core::SizePx picture);

// Fits feeds into a grid of equal, aspect-correct tiles, as large as the canvas allows.
// Feeds are placed row by row in the order given (join order), so a feed keeps its place while
// feeds after it come and go. `tileAspect` is the feed's width:height (e.g. 160x120).
// Tiles are whole pixels, all the same size, with `gapPx` between tiles and around the grid; one
// side is exact and the other floored, so w:h is within 1 px of `tileAspect`. The column count
// with the largest tile wins, the fewest columns on a tie. The grid is centred and a partial last
// row is centred on its own, so removing a feed from the last row shifts its row-mates by half a
// cell. If the canvas cannot hold N tiles of 1x1 px, tiles are 1x1, the gap is dropped if needed,
// and beyond one tile per canvas pixel they overlap. No feeds, an empty canvas or a non-positive
// aspect give no tiles.
Layout gridLayout(std::span<const core::FeedId> feeds, core::SizePx canvas, core::SizePx tileAspect,
                  int gapPx = 2);

}  // namespace tessera::compositor
