// The render clock as a table: ticks on a grid, late ticks, missed ticks skipped.
#include "render/frame_pacer.hpp"

#include <catch2/catch.hpp>

#include <vector>

using namespace std::chrono_literals;
using tessera::core::Clock;
using tessera::render::FramePacer;

TEST_CASE("the render clock keeps ticks on a grid and skips the ones it missed",
          "[render][pacer]") {
  const auto t0 = Clock::time_point(50s);
  struct Row {
    const char* what;
    std::vector<int> workDoneAtMs;       // when each tick's work ends, from t0
    std::vector<std::uint64_t> indexes;  // the ticks that follow
    std::uint64_t missed;
  };
  // 25 fps: a 40 ms period.
  const std::vector<Row> rows = {
      {"on time", {10, 50, 90}, {1, 2, 3}, 0},
      {"a little late: the next tick starts at once", {45, 95}, {1, 2}, 0},
      {"more than a period late: skip to the tick now is in", {130}, {3}, 2},
      {"a long stall (a shader compiling) skips many", {10, 1015}, {1, 25}, 23},
  };
  for (const Row& r : rows) {
    INFO(r.what);
    FramePacer pacer(40ms, t0);
    CHECK(pacer.current().index == 0);
    std::vector<std::uint64_t> got;
    for (int ms : r.workDoneAtMs)
      got.push_back(pacer.advance(t0 + std::chrono::milliseconds(ms)).index);
    CHECK(got == r.indexes);
    CHECK(pacer.missed() == r.missed);
    // A tick's time is always start + index * period: outputs stay on wall time.
    const auto tick = pacer.current();
    CHECK(tick.time == t0 + 40ms * static_cast<int>(tick.index));
    CHECK(tick.sinceStart == 40ms * static_cast<int>(tick.index));
  }
}
