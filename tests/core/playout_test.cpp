// The playout delay: fixed, auto (95th percentile of the feeds' needs) and its smoothing.
#include "core/playout.hpp"

#include "core/feed_channel.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

using tessera::core::PlayoutDelay;
using tessera::core::PlayoutSettings;

namespace {
PlayoutSettings autoAt(double fps, double maxDelayMs = 1000) {
  PlayoutSettings s;
  s.fps = fps;
  s.maxDelayMs = maxDelayMs;
  return s;
}
}  // namespace

TEST_CASE("auto delay covers the 95th percentile of the feeds' needs", "[core][playout]") {
  struct Row {
    const char* what;
    std::vector<double> needs;  // ms: each feed's latency plus half its frame interval
    double expected;            // ms, canvas at 30 fps
  };
  const double half = 500.0 / 30;
  const std::vector<Row> rows = {
      {"no feeds: half a frame", {}, half},
      {"one feed", {120}, 120},
      {"few feeds: the latest one", {30, 400, 90, 250}, 400},
      {"feeds beyond max_delay do not count", {30, 90, 5000}, 90},
      {"a feed just past max_delay by its half frame still counts (clamped)", {1030}, 1000},
      {"negative need (a clock estimate a little off) counts as 0", {-20}, 0},
      {"a NaN is ignored", {std::nan(""), 50}, 50},
  };
  for (const Row& r : rows) {
    INFO(r.what);
    CHECK(PlayoutDelay::targetFor(r.needs, autoAt(30)) == Approx(r.expected));
  }
  // With 40 feeds the two latest (5 %) may run late rather than delay everyone, when they are
  // more than a canvas frame later than the 95th percentile...
  std::vector<double> many;
  for (int i = 1; i <= 40; ++i) many.push_back(i * 50.0);
  CHECK(PlayoutDelay::targetFor(many, autoAt(30, 5000)) == Approx(1900));
  // ...and are covered when within one (a crowd spread evenly: 64 feeds 8 ms apart).
  std::vector<double> even;
  for (int i = 0; i < 64; ++i) even.push_back(220 + i * 8.0);
  CHECK(PlayoutDelay::targetFor(even, autoAt(30)) == Approx(220 + 63 * 8.0));
  // One feed far out is not waited for.
  std::vector<double> outlier(39, 300.0);
  outlier.push_back(900);
  CHECK(PlayoutDelay::targetFor(outlier, autoAt(30)) == Approx(300));
  // Never beyond max_delay.
  CHECK(PlayoutDelay::targetFor({920}, autoAt(30, 900)) == Approx(900));
}

TEST_CASE("a feed needs its latency plus half its frame interval", "[core][playout]") {
  using tessera::core::FeedChannel;
  CHECK(FeedChannel::playoutNeedMs(400, 30) == Approx(400 + 500.0 / 30));
  CHECK(FeedChannel::playoutNeedMs(400, 15) == Approx(400 + 500.0 / 15));
  CHECK(FeedChannel::playoutNeedMs(400, 60) == Approx(400 + 500.0 / 60));
  // A trickle counts as 15 fps; an unknown rate as 30.
  CHECK(FeedChannel::playoutNeedMs(400, 1) == Approx(400 + PlayoutDelay::kMaxHalfIntervalMs));
  CHECK(FeedChannel::playoutNeedMs(400, 0) == Approx(400 + 500.0 / 30));
}

TEST_CASE("auto delay moves at most one frame period per second", "[core][playout]") {
  PlayoutDelay d(autoAt(30));
  d.setNeeds({100});
  d.advance(1.0 / 30);
  // The first target is taken at once, and so is a new one while the feeds start (2 s).
  CHECK(d.delayMs() == Approx(100));
  d.setNeeds({150});
  d.advance(1.0);
  CHECK(d.delayMs() == Approx(150));
  d.setNeeds({100});
  d.advance(1.0);  // the warm-up ends with this step
  CHECK(d.delayMs() == Approx(100));
  // A participant 400 ms later joins: the delay climbs 33.3 ms per second, in small steps.
  d.setNeeds({100, 400});
  double previous = d.delayMs();
  double biggestStep = 0;
  for (int tick = 0; tick < 30 * 5; ++tick) {  // 5 s at 30 fps
    d.advance(1.0 / 30);
    biggestStep = std::max(biggestStep, d.delayMs() - previous);
    previous = d.delayMs();
  }
  CHECK(d.delayMs() == Approx(100 + 5 * 1000.0 / 30).margin(0.01));
  CHECK(biggestStep <= 1000.0 / 30 / 30 + 1e-9);  // 1.1 ms a tick: no visible jump
  // Enough time: it reaches the target and stays there.
  for (int tick = 0; tick < 30 * 20; ++tick) d.advance(1.0 / 30);
  CHECK(d.delayMs() == Approx(400));
  // The late participant leaves: it comes back down at the same rate.
  d.setNeeds({100});
  d.advance(1.0);
  CHECK(d.delayMs() == Approx(400 - 1000.0 / 30));
  // A tick that took long (the canvas ran late) still moves at most its share.
  d.advance(3.0);
  CHECK(d.delayMs() == Approx(400 - 4 * 1000.0 / 30));
}

TEST_CASE("jittery needs move the delay no faster than the limit", "[core][playout]") {
  PlayoutDelay d(autoAt(30));
  d.setNeeds({200});
  d.advance(PlayoutDelay::kWarmUpS);
  const double start = d.delayMs();
  // Needs jumping between 50 and 350 ms every quarter second for 4 s.
  for (int i = 0; i < 16; ++i) {
    d.setNeeds({i % 2 ? 350.0 : 50.0});
    for (int t = 0; t < 8; ++t) d.advance(1.0 / 32);
  }
  CHECK(std::abs(d.delayMs() - start) <= 4 * 1000.0 / 30 + 1e-6);
}

TEST_CASE("a fixed delay and sync off", "[core][playout]") {
  PlayoutSettings fixed = autoAt(30);
  fixed.fixedDelayMs = 250;
  PlayoutDelay d(fixed);
  CHECK(d.delayMs() == 250);
  d.setNeeds({900});
  d.advance(10);
  CHECK(d.delayMs() == 250);

  PlayoutSettings off = autoAt(30);
  off.enabled = false;
  PlayoutDelay o(off);
  o.setNeeds({300});
  o.advance(1);
  CHECK(o.delayMs() == 0);
}
