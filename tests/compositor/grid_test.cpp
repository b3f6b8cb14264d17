#include "compositor/layout.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/compositor/test_helpers.hpp"

namespace {

using tessera::compositor::gridLayout;
using tessera::compositor::Layout;
using tessera::core::FeedId;
using tessera::core::Rect;
using tessera::core::SizePx;

constexpr SizePx k4by3{160, 120};
constexpr SizePx k16by9{16, 9};
constexpr int kGapPx = 2;

// Ids start at 100 so that a mix-up between feed id and index shows.
std::vector<FeedId> makeFeeds(int count) {
  std::vector<FeedId> feeds;
  for (int i = 0; i < count; ++i) feeds.push_back(FeedId{static_cast<std::uint32_t>(100 + i)});
  return feeds;
}

// The grid a layout turned out to have, read back from its tiles.
struct GridShape {
  int columns = 0;       // tiles in the first row
  int rows = 0;          // distinct y values
  int lastRowCount = 0;  // tiles in the last row
  float tileW = 0;
  float tileH = 0;
  bool operator==(const GridShape&) const = default;
};

GridShape shapeOf(const Layout& layout) {
  GridShape shape;
  if (layout.tiles.empty()) return shape;
  shape.tileW = layout.tiles.front().rect.w;
  shape.tileH = layout.tiles.front().rect.h;
  float rowY = layout.tiles.front().rect.y;
  shape.rows = 1;
  int inRow = 0;
  for (const auto& tile : layout.tiles) {
    if (tile.rect.y != rowY) {
      if (shape.rows == 1) shape.columns = inRow;
      ++shape.rows;
      rowY = tile.rect.y;
      inRow = 0;
    }
    ++inRow;
  }
  if (shape.rows == 1) shape.columns = inRow;
  shape.lastRowCount = inRow;
  return shape;
}

bool isWhole(float v) {
  return std::floor(v) == v;
}

// Every property a grid layout of `count` feeds must have; returns what is wrong, or "".
// Rows are horizontal bands separated by at least the gap, and tiles within a row are separated
// by at least the gap, so passing this check also proves that no two tiles overlap.
std::string checkInvariants(const Layout& layout, const std::vector<FeedId>& feeds, SizePx canvas,
                            SizePx aspect, int gapPx) {
  std::ostringstream err;
  if (!(layout.canvas == canvas)) err << "canvas " << layout.canvas << "; ";
  if (layout.tiles.size() != feeds.size()) {
    err << "count " << layout.tiles.size() << " != " << feeds.size();
    return err.str();
  }
  if (feeds.empty()) return err.str();

  const GridShape shape = shapeOf(layout);
  const float w = shape.tileW;
  const float h = shape.tileH;
  const float gap = static_cast<float>(gapPx);
  if (w < 1 || h < 1) err << "tile " << w << "x" << h << " smaller than 1 px; ";
  // Aspect within 1 px: |h*aw - w*ah| < max(aw, ah) means either w or h is less than 1 px away
  // from the value the other one implies.
  const double aspectError = std::abs(double(h) * aspect.width - double(w) * aspect.height);
  if (aspectError >= std::max(aspect.width, aspect.height)) {
    err << "tile " << w << "x" << h << " off aspect " << aspect << "; ";
  }

  for (std::size_t i = 0; i < layout.tiles.size(); ++i) {
    const auto& tile = layout.tiles[i];
    const Rect& r = tile.rect;
    // Builds the prefix only on failure: this runs for half a million tiles.
    const auto at = [&] {
      std::ostringstream os;
      os << "tile " << i << " " << r << ": ";
      return os.str();
    };
    if (!(tile.feed == feeds[i])) err << at() << "feed " << tile.feed.value << "; ";
    if (!isWhole(r.x) || !isWhole(r.y) || !isWhole(r.w) || !isWhole(r.h)) {
      err << at() << "not whole pixels; ";
    }
    if (r.w != w || r.h != h) err << at() << "size differs; ";
    if (r.x < gap || r.y < gap || r.right() > canvas.width - gap ||
        r.bottom() > canvas.height - gap) {
      err << at() << "outside the canvas or its gap margin; ";
    }
    // Row-major index: feed i sits in row i / columns, column i % columns.
    const int row = static_cast<int>(i) / shape.columns;
    const int column = static_cast<int>(i) % shape.columns;
    if (column == 0 && i > 0) {
      const Rect& above = layout.tiles[i - shape.columns].rect;
      if (r.y < above.bottom() + gap) err << at() << "row " << row << " not below; ";
    } else if (i > 0) {
      const Rect& before = layout.tiles[i - 1].rect;
      if (r.y != before.y) err << at() << "not in the row of its predecessor; ";
      if (r.x < before.right() + gap) err << at() << "not right of its predecessor; ";
    }
    // Full rows share column positions.
    if (row > 0 && row < shape.rows - 1 && r.x != layout.tiles[column].rect.x) {
      err << at() << "column not aligned with row 0; ";
    }
  }
  if (shape.lastRowCount < 1 || shape.lastRowCount > shape.columns ||
      (shape.rows - 1) * shape.columns + shape.lastRowCount != static_cast<int>(feeds.size())) {
    err << "not row-major: " << shape.columns << " columns, " << shape.rows << " rows, last row "
        << shape.lastRowCount << "; ";
  }

  // Centred: the grid's margins, and the last row's, differ by at most 1 px.
  const Rect& first = layout.tiles.front().rect;
  const Rect& rowEnd = layout.tiles[shape.columns - 1].rect;
  const Rect& lastRowStart = layout.tiles[feeds.size() - shape.lastRowCount].rect;
  const Rect& last = layout.tiles.back().rect;
  if (std::abs(first.x - (canvas.width - rowEnd.right())) > 1) err << "grid not centred in x; ";
  if (std::abs(first.y - (canvas.height - last.bottom())) > 1) err << "grid not centred in y; ";
  if (std::abs(lastRowStart.x - (canvas.width - last.right())) > 1) {
    err << "last row not centred; ";
  }

  // As large as possible: compare with the best real-valued tile over all column counts. Whole
  // pixels cost under 1 px on the limiting side and under 1 + aspect ratio on the other.
  double bestScale = 0;
  const int n = static_cast<int>(feeds.size());
  for (int c = 1; c <= n; ++c) {
    const int r = (n + c - 1) / c;
    const double maxW = double(canvas.width - gapPx * (c + 1)) / c;
    const double maxH = double(canvas.height - gapPx * (r + 1)) / r;
    bestScale = std::max(bestScale, std::min(maxW / aspect.width, maxH / aspect.height));
  }
  const double ratio = double(aspect.width) / aspect.height;
  const double minW = bestScale * aspect.width - 2 - ratio;
  const double minH = bestScale * aspect.height - 2 - 1 / ratio;
  if (minW > 0 && minH > 0 && double(w) * h < minW * minH) {
    err << "tile " << w << "x" << h << " smaller than the best " << bestScale * aspect.width << "x"
        << bestScale * aspect.height << "; ";
  }
  return err.str();
}

struct GridCase {
  const char* name;
  int feeds;
  SizePx canvas;
  SizePx aspect;
  int gapPx;
  std::vector<Rect> expected;
};

// Worked by hand, gap 2 unless said. For c columns and r = ceil(N/c) rows:
// maxW = (W - 2(c+1)) / c, maxH = (H - 2(r+1)) / r (integer division); h = maxW * ah / aw if that
// fits maxH, else h = maxH and w = maxH * aw / ah. Grid left = (W - (c*w + (c-1)*gap)) / 2.
const std::vector<GridCase> kCases = {
    {"no feeds", 0, {1280, 720}, k4by3, kGapPx, {}},
    // c=1: maxW 1276 -> h 957 > maxH 716, so h 716, w 716*4/3 = 954. left (1280-954)/2 = 163.
    {"1 feed, 1280x720", 1, {1280, 720}, k4by3, kGapPx, {{163, 2, 954, 716}}},
    // c=1: 236x177; c=2 (r=2): maxW 637 -> h 477 > 357: 476x357 (best); c=3: 424x318;
    // c=4: 317x237. Grid 954x716 -> left 163, top 2; pitch 478 x 359.
    {"4 feeds, 1280x720",
     4,
     {1280, 720},
     k4by3,
     kGapPx,
     {{163, 2, 476, 357}, {641, 2, 476, 357}, {163, 361, 476, 357}, {641, 361, 476, 357}}},
    // Best c=2 as above; the last row holds one tile, centred: (1280-476)/2 = 402.
    {"3 feeds, partial row centred",
     3,
     {1280, 720},
     k4by3,
     kGapPx,
     {{163, 2, 476, 357}, {641, 2, 476, 357}, {402, 361, 476, 357}}},
    // c=4 (r=4): maxW 317 -> h 237 > maxH 177: 236x177. c=5 (r=4): maxW 253 -> h 189 > 177:
    // 236x177 too, a tie that the fewer columns win. c=6 (r=3): 211x158. Grid 950x714 -> left 165,
    // top 3; pitch 238 x 179.
    {"16 feeds, 1280x720, 4x4 beats 5x4 on a tie",
     16,
     {1280, 720},
     k4by3,
     kGapPx,
     {{165, 3, 236, 177},
      {403, 3, 236, 177},
      {641, 3, 236, 177},
      {879, 3, 236, 177},
      {165, 182, 236, 177},
      {403, 182, 236, 177},
      {641, 182, 236, 177},
      {879, 182, 236, 177},
      {165, 361, 236, 177},
      {403, 361, 236, 177},
      {641, 361, 236, 177},
      {879, 361, 236, 177},
      {165, 540, 236, 177},
      {403, 540, 236, 177},
      {641, 540, 236, 177},
      {879, 540, 236, 177}}},
    // 16:9. c=2 (r=3): 634x357; c=3 (r=2): maxW 637 -> h 358 <= 537: 637x358 (best); c=4:
    // 477x268. Grid 1915x718 -> left 2, top 181; the last row (2 tiles, 1276 wide) starts at 322.
    {"5 feeds, 1920x1080, 16:9",
     5,
     {1920, 1080},
     k16by9,
     kGapPx,
     {{2, 181, 637, 358},
      {641, 181, 637, 358},
      {1280, 181, 637, 358},
      {322, 541, 637, 358},
      {961, 541, 637, 358}}},
    // Portrait. c=1 (r=2): maxW 716 -> h 537 <= 637: 716x537; c=2: 357x267. Grid height 1076 ->
    // top 102.
    {"2 feeds, 720x1280 portrait",
     2,
     {720, 1280},
     k4by3,
     kGapPx,
     {{2, 102, 716, 537}, {2, 641, 716, 537}}},
    // Square tiles on a square canvas: 1x2 and 2x1 both give 47x47; one column wins.
    {"2 feeds, 100x100, 1:1 tie",
     2,
     {100, 100},
     {1, 1},
     kGapPx,
     {{26, 2, 47, 47}, {26, 51, 47, 47}}},
    // No gap: c=2 fills 640x480 exactly with 320x240 tiles.
    {"4 feeds, 640x480, gap 0",
     4,
     {640, 480},
     {4, 3},
     0,
     {{0, 0, 320, 240}, {320, 0, 320, 240}, {0, 240, 320, 240}, {320, 240, 320, 240}}},
    // Degenerate: with gap 2 no row fits in 4 px of height. 1x1 tiles without gap, 4 rows max, so
    // ceil(11/4) = 3 columns, 4 rows; grid 3x4 at left 3, top 0; last row (2 tiles) at left 4.
    {"11 feeds, 10x4, too small for the gap",
     11,
     {10, 4},
     k4by3,
     kGapPx,
     {{3, 0, 1, 1},
      {4, 0, 1, 1},
      {5, 0, 1, 1},
      {3, 1, 1, 1},
      {4, 1, 1, 1},
      {5, 1, 1, 1},
      {3, 2, 1, 1},
      {4, 2, 1, 1},
      {5, 2, 1, 1},
      {4, 3, 1, 1},
      {5, 3, 1, 1}}},
    // Degenerate: more feeds than pixels. Every pixel once, then wrap around (overlap).
    {"8 feeds, 3x2, more feeds than pixels",
     8,
     {3, 2},
     k4by3,
     kGapPx,
     {{0, 0, 1, 1},
      {1, 0, 1, 1},
      {2, 0, 1, 1},
      {0, 1, 1, 1},
      {1, 1, 1, 1},
      {2, 1, 1, 1},
      {0, 0, 1, 1},
      {1, 0, 1, 1}}},
};

}  // namespace

TEST_CASE("gridLayout places feeds as worked out by hand", "[compositor][layout]") {
  for (const GridCase& c : kCases) {
    DYNAMIC_SECTION(c.name) {
      const auto feeds = makeFeeds(c.feeds);
      const Layout layout = gridLayout(feeds, c.canvas, c.aspect, c.gapPx);
      CHECK(layout.canvas == c.canvas);
      REQUIRE(layout.tiles.size() == c.expected.size());
      for (std::size_t i = 0; i < c.expected.size(); ++i) {
        INFO("tile " << i);
        CHECK(layout.tiles[i].feed == feeds[i]);
        CHECK(layout.tiles[i].rect == c.expected[i]);
      }
    }
  }
}

TEST_CASE("gridLayout on a 100x100 canvas keeps 1024 feeds at 1x1 with the gap",
          "[compositor][layout]") {
  // No tile of 1x1 px fits at 4:3 with the gap, but 32 x 32 cells of 1 px + 2 px gap do (98 px).
  const auto feeds = makeFeeds(1024);
  const Layout layout = gridLayout(feeds, {100, 100}, k4by3, kGapPx);
  REQUIRE(layout.tiles.size() == 1024);
  CHECK(layout.tiles.front().rect == Rect{3, 3, 1, 1});
  CHECK(layout.tiles[33].rect == Rect{6, 6, 1, 1});
  CHECK(layout.tiles.back().rect == Rect{96, 96, 1, 1});
}

TEST_CASE("gridLayout holds its invariants for 0..1024 feeds", "[compositor][layout]") {
  struct Canvas {
    SizePx size;
    SizePx aspect;
  };
  const Canvas canvas =
      GENERATE(Canvas{{1280, 720}, k4by3}, Canvas{{1920, 1080}, k4by3},
               Canvas{{1920, 1080}, k16by9}, Canvas{{720, 1280}, k4by3}, Canvas{{100, 100}, k4by3});
  INFO("canvas " << canvas.size << ", aspect " << canvas.aspect);
  const auto allFeeds = makeFeeds(1024);
  for (int n = 0; n <= 1024; ++n) {
    const std::vector<FeedId> feeds(allFeeds.begin(), allFeeds.begin() + n);
    const Layout layout = gridLayout(feeds, canvas.size, canvas.aspect, kGapPx);
    const std::string problems = checkInvariants(layout, feeds, canvas.size, canvas.aspect, kGapPx);
    INFO(n << " feeds");
    CHECK(problems == "");
    if (!problems.empty()) break;  // one failing N says enough
  }
}

TEST_CASE("gridLayout keeps feeds in place as the last feed comes and goes",
          "[compositor][layout]") {
  const SizePx canvas =
      GENERATE(SizePx{1280, 720}, SizePx{1920, 1080}, SizePx{720, 1280}, SizePx{100, 100});
  INFO("canvas " << canvas);
  const auto allFeeds = makeFeeds(1024);
  int unchangedGrids = 0;
  Layout before = gridLayout({}, canvas, k4by3, kGapPx);
  for (int n = 1; n <= 1024; ++n) {
    INFO(n - 1 << " -> " << n << " feeds");
    const std::span<const FeedId> feeds(allFeeds.data(), static_cast<std::size_t>(n));
    const Layout after = gridLayout(feeds, canvas, k4by3, kGapPx);
    REQUIRE(after.tiles.size() == before.tiles.size() + 1);

    // Adding a feed never reorders: earlier feeds keep their row-major index.
    bool sameFeeds = true;
    for (std::size_t i = 0; i < before.tiles.size(); ++i) {
      sameFeeds = sameFeeds && before.tiles[i].feed == after.tiles[i].feed;
    }
    CHECK(sameFeeds);

    // Same columns, rows and tile size: the full rows do not move at all, and the last row of
    // `before` only slides sideways as a whole (it is re-centred).
    GridShape shapeBefore = shapeOf(before);
    GridShape shapeAfter = shapeOf(after);
    if (n > 1 && shapeBefore.columns == shapeAfter.columns && shapeBefore.rows == shapeAfter.rows &&
        shapeBefore.tileW == shapeAfter.tileW && shapeBefore.tileH == shapeAfter.tileH) {
      ++unchangedGrids;
      const std::size_t lastRowStart = before.tiles.size() - shapeBefore.lastRowCount;
      bool fullRowsStay = true;
      for (std::size_t i = 0; i < lastRowStart; ++i) {
        fullRowsStay = fullRowsStay && before.tiles[i].rect == after.tiles[i].rect;
      }
      CHECK(fullRowsStay);
      const float shift = after.tiles[lastRowStart].rect.x - before.tiles[lastRowStart].rect.x;
      bool lastRowSlides = true;
      for (std::size_t i = lastRowStart; i < before.tiles.size(); ++i) {
        const Rect& a = before.tiles[i].rect;
        const Rect& b = after.tiles[i].rect;
        lastRowSlides = lastRowSlides && b.y == a.y && b.x - a.x == shift;
      }
      CHECK(lastRowSlides);
    }
    before = after;
  }
  // The check above must have had something to check.
  CHECK(unchangedGrids > 100);
}
