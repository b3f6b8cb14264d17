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
Layout gridLayout(std::span<const core::FeedId> feeds, core::SizePx canvas, core::SizePx tileAspect,
                  int gapPx = 2);

}  // namespace tessera::compositor
