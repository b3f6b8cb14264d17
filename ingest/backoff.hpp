// The wait before a failed feed's next attempt: doubling from `first` up to `max`, then
// stretched by up to half again at random (`unit` in [0, 1)), so fifty cameras behind one
// switch that went down do not all reconnect in the same instant. Pure; the caller draws
// `unit`. Never shorter than the doubling step, never longer than 1.5 * max.
#pragma once

#include <algorithm>
#include <chrono>

namespace tessera::ingest {

inline std::chrono::milliseconds retryDelay(int attempt, double unit,
                                            std::chrono::milliseconds first,
                                            std::chrono::milliseconds max) {
  const std::chrono::milliseconds doubled = first * (1 << std::clamp(attempt, 0, 20));
  const std::chrono::milliseconds step = std::min(max, doubled);
  const double stretch = 1.0 + 0.5 * std::clamp(unit, 0.0, 1.0);
  return std::chrono::milliseconds(static_cast<long long>(step.count() * stretch));
}

}  // namespace tessera::ingest
