// The clock-offset estimators against simulated clocks: drift, jitter, asymmetric paths, loss,
// outliers; and a feed whose frames arrive 400 ms late drawn at their true capture time.
#include "core/clock_offset.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <random>
#include <vector>

#include "core/feed_channel.hpp"

using namespace tessera::core;

namespace {

constexpr std::int64_t kMs = 1'000'000;
constexpr std::int64_t kS = 1'000'000'000;
constexpr std::int64_t kStart = 1'700'000'000 * kS;  // server Unix ns when the run starts

// A sender's clock: an offset at the start plus a constant drift.
struct SenderClock {
  std::int64_t offsetNs;
  double driftPpm;
  std::int64_t offsetAt(std::int64_t serverNs) const {
    return offsetNs + std::llround(driftPpm * 1e-6 * static_cast<double>(serverNs - kStart));
  }
  std::int64_t read(std::int64_t serverNs) const { return serverNs + offsetAt(serverNs); }
};

// A one-way path: a fixed delay plus exponential jitter; rare spikes of `spikeMs`.
struct Path {
  double baseMs;
  double jitterMeanMs;
  double spikeProbability = 0;
  double spikeMs = 0;
  std::int64_t draw(std::mt19937& rng) const {
    std::exponential_distribution<double> jitter(jitterMeanMs > 0 ? 1 / jitterMeanMs : 1e9);
    std::uniform_real_distribution<double> u(0, 1);
    double ms = baseMs + (jitterMeanMs > 0 ? jitter(rng) : 0);
    if (u(rng) < spikeProbability) ms += spikeMs;
    return std::llround(ms * 1e6);
  }
};

struct ExchangeRun {
  SenderClock clock;
  Path forward, back;
  double lossProbability = 0;
  double seconds = 240;
};

// The join page's schedule: six rounds 50 ms apart, then one every 3 s. Returns the estimate's
// error at the end (estimated minus true offset).
std::int64_t runExchange(const ExchangeRun& r, ExchangeOffsetEstimator& est, unsigned seed = 7) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  std::int64_t sendAt = kStart;
  for (int round = 0; sendAt < kStart + static_cast<std::int64_t>(r.seconds * kS); ++round) {
    ExchangeSample s;
    s.t0 = r.clock.read(sendAt);
    s.t1 = sendAt + r.forward.draw(rng);
    s.t2 = s.t1 + 200'000;  // the server's own 0.2 ms
    s.t3 = r.clock.read(s.t2 + r.back.draw(rng));
    if (u(rng) >= r.lossProbability) CHECK(est.add(s));
    sendAt += round < 5 ? 50 * kMs : 3 * kS;
  }
  REQUIRE(est.estimate());
  return est.estimate()->offsetAt(sendAt) - r.clock.offsetAt(sendAt);
}

struct OneWayRun {
  SenderClock clock;
  Path path;
  double lossProbability = 0;
  double seconds = 120;
};

// A Sender Report every second; the error at the end.
std::int64_t runOneWay(const OneWayRun& r, OneWayOffsetEstimator& est, unsigned seed = 11) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  std::int64_t sendAt = kStart;
  for (; sendAt < kStart + static_cast<std::int64_t>(r.seconds * kS); sendAt += kS) {
    if (u(rng) < r.lossProbability) continue;
    est.add(r.clock.read(sendAt), sendAt + r.path.draw(rng));
  }
  REQUIRE(est.estimate());
  return est.estimate()->offsetAt(sendAt) - r.clock.offsetAt(sendAt);
}

double ms(std::int64_t ns) {
  return static_cast<double>(ns) / 1e6;
}

}  // namespace

TEST_CASE("an exchange sample's offset and round trip", "[core][clock_offset]") {
  // Client 1 s ahead, 10 ms each way, the server holds it 2 ms.
  const ExchangeSample s{kStart + kS, kStart + 10 * kMs, kStart + 12 * kMs, kStart + kS + 22 * kMs};
  CHECK(s.offsetNs() == kS);
  CHECK(s.roundTripNs() == 20 * kMs);
  // Asymmetric: 30 ms there, 10 back: the offset is off by half the difference.
  const ExchangeSample a{kStart + kS, kStart + 30 * kMs, kStart + 30 * kMs, kStart + kS + 40 * kMs};
  CHECK(a.offsetNs() == kS - 10 * kMs);
}

struct ExchangeRow {
  const char* what;
  ExchangeRun run;
  double expectedErrorMs;  // the bias the model predicts (asymmetry / 2)
  double toleranceMs;
  double driftTolerancePpm;
};

static std::vector<ExchangeRow> exchangeRows() {
  // Tolerances near the 95th percentile over 50 seeds ("[clock_offset_figures]" prints them).
  return {
      {"still clock, 10 ms each way, 5 ms jitter", {{3 * kS, 0}, {10, 5}, {10, 5}}, 0, 1.5, 20},
      {"+50 ppm", {{-2 * kS, 50}, {10, 5}, {10, 5}}, 0, 1.5, 20},
      {"-100 ppm", {{250 * kMs, -100}, {10, 5}, {10, 5}}, 0, 1.5, 20},
      {"400 ms each way (a slow path is not an offset)",
       {{kS, 80}, {400, 20}, {400, 20}},
       0,
       5,
       60},
      {"asymmetric: 30 ms there, 5 ms back", {{kS, 0}, {30, 3}, {5, 3}}, -12.5, 1, 20},
      {"40 % of rounds lost, +80 ppm", {{kS, 80}, {10, 5}, {10, 5}, 0.4}, 0, 2, 30},
      {"10 % of rounds stalled 2 s one way", {{kS, 60}, {10, 5, 0.1, 2000}, {10, 5}}, 0, 1.5, 20},
      {"heavy jitter (50 ms mean each way)", {{kS, 50}, {20, 50}, {20, 50}}, 0, 15, 200},
  };
}

TEST_CASE("exchange estimator: drift, jitter, slow and asymmetric paths, loss, outliers",
          "[core][clock_offset]") {
  for (const ExchangeRow& r : exchangeRows()) {
    INFO(r.what);
    ExchangeOffsetEstimator est;
    const double error = ms(runExchange(r.run, est));
    CHECK(std::abs(error - r.expectedErrorMs) <= r.toleranceMs);
    CHECK(std::abs(est.estimate()->driftPpm - r.run.clock.driftPpm) <= r.driftTolerancePpm);
  }
}

TEST_CASE("exchange estimator refuses impossible rounds", "[core][clock_offset]") {
  ExchangeOffsetEstimator est;
  const std::int64_t t = kStart;
  CHECK_FALSE(est.add({t + 10 * kMs, t, t, t}));                      // t3 before t0
  CHECK_FALSE(est.add({t, t + 5 * kMs, t + 1 * kMs, t + 20 * kMs}));  // t2 before t1
  CHECK_FALSE(est.add({t, t, t + 30 * kMs, t + 20 * kMs}));           // held longer than the trip
  CHECK_FALSE(est.add({t, t, t, t + 6 * kS}));                        // a 6 s round trip
  CHECK_FALSE(est.estimate());
  CHECK(est.add({t, t + 5 * kMs, t + 6 * kMs, t + 11 * kMs}));
  REQUIRE(est.estimate());
  CHECK(est.estimate()->offsetNs == 0);
  CHECK(est.estimate()->bestCostNs == 10 * kMs);
}

TEST_CASE("exchange estimator keeps the minimum round trip of a window", "[core][clock_offset]") {
  ExchangeOffsetEstimator est;
  const std::int64_t t = kStart;
  // Three rounds in one window: offsets -20, -1 and +30 ms; the 4 ms round trip wins.
  CHECK(est.add({t, t + 60 * kMs, t + 60 * kMs, t + 80 * kMs}));
  CHECK(est.add({t + kS, t + kS + 3 * kMs, t + kS + 3 * kMs, t + kS + 4 * kMs}));
  CHECK(est.add({t + 2 * kS, t + 2 * kS + 10 * kMs, t + 2 * kS + 10 * kMs, t + 2 * kS + 80 * kMs}));
  REQUIRE(est.estimate());
  CHECK(est.estimate()->bestCostNs == 4 * kMs);
  CHECK(ms(est.estimate()->offsetNs) == Approx(-1.0));
}

struct OneWayRow {
  const char* what;
  OneWayRun run;
  double expectedErrorMs;  // minus the smallest one-way delay: it cannot be told apart
  double toleranceMs;
};

static std::vector<OneWayRow> oneWayRows() {
  return {
      {"LAN: 2 ms + 3 ms jitter", {{5 * kS, 0}, {2, 3}}, -2, 1},
      {"+100 ppm", {{-5 * kS, 100}, {2, 3}}, -2, 1},
      {"-50 ppm, 30 % of reports lost", {{kS, -50}, {2, 3}, 0.3}, -2, 1},
      {"a 40 ms path biases by 40 ms", {{kS, 20}, {40, 10}}, -40, 2},
      {"reports stalled 800 ms now and then", {{kS, 60}, {3, 2, 0.1, 800}}, -3, 1},
  };
}

TEST_CASE("one-way estimator: the smallest delay seen, with drift, loss and clock steps",
          "[core][clock_offset]") {
  for (const OneWayRow& r : oneWayRows()) {
    INFO(r.what);
    OneWayOffsetEstimator est;
    const double error = ms(runOneWay(r.run, est));
    CHECK(std::abs(error - r.expectedErrorMs) <= r.toleranceMs);
  }
}

TEST_CASE("one-way estimator drops a window the sender's clock jumped in", "[core][clock_offset]") {
  OneWayOffsetEstimator est;
  const SenderClock clock{kS, 0};
  for (int i = 0; i < 90; ++i) {
    const std::int64_t at = kStart + i * kS;
    // At 45 s one report carries a time 1 s ahead (a clock stepped and stepped back).
    const std::int64_t glitch = i == 45 ? kS : 0;
    est.add(clock.read(at) + glitch, at + 3 * kMs);
  }
  REQUIRE(est.estimate());
  CHECK(std::abs(ms(est.estimate()->offsetAt(kStart + 90 * kS) - kS) + 3) <= 0.5);
  CHECK(est.estimate()->windowsUsed < 8);
}

TEST_CASE("a steeper line than any clock drifts is held to the drift limit",
          "[core][clock_offset]") {
  OffsetFitSettings s;
  s.windowNs = kS;
  s.windows = 4;
  s.maxDriftPpm = 500;
  WindowedOffsetFit fit(s);
  // 10 ms per second: 10000 ppm.
  for (int i = 0; i < 4; ++i) fit.add(kStart + i * kS, i * 10 * kMs, 0);
  REQUIRE(fit.estimate());
  CHECK(fit.estimate()->driftPpm == Approx(500));
}

TEST_CASE("frames 400 ms late are drawn at their capture time, not shifted",
          "[core][clock_offset]") {
  // The sender's clock runs 2.5 s ahead of the server's; its Sender Reports take 3 ms, its
  // frames 400 ms (encoder, a slow path, a deep jitter buffer).
  const SenderClock clock{2500 * kMs, 0};
  OneWayOffsetEstimator est;
  std::mt19937 rng(3);
  const Path srPath{3, 2};
  for (int i = 0; i < 20; ++i) {
    const std::int64_t at = kStart + i * kS;
    est.add(clock.read(at), at + srPath.draw(rng));
  }
  REQUIRE(est.estimate());
  FeedChannel channel(FeedId{1}, FeedSource::kWhip, {});
  const std::int64_t now = kStart + 20 * kS;
  channel.setClockOffset(est.estimate()->offsetAt(now), ClockEstimate::kSrArrival);
  const std::int64_t captured = now;  // server Unix ns
  auto frame = std::make_shared<VideoFrame>();
  frame->arrival = fromUnixNs(captured + 400 * kMs);
  VideoFrame* raw = frame.get();
  channel.pushFrame(std::move(frame), {FrameTiming::Kind::kSender, clock.read(captured)}, 8, 8);
  const double errorMs =
      std::chrono::duration<double, std::milli>(raw->capture - fromUnixNs(captured)).count();
  // Late by the Sender Reports' smallest delay (~3 ms), not by the frames' 400 ms.
  CHECK(errorMs >= 0);
  CHECK(errorMs <= 5);
  const SyncStatus sync =
      channel.syncStatus(std::chrono::milliseconds(500), std::chrono::seconds(1));
  CHECK(sync.clock == ClockEstimate::kSrArrival);
  CHECK(sync.latencyMsP50 == Approx(400).margin(5));
}

// Not run by ctest: prints the error over 50 seeds per row (docs/performance.md, "Crowd sync").
//   build/tests/core/tessera_core_tests "[clock_offset_figures]"
TEST_CASE("clock offset figures", "[.][clock_offset_figures]") {
  auto summarise = [](const char* what, std::vector<double> errors) {
    for (auto& e : errors) e = std::abs(e);
    std::sort(errors.begin(), errors.end());
    std::printf("| %-48s | %6.2f | %6.2f |\n", what, errors[errors.size() / 2],
                errors[errors.size() * 95 / 100]);
  };
  std::printf("| row | median |error| ms | p95 |error| ms |\n");
  for (const ExchangeRow& r : exchangeRows()) {
    std::vector<double> errors;
    for (unsigned seed = 1; seed <= 50; ++seed) {
      ExchangeOffsetEstimator est;
      errors.push_back(ms(runExchange(r.run, est, seed)) - r.expectedErrorMs);
    }
    summarise(r.what, errors);
  }
  for (const OneWayRow& r : oneWayRows()) {
    std::vector<double> errors;
    for (unsigned seed = 1; seed <= 50; ++seed) {
      OneWayOffsetEstimator est;
      errors.push_back(ms(runOneWay(r.run, est, seed)) - r.expectedErrorMs);
    }
    summarise(r.what, errors);
  }
}
