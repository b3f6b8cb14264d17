#include "compositor/photomosaic.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <vector>

#include "tests/compositor/test_helpers.hpp"

namespace {

using tessera::compositor::cellRects;
using tessera::compositor::ColourGrid;
using tessera::compositor::deltaE2;
using tessera::compositor::Layout;
using tessera::compositor::PhotomosaicEngine;
using tessera::compositor::PhotomosaicParams;
using tessera::compositor::reduceToCells;
using tessera::compositor::Rgb;
using tessera::compositor::testing::checkInsideNoOverlap;
using tessera::compositor::testing::makeFeeds;
using tessera::compositor::testing::scoresWithColour;
using tessera::core::FeedId;
using tessera::core::Rect;
using tessera::core::ScoreTable;
using tessera::core::SizePx;

constexpr SizePx kCanvas{1280, 720};
constexpr SizePx kTile{160, 120};

// An RGBA image from rows of colours.
std::vector<std::uint8_t> image(const std::vector<std::vector<Rgb>>& rows,
                                std::uint8_t alpha = 255) {
  std::vector<std::uint8_t> px;
  for (const auto& row : rows) {
    for (const auto& c : row) {
      px.push_back(static_cast<std::uint8_t>(c[0]));
      px.push_back(static_cast<std::uint8_t>(c[1]));
      px.push_back(static_cast<std::uint8_t>(c[2]));
      px.push_back(alpha);
    }
  }
  return px;
}

bool near(const Rgb& a, const Rgb& b, float tolerance = 0.01f) {
  return std::abs(a[0] - b[0]) <= tolerance && std::abs(a[1] - b[1]) <= tolerance &&
         std::abs(a[2] - b[2]) <= tolerance;
}

// A target of `columns` x `rows` cells whose colours are given.
std::shared_ptr<ColourGrid> grid(int columns, int rows, std::vector<Rgb> cells) {
  auto g = std::make_shared<ColourGrid>();
  g->columns = columns;
  g->rows = rows;
  g->cells = std::move(cells);
  return g;
}

PhotomosaicParams params(std::shared_ptr<ColourGrid> target) {
  PhotomosaicParams p;
  p.target = std::move(target);
  p.budget = std::chrono::microseconds::max();  // solve within one update unless a test slices
  p.minSolveIntervalS = 0;
  p.reuse = 1;  // every feed equally often, unless a test says otherwise
  return p;
}

std::map<std::uint32_t, int> usesPerFeed(const Layout& layout) {
  std::map<std::uint32_t, int> uses;
  for (const auto& t : layout.tiles) ++uses[t.feed.value];
  return uses;
}

const Rgb kRed{230, 30, 30}, kGreen{30, 200, 60}, kBlue{30, 60, 220}, kYellow{240, 220, 40};

}  // namespace

TEST_CASE("reduceToCells averages the image under each cell", "[compositor][photomosaic]") {
  SECTION("whole pixels per cell") {
    // 4x2 image, 2x1 cells on a 2:1 canvas: each cell the mean of a 2x2 block.
    const auto px = image({{{0, 0, 0}, {100, 0, 0}, {0, 0, 200}, {0, 0, 200}},
                           {{0, 100, 0}, {100, 100, 0}, {0, 0, 100}, {0, 0, 100}}});
    const ColourGrid g = reduceToCells(px, 4, 2, 16, 2, 1, {200, 100});
    REQUIRE(g.cells.size() == 2);
    CHECK(near(g.at(0, 0), {50, 50, 0}));
    CHECK(near(g.at(1, 0), {0, 0, 150}));
  }
  SECTION("fractional pixels are weighted by the area they cover") {
    // 3x1 image into 2 cells: cell 0 covers pixel 0 and half of pixel 1.
    const auto px = image({{{90, 0, 0}, {0, 90, 0}, {0, 0, 90}}});
    const ColourGrid g = reduceToCells(px, 3, 1, 12, 2, 1, {300, 100});
    CHECK(near(g.at(0, 0), {60, 30, 0}));
    CHECK(near(g.at(1, 0), {0, 30, 60}));
  }
  SECTION("a target of another aspect is cropped to cover the canvas") {
    // 2x4 image (portrait) on a 2:1 canvas: only rows 1.5..2.5 of the image are used.
    const auto px = image({{{255, 0, 0}, {255, 0, 0}},
                           {{0, 0, 0}, {0, 0, 0}},
                           {{0, 0, 0}, {0, 0, 0}},
                           {{0, 255, 0}, {0, 255, 0}}});
    const ColourGrid g = reduceToCells(px, 2, 4, 8, 1, 1, {200, 100});
    CHECK(near(g.at(0, 0), {0, 0, 0}));  // the red top and green bottom rows are cropped away
  }
  SECTION("translucent pixels are composited over the background") {
    const auto px = image({{{255, 255, 255}}}, 0);
    const ColourGrid g = reduceToCells(px, 1, 1, 4, 1, 1, {1, 1}, {5, 5, 8});
    CHECK(near(g.at(0, 0), {5, 5, 8}));
  }
  SECTION("cells smaller than a pixel take that pixel") {
    const auto px = image({{{10, 20, 30}, {40, 50, 60}}});
    const ColourGrid g = reduceToCells(px, 2, 1, 8, 4, 1, {400, 100});
    CHECK(near(g.at(0, 0), {10, 20, 30}));
    CHECK(near(g.at(1, 0), {10, 20, 30}));
    CHECK(near(g.at(3, 0), {40, 50, 60}));
  }
}

TEST_CASE("cellRects tile the canvas exactly in whole pixels", "[compositor][photomosaic]") {
  const auto rects = cellRects({100, 10}, 3, 1);
  REQUIRE(rects.size() == 3);
  CHECK(rects[0] == Rect{0, 0, 33, 10});
  CHECK(rects[1] == Rect{33, 0, 33, 10});
  CHECK(rects[2] == Rect{66, 0, 34, 10});
  const auto cells = cellRects(kCanvas, 32, 18);
  REQUIRE(cells.size() == 32 * 18);
  float area = 0;
  for (const auto& r : cells) {
    CHECK(r.w == 40);
    CHECK(r.h == 40);
    area += r.w * r.h;
  }
  CHECK(area == kCanvas.width * kCanvas.height);
  Layout l{kCanvas, {}};
  for (const auto& r : cells) l.tiles.push_back({.rect = r});
  CHECK(checkInsideNoOverlap(l) == "");
}

TEST_CASE("deltaE2 is CIE76 squared", "[compositor][photomosaic]") {
  CHECK(deltaE2(kRed, kRed) == Approx(0).margin(1e-6));
  CHECK(deltaE2({0, 0, 0}, {255, 255, 255}) == Approx(100 * 100).epsilon(0.01));
  CHECK(deltaE2(kRed, kGreen) > deltaE2(kRed, {200, 40, 40}));
}

TEST_CASE("a photomosaic of solid feeds matches each cell to the feed of its colour",
          "[compositor][photomosaic]") {
  // 4x2 cells, two of each colour; four feeds of exactly those colours: each feed twice, in the
  // cells of its colour.
  auto target = grid(4, 2, {kRed, kGreen, kBlue, kYellow, kYellow, kBlue, kGreen, kRed});
  PhotomosaicEngine engine(params(target), {400, 200}, kTile);
  const auto feeds = makeFeeds(4);
  ScoreTable scores;
  scores.version = 1;
  const Rgb colours[] = {kBlue, kRed, kYellow, kGreen};  // feed 100 blue, 101 red, ...
  for (int i = 0; i < 4; ++i) {
    scores.byFeed[feeds[i]] = scoresWithColour(colours[i][0], colours[i][1], colours[i][2]);
  }
  CHECK(engine.update(feeds, &scores, 0.0));
  const Layout& l = engine.layout();
  REQUIRE(l.tiles.size() == 8);
  const std::uint32_t expected[] = {101, 103, 100, 102, 102, 100, 103, 101};
  for (int c = 0; c < 8; ++c) {
    INFO("cell " << c);
    CHECK(l.tiles[c].feed.value == expected[c]);
    CHECK(l.tiles[c].rect ==
          Rect{static_cast<float>(c % 4 * 100), static_cast<float>(c / 4 * 100), 100, 100});
    // Square cells show the middle of the 4:3 picture; tinted toward the cell colour.
    CHECK(l.tiles[c].source.w == Approx(0.75f));
    CHECK(l.tiles[c].source.x == Approx(0.125f));
    CHECK(l.tiles[c].tint.amount == Approx(0.3f));
    CHECK(l.tiles[c].tint.r == Approx(target->cells[c][0] / 255));
  }
  // Nothing changed: no new layout.
  CHECK_FALSE(engine.update(feeds, &scores, 1.0));
}

TEST_CASE("photomosaic layouts for 0, 1, 256 and 1024 feeds", "[compositor][photomosaic]") {
  std::vector<Rgb> cells;
  for (int i = 0; i < 32 * 32; ++i) {
    cells.push_back({static_cast<float>(i * 37 % 256), static_cast<float>(i * 91 % 256),
                     static_cast<float>(i * 13 % 256)});
  }
  auto target = grid(32, 32, cells);
  const int count = GENERATE(0, 1, 3, 256, 1024, 1500);
  INFO(count << " feeds");
  PhotomosaicEngine engine(params(target), kCanvas, kTile);
  const auto feeds = makeFeeds(count);
  ScoreTable scores;
  scores.version = 1;
  for (int i = 0; i < count; ++i) {
    scores.byFeed[feeds[i]] =
        scoresWithColour(static_cast<float>(i * 53 % 256), static_cast<float>(i * 17 % 256),
                         static_cast<float>(i * 101 % 256));
  }
  engine.update(feeds, &scores, 0.0);
  const Layout& l = engine.layout();
  if (count == 0) {
    CHECK(l.tiles.empty());
    return;
  }
  REQUIRE(l.tiles.size() == 1024);
  CHECK(checkInsideNoOverlap(l) == "");
  const auto uses = usesPerFeed(l);
  if (count <= 1024) {
    // Every feed is on the canvas, about equally often.
    CHECK(static_cast<int>(uses.size()) == count);
    for (const auto& [feed, n] : uses) {
      CHECK(n >= 1024 / count);
      CHECK(n <= (1024 + count - 1) / count);
    }
  } else {
    // More feeds than cells: each cell a different feed.
    CHECK(uses.size() == 1024);
  }
  for (const auto& t : l.tiles) CHECK(t.feed.value >= 100);
}

TEST_CASE("photomosaic cells keep their feeds under small colour changes",
          "[compositor][photomosaic]") {
  std::vector<Rgb> cells;
  for (int i = 0; i < 16 * 9; ++i) {
    cells.push_back({static_cast<float>(i * 37 % 256), static_cast<float>(i * 91 % 256), 120});
  }
  auto p = params(grid(16, 9, cells));
  p.hysteresis = 12;
  p.colourNoise = 1;
  PhotomosaicEngine engine(p, kCanvas, kTile);
  const auto feeds = makeFeeds(48);
  ScoreTable scores;
  scores.version = 1;
  for (int i = 0; i < 48; ++i) {
    scores.byFeed[feeds[i]] =
        scoresWithColour(static_cast<float>(i * 53 % 256), static_cast<float>(i * 29 % 256), 100);
  }
  REQUIRE(engine.update(feeds, &scores, 0.0));
  const Layout before = engine.layout();

  SECTION("changes below the colour noise do not even re-solve") {
    for (int step = 1; step <= 10; ++step) {
      ++scores.version;
      for (int i = 0; i < 48; ++i) {
        scores.byFeed[feeds[i]].meanRgb[0] += (i + step) % 2 ? 0.2f : -0.2f;
      }
      CHECK_FALSE(engine.update(feeds, &scores, step));
    }
    CHECK(engine.solvesFinished() == 1);
    CHECK(engine.layout().tiles == before.tiles);
  }
  SECTION("changes above the noise but below half the hysteresis re-solve and keep every cell") {
    // Moving a feed's colour by d changes any cell's cost by at most d, so an exchange of cells
    // gains at most 2 d per cell: below the hysteresis, nobody moves.
    ++scores.version;
    int aboveNoise = 0;
    for (int i = 0; i < 48; ++i) {
      const Rgb old{scores.byFeed[feeds[i]].meanRgb[0], scores.byFeed[feeds[i]].meanRgb[1], 100};
      scores.byFeed[feeds[i]].meanRgb[1] += i % 2 ? 5.0f : -5.0f;
      const Rgb now{old[0], scores.byFeed[feeds[i]].meanRgb[1], 100};
      INFO("feed " << i);
      REQUIRE(std::sqrt(deltaE2(old, now)) < 6);
      aboveNoise += std::sqrt(deltaE2(old, now)) > 1;
    }
    REQUIRE(aboveNoise > 24);
    engine.update(feeds, &scores, 1.0);
    CHECK(engine.solvesFinished() == 2);
    CHECK(engine.layout().tiles == before.tiles);
  }
}

TEST_CASE("photomosaic feeds that change colour a lot change cells", "[compositor][photomosaic]") {
  auto target = grid(4, 2, {kRed, kGreen, kBlue, kYellow, kYellow, kBlue, kGreen, kRed});
  auto p = params(target);
  p.hysteresis = 12;
  PhotomosaicEngine engine(p, {400, 200}, kTile);
  const auto feeds = makeFeeds(4);
  ScoreTable scores;
  scores.version = 1;
  const Rgb colours[] = {kBlue, kRed, kYellow, kGreen};
  for (int i = 0; i < 4; ++i) {
    scores.byFeed[feeds[i]] = scoresWithColour(colours[i][0], colours[i][1], colours[i][2]);
  }
  REQUIRE(engine.update(feeds, &scores, 0.0));
  CHECK(engine.layout().tiles[0].feed.value == 101);  // red cell, red feed
  CHECK(engine.layout().tiles[2].feed.value == 100);  // blue cell, blue feed
  // Feeds 100 and 101 swap colours (someone walked in front of the camera): far beyond the
  // hysteresis, so their cells swap too.
  ++scores.version;
  scores.byFeed[feeds[0]].meanRgb = {kRed[0], kRed[1], kRed[2]};
  scores.byFeed[feeds[1]].meanRgb = {kBlue[0], kBlue[1], kBlue[2]};
  REQUIRE(engine.update(feeds, &scores, 1.0));
  const std::uint32_t expected[] = {100, 103, 101, 102, 102, 101, 103, 100};
  for (int c = 0; c < 8; ++c) CHECK(engine.layout().tiles[c].feed.value == expected[c]);
}

TEST_CASE("photomosaic cells of a feed that leaves go at once to feeds that are there",
          "[compositor][photomosaic]") {
  std::vector<Rgb> cells(64, kRed);
  auto p = params(grid(8, 8, cells));
  p.budget = std::chrono::microseconds(1);  // solves take many updates
  PhotomosaicEngine engine(p, kCanvas, kTile);
  auto feeds = makeFeeds(16);
  ScoreTable scores;
  // First update: a provisional layout at once (nearest colour), then the balanced solve.
  CHECK(engine.update(feeds, &scores, 0.0));
  CHECK(engine.layout().tiles.size() == 64);
  int updates = 1;
  while (engine.solving() && updates < 10000) engine.update(feeds, &scores, 0.01 * updates++);
  CHECK(updates > 2);
  CHECK_FALSE(engine.solving());
  CHECK(usesPerFeed(engine.layout()).size() == 16);

  // Feeds 100..103 leave: no cell shows them from this very update on.
  feeds.erase(feeds.begin(), feeds.begin() + 4);
  CHECK(engine.update(feeds, &scores, 100.0));
  for (const auto& t : engine.layout().tiles) CHECK(t.feed.value >= 104);
  while (engine.solving()) engine.update(feeds, &scores, 100.0 + 0.01 * updates++);
  const auto uses = usesPerFeed(engine.layout());
  CHECK(uses.size() == 12);
  for (const auto& [feed, n] : uses) CHECK((n == 5 || n == 6));

  // Everyone leaves: no tiles.
  CHECK(engine.update({}, &scores, 200.0));
  CHECK(engine.layout().tiles.empty());
}

TEST_CASE("photomosaic reuse lets feeds that fit appear more often, everyone at least once",
          "[compositor][photomosaic]") {
  // 16 red cells and 16 blue ones; 8 feeds, 7 of them red and 1 blue. Balanced, each feed gets 4
  // cells, so red feeds fill 12 blue cells; with reuse 4 the blue feed may take up to 16.
  std::vector<Rgb> cells(32, kRed);
  std::fill(cells.begin() + 16, cells.end(), kBlue);
  const auto feeds = makeFeeds(8);
  ScoreTable scores;
  scores.version = 1;
  for (int i = 0; i < 8; ++i) {
    const Rgb c = i == 7 ? kBlue : kRed;
    scores.byFeed[feeds[i]] = scoresWithColour(c[0], c[1], c[2]);
  }
  const auto blueCells = [&](float reuse) {
    auto p = params(grid(8, 4, cells));
    p.reuse = reuse;
    PhotomosaicEngine engine(p, {400, 200}, kTile);
    engine.update(feeds, &scores, 0.0);
    const auto uses = usesPerFeed(engine.layout());
    CHECK(uses.size() == 8);  // everyone is on the canvas
    int blue = 0;
    for (int c = 16; c < 32; ++c) blue += engine.layout().tiles[c].feed == feeds[7];
    return blue;
  };
  CHECK(blueCells(1) == 4);
  CHECK(blueCells(4) == 16);
  CHECK(blueCells(2) == 8);
}
