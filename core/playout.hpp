// The playout delay (docs/architecture.md, "Time"): every tile shows the instant now - delay.
//
// Pure and single-threaded (the render thread owns one). With a fixed delay it is that delay.
// With "auto" it follows the smallest delay that covers about the 95th percentile of the live
// room-clock feeds' needs (FeedChannel::setsPlayoutDelay, FeedChannel::playoutNeedMs: each
// feed's capture-to-arrival latency plus half its frame interval, so its frame nearest the
// instant drawn has arrived), and moves towards it by at most one frame period per second, so
// the canvas never jumps: a delay change of d over a second repeats or skips d / period frames
// spread over it.
#pragma once

#include <chrono>
#include <optional>
#include <vector>

namespace tessera::core {

struct PlayoutSettings {
  bool enabled = true;
  std::optional<double> fixedDelayMs;  // nullopt: "auto"
  double maxDelayMs = 1000;
  double fps = 30;
};

class PlayoutDelay {
 public:
  explicit PlayoutDelay(PlayoutSettings settings);

  // The delay to use now, in ms (0 when sync is off).
  double delayMs() const { return mDelayMs; }
  // Where "auto" is heading (equal to delayMs() when fixed).
  double targetMs() const { return mTargetMs; }
  const PlayoutSettings& settings() const { return mSettings; }

  // A new target from each synced live feed's need (ms): the 95th percentile of the needs, or
  // the latest need within one canvas frame of it. Feeds later than max_delay_ms do not count
  // (they are drawn late). No feeds: the target stays.
  void setNeeds(std::vector<double> feedNeedsMs);
  // A feed under this rate counts as this rate (FeedChannel::playoutNeedMs), so a need adds at
  // most kMaxHalfIntervalMs to its latency.
  static constexpr double kSlowestFps = 15;
  static constexpr double kMaxHalfIntervalMs = 500.0 / kSlowestFps;
  // Moves the delay towards the target after `elapsedS` seconds. For the first kWarmUpS after
  // the first target the delay follows it at once: the feeds' latencies settle as they start,
  // and nothing has been shown against an older delay worth keeping.
  void advance(double elapsedS);
  static constexpr double kWarmUpS = 2.0;

  // The target for a set of needs (exposed for tests).
  static double targetFor(std::vector<double> feedNeedsMs, const PlayoutSettings& s);

 private:
  PlayoutSettings mSettings;
  double mDelayMs = 0;
  double mTargetMs = 0;
  bool mHaveTarget = false;
  double mWarmUpLeftS = kWarmUpS;
};

}  // namespace tessera::core
