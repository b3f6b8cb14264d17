#include "compositor/spotlight.hpp"

#include <catch2/catch.hpp>

#include <random>
#include <vector>

#include "tests/compositor/test_helpers.hpp"

namespace {

using tessera::compositor::Layout;
using tessera::compositor::SpotlightEngine;
using tessera::compositor::SpotlightParams;
using tessera::compositor::SpotlightScore;
using tessera::compositor::spotlightValue;
using tessera::compositor::treemap;
using tessera::compositor::testing::checkInsideNoOverlap;
using tessera::compositor::testing::makeFeeds;
using tessera::core::FeedId;
using tessera::core::Rect;
using tessera::core::Scores;
using tessera::core::ScoreTable;
using tessera::core::SizePx;

constexpr SizePx kCanvas{1280, 720};
constexpr SizePx kTile{160, 120};

ScoreTable motionScores(const std::vector<FeedId>& feeds, const std::vector<float>& motion,
                        std::uint64_t version) {
  ScoreTable t;
  t.version = version;
  for (std::size_t i = 0; i < feeds.size(); ++i) {
    Scores s;
    s.motion = motion[i];
    t.byFeed[feeds[i]] = s;
  }
  return t;
}

float area(const Rect& r) {
  return r.w * r.h;
}

}  // namespace

TEST_CASE("treemap lays weights out as worked out by hand", "[compositor][spotlight]") {
  struct Case {
    const char* name;
    std::vector<double> weights;
    Rect area;
    std::vector<Rect> expected;
  };
  const std::vector<Case> cases = {
      {"one", {5}, {0, 0, 100, 50}, {{0, 0, 100, 50}}},
      // Two squares: the first alone makes a 50x50 column at the left (aspect 1; stacking the
      // second on it would give aspect 4); the second fills the rest.
      {"two equal", {1, 1}, {0, 0, 100, 50}, {{0, 0, 50, 50}, {50, 0, 50, 50}}},
      // Areas 5000, 2500, 2500 on 100x100. The first row (a column at the left, side 100) holds
      // the 5000 alone (aspect 2; adding 2500 would make it 2.25): 50x100. The rest (50x100) is
      // taller than wide, so the next row runs along its top (side 50): 2500 alone (aspect 1;
      // adding the last would make it 4): 50x50, and the last fills what is left.
      {"2:1:1", {2, 1, 1}, {0, 0, 100, 100}, {{0, 0, 50, 100}, {50, 0, 50, 50}, {50, 50, 50, 50}}},
      // Offset areas keep their offset.
      {"offset", {1, 1}, {10, 20, 100, 50}, {{10, 20, 50, 50}, {60, 20, 50, 50}}},
  };
  for (const auto& c : cases) {
    DYNAMIC_SECTION(c.name) {
      const auto rects = treemap(c.weights, c.area);
      REQUIRE(rects.size() == c.expected.size());
      for (std::size_t i = 0; i < rects.size(); ++i) {
        INFO("rect " << i);
        CHECK(rects[i] == c.expected[i]);
      }
    }
  }
}

TEST_CASE("treemap tiles the area with areas proportional to the weights",
          "[compositor][spotlight]") {
  std::mt19937 rng(5);
  for (const int n : {1, 2, 3, 7, 16, 100, 256, 1024}) {
    INFO(n << " weights");
    std::vector<double> weights;
    for (int i = 0; i < n; ++i) weights.push_back(1 + (rng() % 1000) / 250.0);
    const auto rects = treemap(weights, {0, 0, 1280, 720});
    Layout l{kCanvas, {}};
    double total = 0, sumW = 0;
    for (std::size_t i = 0; i < rects.size(); ++i) {
      l.tiles.push_back({.rect = rects[i]});
      total += area(rects[i]);
      sumW += weights[i];
    }
    CHECK(checkInsideNoOverlap(l) == "");
    CHECK(total == 1280.0 * 720.0);  // no gaps: every pixel belongs to a tile
    // Whole pixels cost at most a pixel on each side.
    for (std::size_t i = 0; i < rects.size(); ++i) {
      const double ideal = weights[i] / sumW * 1280 * 720;
      const double slack = 2.0 * (rects[i].w + rects[i].h) + 4;
      CHECK(std::abs(area(rects[i]) - ideal) <= slack);
    }
  }
}

TEST_CASE("spotlightValue maps each score to 0..1", "[compositor][spotlight]") {
  Scores s;
  s.motion = 0.4f;
  s.faces = 5;
  s.brightness = 1.5f;
  s.sharpness = 300;
  CHECK(spotlightValue(s, SpotlightScore::kMotion) == Approx(0.4f));
  CHECK(spotlightValue(s, SpotlightScore::kFaces) == Approx(1.0f));
  CHECK(spotlightValue(s, SpotlightScore::kBrightness) == Approx(1.0f));
  CHECK(spotlightValue(s, SpotlightScore::kSharpness) == Approx(1 - std::exp(-1.0f)));
  CHECK(spotlightValue(s, SpotlightScore::kNone) == 0);
  s.faces = 1;
  CHECK(spotlightValue(s, SpotlightScore::kFaces) == Approx(1.0f / 3));
}

TEST_CASE("spotlight layouts for 0, 1, 2 and 1024 feeds", "[compositor][spotlight]") {
  const int count = GENERATE(0, 1, 2, 5, 256, 1024);
  INFO(count << " feeds");
  SpotlightEngine engine({}, kCanvas, kTile);
  const auto feeds = makeFeeds(count);
  engine.update(feeds, nullptr);
  const Layout& l = engine.layout();
  REQUIRE(static_cast<int>(l.tiles.size()) == count);
  CHECK(checkInsideNoOverlap(l) == "");
  for (std::size_t i = 0; i < l.tiles.size(); ++i) {
    CHECK(l.tiles[i].feed == feeds[i]);  // join order
    // Each tile shows the part of the picture that keeps its aspect.
    const auto& s = l.tiles[i].source;
    const auto& r = l.tiles[i].rect;
    CHECK(s.w * kTile.width / (s.h * kTile.height) == Approx(r.w / r.h).epsilon(0.001));
  }
  if (count == 1) CHECK(l.tiles[0].rect == Rect{1, 1, 1278, 718});
}

TEST_CASE("spotlight tiles grow with their score and ignore small changes",
          "[compositor][spotlight]") {
  SpotlightParams p;
  p.emphasis = 3;
  p.threshold = 0.1f;
  SpotlightEngine engine(p, kCanvas, kTile);
  const auto feeds = makeFeeds(6);
  auto scores = motionScores(feeds, {0, 0, 0, 0, 0, 0}, 1);
  REQUIRE(engine.update(feeds, &scores));
  const Layout calm = engine.layout();

  // Jitter below the threshold: the layout does not move at all.
  std::mt19937 rng(2);
  for (std::uint64_t v = 2; v < 30; ++v) {
    std::vector<float> motion;
    for (int i = 0; i < 6; ++i) motion.push_back(static_cast<float>(rng() % 100) / 1000);
    scores = motionScores(feeds, motion, v);
    CHECK_FALSE(engine.update(feeds, &scores));
  }
  CHECK(engine.layout().tiles == calm.tiles);

  // Feed 102 moves a lot: its tile gets about (1 + 3) / (5 + 4) of the canvas.
  scores = motionScores(feeds, {0, 0, 1, 0, 0, 0}, 100);
  REQUIRE(engine.update(feeds, &scores));
  const Layout& lively = engine.layout();
  CHECK(area(lively.tiles[2].rect) > 3 * area(lively.tiles[0].rect));
  CHECK(area(lively.tiles[2].rect) / (1280.0f * 720.0f) == Approx(4.0 / 9).epsilon(0.05));
  CHECK(checkInsideNoOverlap(lively) == "");
}

TEST_CASE("a pinned feed comes first with its share of the canvas", "[compositor][spotlight]") {
  SpotlightParams p;
  p.pinned = FeedId{103};
  p.pinnedShare = 0.5f;
  SpotlightEngine engine(p, kCanvas, kTile);
  const auto feeds = makeFeeds(9);
  engine.update(feeds, nullptr);
  const Layout& l = engine.layout();
  REQUIRE(l.tiles.size() == 9);
  CHECK(l.tiles[0].feed == FeedId{103});
  CHECK(area(l.tiles[0].rect) / (1280.0f * 720.0f) == Approx(0.5).epsilon(0.02));
  CHECK(checkInsideNoOverlap(l) == "");

  // Without the pinned feed, everyone is equal again.
  std::vector<FeedId> others = feeds;
  others.erase(others.begin() + 3);
  engine.update(others, nullptr);
  CHECK(engine.layout().tiles[0].feed == FeedId{100});
}
