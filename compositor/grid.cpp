#include "compositor/layout.hpp"

#include <algorithm>
#include <cassert>
#include <cstdint>

namespace tessera::compositor {
namespace {

// All arithmetic is in 64-bit integers: tiles must land on whole pixels, and integer maths makes
// the choice of grid exact and identical on every machine (no float ties).
using Int = std::int64_t;

Int ceilDiv(Int a, Int b) {
  return (a + b - 1) / b;
}

struct TileSize {
  Int w = 0;
  Int h = 0;
  Int area() const { return w * h; }
};

struct Grid {
  Int columns = 1;
  Int rows = 1;
  Int gapPx = 0;
  TileSize tile;
  Int slots = 0;  // columns * rows, except when the canvas cannot hold every feed (see below)
};

// The largest whole-pixel tile of aspect aw:ah that fits `columns` x `rows` cells with a gap
// around every cell. One side is exact, the other floored, so w:h is within 1 px of the aspect.
// w or h is 0 when nothing fits.
TileSize fitTile(Int columns, Int rows, core::SizePx canvas, core::SizePx aspect, Int gapPx) {
  const Int maxW = std::max<Int>(0, canvas.width - gapPx * (columns + 1)) / columns;
  const Int maxH = std::max<Int>(0, canvas.height - gapPx * (rows + 1)) / rows;
  const Int aw = aspect.width;
  const Int ah = aspect.height;
  const Int hForMaxW = maxW * ah / aw;
  if (hForMaxW <= maxH) return {maxW, hForMaxW};
  // Height is the limit; maxH * aw / ah < maxW follows from hForMaxW > maxH.
  return {maxH * aw / ah, maxH};
}

// Tries every column count once: O(N) integer work. On equal tile area the first (fewest
// columns) wins, so the choice is deterministic.
Grid bestGrid(Int n, core::SizePx canvas, core::SizePx aspect, Int gapPx) {
  Grid best;
  for (Int columns = 1; columns <= n; ++columns) {
    const Int rows = ceilDiv(n, columns);
    const TileSize tile = fitTile(columns, rows, canvas, aspect, gapPx);
    if (tile.area() > best.tile.area()) best = {columns, rows, gapPx, tile, columns * rows};
  }
  return best;
}

// The canvas is too small for N tiles of at least 1x1 px with the gap. Tiles become 1x1; the gap
// is kept if N of them fit with it, else dropped; if N exceeds the canvas's pixel count, feeds
// wrap around to the first cell again and overlap. Degenerate, but every feed keeps a tile.
Grid degenerateGrid(Int n, core::SizePx canvas, Int gapPx) {
  for (const Int gap : {gapPx, Int{0}}) {
    const Int maxColumns = std::max<Int>(0, canvas.width - gap) / (1 + gap);
    const Int maxRows = std::max<Int>(0, canvas.height - gap) / (1 + gap);
    if (maxColumns >= 1 && maxRows >= 1 && maxColumns * maxRows >= n) {
      const Int columns = ceilDiv(n, maxRows);  // fewest columns, as in bestGrid
      const Int rows = ceilDiv(n, columns);
      return {columns, rows, gap, {1, 1}, columns * rows};
    }
  }
  const Int columns = canvas.width;
  const Int rows = canvas.height;
  return {columns, rows, 0, {1, 1}, columns * rows};
}

}  // namespace

Layout gridLayout(std::span<const core::FeedId> feeds, core::SizePx canvas, core::SizePx tileAspect,
                  int gapPx) {
  assert(canvas.width > 0 && canvas.height > 0);
  assert(tileAspect.width > 0 && tileAspect.height > 0);
  assert(gapPx >= 0);
  Layout layout{canvas, {}};
  const Int n = static_cast<Int>(feeds.size());
  // Release builds: a layout with no tiles rather than a division by zero.
  if (n == 0 || canvas.width <= 0 || canvas.height <= 0 || tileAspect.width <= 0 ||
      tileAspect.height <= 0 || gapPx < 0) {
    return layout;
  }

  Grid grid = bestGrid(n, canvas, tileAspect, gapPx);
  if (grid.tile.area() == 0) grid = degenerateGrid(n, canvas, gapPx);

  const Int w = grid.tile.w;
  const Int h = grid.tile.h;
  const Int pitchX = w + grid.gapPx;
  const Int pitchY = h + grid.gapPx;
  const auto spanOf = [&](Int count, Int size) { return count * size + (count - 1) * grid.gapPx; };
  // Centre the whole grid; floor keeps the grid inside the canvas.
  const Int left = (canvas.width - spanOf(grid.columns, w)) / 2;
  const Int top = (canvas.height - spanOf(grid.rows, h)) / 2;
  // The last row may be partial; it is centred on its own. Clamped to a full row when wrapping.
  const Int lastRowCount = std::min(grid.columns, n - (grid.rows - 1) * grid.columns);
  const Int lastRowLeft = (canvas.width - spanOf(lastRowCount, w)) / 2;

  layout.tiles.reserve(feeds.size());
  for (Int i = 0; i < n; ++i) {
    const Int slot = i % grid.slots;
    const Int row = slot / grid.columns;
    const Int column = slot % grid.columns;
    const Int rowLeft = row == grid.rows - 1 ? lastRowLeft : left;
    const core::Rect rect{static_cast<float>(rowLeft + column * pitchX),
                          static_cast<float>(top + row * pitchY), static_cast<float>(w),
                          static_cast<float>(h)};
    layout.tiles.push_back({.feed = feeds[static_cast<std::size_t>(i)], .rect = rect});
  }
  return layout;
}

}  // namespace tessera::compositor
