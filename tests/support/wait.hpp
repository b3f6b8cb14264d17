// Bounded waits for tests. Bus messages and GLib timers are delivered on the default main
// context, so every wait pumps it while it polls the condition.
//
// Thread: the thread that owns the GLib default main context (the test's main thread).
#pragma once

#include <chrono>
#include <functional>

namespace tessera::test {

// Pumps the default main context until `pred` holds or `timeout` passes. True when it held.
bool waitUntil(const std::function<bool()>& pred, std::chrono::milliseconds timeout);

// Dispatches whatever the default main context has ready, without blocking.
void pumpPending();

}  // namespace tessera::test
