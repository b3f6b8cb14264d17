// The render clock: canvas frames on a steady grid of ticks, tick n at start + n * period.
//
// A tick's time is its canvas frame's timestamp in every output, so a stream's duration is
// wall time even when the canvas runs late: a tick finished more than a period behind skips
// the ticks it missed (counted), and the next frame carries the later time. Pure: the caller
// passes the time, so the pacing is tested as a table (tests/render/frame_pacer_test.cpp).
//
// Thread: the render thread alone.
#pragma once

#include <chrono>
#include <cstdint>

#include "core/time.hpp"

namespace tessera::render {

struct CanvasTick {
  std::uint64_t index = 0;             // tick number on the grid (gaps where ticks were missed)
  core::Clock::time_point time{};      // start + index * period
  core::Clock::duration sinceStart{};  // index * period: the frame's timestamp in outputs
};

class FramePacer {
 public:
  FramePacer(core::Clock::duration period, core::Clock::time_point start)
      : mPeriod(period), mStart(start) {}

  core::Clock::duration period() const { return mPeriod; }
  CanvasTick current() const { return tickAt(mIndex); }
  std::uint64_t missed() const { return mMissed; }

  // After a tick's work, at `now`: the next tick. Late by up to a period, it is the next on the
  // grid (started at once); later than that, the tick whose slot `now` is in, skipping the rest.
  CanvasTick advance(core::Clock::time_point now) {
    std::uint64_t next = mIndex + 1;
    if (now > tickAt(next).time + mPeriod) {
      const auto slot = static_cast<std::uint64_t>((now - mStart) / mPeriod);
      mMissed += slot - next;
      next = slot;
    }
    mIndex = next;
    return current();
  }

 private:
  CanvasTick tickAt(std::uint64_t index) const {
    const auto since = mPeriod * static_cast<std::int64_t>(index);
    return {index, mStart + since, since};
  }

  const core::Clock::duration mPeriod;
  const core::Clock::time_point mStart;
  std::uint64_t mIndex = 0;
  std::uint64_t mMissed = 0;
};

}  // namespace tessera::render
