#include "platform/child_process.hpp"

#include <glib.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <chrono>
#include <cstring>
#include <thread>

namespace tessera::platform {

struct ChildProcess::State {
  pid_t pid = 0;
  guint watch = 0;
  bool exited = false;
  ExitCallback onExit;
};

namespace {

struct SetupData {
  pid_t parent = 0;
  int nice = 0;
};

// Runs in the child between fork and exec: async-signal-safe calls only.
void childSetup(gpointer data) {
  const auto* s = static_cast<const SetupData*>(data);
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != s->parent) _exit(127);  // the parent died before the line above
  if (s->nice != 0) setpriority(PRIO_PROCESS, 0, getpriority(PRIO_PROCESS, 0) + s->nice);
}

}  // namespace

ChildProcess::ChildProcess(std::shared_ptr<State> state) : mState(std::move(state)) {}

ChildProcess::ChildProcess(ChildProcess&& o) noexcept : mState(std::move(o.mState)) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& o) noexcept {
  if (this != &o) {
    terminate();
    mState = std::move(o.mState);
  }
  return *this;
}

ChildProcess::~ChildProcess() {
  terminate();
}

std::optional<ChildProcess> ChildProcess::spawn(const Options& options, ExitCallback onExit,
                                                std::string* error) {
  std::vector<char*> argv;
  for (const auto& a : options.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  SetupData setup{getpid(), options.nice};
  GError* raw = nullptr;
  GPid pid = 0;
  // Standard streams are inherited (a worker's log lines go where the server's go); every other
  // descriptor is closed in the child.
  const gboolean ok = g_spawn_async(nullptr, argv.data(), nullptr, G_SPAWN_DO_NOT_REAP_CHILD,
                                    &childSetup, &setup, &pid, &raw);
  if (!ok) {
    if (error) *error = raw ? raw->message : "cannot start " + options.argv.front();
    if (raw) g_error_free(raw);
    return std::nullopt;
  }
  auto state = std::make_shared<State>();
  state->pid = pid;
  state->onExit = std::move(onExit);
  // The watch holds a reference to the State, released when the source goes.
  auto* ref = new std::shared_ptr<State>(state);
  state->watch = g_child_watch_add_full(
      G_PRIORITY_DEFAULT, pid,
      [](GPid, gint status, gpointer data) {
        const std::shared_ptr<State> s = *static_cast<std::shared_ptr<State>*>(data);
        s->exited = true;
        s->watch = 0;
        if (s->onExit) s->onExit(status);
      },
      ref, [](gpointer data) { delete static_cast<std::shared_ptr<State>*>(data); });
  return ChildProcess(std::move(state));
}

pid_t ChildProcess::pid() const {
  return mState ? mState->pid : 0;
}

bool ChildProcess::running() const {
  return mState && !mState->exited;
}

bool ChildProcess::signal(int sig) const {
  return running() && kill(mState->pid, sig) == 0;
}

void ChildProcess::terminate() {
  if (!mState) return;
  const auto state = std::move(mState);
  if (state->exited) return;
  // Nobody waits for it on the main loop any more: this object reaps it.
  if (state->watch) g_source_remove(state->watch);
  state->watch = 0;
  state->onExit = nullptr;
  kill(state->pid, SIGTERM);
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kStopGraceMs);
  while (waitpid(state->pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() >= deadline) {
      kill(state->pid, SIGKILL);
      waitpid(state->pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  state->exited = true;
}

std::string describeWaitStatus(int status) {
  if (WIFEXITED(status)) return fmt::format("exited with status {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    return fmt::format("killed by signal {} ({})", WTERMSIG(status), strsignal(WTERMSIG(status)));
  }
  return fmt::format("ended (wait status {})", status);
}

}  // namespace tessera::platform
