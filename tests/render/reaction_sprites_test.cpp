// Where the reactions overlay draws each reaction: born near the bottom, rising, fading, gone
// after the burst lifetime; inside the canvas; the same place every frame.
#include "render/reaction_sprites.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <vector>

using tessera::core::Clock;
using tessera::core::ReactionKind;
using tessera::core::ReactionTally;
using tessera::render::planReactionSprites;
using tessera::render::ReactionSprite;

namespace {

Clock::time_point at(double seconds) {
  return Clock::time_point(
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds + 1000)));
}

std::vector<ReactionSprite> spritesAt(const ReactionTally& tally, double seconds,
                                      tessera::core::SizePx canvas = {1280, 720}) {
  std::vector<ReactionSprite> out;
  planReactionSprites(*tally.snapshot(), at(seconds), canvas, out);
  return out;
}

}  // namespace

TEST_CASE("a reaction rises and fades over its lifetime, then is gone", "[render][reactions]") {
  ReactionTally tally;
  tally.add(ReactionKind::kFire, at(0));
  struct Row {
    double ageS;
    bool drawn;
    float minAlpha, maxAlpha;
    float minY, maxY;  // canvas pixels, y down (720 high)
  };
  const std::vector<Row> rows = {
      {0.0, true, 1.0f, 1.0f, 600, 720},    // born near the bottom edge
      {1.0, true, 0.9f, 1.0f, 330, 600},    // well up, still opaque
      {1.8, true, 0.05f, 0.35f, 300, 460},  // near the top of its rise, fading
      {2.05, false, 0, 0, 0, 0},            // gone
      {30.0, false, 0, 0, 0, 0},
  };
  float lastY = 1e9f;
  for (const Row& r : rows) {
    INFO("age " << r.ageS << " s");
    const auto sprites = spritesAt(tally, r.ageS);
    REQUIRE(sprites.size() == (r.drawn ? 1u : 0u));
    if (!r.drawn) continue;
    const ReactionSprite& s = sprites[0];
    CHECK(s.alpha >= r.minAlpha);
    CHECK(s.alpha <= r.maxAlpha);
    CHECK(s.y >= r.minY);
    CHECK(s.y <= r.maxY);
    CHECK(s.y < lastY);  // it only rises
    lastY = s.y;
    CHECK(s.kind == static_cast<float>(static_cast<int>(ReactionKind::kFire)));
    CHECK(s.size >= 12.0f);
  }
}

TEST_CASE("a burst spreads over the canvas and stays inside it", "[render][reactions]") {
  struct Row {
    tessera::core::SizePx canvas;
  };
  const std::vector<Row> rows = {{{1280, 720}}, {{160, 90}}, {{64, 64}}, {{3840, 2160}}};
  for (const Row& r : rows) {
    INFO(r.canvas.width << "x" << r.canvas.height);
    ReactionTally tally;
    for (int i = 0; i < 40; ++i) {
      tally.add(tessera::core::kAllReactionKinds[static_cast<std::size_t>(i % 4)], at(0.02 * i));
    }
    for (const double t : {0.8, 1.2, 1.9, 2.5}) {
      const auto sprites = spritesAt(tally, t, r.canvas);
      float minX = 1e9f, maxX = -1e9f;
      for (const ReactionSprite& s : sprites) {
        CHECK(s.x >= 0);
        CHECK(s.x <= static_cast<float>(r.canvas.width));
        CHECK(s.y >= 0);
        CHECK(s.y <= static_cast<float>(r.canvas.height));
        CHECK(s.alpha > 0);
        CHECK(s.alpha <= 1);
        minX = std::min(minX, s.x);
        maxX = std::max(maxX, s.x);
      }
      if (t < 0.9) {
        CHECK(sprites.size() == 40);
        // 40 taps are not stacked in one place: they cover most of the width.
        CHECK(maxX - minX > 0.5f * static_cast<float>(r.canvas.width));
      }
      if (t > 2.0 + 0.02 * 39) CHECK(sprites.empty());
    }
  }
}

TEST_CASE("a reaction is drawn in the same place by every frame that plans it",
          "[render][reactions]") {
  ReactionTally tally;
  tally.add(ReactionKind::kHeart, at(0));
  tally.add(ReactionKind::kWow, at(0.5));
  const auto a = spritesAt(tally, 0.7);
  const auto b = spritesAt(tally, 0.7);
  REQUIRE(a.size() == 2);
  REQUIRE(b.size() == 2);
  for (std::size_t i = 0; i < 2; ++i) {
    CHECK(a[i].x == b[i].x);
    CHECK(a[i].y == b[i].y);
  }
  CHECK(a[0].kind == 0.0f);
  CHECK(a[1].kind == 2.0f);
}
