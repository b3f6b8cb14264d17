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

double PlayoutDelay::targetFor(std::vector<double> latencies, const PlayoutSettings& s) {
  std::erase_if(latencies, [&](double ms) { return !(ms <= s.maxDelayMs); });  // also NaN
  const double halfFrame = 500.0 / std::max(1.0, s.fps);
  if (latencies.empty()) return halfFrame;
  std::sort(latencies.begin(), latencies.end());
  // Nearest rank: with up to 19 feeds that is the latest one; a 95th percentile of many feeds
  // lets the last few percent be late rather than delay everyone.
  const double p95 = nearestRank(latencies, 0.95);
  return std::clamp(std::max(0.0, p95) + halfFrame, 0.0, s.maxDelayMs);
}

void PlayoutDelay::setLatencies(std::vector<double> feedLatencyP95Ms) {
  if (!mSettings.enabled || mSettings.fixedDelayMs) return;
  if (feedLatencyP95Ms.empty() && mHaveTarget) return;
  mTargetMs = targetFor(std::move(feedLatencyP95Ms), mSettings);
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
