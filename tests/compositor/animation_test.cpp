#include "compositor/animation.hpp"

#include <catch2/catch.hpp>

#include <vector>

#include "compositor/scene.hpp"
#include "tests/compositor/test_helpers.hpp"

namespace {

using tessera::compositor::easeInOut;
using tessera::compositor::Layout;
using tessera::compositor::LayoutAnimator;
using tessera::compositor::Placement;
using tessera::compositor::SceneFrame;
using tessera::compositor::ScenePlanner;
using tessera::compositor::SceneSpec;
using tessera::compositor::testing::checkInsideNoOverlap;
using tessera::compositor::testing::makeFeeds;
using tessera::core::FeedId;
using tessera::core::Rect;
using tessera::core::SizePx;

constexpr SizePx kCanvas{400, 300};

Layout layoutOf(std::vector<Placement> tiles) {
  return {kCanvas, std::move(tiles)};
}

Placement at(std::uint32_t feed, float x, float y) {
  return {.feed = FeedId{feed}, .rect = {x, y, 100, 75}};
}

}  // namespace

TEST_CASE("easeInOut starts and ends still", "[compositor][animation]") {
  CHECK(easeInOut(0) == 0);
  CHECK(easeInOut(1) == 1);
  CHECK(easeInOut(0.5f) == Approx(0.5f));
  CHECK(easeInOut(-1) == 0);
  CHECK(easeInOut(2) == 1);
  CHECK(easeInOut(0.01f) < 0.01f);  // slow at the start
}

TEST_CASE("tiles glide to their new places, arrive exactly and then stay",
          "[compositor][animation]") {
  LayoutAnimator a(1.0);
  a.setTarget(layoutOf({at(1, 0, 0), at(2, 100, 0)}), 0, false);
  CHECK(a.frame(0) == std::vector<Placement>{at(1, 0, 0), at(2, 100, 0)});
  CHECK_FALSE(a.animating(0));

  // Feed 1 leaves, feed 2 moves to the left, feed 3 joins on the right.
  a.setTarget(layoutOf({at(2, 0, 0), at(3, 200, 0)}), 10, true);
  CHECK(a.animating(10.5));
  const auto& mid = a.frame(10.5);
  REQUIRE(mid.size() == 3);
  // Leaving tiles come first, drawn under the rest, fading where they were.
  CHECK(mid[0].feed == FeedId{1});
  CHECK(mid[0].z == 0);
  CHECK(mid[0].rect == Rect{0, 0, 100, 75});
  CHECK(mid[0].alpha == Approx(0.5f));
  // Feed 2 halfway (eased: the middle of the glide is the middle of the way).
  CHECK(mid[1].feed == FeedId{2});
  CHECK(mid[1].rect.x == Approx(50));
  CHECK(mid[1].alpha == 1);
  // Feed 3 fades in at its place.
  CHECK(mid[2].feed == FeedId{3});
  CHECK(mid[2].rect == Rect{200, 0, 100, 75});
  CHECK(mid[2].alpha == Approx(0.5f));

  // Arrived: exactly the target, and no more changes.
  CHECK_FALSE(a.animating(11.0));
  CHECK(a.frame(11.0) == std::vector<Placement>{at(2, 0, 0), at(3, 200, 0)});
  CHECK(a.frame(20.0) == a.target().tiles);
}

TEST_CASE("a new target mid-glide starts from where the tiles are", "[compositor][animation]") {
  LayoutAnimator a(1.0);
  a.setTarget(layoutOf({at(1, 0, 0)}), 0, false);
  a.setTarget(layoutOf({at(1, 200, 0)}), 0, true);
  const float x = a.frame(0.25).front().rect.x;
  CHECK(x > 0);
  CHECK(x < 100);
  a.setTarget(layoutOf({at(1, 0, 200)}), 0.25, true);
  // Continuous: the first frame of the new glide is where the old one was.
  CHECK(a.frame(0.25).front().rect.x == Approx(x));
  CHECK(a.frame(1.25).front().rect == Rect{0, 200, 100, 75});
}

TEST_CASE("a feed in several places keeps the tiles that stay put", "[compositor][animation]") {
  LayoutAnimator a(1.0);
  // Feed 7 in three cells; afterwards in two of them and one new cell.
  a.setTarget(layoutOf({at(7, 0, 0), at(7, 100, 0), at(7, 200, 0)}), 0, false);
  a.setTarget(layoutOf({at(7, 300, 0), at(7, 100, 0), at(7, 0, 0)}), 0, true);
  const auto& mid = a.frame(0.5);
  REQUIRE(mid.size() == 3);
  CHECK(mid[1].rect.x == 100);          // stayed
  CHECK(mid[2].rect.x == 0);            // stayed
  CHECK(mid[0].rect.x == Approx(250));  // the one at 200 glides to 300
}

TEST_CASE("the grid scene shows its first layout at once and glides on changes",
          "[compositor][animation][scene]") {
  SceneSpec spec;
  spec.glideSeconds = 0.5;
  ScenePlanner plan(spec, {1280, 720}, {160, 120});
  auto feeds = makeFeeds(4);
  SceneFrame f = plan.update(feeds, nullptr, 0);
  CHECK(f.layoutChanged);
  CHECK(f.redrawAll);
  CHECK_FALSE(f.paint);
  REQUIRE(f.tiles.size() == 4);
  CHECK(f.tiles[0].alpha == 1);  // no fade-in for the first layout: the scene switch fades
  // Nothing changes: only new pictures are drawn.
  f = plan.update(feeds, nullptr, 0.1);
  CHECK_FALSE(f.layoutChanged);
  CHECK_FALSE(f.redrawAll);

  // A fifth feed joins: the grid changes from 2x2 to 3x2 and every tile glides.
  feeds.push_back(FeedId{200});
  f = plan.update(feeds, nullptr, 1.0);
  CHECK(f.layoutChanged);
  CHECK(f.redrawAll);
  f = plan.update(feeds, nullptr, 1.25);
  CHECK_FALSE(f.layoutChanged);
  CHECK(f.redrawAll);  // still moving
  REQUIRE(f.tiles.size() == 5);
  CHECK(f.tiles[4].alpha > 0);
  CHECK(f.tiles[4].alpha < 1);
  // Arrived: one more full redraw (the canvas still shows the last glide frame), then settled.
  f = plan.update(feeds, nullptr, 1.6);
  CHECK(f.redrawAll);
  CHECK(checkInsideNoOverlap(Layout{{1280, 720}, {f.tiles.begin(), f.tiles.end()}}) == "");
  f = plan.update(feeds, nullptr, 1.7);
  CHECK_FALSE(f.redrawAll);
  CHECK(plan.target().tiles.size() == 5);
}

TEST_CASE("the brush scene paints and fades every frame", "[compositor][scene]") {
  SceneSpec spec;
  spec.kind = tessera::core::LayoutKind::kBrush;
  spec.brush.strokes = 10;
  ScenePlanner plan(spec, {640, 360}, {160, 120});
  const auto feeds = makeFeeds(2);
  SceneFrame f = plan.update(feeds, nullptr, 0);
  CHECK(f.paint);
  CHECK(f.tiles.size() == 10);
  f = plan.update(feeds, nullptr, 0.1);
  CHECK(f.paint);
  CHECK(f.fade > 0);
  CHECK(plan.target().tiles.size() == 2);
}
