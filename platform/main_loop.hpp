// GLib main-loop helpers: RAII timers, so no source outlives the object that scheduled it.
//
// Thread: the thread running the GLib main context (the main-loop thread).
#pragma once

#include <glib.h>

#include <chrono>
#include <functional>
#include <memory>

namespace tessera::platform {

class Timer {
 public:
  Timer() = default;
  // Calls `fn` after `delay`, once (repeat=false) or every `delay` until the Timer is dropped.
  Timer(std::chrono::milliseconds delay, std::function<void()> fn, bool repeat = false);
  Timer(Timer&& o) noexcept;
  Timer& operator=(Timer&& o) noexcept;
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;
  ~Timer() { cancel(); }

  void cancel();
  bool pending() const { return mState && mState->id != 0; }

 private:
  struct State {
    guint id = 0;
    bool repeat = false;
    std::function<void()> fn;
  };
  static gboolean fire(gpointer data);
  std::shared_ptr<State> mState;
};

// Runs `fn` on the main-loop thread (the default GLib context), later, from any thread. Code
// that may be gone by then posts a weak reference and checks it there.
void postToMainLoop(std::function<void()> fn);

}  // namespace tessera::platform
