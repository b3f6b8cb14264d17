// When the gallery windows are drawn. Only when the time left before the next tick of the render
// clock covers a present as long as the recent ones: a present that blocks (a driver waiting for
// a screen's refresh, a busy X server) never makes the canvas, and so the encoder, late; the
// windows show fewer frames instead. A skipped present lets the estimate decay, so presenting is
// tried again soon after a slow spell (a try that is still slow makes one tick late at most, and
// the render clock absorbs a tick late by less than a period without a gap).
//
// Pure: the caller passes the times (tests/render/present_budget_test.cpp). Thread: render.
#pragma once

#include <algorithm>
#include <cstdint>

#include "core/time.hpp"

namespace tessera::render {

class PresentBudget {
 public:
  // Whether to present now, `untilNextTick` before the next tick begins.
  bool shouldPresent(core::Clock::duration untilNextTick) const {
    return untilNextTick >= mEstimate;
  }
  // A present took `took`: the estimate holds the peak of the recent ones.
  void presented(core::Clock::duration took) {
    mEstimate = std::max(took, mEstimate * 3 / 4);
    ++mPresented;
  }
  void skipped() {
    mEstimate = mEstimate * 7 / 8;
    ++mSkipped;
  }
  core::Clock::duration estimate() const { return mEstimate; }
  std::uint64_t presentedCount() const { return mPresented; }
  std::uint64_t skippedCount() const { return mSkipped; }

 private:
  core::Clock::duration mEstimate{};
  std::uint64_t mPresented = 0;
  std::uint64_t mSkipped = 0;
};

}  // namespace tessera::render
