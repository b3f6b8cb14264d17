// A child process started through GLib and reaped by the main loop, which reports its end.
//
// Thread: spawned, observed and destroyed on the main-loop thread (the exit callback runs there).
// The child is asked to die with its parent (PR_SET_PDEATHSIG), so a crashed server leaves no
// workers behind.
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tessera::platform {

class ChildProcess {
 public:
  struct Options {
    std::vector<std::string> argv;  // argv[0] is the executable's path
    int nice = 0;                   // added to the child's nice value
  };
  // Called once, on the main loop, with the wait status when the child ends by itself.
  using ExitCallback = std::function<void(int waitStatus)>;

  // Starts the child; nullopt (with `error`) when it cannot be started.
  static std::optional<ChildProcess> spawn(const Options& options, ExitCallback onExit,
                                           std::string* error);

  ChildProcess(ChildProcess&&) noexcept;
  ChildProcess& operator=(ChildProcess&&) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  // A child still running is sent SIGTERM, given `kStopGrace`, then SIGKILL, and reaped (no
  // exit callback).
  ~ChildProcess();

  static constexpr int kStopGraceMs = 2000;

  pid_t pid() const;
  bool running() const;
  // Sends a signal; false when the child is already gone.
  bool signal(int sig) const;

 private:
  struct State;
  explicit ChildProcess(std::shared_ptr<State> state);
  void terminate();
  std::shared_ptr<State> mState;
};

// "exited with status 1", "killed by signal 9 (Killed)".
std::string describeWaitStatus(int waitStatus);

}  // namespace tessera::platform
