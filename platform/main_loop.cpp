#include "platform/main_loop.hpp"

namespace tessera::platform {

Timer::Timer(std::chrono::milliseconds delay, std::function<void()> fn, bool repeat)
    : mState(std::make_unique<State>()) {
  mState->repeat = repeat;
  mState->fn = std::move(fn);
  mState->id = g_timeout_add(static_cast<guint>(delay.count()), &Timer::fire, mState.get());
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
  auto* state = static_cast<State*>(data);
  if (state->repeat) {
    state->fn();
    return G_SOURCE_CONTINUE;
  }
  // A one-shot callback may drop its own Timer (and `state`): run it from a local copy and touch
  // nothing of `state` afterwards.
  state->id = 0;  // GLib drops the source when we return G_SOURCE_REMOVE
  auto fn = std::move(state->fn);
  fn();
  return G_SOURCE_REMOVE;
}

}  // namespace tessera::platform
