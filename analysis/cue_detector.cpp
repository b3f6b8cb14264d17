#include "analysis/cue_detector.hpp"

#include <algorithm>
#include <cmath>

#include "core/log.hpp"

namespace tessera::analysis {
namespace {

constexpr const char* kModule = "cue";
// Frames before a step over which the picture must have stayed flat.
constexpr int kFlatFrames = 3;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Where the luma crossed `level` between frames k-1 and k (linear between their captures).
core::Clock::time_point crossing(std::span<const LumaSample> s, std::size_t k, double level) {
  const double rise = s[k].luma - s[k - 1].luma;
  const double frac = rise > 0 ? std::clamp((level - s[k - 1].luma) / rise, 0.0, 1.0) : 1.0;
  const auto gap = s[k].capture - s[k - 1].capture;
  return s[k - 1].capture + std::chrono::duration_cast<core::Clock::duration>(gap * frac);
}

// The feed's usual frame interval: the median gap between its frames' capture times.
core::Clock::duration typicalPeriod(std::span<const LumaSample> s) {
  std::vector<core::Clock::duration> gaps;
  for (std::size_t k = 1; k < s.size(); ++k) gaps.push_back(s[k].capture - s[k - 1].capture);
  if (gaps.empty()) return {};
  std::nth_element(gaps.begin(), gaps.begin() + static_cast<std::ptrdiff_t>(gaps.size() / 2),
                   gaps.end());
  return gaps[gaps.size() / 2];
}

Step makeStep(std::span<const LumaSample> s, std::size_t k, double before, double after) {
  Step step{crossing(s, k, before + (after - before) / 2), k, before, after};
  step.earliest = s[k - 1].capture;
  step.latest = s[k].capture;
  step.period = typicalPeriod(s);
  step.exact = (step.latest - step.earliest) * 2 <= step.period * 3;
  return step;
}

std::chrono::nanoseconds toNs(core::Clock::duration d) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(d);
}

double msBetween(core::Clock::time_point a, core::Clock::time_point b) {
  return core::toMs(b - a);
}

}  // namespace

std::optional<Step> findBrightnessStep(std::span<const LumaSample> s, const StepParams& p) {
  const auto n = s.size();
  for (std::size_t i = static_cast<std::size_t>(std::max(kFlatFrames + 1, p.minBefore)); i + 1 < n;
       ++i) {
    const std::size_t from = i > static_cast<std::size_t>(p.baselineFrames)
                                 ? i - static_cast<std::size_t>(p.baselineFrames)
                                 : 0;
    std::vector<double> base;
    for (std::size_t k = from; k < i; ++k) base.push_back(s[k].luma);
    const double before = median(std::move(base));
    // The level reached within three frames (a camera may need two to see all of the change).
    const std::size_t end = std::min(n, i + 3);
    double after = s[i].luma;
    for (std::size_t k = i + 1; k < end; ++k) after = std::max(after, s[k].luma);
    const double rise = after - before;
    const double jump = after - s[i - 1].luma;
    if (rise < p.minRise || jump < p.minRise) continue;
    // A fade changes as much in the frames before as in these: a step comes after flat ones.
    const double drift = std::abs(s[i - 1].luma - s[i - 1 - kFlatFrames].luma);
    if (drift > p.flatShare * jump) continue;
    const double half = before + rise / 2;
    std::size_t k = i;  // the first frame at or above halfway
    while (s[k].luma < half) ++k;
    if (k + 1 >= n) return std::nullopt;  // not confirmed yet
    if (s[k + 1].luma < half) continue;   // a one-frame spike
    return makeStep(s, k, before, after);
  }
  return std::nullopt;
}

double meanLuma(const core::VideoFrame& f) {
  if (f.width <= 0 || f.height <= 0 || !f.planes[0]) return 0;
  constexpr int kStep = 4;
  double sum = 0;
  std::size_t count = 0;
  for (int y = kStep / 2; y < f.height; y += kStep) {
    const std::uint8_t* row = f.planes[0] + static_cast<std::size_t>(y) * f.planeStrides[0];
    for (int x = kStep / 2; x < f.width; x += kStep) {
      if (f.format == core::PixelFormat::kI420) {
        sum += row[x];
      } else {
        const std::uint8_t* px = row + static_cast<std::size_t>(x) * 4;
        sum += 0.299 * px[0] + 0.587 * px[1] + 0.114 * px[2];
      }
      ++count;
    }
  }
  return count ? sum / static_cast<double>(count) : 0;
}

std::optional<core::Clock::time_point> referenceInstant(std::span<const FeedStep> steps) {
  const bool anyExact =
      std::any_of(steps.begin(), steps.end(), [](const FeedStep& f) { return f.step && f.exact; });
  std::vector<core::Clock::time_point> synced, all;
  for (const FeedStep& f : steps) {
    if (!f.step || (anyExact && !f.exact)) continue;
    all.push_back(*f.step);
    if (f.synced) synced.push_back(*f.step);
  }
  if (!synced.empty()) {
    std::sort(synced.begin(), synced.end());
    return synced[synced.size() / 2];
  }
  if (all.empty()) return std::nullopt;
  return *std::min_element(all.begin(), all.end());
}

namespace {

// How far the feed's step is from the reference, as far as its frames prove (see the header).
std::chrono::nanoseconds residual(const FeedStep& f, core::Clock::time_point reference) {
  core::Clock::time_point at = *f.step;
  if (!f.exact && f.earliest && f.latest) {
    // (Ordered: capture times out of order must not make an empty range.)
    at = std::clamp(reference, std::min(*f.earliest, *f.latest), std::max(*f.earliest, *f.latest));
  }
  const auto r = toNs(at - reference);
  if (f.synced && f.period > core::Clock::duration::zero() && std::chrono::abs(r) * 2 < f.period) {
    return std::chrono::nanoseconds::zero();
  }
  return r;
}

// One watched feed's step and what resolveOffsets() needs with it.
FeedStep feedStep(core::FeedChannel& channel, bool synced, std::span<const LumaSample> samples) {
  FeedStep s{channel.id(), std::nullopt, synced, {}};
  if (const auto step = findBrightnessStep(samples)) {
    s.step = step->time;
    s.earliest = step->earliest;
    s.latest = step->latest;
    s.period = step->period;
    s.exact = step->exact;
  }
  const auto status = channel.syncStatus({}, {});
  if (status.cueOffsetMs) {
    s.cueOffset = std::chrono::nanoseconds(std::llround(*status.cueOffsetMs * 1e6));
  }
  return s;
}

}  // namespace

std::vector<CueFeedResult> resolveOffsets(std::span<const FeedStep> steps,
                                          core::Clock::time_point cueTime) {
  const auto reference = referenceInstant(steps);
  std::vector<CueFeedResult> out;
  for (const FeedStep& f : steps) {
    CueFeedResult r{f.id, std::nullopt, std::nullopt};
    if (f.step && reference) {
      r.stepMs = msBetween(cueTime, *f.step);
      r.offsetMs = core::toMs(f.cueOffset - residual(f, *reference));
    }
    out.push_back(r);
  }
  return out;
}

void CueDetector::start(std::uint64_t id, bool flash, core::Clock::time_point at,
                        std::vector<std::shared_ptr<core::FeedChannel>> feeds,
                        core::Clock::duration window) {
  cancel();
  mReport = CueReport{id, flash, false, at, {}};
  mEnd = at + window;
  for (auto& c : feeds) {
    c->recordFrames(true);
    mReport.feeds.push_back({c->id(), std::nullopt, std::nullopt});  // waiting
    mFeeds.push_back(Watched{std::move(c), false, {}});
    mFeeds.back().synced = mFeeds.back().channel->synced();
  }
  mRunning = true;
}

void CueDetector::setReference(core::Clock::time_point at) {
  mReport.at = at;
}

bool CueDetector::poll(core::Clock::time_point now) {
  if (!mRunning) return false;
  readFrames();
  if (now < mEnd) return false;
  finish();
  return true;
}

void CueDetector::readFrames() {
  for (Watched& w : mFeeds) {
    for (const core::FrameRef& f : w.channel->takeRecorded()) {
      if (w.samples.size() >= core::FeedChannel::kMaxRecordedFrames * 2) break;  // bounded
      w.samples.push_back({f->capture, meanLuma(*f)});
    }
  }
}

void CueDetector::finish() {
  std::vector<FeedStep> steps;
  for (Watched& w : mFeeds) {
    w.channel->recordFrames(false);
    steps.push_back(feedStep(*w.channel, w.synced, w.samples));
  }
  mReport.feeds = resolveOffsets(steps, mReport.at);
  const auto inexact = static_cast<std::size_t>(std::count_if(
      steps.begin(), steps.end(), [](const FeedStep& f) { return f.step && !f.exact; }));
  std::size_t found = 0;
  for (std::size_t i = 0; i < mFeeds.size(); ++i) {
    const CueFeedResult& r = mReport.feeds[i];
    if (!r.offsetMs) {
      core::logInfo(kModule, "cue {}: feed {}: no brightness step in {} frames", mReport.id,
                    r.id.value, mFeeds[i].samples.size());
      continue;
    }
    ++found;
    mFeeds[i].channel->setCueOffset(std::chrono::nanoseconds(std::llround(*r.offsetMs * 1e6)));
    core::logDebug(kModule, "cue {}: feed {}: step at {:+.1f} ms, offset {:+.1f} ms", mReport.id,
                   r.id.value, *r.stepMs, *r.offsetMs);
  }
  core::logInfo(kModule, "cue {}: steps found in {} of {} feeds ({} with frames missing around it)",
                mReport.id, found, mFeeds.size(), inexact);
  mFeeds.clear();
  mRunning = false;
  mReport.done = true;
}

void CueDetector::cancel() {
  for (Watched& w : mFeeds) w.channel->recordFrames(false);
  mFeeds.clear();
  mRunning = false;
}

}  // namespace tessera::analysis
