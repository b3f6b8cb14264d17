// Clock-offset estimation (docs/architecture.md, "Time"): how far a sender's clock is from the
// server's, apart from the network and encoder delay, so a phone whose frames arrive 400 ms late
// is drawn aligned.
//
// Two kinds of samples, two estimators built on one windowed fit:
// - ExchangeOffsetEstimator: NTP-style exchanges (the join page's POST /whip/{id}/clock). Each
//   gives an offset whose error is at most half its round trip (all of it asymmetry), so the
//   minimum-round-trip sample of each window is kept.
// - OneWayOffsetEstimator: a sender's time (RTCP Sender Report NTP) against its arrival on the
//   server's clock. sender - arrival = offset - delay, so the sample with the smallest delay
//   (the largest difference) of each window is kept. The estimate is biased by that smallest
//   one-way delay (a few ms on a LAN): it cannot be told apart from the offset.
// A line through the windows' best samples (least squares, outliers dropped) follows drift.
//
// Pure, no clocks read: every time is given (Unix ns on the clock it was taken with).
// Single-threaded: the owner serialises calls.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace tessera::core {

struct OffsetFitSettings {
  std::int64_t windowNs = 10'000'000'000;   // one best sample per window
  std::size_t windows = 8;                  // windows kept for the drift line
  double maxDriftPpm = 500;                 // a steeper line is not a clock: held flat
  std::int64_t outlierFloorNs = 2'000'000;  // residuals below this are never outliers
  // Weigh each window by how much longer its best cost is than the best of all (round trips
  // are comparable across windows; one-way costs carry the drift, so they are not).
  bool weighByCost = false;
};

// An offset at a time: the sender's clock minus the server's, following drift.
struct OffsetEstimate {
  std::int64_t offsetNs = 0;  // at `atServerNs`
  std::int64_t atServerNs = 0;
  double driftPpm = 0;          // d(offset)/dt, in parts per million
  std::int64_t bestCostNs = 0;  // the best sample's round trip (exchange) or one-way delay
  std::size_t windowsUsed = 0;  // windows on the line (after outliers)

  // The offset at another server time, along the drift line.
  std::int64_t offsetAt(std::int64_t serverNs) const;
};

// The windowed best-sample line both estimators share. A sample is (server time, offset,
// cost): within a window the lowest cost wins.
class WindowedOffsetFit {
 public:
  explicit WindowedOffsetFit(OffsetFitSettings settings = {});

  void add(std::int64_t atServerNs, std::int64_t offsetNs, std::int64_t costNs);
  const std::optional<OffsetEstimate>& estimate() const { return mEstimate; }
  std::size_t samples() const { return mSamples; }

 private:
  struct Point {
    std::int64_t window;  // index: atServerNs / windowNs
    std::int64_t atNs;
    std::int64_t offsetNs;
    std::int64_t costNs;
  };
  void refit();

  OffsetFitSettings mSettings;
  std::vector<Point> mBest;  // one per window, oldest first, at most settings.windows
  std::size_t mSamples = 0;
  std::optional<OffsetEstimate> mEstimate;
};

// One NTP-style round: t0 client send, t1 server receive, t2 server send, t3 client receive.
// t0 and t3 on the client's clock, t1 and t2 on the server's (Unix ns).
struct ExchangeSample {
  std::int64_t t0 = 0, t1 = 0, t2 = 0, t3 = 0;
  // Client minus server, exact when the two directions take equally long.
  std::int64_t offsetNs() const;
  // Time on the wire both ways (the server's own time taken out).
  std::int64_t roundTripNs() const;
};

class ExchangeOffsetEstimator {
 public:
  // A round trip longer than this says nothing useful (a stalled page, a suspended phone).
  static constexpr std::int64_t kMaxRoundTripNs = 5'000'000'000;

  // The join page exchanges a few rounds at once, then one every few seconds: windows of 15 s
  // hold several rounds each, and six of them (90 s) give the drift line a long base.
  static constexpr OffsetFitSettings kDefaults{15'000'000'000, 12, 500, 2'000'000, true};

  explicit ExchangeOffsetEstimator(OffsetFitSettings settings = kDefaults);
  // False (and ignored) for an impossible sample: times out of order, the server holding it
  // longer than a round trip, a round trip beyond kMaxRoundTripNs.
  bool add(const ExchangeSample& s);
  const std::optional<OffsetEstimate>& estimate() const { return mFit.estimate(); }

 private:
  WindowedOffsetFit mFit;
};

class OneWayOffsetEstimator {
 public:
  // Browsers send a video Sender Report about every second: ten per window, eight windows.
  static constexpr OffsetFitSettings kDefaults{10'000'000'000, 8, 500, 2'000'000, false};

  explicit OneWayOffsetEstimator(OffsetFitSettings settings = kDefaults);
  // A sender's time and when it arrived on the server's clock (both Unix ns).
  void add(std::int64_t senderNs, std::int64_t arrivalServerNs);
  const std::optional<OffsetEstimate>& estimate() const { return mFit.estimate(); }

 private:
  WindowedOffsetFit mFit;
};

}  // namespace tessera::core
