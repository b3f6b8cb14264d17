// The nearest-rank percentile, the one the playout, the feeds' latencies and the render
// statistics share (so "p95" means the same everywhere).
#pragma once

#include <algorithm>
#include <cmath>
#include <span>

namespace tessera::core {

// The value at rank ceil(p * n) (at least 1) of `sorted` (ascending); 0 when empty.
inline double nearestRank(std::span<const double> sorted, double p) {
  if (sorted.empty()) return 0;
  const auto k = static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return sorted[std::clamp<std::size_t>(k, 1, sorted.size()) - 1];
}

}  // namespace tessera::core
