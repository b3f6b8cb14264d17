#include "compositor/brush.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <numbers>
#include <unordered_set>

namespace tessera::compositor {
namespace {

constexpr float kTwoPi = 2 * std::numbers::pi_v<float>;
// A dab is longer along the flow than across it: a brush mark, not a stamp.
constexpr float kDabLength = 1.4f;
constexpr float kDabWidth = 0.8f;
// Frames further apart than this (a stall) move strokes as if only this much time had passed.
constexpr double kMaxStepS = 0.1;
// Strokes that drift this far outside the canvas start again.
constexpr float kMarginPx = 16;

// Stream function: three drifting waves at incommensurate frequencies. Returns d(psi)/dx and
// d(psi)/dy; the velocity is (dpsi/dy, -dpsi/dx).
std::array<float, 2> streamGradient(float x, float y, double t) {
  struct Wave {
    float kx, ky, amplitude, speed, phase;
  };
  static constexpr Wave kWaves[] = {
      {1.00f, 0.80f, 1.00f, 0.11f, 0.0f},
      {-0.55f, 1.30f, 0.60f, -0.07f, 1.7f},
      {1.90f, -0.35f, 0.35f, 0.05f, 4.1f},
  };
  float gx = 0, gy = 0;
  for (const Wave& w : kWaves) {
    // psi = a sin(kx x + ky y + phase(t)) * cos(ky x - kx y + phase(t) / 2)
    const float p = static_cast<float>(w.phase + w.speed * t * kTwoPi);
    const float u = w.kx * x + w.ky * y + p;
    const float v = w.ky * x - w.kx * y + p / 2;
    const float su = std::sin(u), cu = std::cos(u), sv = std::sin(v), cv = std::cos(v);
    gx += w.amplitude * (cu * w.kx * cv - su * sv * w.ky);
    gy += w.amplitude * (cu * w.ky * cv + su * sv * w.kx);
  }
  return {gx, gy};
}

}  // namespace

std::array<float, 2> flowAt(float x, float y, double t, float scalePx) {
  const float s = kTwoPi / std::max(1.0f, scalePx);
  const auto g = streamGradient(x * s, y * s, t);
  return {g[1], -g[0]};
}

BrushEngine::BrushEngine(BrushParams params, core::SizePx canvas, core::SizePx tileAspect)
    : mParams(params), mCanvas(canvas), mTileAspect(tileAspect), mRandom(params.seed) {
  assert(mParams.strokes >= 0);
  mStrokes.resize(static_cast<std::size_t>(std::max(0, mParams.strokes)));
  mDabs.canvas = canvas;
  mDabs.tiles.reserve(mStrokes.size());
}

float BrushEngine::random01() {
  // splitmix64: the same sequence on every platform (std distributions are not).
  std::uint64_t z = (mRandom += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return static_cast<float>(z >> 40) / static_cast<float>(1ull << 24);
}

core::FeedId BrushEngine::nextFeed() {
  const core::FeedId id = mFeeds[mCursor % mFeeds.size()];
  mCursor = (mCursor + 1) % mFeeds.size();
  return id;
}

void BrushEngine::respawn(Stroke& s) {
  s.x = random01() * static_cast<float>(mCanvas.width);
  s.y = random01() * static_cast<float>(mCanvas.height);
  s.age = 0;
  s.life = mParams.lifeSeconds * (0.5f + random01());
  s.feed = nextFeed();
}

void BrushEngine::update(std::span<const core::FeedId> feeds, const core::ScoreTable* scores,
                         double nowS) {
  const bool first = mLastS < 0;
  const double dt = first ? 0.0 : std::clamp(nowS - mLastS, 0.0, kMaxStepS);
  mLastS = nowS;
  mFade = mParams.fadeSeconds > 0
              ? static_cast<float>(1 - std::exp(-dt * std::log(20.0) / mParams.fadeSeconds))
              : 1.0f;

  if (!std::equal(feeds.begin(), feeds.end(), mFeeds.begin(), mFeeds.end())) {
    mFeeds.assign(feeds.begin(), feeds.end());
    mCursor = mFeeds.empty() ? 0 : mCursor % mFeeds.size();
    // Strokes of feeds that left start again with a feed that is here; so do all strokes the
    // first time there are feeds.
    const std::unordered_set<core::FeedId> present(mFeeds.begin(), mFeeds.end());
    if (!mFeeds.empty()) {
      for (Stroke& s : mStrokes) {
        if (first || s.feed.value == 0 || !present.contains(s.feed)) respawn(s);
      }
    }
  }
  mDabs.tiles.clear();
  if (mFeeds.empty()) return;

  const float speed = mParams.flowSpeedPxS;
  for (Stroke& s : mStrokes) {
    if (s.feed.value == 0) respawn(s);  // strokes made before any feed was there
    const auto v = flowAt(s.x, s.y, nowS, mParams.flowScalePx);
    s.x += static_cast<float>(v[0] * speed * dt);
    s.y += static_cast<float>(v[1] * speed * dt);
    s.age += static_cast<float>(dt);
    if (s.age > s.life || s.x < -kMarginPx || s.y < -kMarginPx ||
        s.x > static_cast<float>(mCanvas.width) + kMarginPx ||
        s.y > static_cast<float>(mCanvas.height) + kMarginPx) {
      respawn(s);
    }
    const core::Scores* sc = scores ? scores->find(s.feed) : nullptr;
    const float motion = sc ? std::clamp(sc->motion, 0.0f, 1.0f) : 0.0f;
    // Livelier feeds paint with broader strokes.
    const float size = mParams.strokeSizePx * (0.8f + 0.4f * motion);
    const float w = size * kDabLength, h = size * kDabWidth;
    // Strokes swell in and taper out over their life.
    const float u = s.life > 0 ? s.age / s.life : 1.0f;
    const float envelope = std::min({1.0f, u / 0.15f, (1 - u) / 0.25f});
    const core::Rect rect{s.x - w / 2, s.y - h / 2, w, h};
    Tint tint;
    if (sc) {
      tint = {sc->meanRgb[0] / 255, sc->meanRgb[1] / 255, sc->meanRgb[2] / 255, mParams.tint};
    }
    mDabs.tiles.push_back({.feed = s.feed,
                           .rect = rect,
                           .source = coverSource(rect, mTileAspect),
                           .tint = tint,
                           .alpha = mParams.opacity * std::max(0.0f, envelope),
                           .rotationRad = std::atan2(v[1], v[0])});
  }
}

Layout BrushEngine::heads() const {
  Layout heads{mCanvas, {}};
  std::unordered_set<core::FeedId> seen;
  for (const Placement& p : mDabs.tiles) {
    if (seen.insert(p.feed).second) heads.tiles.push_back(p);
  }
  return heads;
}

}  // namespace tessera::compositor
