#include "ingest/sr_arrival_offset.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

using tessera::ingest::SrArrivalOffset;

namespace {

constexpr std::int64_t kMs = 1'000'000;
constexpr std::int64_t kS = 1'000'000'000;

struct Report {
  std::int64_t atS;       // when it was sent, on the server's clock (seconds)
  std::int64_t delayMs;   // its one-way delay
};

// Feeds reports from a sender whose clock is `offsetMs` ahead of the server's (plus `driftPpm`
// times the elapsed time); returns the estimate after each one.
std::vector<std::int64_t> estimates(const std::vector<Report>& reports, std::int64_t offsetMs,
                                    double driftPpm = 0) {
  SrArrivalOffset est;
  std::vector<std::int64_t> out;
  for (const Report& r : reports) {
    const std::int64_t sent = 1'700'000'000 * kS + r.atS * kS;
    const auto drift = static_cast<std::int64_t>(static_cast<double>(r.atS * kS) * driftPpm / 1e6);
    est.add(sent + offsetMs * kMs + drift, sent + r.delayMs * kMs);
    out.push_back(*est.offsetNs());
  }
  return out;
}

}  // namespace

TEST_CASE("no estimate before the first report", "[ingest][sr_offset]") {
  SrArrivalOffset est;
  CHECK_FALSE(est.offsetNs());
  CHECK(est.samples() == 0);
}

TEST_CASE("the smallest one-way delay in the window wins", "[ingest][sr_offset]") {
  // Offset 250 ms; delays jitter 3..40 ms: the estimate is offset - smallest delay seen.
  const auto e = estimates({{0, 40}, {5, 12}, {10, 3}, {15, 30}, {20, 25}}, 250);
  CHECK(e[0] == 210 * kMs);
  CHECK(e[1] == 238 * kMs);
  CHECK(e[2] == 247 * kMs);
  CHECK(e[4] == 247 * kMs);  // slower reports do not move it
}

TEST_CASE("a quick report leaves the window and drift is followed", "[ingest][sr_offset]") {
  // A lucky 1 ms report at t=0, then 10 ms ones: after the window it no longer counts.
  std::vector<Report> r{{0, 1}};
  for (int t = 5; t <= 60; t += 5) r.push_back({t, 10});
  const auto e = estimates(r, -80);
  CHECK(e[1] == -81 * kMs);
  CHECK(e.back() == -90 * kMs);
  // A sender clock drifting 100 ppm (6 ms a minute) is followed within the window's lag.
  std::vector<Report> steady;
  for (int t = 0; t <= 300; t += 5) steady.push_back({t, 2});
  const auto d = estimates(steady, 0, 100);
  const std::int64_t truth = 300 * kS / 10'000 - 2 * kMs;  // 30 ms drift, 2 ms delay
  CHECK(std::abs(d.back() - truth) <= 3 * kMs + SrArrivalOffset::kWindowNs / 10'000);
}

TEST_CASE("asymmetric and late reports: a step up is taken, a slow report is not",
          "[ingest][sr_offset]") {
  // A 3 s late report (a stalled network) does not drag the estimate down.
  auto e = estimates({{0, 5}, {5, 3000}, {10, 5}}, 100);
  CHECK(e[1] == 95 * kMs);
  CHECK(e[2] == 95 * kMs);
  // The sender's clock steps forward 10 s: the old reports are dropped at once.
  SrArrivalOffset est;
  est.add(1000 * kS, 1000 * kS);
  est.add(1015 * kS, 1005 * kS);
  CHECK(*est.offsetNs() == 10 * kS);
  CHECK(est.samples() == 1);
}

TEST_CASE("the window is bounded", "[ingest][sr_offset]") {
  SrArrivalOffset est;
  for (int i = 0; i < 100; ++i) est.add(i * kMs, i * kMs + 5 * kMs);
  CHECK(est.samples() == SrArrivalOffset::kMaxSamples);
  CHECK(*est.offsetNs() == -5 * kMs);
}
