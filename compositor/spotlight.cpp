#include "compositor/spotlight.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

namespace tessera::compositor {
namespace {

// The worst aspect ratio (>= 1) of a row of areas summing to `sum`, laid along a side of `side`.
double worst(double sum, double smallest, double largest, double side) {
  const double s2 = sum * sum, side2 = side * side;
  return std::max(side2 * largest / s2, s2 / (side2 * smallest));
}

}  // namespace

float spotlightValue(const core::Scores& s, SpotlightScore score) {
  switch (score) {
    case SpotlightScore::kNone:
      return 0;
    case SpotlightScore::kMotion:
      return std::clamp(s.motion, 0.0f, 1.0f);
    case SpotlightScore::kFaces:
      return static_cast<float>(std::clamp(s.faces, 0, 3)) / 3;
    case SpotlightScore::kBrightness:
      return std::clamp(s.brightness, 0.0f, 1.0f);
    case SpotlightScore::kSharpness:
      return 1 - std::exp(-std::max(0.0f, s.sharpness) / 300);
  }
  return 0;
}

std::vector<core::Rect> treemap(std::span<const double> weights, const core::Rect& area) {
  std::vector<core::Rect> rects(weights.size());
  if (weights.empty() || area.w <= 0 || area.h <= 0) return rects;
  double remaining = 0;  // weight not laid out yet
  for (const double w : weights) {
    assert(w > 0);
    remaining += w;
  }
  // The remaining free rectangle, as edges.
  double left = area.x, top = area.y, right = area.right(), bottom = area.bottom();
  std::size_t i = 0;
  while (i < weights.size()) {
    const double width = right - left, height = bottom - top;
    // Area per unit of weight in what is left: rounding a row's edge to whole pixels then
    // shifts the rows after it a little instead of piling up in the last one.
    const double scale = std::max(0.0, width * height) / remaining;
    const bool vertical = width >= height;  // the row is a column along the left edge
    const double side = vertical ? height : width;
    // Grow the row while its worst aspect ratio does not get worse.
    std::size_t end = i + 1;
    double sum = weights[i] * scale, smallest = sum, largest = sum;
    while (end < weights.size()) {
      const double a = weights[end] * scale;
      const double s2 = sum + a, lo = std::min(smallest, a), hi = std::max(largest, a);
      if (worst(s2, lo, hi, side) > worst(sum, smallest, largest, side)) break;
      sum = s2;
      smallest = lo;
      largest = hi;
      ++end;
    }
    // The last row takes whatever is left, so rounding never leaves a sliver.
    const bool last = end == weights.size();
    const double thickness = last ? (vertical ? width : height) : sum / side;
    const double rowFar = (vertical ? left : top) + thickness;
    const double farEdge = std::round(last ? (vertical ? right : bottom) : rowFar);
    double along = vertical ? top : left;
    double cumulative = 0;
    for (std::size_t k = i; k < end; ++k) {
      cumulative += weights[k] * scale;
      const double next = k + 1 == end ? (vertical ? bottom : right)
                                       : (vertical ? top : left) + cumulative / thickness;
      const double a0 = std::round(along), a1 = std::round(next);
      if (vertical) {
        rects[k] = {static_cast<float>(std::round(left)), static_cast<float>(a0),
                    static_cast<float>(farEdge - std::round(left)), static_cast<float>(a1 - a0)};
      } else {
        rects[k] = {static_cast<float>(a0), static_cast<float>(std::round(top)),
                    static_cast<float>(a1 - a0), static_cast<float>(farEdge - std::round(top))};
      }
      along = next;
    }
    if (vertical) {
      left = farEdge;
    } else {
      top = farEdge;
    }
    for (std::size_t k = i; k < end; ++k) remaining -= weights[k];
    i = end;
  }
  return rects;
}

SpotlightEngine::SpotlightEngine(SpotlightParams params, core::SizePx canvas,
                                 core::SizePx tileAspect)
    : mParams(std::move(params)), mCanvas(canvas), mTileAspect(tileAspect) {
  mLayout.canvas = canvas;
}

bool SpotlightEngine::update(std::span<const core::FeedId> feeds, const core::ScoreTable* scores) {
  bool changed = false;
  if (!std::equal(feeds.begin(), feeds.end(), mFeeds.begin(), mFeeds.end())) {
    mFeeds.assign(feeds.begin(), feeds.end());
    std::erase_if(mValues, [&](const auto& e) {
      return std::find(mFeeds.begin(), mFeeds.end(), e.first) == mFeeds.end();
    });
    changed = true;
  }
  const std::uint64_t version = scores ? scores->version : 0;
  if (changed || version != mScoresVersion) {
    mScoresVersion = version;
    for (const core::FeedId id : mFeeds) {
      const core::Scores* s = scores ? scores->find(id) : nullptr;
      const float value = s ? spotlightValue(*s, mParams.score) : 0.0f;
      auto [it, inserted] = mValues.emplace(id, value);
      if (inserted) {
        changed = true;
      } else if (std::abs(value - it->second) > mParams.threshold) {
        it->second = value;
        changed = true;
      }
    }
  }
  if (changed) rebuild();
  return changed;
}

void SpotlightEngine::rebuild() {
  mLayout.tiles.clear();
  if (mFeeds.empty()) return;
  mOrder.clear();
  mWeights.clear();
  const bool pinned =
      mParams.pinned && std::find(mFeeds.begin(), mFeeds.end(), *mParams.pinned) != mFeeds.end();
  if (pinned) {
    mOrder.push_back(*mParams.pinned);
    mWeights.push_back(0);  // set below
  }
  double others = 0;
  for (const core::FeedId id : mFeeds) {
    if (pinned && id == *mParams.pinned) continue;
    mOrder.push_back(id);
    mWeights.push_back(1.0 + mParams.emphasis * mValues.at(id));
    others += mWeights.back();
  }
  if (pinned) {
    const double share = std::clamp<double>(mParams.pinnedShare, 0.01, 0.99);
    mWeights[0] = others > 0 ? others * share / (1 - share) : 1.0;
  }
  const auto rects = treemap(
      mWeights, {0, 0, static_cast<float>(mCanvas.width), static_cast<float>(mCanvas.height)});
  // Half the gap on each side of every tile: `gapPx` between tiles, half of it at the canvas edge.
  const float before = static_cast<float>(mParams.gapPx / 2);
  const float after = static_cast<float>(mParams.gapPx - mParams.gapPx / 2);
  for (std::size_t i = 0; i < mOrder.size(); ++i) {
    core::Rect r = rects[i];
    if (r.w > before + after && r.h > before + after) {
      r = {r.x + before, r.y + before, r.w - before - after, r.h - before - after};
    }
    mLayout.tiles.push_back({.feed = mOrder[i], .rect = r, .source = coverSource(r, mTileAspect)});
  }
}

}  // namespace tessera::compositor
