// Stalled or starved: a pulled feed past its stall timeout is restarted only when its threads
// are asleep (waiting for data) or using the CPU without showing a frame, never when they are
// runnable and getting no CPU (the machine is busy with the canvas).
#include "ingest/stall_check.hpp"

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using tessera::ingest::judgeStall;
using tessera::ingest::StallVerdict;
using tessera::ingest::ThreadsSample;

namespace {
const auto kT0 = std::chrono::steady_clock::time_point(1000s);

// Without run-queue times (a kernel without schedstat): the thread states decide.
ThreadsSample at(std::chrono::milliseconds after, int runnable, double cpuSeconds) {
  return {kT0 + after, runnable, cpuSeconds, std::nullopt};
}
// With them.
ThreadsSample waited(std::chrono::milliseconds after, double cpuSeconds, double waitSeconds,
                     int runnable = 0) {
  return {kT0 + after, runnable, cpuSeconds, waitSeconds};
}
}  // namespace

TEST_CASE("stall verdicts from two samples of a feed's threads", "[ingest][stall]") {
  struct Row {
    const char* what;
    std::optional<ThreadsSample> before;
    ThreadsSample now;
    StallVerdict verdict;
  };
  const Row rows[] = {
      {"no earlier sample", std::nullopt, at(0ms, 0, 1.0), StallVerdict::kUnsure},
      {"asleep in both", at(0ms, 0, 1.0), at(1000ms, 0, 1.0), StallVerdict::kStalled},
      {"runnable, 1% of a core", at(0ms, 1, 1.0), at(1000ms, 1, 1.01), StallVerdict::kStarved},
      {"runnable then caught on a lock", at(0ms, 1, 1.0), at(1000ms, 0, 1.0),
       StallVerdict::kStarved},
      {"runnable, 19% of a core", at(0ms, 1, 1.0), at(2000ms, 1, 1.38), StallVerdict::kStarved},
      {"runnable, 25% of a core (busy, no frame)", at(0ms, 1, 1.0), at(1000ms, 1, 1.25),
       StallVerdict::kStalled},
      {"spinning: a whole core", at(0ms, 1, 1.0), at(1000ms, 1, 2.0), StallVerdict::kStalled},
      {"samples too close", at(0ms, 1, 1.0), at(400ms, 1, 1.0), StallVerdict::kUnsure},
      {"earlier sample too old", at(0ms, 1, 1.0), at(5100ms, 1, 1.0), StallVerdict::kUnsure},
      {"samples out of order", at(1000ms, 1, 1.0), at(0ms, 1, 1.0), StallVerdict::kUnsure},
      {"schedstat: waited 90% of the time, 1% CPU", waited(0ms, 1.0, 5.0),
       waited(1000ms, 1.01, 5.9), StallVerdict::kStarved},
      {"schedstat: sleeping now but waited 40%", waited(0ms, 1.0, 5.0), waited(1000ms, 1.0, 5.4),
       StallVerdict::kStarved},
      {"schedstat: neither waited nor ran (asleep)", waited(0ms, 1.0, 5.0),
       waited(1000ms, 1.0, 5.0), StallVerdict::kStalled},
      {"schedstat: waited 10%: mostly asleep", waited(0ms, 1.0, 5.0), waited(1000ms, 1.0, 5.1),
       StallVerdict::kStalled},
      {"schedstat: waited and spun (busy, no frame)", waited(0ms, 1.0, 5.0),
       waited(1000ms, 1.5, 5.5), StallVerdict::kStalled},
      // The kernel counts a run-queue wait when the thread next gets a CPU: one starved through
      // the whole window shows no wait yet (seen in CI: runnable, 1 % CPU, wait share ~0).
      {"schedstat: runnable in both, its wait not counted yet", waited(0ms, 1.0, 5.0, 1),
       waited(1000ms, 1.01, 5.0, 1), StallVerdict::kStarved},
      {"schedstat: runnable in one only, no wait: asleep most of the time",
       waited(0ms, 1.0, 5.0, 1), waited(1000ms, 1.0, 5.0), StallVerdict::kStalled},
      {"schedstat: runnable in both but spinning (busy, no frame)", waited(0ms, 1.0, 5.0, 1),
       waited(1000ms, 1.9, 5.0, 1), StallVerdict::kStalled},
      {"schedstat: a thread ended (counts fell)", waited(0ms, 3.0, 9.0), waited(1000ms, 1.0, 5.0),
       StallVerdict::kStalled},
  };
  for (const Row& row : rows) {
    INFO(row.what);
    CHECK(judgeStall(row.before, row.now).verdict == row.verdict);
  }
}

TEST_CASE("the stall watch samples before the timeout, so it judges at the timeout",
          "[ingest][stall]") {
  tessera::ingest::StallWatch watch;
  int samples = 0;
  double cpu = 1.0;
  int runnable = 0;
  auto at = kT0;
  const auto sample = [&] {
    ++samples;
    return ThreadsSample{at, runnable, cpu, std::nullopt};
  };
  const auto check = [&](std::chrono::milliseconds quiet) {
    at = kT0 + quiet;
    return watch.check(quiet, 5s, sample);
  };
  // Well before the timeout: nothing read.
  CHECK_FALSE(check(3000ms).pastTimeout);
  CHECK(samples == 0);
  // Within the lead: a sample, no verdict yet.
  CHECK_FALSE(check(4000ms).pastTimeout);
  CHECK(samples == 1);
  // The first check past the timeout judges at once: asleep, so stalled.
  auto r = check(5000ms + 1ms);
  CHECK(r.pastTimeout);
  CHECK(r.judgement.verdict == StallVerdict::kStalled);

  // A frame came: the watch starts over. Then runnable and getting nothing: starved, said once.
  CHECK_FALSE(check(500ms).pastTimeout);
  runnable = 1;
  CHECK_FALSE(check(4500ms).pastTimeout);
  r = check(5500ms);
  CHECK(r.judgement.verdict == StallVerdict::kStarved);
  CHECK(r.newlyStarved);
  r = check(6500ms);
  CHECK(r.judgement.verdict == StallVerdict::kStarved);
  CHECK_FALSE(r.newlyStarved);
  // It gets a core and still shows nothing: stuck, stalled.
  cpu += 0.9;
  r = check(7500ms);
  CHECK(r.judgement.verdict == StallVerdict::kStalled);
}
