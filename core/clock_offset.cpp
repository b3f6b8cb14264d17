#include "core/clock_offset.hpp"

#include <algorithm>
#include <cmath>

namespace tessera::core {
namespace {

struct Line {
  double intercept = 0;  // y at x = 0
  double slope = 0;      // dy/dx
};

// Weighted least squares through (x, y); flat through the mean when x does not vary.
Line fitLine(const std::vector<double>& x, const std::vector<double>& y,
             const std::vector<double>& w) {
  double sw = 0, sx = 0, sy = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    sw += w[i];
    sx += w[i] * x[i];
    sy += w[i] * y[i];
  }
  const double mx = sx / sw, my = sy / sw;
  double sxx = 0, sxy = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    sxx += w[i] * (x[i] - mx) * (x[i] - mx);
    sxy += w[i] * (x[i] - mx) * (y[i] - my);
  }
  if (sxx <= 0) return {my, 0};
  const double slope = sxy / sxx;
  return {my - slope * mx, slope};
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

}  // namespace

std::int64_t OffsetEstimate::offsetAt(std::int64_t serverNs) const {
  const double seconds = static_cast<double>(serverNs - atServerNs) / 1e9;
  return offsetNs + static_cast<std::int64_t>(std::llround(driftPpm * 1e3 * seconds));
}

WindowedOffsetFit::WindowedOffsetFit(OffsetFitSettings settings) : mSettings(settings) {
  if (mSettings.windowNs <= 0) mSettings.windowNs = 1;
  if (mSettings.windows == 0) mSettings.windows = 1;
}

void WindowedOffsetFit::add(std::int64_t atServerNs, std::int64_t offsetNs, std::int64_t costNs) {
  const std::int64_t window = atServerNs / mSettings.windowNs;
  ++mSamples;
  // Find the sample's window (almost always the newest); older than every kept window: dropped.
  auto it =
      std::find_if(mBest.begin(), mBest.end(), [&](const Point& p) { return p.window == window; });
  if (it != mBest.end()) {
    if (costNs >= it->costNs) return;
    *it = Point{window, atServerNs, offsetNs, costNs};
  } else {
    if (!mBest.empty() && window < mBest.front().window && mBest.size() >= mSettings.windows) {
      return;
    }
    const auto at =
        std::find_if(mBest.begin(), mBest.end(), [&](const Point& p) { return p.window > window; });
    mBest.insert(at, Point{window, atServerNs, offsetNs, costNs});
    if (mBest.size() > mSettings.windows) mBest.erase(mBest.begin());
  }
  refit();
}

void WindowedOffsetFit::refit() {
  // Times relative to the newest window's best sample: doubles keep ns precision there.
  const Point& ref = mBest.back();
  const auto best =
      std::min_element(mBest.begin(), mBest.end(),
                       [](const Point& a, const Point& b) { return a.costNs < b.costNs; });
  std::vector<double> x, y, w;
  for (const Point& p : mBest) {
    x.push_back(static_cast<double>(p.atNs - ref.atNs) / 1e9);
    y.push_back(static_cast<double>(p.offsetNs - ref.offsetNs));
    // A window whose best round trip was still long bounds its offset less tightly.
    const double excess = mSettings.weighByCost ? static_cast<double>(p.costNs - best->costNs) : 0;
    const double sigma = static_cast<double>(mSettings.outlierFloorNs) / 2;
    w.push_back(1 / (sigma * sigma + excess * excess));
  }
  OffsetEstimate e;
  e.atServerNs = ref.atNs;
  e.bestCostNs = best->costNs;
  Line line;
  e.windowsUsed = mBest.size();
  if (mBest.size() < 3) {
    // Too few windows for a line: the best sample's offset, flat. Over two windows a drift of
    // 100 ppm moves it by windowNs * 1e-4 at most.
    line.intercept = static_cast<double>(best->offsetNs - ref.offsetNs);
  } else {
    line = fitLine(x, y, w);
    // A window whose best sample was still poor (every round trip long, a sender's clock
    // stepping) leaves the line by more than the others scatter around it: drop it.
    std::vector<double> residuals;
    for (std::size_t i = 0; i < x.size(); ++i) {
      residuals.push_back(std::abs(y[i] - (line.intercept + line.slope * x[i])));
    }
    const double limit =
        std::max(static_cast<double>(mSettings.outlierFloorNs), 3 * 1.4826 * median(residuals));
    for (std::size_t i = x.size(); i-- > 0;) {
      if (residuals[i] > limit) w[i] = 0;
    }
    const auto kept =
        static_cast<std::size_t>(std::count_if(w.begin(), w.end(), [](double v) { return v > 0; }));
    if (kept >= 2 && kept < x.size()) {
      line = fitLine(x, y, w);
      e.windowsUsed = kept;
    }
    // A clock does not drift this fast: the points are noise, not a slope.
    const double maxSlope = mSettings.maxDriftPpm * 1e3;  // ns per s
    if (std::abs(line.slope) > maxSlope) {
      line.slope = std::clamp(line.slope, -maxSlope, maxSlope);
      double sum = 0, sw = 0;
      for (std::size_t i = 0; i < x.size(); ++i) {
        sum += w[i] * (y[i] - line.slope * x[i]);
        sw += w[i];
      }
      line.intercept = sum / sw;
    }
  }
  e.offsetNs = ref.offsetNs + static_cast<std::int64_t>(std::llround(line.intercept));
  e.driftPpm = line.slope / 1e3;
  mEstimate = e;
}

std::int64_t ExchangeSample::offsetNs() const {
  return ((t0 - t1) + (t3 - t2)) / 2;
}

std::int64_t ExchangeSample::roundTripNs() const {
  return (t3 - t0) - (t2 - t1);
}

ExchangeOffsetEstimator::ExchangeOffsetEstimator(OffsetFitSettings settings) : mFit(settings) {}

bool ExchangeOffsetEstimator::add(const ExchangeSample& s) {
  if (s.t3 < s.t0 || s.t2 < s.t1) return false;
  const std::int64_t rtt = s.roundTripNs();
  if (rtt < 0 || rtt > kMaxRoundTripNs) return false;
  mFit.add(s.t1 + (s.t2 - s.t1) / 2, s.offsetNs(), rtt);
  return true;
}

OneWayOffsetEstimator::OneWayOffsetEstimator(OffsetFitSettings settings) : mFit(settings) {}

void OneWayOffsetEstimator::add(std::int64_t senderNs, std::int64_t arrivalServerNs) {
  // sender - arrival = offset - delay: the smallest apparent delay is the best sample.
  mFit.add(arrivalServerNs, senderNs - arrivalServerNs, arrivalServerNs - senderNs);
}

}  // namespace tessera::core
