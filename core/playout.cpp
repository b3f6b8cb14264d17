#include "core/playout.hpp"

#include "core/percentile.hpp"

#include <algorithm>
#include <cmath>

namespace tessera::core {

PlayoutDelay::PlayoutDelay(PlayoutSettings settings) : mSettings(settings) {
  if (!mSettings.enabled) return;
  if (mSettings.fixedDelayMs) {
    mDelayMs = mTargetMs = std::clamp(*mSettings.fixedDelayMs, 0.0, mSettings.maxDelayMs);
    mHaveTarget = true;
    mWarmUpLeftS = 0;
  }
}

double PlayoutDelay::targetFor(std::vector<double> needs, const PlayoutSettings& s) {
  // A need is a latency plus at most kMaxHalfIntervalMs: a need further beyond max_delay than
  // that is a feed whose latency alone is beyond it, drawn late. NaN goes too.
  std::erase_if(needs, [&](double ms) { return !(ms <= s.maxDelayMs + kMaxHalfIntervalMs); });
  const double frame = 1000.0 / std::max(1.0, s.fps);
  if (needs.empty()) return frame / 2;
  std::sort(needs.begin(), needs.end());
  // Nearest rank: with up to 19 feeds that is the latest one; a 95th percentile of many feeds
  // lets the last few percent be late rather than delay everyone...
  const auto p95 = nearestRank(needs, 0.95);
  // ...unless they are within a canvas frame of it: one frame more for everyone costs less than
  // those tiles a camera frame behind the others in every canvas frame.
  const auto covered = std::upper_bound(needs.begin(), needs.end(), p95 + frame);
  return std::clamp(*std::prev(covered), 0.0, s.maxDelayMs);
}

void PlayoutDelay::setNeeds(std::vector<double> feedNeedsMs) {
  if (!mSettings.enabled || mSettings.fixedDelayMs) return;
  if (feedNeedsMs.empty() && mHaveTarget) return;
  mTargetMs = targetFor(std::move(feedNeedsMs), mSettings);
  mHaveTarget = true;
}

void PlayoutDelay::advance(double elapsedS) {
  if (!mSettings.enabled || mSettings.fixedDelayMs || !mHaveTarget) return;
  if (mWarmUpLeftS > 0) {
    mDelayMs = mTargetMs;
    mWarmUpLeftS -= std::max(0.0, elapsedS);
    return;
  }
  const double step = std::max(0.0, elapsedS) * 1000.0 / std::max(1.0, mSettings.fps);
  mDelayMs += std::clamp(mTargetMs - mDelayMs, -step, step);
}

}  // namespace tessera::core
