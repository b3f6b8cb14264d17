#include "compositor/brush.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <set>
#include <vector>

#include "tests/compositor/test_helpers.hpp"

namespace {

using tessera::compositor::BrushEngine;
using tessera::compositor::BrushParams;
using tessera::compositor::flowAt;
using tessera::compositor::testing::makeFeeds;
using tessera::compositor::testing::scoresWithColour;
using tessera::core::ScoreTable;
using tessera::core::SizePx;

constexpr SizePx kCanvas{640, 360};
constexpr SizePx kTile{160, 120};

BrushParams params(int strokes) {
  BrushParams p;
  p.strokes = strokes;
  p.strokeSizePx = 20;
  p.fadeSeconds = 2;
  p.flowSpeedPxS = 100;
  p.flowScalePx = 200;
  return p;
}

}  // namespace

TEST_CASE("the brush flow has no divergence and moves about one unit", "[compositor][brush]") {
  // Central differences of the velocity field over a grid of points and times. The field's
  // derivatives are about 2 pi / scale = 0.03 per pixel; its divergence is 0 up to rounding.
  const float h = 0.5f, scale = 200;
  double speed = 0;
  int n = 0;
  for (double t : {0.0, 3.7, 120.0}) {
    for (float x = 0; x < 640; x += 37) {
      for (float y = 0; y < 360; y += 29) {
        const auto vx0 = flowAt(x - h, y, t, scale), vx1 = flowAt(x + h, y, t, scale);
        const auto vy0 = flowAt(x, y - h, t, scale), vy1 = flowAt(x, y + h, t, scale);
        const double div = (vx1[0] - vx0[0]) / (2 * h) + (vy1[1] - vy0[1]) / (2 * h);
        const auto v = flowAt(x, y, t, scale);
        const double magnitude = std::hypot(v[0], v[1]);
        CHECK(std::abs(div) < 1e-3);
        speed += magnitude;
        ++n;
      }
    }
  }
  CHECK(speed / n == Approx(1.0).epsilon(0.35));
  // It changes over time.
  CHECK(flowAt(100, 100, 0, scale) != flowAt(100, 100, 10, scale));
}

TEST_CASE("brush strokes paint every feed, inside the canvas, fading over time",
          "[compositor][brush]") {
  const int count = GENERATE(0, 1, 5, 1024);
  INFO(count << " feeds");
  BrushEngine brush(params(300), kCanvas, kTile);
  const auto feeds = makeFeeds(count);
  ScoreTable scores;
  for (int i = 0; i < count; ++i) scores.byFeed[feeds[i]] = scoresWithColour(200, 100, 50);
  std::set<std::uint32_t> painted;
  double fadeKept = 1;
  const int frames = 150;  // 5 s at 30 fps
  for (int f = 0; f <= frames; ++f) {
    brush.update(feeds, &scores, f / 30.0);
    if (f > 0) fadeKept *= 1 - brush.fade();
    const auto& dabs = brush.dabs().tiles;
    if (count == 0) {
      CHECK(dabs.empty());
      continue;
    }
    REQUIRE(dabs.size() == 300);
    for (const auto& d : dabs) {
      painted.insert(d.feed.value);
      const float cx = d.rect.x + d.rect.w / 2, cy = d.rect.y + d.rect.h / 2;
      // Centres stay within the canvas and its small margin (strokes leaving it start again).
      CHECK(cx >= -16.5f);
      CHECK(cy >= -16.5f);
      CHECK(cx <= kCanvas.width + 16.5f);
      CHECK(cy <= kCanvas.height + 16.5f);
      CHECK(d.alpha >= 0);
      CHECK(d.alpha <= 0.85f + 1e-6f);
      CHECK(d.tint.amount == Approx(0.3f));
      CHECK(d.tint.r == Approx(200.0f / 255));
    }
  }
  if (count == 0) return;
  // Round robin: with fewer strokes than feeds, strokes starting again take the next feeds.
  if (count <= 300) {
    CHECK(static_cast<int>(painted.size()) == count);
  } else {
    CHECK(painted.size() > 500);  // 300 strokes, each started again once or twice in 5 s
  }
  // 5 s of fading at 5 % per 2 s: 0.05^(5/2).
  CHECK(fadeKept == Approx(std::pow(0.05, 2.5)).epsilon(0.01));
}

TEST_CASE("brush strokes follow the flow and are the same for the same seed",
          "[compositor][brush]") {
  const auto feeds = makeFeeds(3);
  BrushEngine a(params(50), kCanvas, kTile), b(params(50), kCanvas, kTile);
  a.update(feeds, nullptr, 0);
  b.update(feeds, nullptr, 0);
  const auto start = a.dabs().tiles;
  a.update(feeds, nullptr, 1.0 / 30);
  b.update(feeds, nullptr, 1.0 / 30);
  CHECK(a.dabs().tiles == b.dabs().tiles);
  // In one frame a stroke moves about speed / fps along the flow, turned to face it.
  int moved = 0;
  for (std::size_t i = 0; i < start.size(); ++i) {
    const auto& p0 = start[i].rect;
    const auto& p1 = a.dabs().tiles[i].rect;
    const float d = std::hypot(p1.x - p0.x, p1.y - p0.y);
    if (d > 0.1f && d < 12) ++moved;
    const auto v = flowAt(p0.x + p0.w / 2, p0.y + p0.h / 2, 1.0 / 30, 200);
    CHECK(a.dabs().tiles[i].rotationRad == Approx(std::atan2(v[1], v[0])).margin(0.2));
  }
  CHECK(moved > 40);
  // Untinted without scores; a feed that leaves loses its strokes at once.
  CHECK(a.dabs().tiles[0].tint.amount == 0);
  a.update({feeds.begin() + 1, feeds.end()}, nullptr, 2.0 / 30);
  for (const auto& d : a.dabs().tiles) CHECK(d.feed != feeds[0]);
  CHECK(a.heads().tiles.size() == 2);
}
