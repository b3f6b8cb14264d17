#include "platform/main_loop.hpp"

namespace tessera::platform {

// The GSource owns one reference to the State and the Timer another. GLib keeps a source's
// callback data alive while its callback runs, even if the source is removed meanwhile, so a
// callback may drop or replace its own Timer (repeating or not) safely.
Timer::Timer(std::chrono::milliseconds delay, std::function<void()> fn, bool repeat)
    : mState(std::make_shared<State>()) {
  mState->repeat = repeat;
  mState->fn = std::move(fn);
  auto* sourceRef = new std::shared_ptr<State>(mState);  // released by the destroy notify
  mState->id = g_timeout_add_full(G_PRIORITY_DEFAULT, static_cast<guint>(delay.count()),
                                  &Timer::fire, sourceRef, [](gpointer data) {
                                    auto* ref = static_cast<std::shared_ptr<State>*>(data);
                                    (*ref)->id = 0;  // the source is gone: nothing left to remove
                                    delete ref;
                                  });
}

Timer::Timer(Timer&& o) noexcept : mState(std::move(o.mState)) {}

Timer& Timer::operator=(Timer&& o) noexcept {
  if (this != &o) {
    cancel();
    mState = std::move(o.mState);
  }
  return *this;
}

void Timer::cancel() {
  if (mState && mState->id) g_source_remove(mState->id);
  mState.reset();
}

gboolean Timer::fire(gpointer data) {
  // A local reference keeps the State (and the running function) alive even if the callback
  // drops the Timer.
  const std::shared_ptr<State> state = *static_cast<std::shared_ptr<State>*>(data);
  state->fn();
  return state->repeat ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

void postToMainLoop(std::function<void()> fn) {
  auto* heap = new std::function<void()>(std::move(fn));  // owned by the idle source
  g_idle_add_full(
      G_PRIORITY_DEFAULT,
      [](gpointer data) -> gboolean {
        (*static_cast<std::function<void()>*>(data))();
        return G_SOURCE_REMOVE;
      },
      heap, [](gpointer data) { delete static_cast<std::function<void()>*>(data); });
}

}  // namespace tessera::platform
