#include "analysis/supervisor.hpp"

#include "core/log.hpp"

namespace tessera::analysis {
namespace {
constexpr const char* kModule = "analysis";
}

WorkerSupervisor::WorkerSupervisor(SupervisorSettings settings, WorkerSupervisorListener* listener)
    : mSettings(std::move(settings)), mListener(listener) {}

WorkerSupervisor::~WorkerSupervisor() {
  stop();
}

void WorkerSupervisor::start() {
  mStopping = false;
  mSlots.resize(static_cast<std::size_t>(mSettings.count));
  for (std::size_t i = 0; i < mSlots.size(); ++i) {
    mSlots[i].index = static_cast<int>(i) + 1;
    spawn(mSlots[i]);
  }
}

void WorkerSupervisor::stop() {
  mStopping = true;
  for (auto& slot : mSlots) {
    slot.retry.cancel();
    slot.process.reset();  // SIGTERM, grace, SIGKILL, reaped
  }
  mSlots.clear();
}

std::vector<pid_t> WorkerSupervisor::pids() const {
  std::vector<pid_t> out;
  for (const auto& slot : mSlots) {
    if (slot.process && slot.process->running()) out.push_back(slot.process->pid());
  }
  return out;
}

int WorkerSupervisor::running() const {
  return static_cast<int>(pids().size());
}

void WorkerSupervisor::spawn(Slot& slot) {
  platform::ChildProcess::Options options;
  options.argv = {
      mSettings.executable.string(),        "worker", "--connect", mSettings.endpoint, "--name",
      "local-" + std::to_string(slot.index)};
  options.nice = mSettings.nice;
  std::string error;
  // The slot outlives its process (stop() drops processes before slots), so the callback may
  // point at it.
  Slot* s = &slot;
  slot.process = platform::ChildProcess::spawn(
      options, [this, s](int status) { onExit(*s, status); }, &error);
  if (!slot.process) {
    core::logError(kModule, "local-{}: cannot start a worker: {}", slot.index, error);
    scheduleRetry(slot);
    return;
  }
  slot.startedAt = std::chrono::steady_clock::now();
  if (mListener) mListener->onWorkerStarted(static_cast<std::uint32_t>(slot.process->pid()));
  core::logInfo(kModule, "local-{}: worker started (pid {})", slot.index, slot.process->pid());
}

void WorkerSupervisor::onExit(Slot& slot, int waitStatus) {
  const pid_t pid = slot.process ? slot.process->pid() : 0;
  const auto lived = std::chrono::steady_clock::now() - slot.startedAt;
  core::logWarn(kModule, "local-{}: worker (pid {}) {}", slot.index, pid,
                platform::describeWaitStatus(waitStatus));
  slot.process.reset();  // already reaped: nothing to stop
  if (mListener) mListener->onWorkerExited(static_cast<std::uint32_t>(pid));
  if (mStopping) return;
  if (lived >= mSettings.healthyAfter) slot.attempt = 0;
  scheduleRetry(slot);
}

void WorkerSupervisor::scheduleRetry(Slot& slot) {
  auto delay = mSettings.firstRetry;
  for (int i = 0; i < slot.attempt && delay < mSettings.maxRetry; ++i) delay *= 2;
  delay = std::min(delay, mSettings.maxRetry);
  ++slot.attempt;
  core::logInfo(kModule, "local-{}: restarting the worker in {} ms", slot.index, delay.count());
  Slot* s = &slot;
  slot.retry = platform::Timer(delay, [this, s] {
    ++mRestarts;
    spawn(*s);
  });
}

}  // namespace tessera::analysis
