// Times gridLayout per call at 1920x1080 for a range of feed counts; prints median and p99.
// Each call is timed on its own, so the figures include one steady_clock read (tens of ns).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "compositor/layout.hpp"

namespace {

using Clock = std::chrono::steady_clock;

constexpr tessera::core::SizePx kCanvas{1920, 1080};
constexpr tessera::core::SizePx kAspect{160, 120};
constexpr int kWarmupCalls = 1000;
constexpr int kTimedCalls = 20000;

struct Figures {
  double medianUs = 0;
  double p99Us = 0;
};

// Keeps the optimiser from dropping calls whose result nobody reads.
volatile float gSink = 0;

Figures timeGrid(int feedCount) {
  std::vector<tessera::core::FeedId> feeds;
  for (int i = 0; i < feedCount; ++i) feeds.push_back({static_cast<std::uint32_t>(i)});

  for (int i = 0; i < kWarmupCalls; ++i) {
    gSink = gSink + tessera::compositor::gridLayout(feeds, kCanvas, kAspect).tiles.back().rect.x;
  }
  std::vector<double> callUs;
  callUs.reserve(kTimedCalls);
  for (int i = 0; i < kTimedCalls; ++i) {
    const auto start = Clock::now();
    const auto layout = tessera::compositor::gridLayout(feeds, kCanvas, kAspect);
    const auto end = Clock::now();
    gSink = gSink + layout.tiles.back().rect.x;
    callUs.push_back(std::chrono::duration<double, std::micro>(end - start).count());
  }
  std::sort(callUs.begin(), callUs.end());
  return {callUs[callUs.size() / 2], callUs[callUs.size() * 99 / 100]};
}

}  // namespace

int main() {
  std::printf("gridLayout, %dx%d canvas, %d calls per row\n", kCanvas.width, kCanvas.height,
              kTimedCalls);
  std::printf("%8s %12s %12s\n", "feeds", "median us", "p99 us");
  for (const int feedCount : {16, 64, 256, 1024}) {
    const Figures f = timeGrid(feedCount);
    std::printf("%8d %12.3f %12.3f\n", feedCount, f.medianUs, f.p99Us);
  }
  return 0;
}
