// Keeps N local worker processes running: starts `EXECUTABLE worker --connect ENDPOINT`, and
// when one ends (crash, kill -9), reports it and starts a replacement with backoff (0.5 s
// doubling to 30 s; back to 0.5 s once a worker has lived for a minute).
//
// Thread: the main-loop thread (child exits and retry timers are main-loop events).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "platform/child_process.hpp"
#include "platform/main_loop.hpp"

namespace tessera::analysis {

class WorkerSupervisorListener {
 public:
  virtual ~WorkerSupervisorListener() = default;
  // A worker process started: the only kind of process the local endpoint lets in.
  virtual void onWorkerStarted(std::uint32_t pid) = 0;
  // A worker process ended (its jobs are lost); a replacement is scheduled.
  virtual void onWorkerExited(std::uint32_t pid) = 0;
};

struct SupervisorSettings {
  int count = 1;
  std::filesystem::path executable;  // the tessera binary ("/proc/self/exe" in the server)
  std::string endpoint;              // what the workers connect to
  int nice = 6;  // workers yield to feeds (+4), render and encoding: overload delays scores only
  std::chrono::milliseconds firstRetry{500};
  std::chrono::milliseconds maxRetry{30000};
  std::chrono::milliseconds healthyAfter{60000};
};

class WorkerSupervisor {
 public:
  WorkerSupervisor(SupervisorSettings settings, WorkerSupervisorListener* listener);
  ~WorkerSupervisor();
  WorkerSupervisor(const WorkerSupervisor&) = delete;
  WorkerSupervisor& operator=(const WorkerSupervisor&) = delete;

  void start();
  // Stops every worker (SIGTERM, then SIGKILL after a grace period) and cancels restarts.
  void stop();

  // Process ids of the running workers.
  std::vector<pid_t> pids() const;
  int running() const;
  std::uint64_t restarts() const { return mRestarts; }

 private:
  struct Slot {
    int index = 0;
    std::optional<platform::ChildProcess> process;
    platform::Timer retry;
    int attempt = 0;
    std::chrono::steady_clock::time_point startedAt;
  };

  void spawn(Slot& slot);
  void onExit(Slot& slot, int waitStatus);
  void scheduleRetry(Slot& slot);

  const SupervisorSettings mSettings;
  WorkerSupervisorListener* const mListener;
  std::vector<Slot> mSlots;
  std::uint64_t mRestarts = 0;
  bool mStopping = false;
};

}  // namespace tessera::analysis
