#include "tests/support/wait.hpp"

#include <glib.h>

#include <thread>

namespace tessera::test {

bool waitUntil(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) return pred();
    // Nothing ready: poll again shortly rather than block in GLib past the deadline.
    if (!g_main_context_iteration(nullptr, FALSE)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  return true;
}

void pumpPending() {
  while (g_main_context_iteration(nullptr, FALSE)) {
  }
}

}  // namespace tessera::test
