#include "compositor/animation.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>

namespace tessera::compositor {
namespace {

float lerp(float a, float b, float u) {
  return a + (b - a) * u;
}

core::Rect lerp(const core::Rect& a, const core::Rect& b, float u) {
  return {lerp(a.x, b.x, u), lerp(a.y, b.y, u), lerp(a.w, b.w, u), lerp(a.h, b.h, u)};
}

Placement lerp(const Placement& a, const Placement& b, float u) {
  Placement p = b;
  p.rect = lerp(a.rect, b.rect, u);
  p.source = lerp(a.source, b.source, u);
  p.tint = {lerp(a.tint.r, b.tint.r, u), lerp(a.tint.g, b.tint.g, u), lerp(a.tint.b, b.tint.b, u),
            lerp(a.tint.amount, b.tint.amount, u)};
  p.alpha = lerp(a.alpha, b.alpha, u);
  p.rotationRad = lerp(a.rotationRad, b.rotationRad, u);
  p.z = b.z;
  return p;
}

float centreDistance2(const core::Rect& a, const core::Rect& b) {
  const float dx = (a.x + a.w / 2) - (b.x + b.w / 2);
  const float dy = (a.y + a.h / 2) - (b.y + b.h / 2);
  return dx * dx + dy * dy;
}

}  // namespace

float easeInOut(float u) {
  u = std::clamp(u, 0.0f, 1.0f);
  return u * u * (3 - 2 * u);
}

void LayoutAnimator::settle() {
  mItems.clear();
  mFrame = mTarget.tiles;
}

void LayoutAnimator::setTarget(const Layout& target, double nowS, bool animate) {
  // What is on the canvas now is where the glide starts.
  mShown = frame(nowS);
  mTarget = target;
  if (!animate || mDurationS <= 0) {
    settle();
    return;
  }
  mStartS = nowS;
  mItems.clear();
  mUsed.assign(mShown.size(), 0);
  std::unordered_multimap<core::FeedId, std::size_t> shownOf;
  shownOf.reserve(mShown.size());
  for (std::size_t i = 0; i < mShown.size(); ++i) shownOf.emplace(mShown[i].feed, i);

  std::vector<Item> entering;
  entering.reserve(target.tiles.size());
  for (const Placement& to : target.tiles) {
    // Same feed: the tile in exactly this place, else the nearest one not taken yet.
    std::size_t best = mShown.size();
    float bestD = std::numeric_limits<float>::max();
    const auto [first, last] = shownOf.equal_range(to.feed);
    for (auto it = first; it != last; ++it) {
      const std::size_t i = it->second;
      if (mUsed[i]) continue;
      if (mShown[i].rect == to.rect) {
        best = i;
        break;
      }
      const float d = centreDistance2(mShown[i].rect, to.rect);
      if (d < bestD) {
        bestD = d;
        best = i;
      }
    }
    if (best < mShown.size()) {
      mUsed[best] = 1;
      Placement from = mShown[best];
      from.z = to.z;
      entering.push_back({from, to});
    } else {
      Placement from = to;
      from.alpha = 0;
      entering.push_back({from, to});
    }
  }
  // Tiles with no place in the target fade out where they are, under the rest.
  for (std::size_t i = 0; i < mShown.size(); ++i) {
    if (mUsed[i]) continue;
    Placement from = mShown[i];
    from.z = 0;
    Placement to = from;
    to.alpha = 0;
    mItems.push_back({from, to});
  }
  mItems.insert(mItems.end(), entering.begin(), entering.end());
}

const std::vector<Placement>& LayoutAnimator::frame(double nowS) {
  if (mItems.empty()) return mFrame;
  if (!animating(nowS)) {
    settle();
    return mFrame;
  }
  const float u = easeInOut(static_cast<float>((nowS - mStartS) / mDurationS));
  mFrame.resize(mItems.size());
  for (std::size_t i = 0; i < mItems.size(); ++i) mFrame[i] = lerp(mItems[i].from, mItems[i].to, u);
  return mFrame;
}

}  // namespace tessera::compositor
