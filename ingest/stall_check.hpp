// Stalled or starved? A pulled feed that shows no frame for its stall timeout is reconnected
// (a camera unplugged, a network that silently drops), and a WHIP participant with no media for
// its silence timeout is removed. But when hundreds of feeds share a busy machine, a feed's
// decoding thread, in the idle class so the canvas comes first, can wait seconds for a CPU:
// that feed is starved, not broken, and restarting it only throws away its work (and stopping
// its pipeline waits for the same CPU). The difference shows in its threads: a starved feed's
// spend their time runnable, waiting on a run queue, and get next to no CPU; a stalled feed's
// sleep (waiting for data) or use the CPU without showing a frame (stuck).
//
// Pure: the caller samples the threads (platform::poolThreadsCpu) once a second.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace tessera::ingest {

struct ThreadsSample {
  std::chrono::steady_clock::time_point at;
  int runnable = 0;                   // threads in state R now
  double cpuSeconds = 0;              // their utime + stime
  std::optional<double> waitSeconds;  // their run-queue wait, where the kernel keeps it
};

enum class StallVerdict {
  kStalled,  // restart it
  kStarved,  // keep it: it is waiting for a CPU
  kUnsure,   // sample again (no earlier sample close enough to compare with)
};

// Between two samples, a feed is starved when its threads used less than this share of a core...
constexpr double kStarvedCpuShare = 0.2;
// ...and waited on a run queue at least this share of the time, or were runnable in both samples
// (without schedstat: in one of the two).
constexpr double kStarvedWaitShare = 0.25;

struct StallJudgement {
  StallVerdict verdict = StallVerdict::kUnsure;
  double cpuShare = 0;              // of one core, between the samples
  std::optional<double> waitShare;  // of the time, between the samples
};

// `before` is the previous sample of the same pipeline's threads (taken 0.5-5 s earlier to count).
StallJudgement judgeStall(const std::optional<ThreadsSample>& before, const ThreadsSample& now);

// "3% of a core, waited for a CPU 10% of the time": what a log line says of the judgement.
std::string describe(const StallJudgement& j);

// One feed's watch, called once a second with how long it has gone without a frame. It samples
// the threads from kLead before the timeout on, so that the first check past the timeout has an
// earlier sample to judge with and a stalled feed is acted on as soon as before.
class StallWatch {
 public:
  static constexpr std::chrono::milliseconds kLead{1500};
  struct Result {
    bool pastTimeout = false;
    StallJudgement judgement;  // past the timeout: starved, stalled or (no earlier sample) unsure
    bool newlyStarved = false;
  };
  template <typename SampleFn>  // () -> ThreadsSample, called only when a sample is needed
  Result check(std::chrono::steady_clock::duration quiet,
               std::chrono::steady_clock::duration timeout, SampleFn&& sample) {
    if (quiet <= timeout - kLead) {
      mPrevious.reset();
      mStarved = false;
      return {};
    }
    const ThreadsSample now = sample();
    if (quiet <= timeout) {
      mPrevious = now;
      return {};
    }
    Result r{true, judgeStall(mPrevious, now), false};
    mPrevious = now;
    const bool starved = r.judgement.verdict == StallVerdict::kStarved;
    r.newlyStarved = starved && !mStarved;
    mStarved = starved;
    return r;
  }

 private:
  std::optional<ThreadsSample> mPrevious;
  bool mStarved = false;
};

}  // namespace tessera::ingest
