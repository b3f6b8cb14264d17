// A sender's clock offset estimated from when its RTCP Sender Reports arrive: each report says
// "my clock reads T now"; it arrives `delay` later on the server's clock, so T - arrival is the
// clock offset minus that report's one-way delay. The largest value over a window is the one
// with the smallest delay: the best estimate a one-way measurement allows (the smallest delay
// itself cannot be told apart from the offset, which on a LAN costs a millisecond or two).
//
// Minimal and pure on purpose: core/clock_offset.hpp (branch sync-whip) is the estimator for
// WHIP; the two are to be unified. Thread: not thread-safe (RtpTiming locks around it).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

namespace tessera::ingest {

class SrArrivalOffset {
 public:
  // Reports older than this (on the arrival clock) leave the window, so a drifting sender clock
  // is followed: at 50 ppm, 30 s of window lags by 1.5 ms at most.
  static constexpr std::int64_t kWindowNs = 30'000'000'000;
  // At most this many reports are kept (RTCP sends one every ~5 s; a fast sender more often).
  static constexpr std::size_t kMaxSamples = 16;
  // A report this far above the estimate cannot be a quicker trip (a delay is never negative):
  // the sender's clock was stepped forward, so start afresh. A step back looks like a slow
  // report and is followed once the window has moved past the older reports.
  static constexpr std::int64_t kStepNs = 1'000'000'000;

  // One Sender Report: the sender's clock when it was sent and the server's clock when it
  // arrived, both Unix ns. Returns true when the estimate changed.
  bool add(std::int64_t senderNs, std::int64_t arrivalNs) {
    const std::int64_t sample = senderNs - arrivalNs;
    if (mCount > 0 && sample > *mEstimate + kStepNs) mCount = 0;
    mSamples[mNext] = {sample, arrivalNs};
    mNext = (mNext + 1) % kMaxSamples;
    if (mCount < kMaxSamples) ++mCount;
    const std::optional<std::int64_t> before = mEstimate;
    mEstimate = bestSince(arrivalNs - kWindowNs);
    return mEstimate != before;
  }

  // Sender clock minus server clock (ns), or nullopt before the first report.
  std::optional<std::int64_t> offsetNs() const { return mEstimate; }
  std::size_t samples() const { return mCount; }

 private:
  struct Sample {
    std::int64_t offsetNs;
    std::int64_t arrivalNs;
  };
  // The largest offset among the samples that arrived after `since` (the newest always does).
  std::optional<std::int64_t> bestSince(std::int64_t since) const {
    std::optional<std::int64_t> best;
    for (std::size_t i = 0; i < mCount; ++i) {
      const std::size_t k = (mNext + kMaxSamples - 1 - i) % kMaxSamples;  // newest first
      const Sample& s = mSamples[k];
      if (i > 0 && s.arrivalNs < since) continue;
      if (!best || s.offsetNs > *best) best = s.offsetNs;
    }
    return best;
  }

  std::array<Sample, kMaxSamples> mSamples{};
  std::size_t mNext = 0;
  std::size_t mCount = 0;
  std::optional<std::int64_t> mEstimate;
};

}  // namespace tessera::ingest
