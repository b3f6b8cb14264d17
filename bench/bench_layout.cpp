// Times the layout engines per call at 1920x1080 (grid, spotlight) and for a 32x32-cell
// photomosaic, for a range of feed counts; prints median, p99 and max. Each call is timed on its
// own in CPU time of this thread (CLOCK_THREAD_CPUTIME_ID), so other processes on a busy machine
// do not inflate the figures; each timing includes one clock read (well under a microsecond).
//
//   tessera_bench_layout [--target installations/targets/sunset.png]
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "compositor/animation.hpp"
#include "compositor/assignment.hpp"
#include "compositor/brush.hpp"
#include "compositor/layout.hpp"
#include "compositor/photomosaic.hpp"
#include "compositor/spotlight.hpp"
#include "core/synthetic_palette.hpp"
#include "platform/png.hpp"

namespace {

using namespace tessera;

double threadCpuUs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

constexpr core::SizePx kCanvas{1920, 1080};
constexpr core::SizePx kAspect{160, 120};
constexpr int kWarmupCalls = 1000;
constexpr int kTimedCalls = 20000;

struct Figures {
  double medianUs = 0;
  double p99Us = 0;
  double maxUs = 0;
};

// Keeps the optimiser from dropping calls whose result nobody reads.
volatile float gSink = 0;

Figures figuresOf(std::vector<double> us) {
  std::sort(us.begin(), us.end());
  return {us[us.size() / 2], us[us.size() * 99 / 100], us.back()};
}

// Times `call` `timed` times after `warmup` untimed calls.
Figures timeCalls(int warmup, int timed, const std::function<void()>& call) {
  for (int i = 0; i < warmup; ++i) call();
  std::vector<double> us;
  us.reserve(static_cast<std::size_t>(timed));
  for (int i = 0; i < timed; ++i) {
    const double start = threadCpuUs();
    call();
    us.push_back(threadCpuUs() - start);
  }
  return figuresOf(std::move(us));
}

std::vector<core::FeedId> feedsOf(int n) {
  std::vector<core::FeedId> feeds;
  for (int i = 0; i < n; ++i) feeds.push_back({static_cast<std::uint32_t>(i + 1)});
  return feeds;
}

// The mean colours of the built-in synthetic participants: a background of their own hue
// (golden-ratio steps, two saturations, three values) with a contrasting ball over ~9 % of it.

compositor::Rgb syntheticMean(int index) {
  const core::SyntheticColours colours = core::syntheticColours(index);
  const auto& bg = colours.background;
  const auto& fg = colours.ball;
  constexpr float kBall = 0.09f;
  return {bg[0] * (1 - kBall) + fg[0] * kBall, bg[1] * (1 - kBall) + fg[1] * kBall,
          bg[2] * (1 - kBall) + fg[2] * kBall};
}

core::ScoreTable scoresOf(const std::vector<core::FeedId>& feeds, std::uint64_t version,
                          float jitter, std::mt19937& rng) {
  core::ScoreTable t;
  t.version = version;
  std::uniform_real_distribution<float> noise(-jitter, jitter);
  for (std::size_t i = 0; i < feeds.size(); ++i) {
    const auto c = syntheticMean(static_cast<int>(i));
    core::Scores s;
    s.meanRgb = {std::clamp(c[0] + noise(rng), 0.0f, 255.0f),
                 std::clamp(c[1] + noise(rng), 0.0f, 255.0f),
                 std::clamp(c[2] + noise(rng), 0.0f, 255.0f)};
    s.motion = std::uniform_real_distribution<float>(0, 1)(rng);
    t.byFeed[feeds[i]] = s;
  }
  return t;
}

void row(const char* what, int feeds, const Figures& f) {
  std::printf("%-44s %6d %10.1f %10.1f %10.1f\n", what, feeds, f.medianUs, f.p99Us, f.maxUs);
}

}  // namespace

int main(int argc, char** argv) {
  std::string targetPath = TESSERA_SOURCE_DIR "/installations/targets/sunset.png";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::string(argv[i]) == "--target") targetPath = argv[i + 1];
  }
  std::string error;
  const auto image = platform::loadPng(targetPath, &error);
  if (!image) return std::fprintf(stderr, "%s\n", error.c_str()), 1;

  std::printf("canvas %dx%d; photomosaic 32x32 cells of %s; times in microseconds\n", kCanvas.width,
              kCanvas.height, targetPath.c_str());
  std::printf("%-44s %6s %10s %10s %10s\n", "", "feeds", "median", "p99", "max");

  // Grid: recomputed only when feeds come or go.
  for (const int n : {16, 64, 256, 1024}) {
    const auto feeds = feedsOf(n);
    row("grid: gridLayout", n, timeCalls(kWarmupCalls, kTimedCalls, [&] {
          gSink = gSink + compositor::gridLayout(feeds, kCanvas, kAspect).tiles.back().rect.x;
        }));
  }

  std::mt19937 rng(1);
  for (const int n : {256, 1024}) {
    const auto feeds = feedsOf(n);
    // Spotlight: every call sees scores that moved past the threshold, so it re-lays out.
    std::vector<core::ScoreTable> tables;
    for (int v = 0; v < 16; ++v) tables.push_back(scoresOf(feeds, v + 1, 0, rng));
    compositor::SpotlightEngine spotlight({}, kCanvas, kAspect);
    int k = 0;
    row("spotlight: re-layout on new scores", n, timeCalls(100, 2000, [&] {
          spotlight.update(feeds, &tables[k++ % tables.size()]);
          gSink = gSink + spotlight.layout().tiles.back().rect.x;
        }));
    std::vector<double> weights;
    for (int i = 0; i < n; ++i) weights.push_back(1 + (i % 7) * 0.5);
    row("spotlight: treemap alone", n, timeCalls(100, 2000, [&] {
          gSink = gSink + compositor::treemap(weights, {0, 0, 1920, 1080}).back().x;
        }));
  }

  const auto target = std::make_shared<compositor::ColourGrid>(
      compositor::reduceToCells(image->rgba, image->width, image->height,
                                static_cast<std::size_t>(image->width) * 4, 32, 32, kCanvas));
  for (const int n : {256, 1024}) {
    const auto feeds = feedsOf(n);
    const core::ScoreTable scores = scoresOf(feeds, 1, 0, rng);
    // A cold solve, all at once (what a scene's first solve costs, sliced over frames).
    std::vector<double> coldUs;
    std::uint64_t bids = 0;
    for (int i = 0; i < 20; ++i) {
      compositor::PhotomosaicParams p;
      p.target = target;
      p.budget = std::chrono::microseconds::max();
      compositor::PhotomosaicEngine engine(p, kCanvas, kAspect);
      const double start = threadCpuUs();
      engine.update(feeds, &scores, 0);
      coldUs.push_back(threadCpuUs() - start);
      bids = engine.solver().bids();
    }
    row("photomosaic: cold solve, whole", n, figuresOf(coldUs));
    std::printf("%-44s %6d %10llu\n", "  (bids in a cold solve)", n,
                static_cast<unsigned long long>(bids));

    // Re-solves as analysis results arrive: every feed's colour jitters by up to +-6 per channel
    // (camera noise, people moving), warm-started, with hysteresis.
    compositor::PhotomosaicParams p;
    p.target = target;
    p.budget = std::chrono::microseconds::max();
    p.minSolveIntervalS = 0;
    compositor::PhotomosaicEngine engine(p, kCanvas, kAspect);
    engine.update(feeds, &scores, 0);
    std::vector<core::ScoreTable> noisy;
    for (int v = 0; v < 32; ++v) noisy.push_back(scoresOf(feeds, v + 2, 6, rng));
    int k = 0;
    double t = 1;
    row("photomosaic: warm re-solve, colours jitter", n,
        timeCalls(5, 60, [&] { engine.update(feeds, &noisy[k++ % noisy.size()], t += 1); }));

    // What the render thread actually spends per frame: solves sliced to the default budget
    // (1.5 ms of wall time), scores new 5 times a second, at 30 fps, for 300 frames, from a cold
    // start.
    compositor::PhotomosaicParams live;
    live.target = target;
    compositor::PhotomosaicEngine frameEngine(live, kCanvas, kAspect);
    k = 0;
    int frame = 0;
    row("photomosaic: per frame (sliced, 30 fps)", n, timeCalls(0, 300, [&] {
          const auto& s = noisy[(frame / 6) % noisy.size()];
          frameEngine.update(feeds, &s, frame++ / 30.0);
        }));
  }

  // The animator while 1024 tiles glide, and the brush's strokes.
  for (const int n : {256, 1024}) {
    const auto feeds = feedsOf(n);
    compositor::LayoutAnimator animator(1e9);  // never settles during the bench
    animator.setTarget(compositor::gridLayout(feeds, kCanvas, kAspect), 0, false);
    auto shifted = feeds;
    std::rotate(shifted.begin(), shifted.begin() + 1, shifted.end());
    animator.setTarget(compositor::gridLayout(shifted, kCanvas, kAspect), 0, true);
    double t = 0;
    row("animation: a frame of a glide", n,
        timeCalls(100, 2000, [&] { gSink = gSink + animator.frame(t += 0.001).back().rect.x; }));
    const auto a = compositor::gridLayout(feeds, kCanvas, kAspect);
    const auto b = compositor::gridLayout(shifted, kCanvas, kAspect);
    int flip = 0;
    row("animation: a new target (matching)", n,
        timeCalls(10, 200, [&] { animator.setTarget(flip++ % 2 ? a : b, t += 0.001, true); }));
  }
  for (const int strokes : {600, 2000}) {
    compositor::BrushParams p;
    p.strokes = strokes;
    compositor::BrushEngine brush(p, kCanvas, kAspect);
    const auto feeds = feedsOf(256);
    const core::ScoreTable scores = scoresOf(feeds, 1, 0, rng);
    double t = 0;
    char what[64];
    std::snprintf(what, sizeof what, "brush: a frame of %d strokes", strokes);
    row(what, 256, timeCalls(100, 2000, [&] {
          brush.update(feeds, &scores, t += 1.0 / 30);
          gSink = gSink + brush.dabs().tiles.back().rect.x;
        }));
  }
  return 0;
}
