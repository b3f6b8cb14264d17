#include "render/present_budget.hpp"

#include <catch2/catch.hpp>

using tessera::render::PresentBudget;
using ms = std::chrono::milliseconds;

TEST_CASE("windows present only when the tick has time left for it", "[render][present]") {
  PresentBudget b;
  CHECK(b.shouldPresent(ms(0)));  // nothing known yet: try
  b.presented(ms(2));
  CHECK(b.shouldPresent(ms(20)));
  CHECK_FALSE(b.shouldPresent(ms(1)));
  // A present that blocked for a screen's refresh: the next ones need that much time left.
  b.presented(ms(16));
  CHECK_FALSE(b.shouldPresent(ms(10)));
  CHECK(b.shouldPresent(ms(17)));
  // One fast present does not forget the slow one at once (peak hold, decaying).
  b.presented(ms(1));
  CHECK(b.estimate() == ms(12));
  CHECK_FALSE(b.shouldPresent(ms(10)));
}

TEST_CASE("skipped presents let the estimate decay so presenting resumes", "[render][present]") {
  PresentBudget b;
  b.presented(ms(40));  // longer than a whole 30 fps period
  int skips = 0;
  while (!b.shouldPresent(ms(8)) && skips < 100) {
    b.skipped();
    ++skips;
  }
  CHECK(skips > 0);
  CHECK(skips < 20);  // about half a second at 30 fps
  CHECK(b.skippedCount() == static_cast<std::uint64_t>(skips));
  CHECK(b.presentedCount() == 1);
}
