// Viewers' reactions: kinds, the smoothed rate (CROWD_REACTIONS), its decay, the bursts kept.
#include "core/reactions.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using tessera::core::Clock;
using tessera::core::kMaxReactionBursts;
using tessera::core::kReactionBurstLifetime;
using tessera::core::ReactionKind;
using tessera::core::reactionKindFrom;
using tessera::core::ReactionTally;

namespace {

Clock::time_point at(double seconds) {
  return Clock::time_point(
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds + 1000)));
}

// Reactions every `periodS` from 0 to `untilS` (exclusive); the rate read at `readS`.
double steadyRate(double periodS, double untilS, double readS) {
  ReactionTally tally;
  for (double t = 0; t < untilS - 1e-9; t += periodS) tally.add(ReactionKind::kHeart, at(t));
  return tally.snapshot()->ratePerS(at(readS));
}

// The mean of the rate over [fromS, toS) sampled every 10 ms, with reactions every `periodS`.
double meanRate(double periodS, double fromS, double toS) {
  ReactionTally tally;
  double next = 0, sum = 0;
  int n = 0;
  for (double t = 0; t < toS; t += 0.01) {
    while (next <= t + 1e-9) {
      tally.add(ReactionKind::kClap, at(next));
      next += periodS;
    }
    if (t >= fromS) {
      sum += tally.snapshot()->ratePerS(at(t));
      ++n;
    }
  }
  return sum / n;
}

}  // namespace

TEST_CASE("reaction kinds are the four names of the contract, spelt exactly", "[core][reactions]") {
  struct Row {
    const char* text;
    std::optional<ReactionKind> kind;
  };
  const std::vector<Row> rows = {
      {"heart", ReactionKind::kHeart},
      {"clap", ReactionKind::kClap},
      {"wow", ReactionKind::kWow},
      {"fire", ReactionKind::kFire},
      {"Heart", std::nullopt},
      {"heart ", std::nullopt},
      {"", std::nullopt},
      {"thumbs", std::nullopt},
      {"hear", std::nullopt},
  };
  for (const Row& r : rows) {
    INFO(r.text);
    CHECK(reactionKindFrom(r.text) == r.kind);
    if (r.kind) CHECK(std::string(toString(*r.kind)) == r.text);
  }
}

TEST_CASE("reactions are counted per kind", "[core][reactions]") {
  ReactionTally tally;
  CHECK(tally.snapshot()->total == 0);
  const std::vector<ReactionKind> sent = {ReactionKind::kHeart, ReactionKind::kFire,
                                          ReactionKind::kHeart, ReactionKind::kWow,
                                          ReactionKind::kHeart};
  for (std::size_t i = 0; i < sent.size(); ++i) tally.add(sent[i], at(0.1 * i));
  const auto s = tally.snapshot();
  CHECK(s->total == 5);
  CHECK(s->counts == std::array<std::uint64_t, 4>{3, 0, 1, 1});
  REQUIRE(s->bursts.size() == 5);
  CHECK(s->bursts.front().sequence == 1);
  CHECK(s->bursts.back().sequence == 5);
  CHECK(s->bursts[1].kind == ReactionKind::kFire);
}

TEST_CASE("the smoothed rate follows a steady stream of reactions", "[core][reactions]") {
  struct Row {
    const char* what;
    double periodS;
    double expectedPerS;  // the rate's mean once settled
  };
  const std::vector<Row> rows = {
      {"one a second", 1.0, 1.0},
      {"two a second", 0.5, 2.0},
      {"ten a second", 0.1, 10.0},
      {"one every four seconds", 4.0, 0.25},
  };
  for (const Row& r : rows) {
    INFO(r.what);
    // After 10 time constants the start has been forgotten; the mean over whole periods is R.
    const double from = 20.0, to = from + 8 * r.periodS;
    CHECK(meanRate(r.periodS, from, to) == Approx(r.expectedPerS).epsilon(0.03));
  }
}

TEST_CASE("the rate rises at once and is smooth", "[core][reactions]") {
  struct Row {
    const char* what;
    double periodS, untilS, readS;
    double expectedPerS;
  };
  const double tau = tessera::core::kReactionTimeConstant.count();
  const std::vector<Row> rows = {
      {"nothing yet", 1.0, 0.0, 5.0, 0.0},
      {"one tap reads 1/tau", 1.0, 0.5, 0.0, 1 / tau},
      {"one tap, tau later: 1/(e tau)", 1.0, 0.5, tau, 1 / (std::exp(1.0) * tau)},
      {"five at once (same instant)", 0.0001, 0.0005, 0.0005, 5 / tau},
      // Just after the 10th of a steady 2/s stream, below the settled peak (2.26).
      {"2/s for 5 s, just after the last", 0.5, 5.0, 4.5,
       (1 - std::exp(-5.0 / tau)) / (tau * (1 - std::exp(-0.5 / tau)))},
  };
  for (const Row& r : rows) {
    INFO(r.what);
    CHECK(steadyRate(r.periodS, r.untilS, r.readS) == Approx(r.expectedPerS).epsilon(0.001));
  }
}

TEST_CASE("the rate decays to zero when reactions stop", "[core][reactions]") {
  ReactionTally tally;
  for (int i = 0; i < 20; ++i) tally.add(ReactionKind::kWow, at(0.1 * i));  // 10/s for 2 s
  const auto s = tally.snapshot();
  struct Row {
    double readS;
    double atMost, atLeast;
  };
  const std::vector<Row> rows = {
      {1.9, 10.0, 5.0},   // rising towards 10
      {4.0, 4.0, 2.0},    // about tau after the last: e^-1 of ~6.5
      {10.0, 0.2, 0.05},  // four tau
      {20.0, 0.01, 0.0},  // below the floor: exactly 0
      {1000.0, 0.0, 0.0},
  };
  double previous = s->ratePerS(at(1.9));
  for (const Row& r : rows) {
    INFO("at " << r.readS << " s");
    const double rate = s->ratePerS(at(r.readS));
    CHECK(rate <= r.atMost);
    CHECK(rate >= r.atLeast);
    CHECK(rate <= previous);  // never rises without a reaction
    previous = rate;
  }
  CHECK(s->ratePerS(at(20.0)) == 0.0);
  // Reading at a time before the last reaction (another thread's older clock) does not grow it.
  CHECK(s->ratePerS(at(0.0)) == Approx(s->ratePerSAtLast));
}

TEST_CASE("bursts are kept for the overlay, bounded", "[core][reactions]") {
  ReactionTally tally;
  CHECK_FALSE(tally.snapshot()->burstsAlive(at(0)));
  const std::size_t n = kMaxReactionBursts + 40;
  for (std::size_t i = 0; i < n; ++i) {
    tally.add(tessera::core::kAllReactionKinds[i % 4], at(0.01 * static_cast<double>(i)));
  }
  const auto s = tally.snapshot();
  CHECK(s->total == n);
  REQUIRE(s->bursts.size() == kMaxReactionBursts);
  CHECK(s->bursts.back().sequence == n);  // the newest are kept
  CHECK(s->bursts.front().sequence == n - kMaxReactionBursts + 1);
  const double lastS = 0.01 * static_cast<double>(n - 1);
  const double lifeS = std::chrono::duration<double>(kReactionBurstLifetime).count();
  CHECK(s->burstsAlive(at(lastS + lifeS - 0.05)));
  CHECK_FALSE(s->burstsAlive(at(lastS + lifeS + 0.05)));
}

TEST_CASE("an older reaction counts as at the newest time", "[core][reactions]") {
  ReactionTally tally;
  tally.add(ReactionKind::kHeart, at(5));
  tally.add(ReactionKind::kFire, at(4));  // another writer's earlier clock reading
  const auto s = tally.snapshot();
  CHECK(s->last == at(5));
  CHECK(s->ratePerS(at(5)) == Approx(2 / tessera::core::kReactionTimeConstant.count()));
}

TEST_CASE("writers on several threads lose no reaction", "[core][reactions]") {
  ReactionTally tally;
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&tally, w] {
      for (int i = 0; i < 500; ++i) {
        tally.add(tessera::core::kAllReactionKinds[static_cast<std::size_t>(w)], Clock::now());
        if (i % 50 == 0) (void)tally.snapshot()->ratePerS(Clock::now());
      }
    });
  }
  for (auto& t : writers) t.join();
  const auto s = tally.snapshot();
  CHECK(s->total == 2000);
  CHECK(s->counts == std::array<std::uint64_t, 4>{500, 500, 500, 500});
}
