// Layouts: where each feed's tile goes on the canvas. Pure C++; links only core.
#pragma once

#include <span>
#include <vector>

#include "core/types.hpp"

namespace tessera::compositor {

struct Placement {
  core::FeedId feed;
  core::Rect rect;  // canvas pixels
  bool operator==(const Placement&) const = default;
};

struct Layout {
  core::SizePx canvas;
  std::vector<Placement> tiles;  // in the order of the feeds given
};

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
