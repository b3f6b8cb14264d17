#include "ingest/stall_check.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace tessera::ingest {

StallJudgement judgeStall(const std::optional<ThreadsSample>& before, const ThreadsSample& now) {
  StallJudgement j;
  if (!before || before->at > now.at) return j;
  const double seconds = std::chrono::duration<double>(now.at - before->at).count();
  if (seconds < 0.5 || seconds > 5) return j;
  // A thread that ended between the samples takes its counts with it: never below zero.
  j.cpuShare = std::max(0.0, now.cpuSeconds - before->cpuSeconds) / seconds;
  bool waiting = false;
  if (now.waitSeconds && before->waitSeconds) {
    j.waitShare = std::max(0.0, *now.waitSeconds - *before->waitSeconds) / seconds;
    // The kernel adds a wait to run_delay only when the thread gets a CPU: one that has waited
    // through the whole window shows none of it yet, but is runnable in both samples.
    waiting = *j.waitShare >= kStarvedWaitShare || (now.runnable > 0 && before->runnable > 0);
  } else {
    // Without run-queue times: a starved thread is runnable nearly always (caught sleeping on
    // a lock now and then, so one runnable sample of the two is enough).
    waiting = now.runnable > 0 || before->runnable > 0;
  }
  j.verdict =
      waiting && j.cpuShare < kStarvedCpuShare ? StallVerdict::kStarved : StallVerdict::kStalled;
  return j;
}

std::string describe(const StallJudgement& j) {
  std::string text = fmt::format("its threads used {:.0f}% of a core", j.cpuShare * 100);
  if (j.waitShare) {
    text += fmt::format(", waited for a CPU {:.0f}% of the time", *j.waitShare * 100);
  }
  return text;
}

}  // namespace tessera::ingest
