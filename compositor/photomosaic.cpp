#include "compositor/photomosaic.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

namespace tessera::compositor {
namespace {

float srgbToLinear(float c) {
  c /= 255.0f;
  return c <= 0.04045f ? c / 12.92f : std::pow((c + 0.055f) / 1.055f, 2.4f);
}

float labF(float t) {
  constexpr float kDelta = 6.0f / 29.0f;
  return t > kDelta * kDelta * kDelta ? std::cbrt(t) : t / (3 * kDelta * kDelta) + 4.0f / 29.0f;
}

// sRGB (0..255) to CIELAB under D65.
Rgb toLab(const Rgb& c) {
  const float r = srgbToLinear(c[0]), g = srgbToLinear(c[1]), b = srgbToLinear(c[2]);
  const float x = (0.4124f * r + 0.3576f * g + 0.1805f * b) / 0.95047f;
  const float y = 0.2126f * r + 0.7152f * g + 0.0722f * b;
  const float z = (0.0193f * r + 0.1192f * g + 0.9505f * b) / 1.08883f;
  const float fx = labF(x), fy = labF(y), fz = labF(z);
  return {116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)};
}

float distance2(const Rgb& a, const Rgb& b) {
  const float d0 = a[0] - b[0], d1 = a[1] - b[1], d2 = a[2] - b[2];
  return d0 * d0 + d1 * d1 + d2 * d2;
}

// Costs are delta E in eighths: whole numbers fine enough for the assignment.
constexpr float kCostPerDeltaE = 8;

}  // namespace

float deltaE2(const Rgb& a, const Rgb& b) {
  return distance2(toLab(a), toLab(b));
}

ColourGrid reduceToCells(std::span<const std::uint8_t> rgba, int width, int height,
                         std::size_t strideBytes, int columns, int rows, core::SizePx canvas,
                         Rgb background) {
  assert(columns > 0 && rows > 0 && width > 0 && height > 0);
  assert(strideBytes >= static_cast<std::size_t>(width) * 4);
  assert(rgba.size() >= strideBytes * static_cast<std::size_t>(height - 1) + width * 4u);
  ColourGrid grid;
  grid.columns = columns;
  grid.rows = rows;
  grid.cells.assign(static_cast<std::size_t>(columns) * rows, background);

  // The part of the image that covers the canvas.
  const double canvasAspect = canvas.width > 0 && canvas.height > 0
                                  ? static_cast<double>(canvas.width) / canvas.height
                                  : static_cast<double>(width) / height;
  double x0 = 0, y0 = 0, w = width, h = height;
  if (w / h > canvasAspect) {
    w = h * canvasAspect;
    x0 = (width - w) / 2;
  } else {
    h = w / canvasAspect;
    y0 = (height - h) / 2;
  }
  const double cellW = w / columns, cellH = h / rows;
  for (int row = 0; row < rows; ++row) {
    const double top = y0 + row * cellH, bottom = top + cellH;
    for (int column = 0; column < columns; ++column) {
      const double left = x0 + column * cellW, right = left + cellW;
      double sum[3] = {0, 0, 0}, area = 0;
      for (int py = static_cast<int>(std::floor(top)); py < std::ceil(bottom) && py < height;
           ++py) {
        const double wy = std::min<double>(py + 1, bottom) - std::max<double>(py, top);
        if (wy <= 0) continue;
        const std::uint8_t* line = rgba.data() + strideBytes * static_cast<std::size_t>(py);
        for (int px = static_cast<int>(std::floor(left)); px < std::ceil(right) && px < width;
             ++px) {
          const double wx = std::min<double>(px + 1, right) - std::max<double>(px, left);
          if (wx <= 0) continue;
          const std::uint8_t* p = line + static_cast<std::size_t>(px) * 4;
          const double a = p[3] / 255.0;
          for (int k = 0; k < 3; ++k) sum[k] += wx * wy * (a * p[k] + (1 - a) * background[k]);
          area += wx * wy;
        }
      }
      if (area > 0) {
        grid.cells[static_cast<std::size_t>(row) * columns + column] = {
            static_cast<float>(sum[0] / area), static_cast<float>(sum[1] / area),
            static_cast<float>(sum[2] / area)};
      }
    }
  }
  return grid;
}

std::vector<core::Rect> cellRects(core::SizePx canvas, int columns, int rows) {
  std::vector<core::Rect> rects;
  if (columns <= 0 || rows <= 0) return rects;
  rects.reserve(static_cast<std::size_t>(columns) * rows);
  // Integer edges: neighbouring cells share an edge, so they tile the canvas without gaps.
  const auto edge = [](int i, int count, int size) {
    return static_cast<float>(static_cast<std::int64_t>(i) * size / count);
  };
  for (int row = 0; row < rows; ++row) {
    const float top = edge(row, rows, canvas.height), bottom = edge(row + 1, rows, canvas.height);
    for (int column = 0; column < columns; ++column) {
      const float left = edge(column, columns, canvas.width);
      const float right = edge(column + 1, columns, canvas.width);
      rects.push_back({left, top, right - left, bottom - top});
    }
  }
  return rects;
}

PhotomosaicEngine::PhotomosaicEngine(PhotomosaicParams params, core::SizePx canvas,
                                     core::SizePx tileAspect)
    : mParams(std::move(params)), mCanvas(canvas), mTileAspect(tileAspect) {
  assert(mParams.target);
  mCellRects = cellRects(canvas, mParams.target->columns, mParams.target->rows);
  mCells = static_cast<int>(mCellRects.size());
  mCellSources.reserve(mCellRects.size());
  for (const auto& r : mCellRects) mCellSources.push_back(coverSource(r, tileAspect));
  mCellLab.reserve(mCellRects.size());
  for (const auto& c : mParams.target->cells) mCellLab.push_back(toLab(c));
  mLayout.canvas = canvas;
}

bool PhotomosaicEngine::update(std::span<const core::FeedId> feeds, const core::ScoreTable* scores,
                               double nowS) {
  // The budget covers everything here, building a new solve's costs included.
  const auto started = std::chrono::steady_clock::now();
  bool changed = false;
  const bool feedsChanged = !std::equal(feeds.begin(), feeds.end(), mFeeds.begin(), mFeeds.end());
  if (feedsChanged) {
    mFeeds.assign(feeds.begin(), feeds.end());
    mPresent.clear();
    mPresent.insert(mFeeds.begin(), mFeeds.end());
    std::erase_if(mColours, [&](const auto& entry) { return !mPresent.contains(entry.first); });
    mDirty = true;
  }
  const std::uint64_t version = scores ? scores->version : 0;
  if (feedsChanged || version != mScoresVersion) {
    mScoresVersion = version;
    const float noise2 = mParams.colourNoise * mParams.colourNoise;
    for (const core::FeedId id : mFeeds) {
      const core::Scores* s = scores ? scores->find(id) : nullptr;
      const Rgb rgb = s ? Rgb{s->meanRgb[0], s->meanRgb[1], s->meanRgb[2]} : mParams.unknown;
      const auto it = mColours.find(id);
      if (it == mColours.end()) {
        mColours.emplace(id, FeedColour{rgb, toLab(rgb)});
        mDirty = true;
      } else if (const Rgb lab = toLab(rgb); distance2(lab, it->second.lab) > noise2) {
        it->second = {rgb, lab};
        mDirty = true;
      }
    }
  }
  if (feedsChanged) changed = patchDeparted();

  const auto remaining = [&] {
    const auto spent = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - started);
    return mParams.budget == std::chrono::microseconds::max()
               ? mParams.budget
               : std::max(std::chrono::microseconds(1), mParams.budget - spent);
  };
  if (!mSolver.finished()) {
    if (mSolver.run(remaining())) {
      applyResult();
      changed = true;
    }
  } else if (mDirty && (feedsChanged || nowS - mLastSolveStartS >= mParams.minSolveIntervalS)) {
    mLastSolveStartS = nowS;
    startSolve();
    if (mSolver.run(remaining())) {
      applyResult();
      changed = true;
    }
  }
  if (changed) rebuildLayout();
  return changed;
}

void PhotomosaicEngine::startSolve() {
  mDirty = false;
  mSolveFeeds = mFeeds;
  const int n = static_cast<int>(mSolveFeeds.size());
  if (n == 0 || mCells == 0) {
    mSolver.start({});
    return;
  }
  // Delta E between every cell and feed, in structure-of-arrays form so that the loop over feeds
  // vectorises.
  mFeedL.resize(n);
  mFeedA.resize(n);
  mFeedB.resize(n);
  mIndexOf.clear();
  for (int f = 0; f < n; ++f) {
    const Rgb& lab = mColours.at(mSolveFeeds[f]).lab;
    mFeedL[f] = lab[0];
    mFeedA[f] = lab[1];
    mFeedB[f] = lab[2];
    mIndexOf.emplace(mSolveFeeds[f], f);
  }
  mCosts.resize(static_cast<std::size_t>(mCells) * n);
  constexpr auto kMax = static_cast<float>(BalancedAssignment::kMaxCost);
  for (int c = 0; c < mCells; ++c) {
    const Rgb& lab = mCellLab[c];
    std::int32_t* row = mCosts.data() + static_cast<std::size_t>(c) * n;
    for (int f = 0; f < n; ++f) {
      const float dl = lab[0] - mFeedL[f], da = lab[1] - mFeedA[f], db = lab[2] - mFeedB[f];
      const float cost =
          std::min(kMax, std::sqrt(dl * dl + da * da + db * db) * kCostPerDeltaE + 0.5f);
      row[f] = static_cast<std::int32_t>(cost);
    }
  }
  BalancedAssignment::Problem problem{.cells = mCells, .feeds = n, .costs = mCosts};
  // Looser bounds on uses when reuse > 1, and only while there are at least as many cells as
  // feeds (with fewer cells, as many different people as possible are shown).
  const double share = static_cast<double>(mCells) / n;
  if (mParams.reuse > 1 && share >= 1) {
    problem.minUses = std::max(1, static_cast<int>(share / mParams.reuse));
    problem.maxUses = static_cast<int>(std::ceil(share * mParams.reuse));
  }
  if (mCellFeed.size() == static_cast<std::size_t>(mCells)) {
    mKeep.resize(static_cast<std::size_t>(mCells));
    for (int c = 0; c < mCells; ++c) {
      const auto it = mIndexOf.find(mCellFeed[c]);
      mKeep[c] = it == mIndexOf.end() ? -1 : it->second;
    }
    problem.keep = mKeep;
    problem.keepBonus = static_cast<std::int32_t>(std::lround(mParams.hysteresis * kCostPerDeltaE));
  }
  if (!mPriceOf.empty()) {
    mPrices.resize(static_cast<std::size_t>(n));
    for (int f = 0; f < n; ++f) {
      const auto it = mPriceOf.find(mSolveFeeds[f]);
      mPrices[f] = it == mPriceOf.end() ? 0.0 : it->second;
    }
    problem.prices = mPrices;
  }
  mSolver.start(problem);
}

void PhotomosaicEngine::applyResult() {
  ++mSolvesFinished;
  const auto result = mSolver.result();
  if (result.empty()) {
    mCellFeed.clear();
  } else {
    mCellFeed.resize(result.size());
    for (std::size_t c = 0; c < result.size(); ++c) mCellFeed[c] = mSolveFeeds[result[c]];
    mPriceOf.clear();
    const auto prices = mSolver.feedPrices();
    for (std::size_t f = 0; f < mSolveFeeds.size(); ++f) mPriceOf[mSolveFeeds[f]] = prices[f];
  }
  patchDeparted();  // feeds that left while the solve ran
}

int PhotomosaicEngine::nearestFeed(int cell) const {
  int best = -1;
  float bestD = std::numeric_limits<float>::max();
  for (int f = 0; f < static_cast<int>(mFeedLab.size()); ++f) {
    const float d = distance2(mCellLab[cell], mFeedLab[f]);
    if (d < bestD) {
      bestD = d;
      best = f;
    }
  }
  return best;
}

bool PhotomosaicEngine::patchDeparted() {
  if (mFeeds.empty() || mCells == 0) {
    const bool had = !mCellFeed.empty();
    mCellFeed.clear();
    return had;
  }
  bool changed = false;
  mFeedLab.clear();
  for (const core::FeedId id : mFeeds) mFeedLab.push_back(mColours.at(id).lab);
  if (mCellFeed.size() != static_cast<std::size_t>(mCells)) {
    // Nothing assigned yet: each cell its nearest feed, until the balanced solve is done.
    mCellFeed.resize(static_cast<std::size_t>(mCells));
    for (int c = 0; c < mCells; ++c) mCellFeed[c] = mFeeds[nearestFeed(c)];
    return true;
  }
  for (int c = 0; c < mCells; ++c) {
    if (!mPresent.contains(mCellFeed[c])) {
      mCellFeed[c] = mFeeds[nearestFeed(c)];
      changed = true;
    }
  }
  return changed;
}

void PhotomosaicEngine::rebuildLayout() {
  mLayout.tiles.clear();
  if (mCellFeed.empty()) return;
  const float amount = mParams.tint;
  for (int c = 0; c < mCells; ++c) {
    const Rgb& colour = mParams.target->cells[c];
    mLayout.tiles.push_back({.feed = mCellFeed[c],
                             .rect = mCellRects[c],
                             .source = mCellSources[c],
                             .tint = {colour[0] / 255, colour[1] / 255, colour[2] / 255, amount}});
  }
}

}  // namespace tessera::compositor
