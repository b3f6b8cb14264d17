#include "core/feed_channel.hpp"

#include "core/percentile.hpp"
#include "core/playout.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <span>

namespace tessera::core {

const char* toString(ClockEstimate e) {
  switch (e) {
    case ClockEstimate::kNone:
      return "none";
    case ClockEstimate::kTimeline:
      return "timeline";
    case ClockEstimate::kExchange:
      return "exchange";
    case ClockEstimate::kSrArrival:
      return "sr_arrival";
  }
  return "?";
}

const char* toString(SyncState s) {
  switch (s) {
    case SyncState::kAligned:
      return "aligned";
    case SyncState::kLate:
      return "late";
    case SyncState::kUnsynced:
      return "unsynced";
  }
  return "?";
}

FeedChannel::FeedChannel(FeedId id, FeedSource source, std::string uri, std::size_t ringFrames)
    : mId(id), mSource(source), mUri(std::move(uri)), mRing(ringFrames) {}

void FeedChannel::pushFrame(std::shared_ptr<VideoFrame> frame, FrameTiming timing, int sourceWidth,
                            int sourceHeight) {
  const auto now = frame->arrival;
  const SizePx scaled{frame->width, frame->height};
  // Frames leaving the ring are released after the lock (unmapping a buffer and handing it back
  // to its pool is the streaming thread's work, never the render thread's), a few per push.
  std::array<FrameRef, 8> released;
  std::lock_guard lock(mMutex);
  // Capture time on the server's clock.
  mTimingKind = timing.kind;
  bool timed = false;
  if (timing.kind == FrameTiming::Kind::kTimeline) {
    frame->capture = fromMonotonicNs(timing.ns);
    timed = true;
  } else if (timing.kind == FrameTiming::Kind::kSender && mClockOffsetNs) {
    frame->capture = fromUnixNs(timing.ns - *mClockOffsetNs);
    timed = true;
  } else {
    frame->capture = now;
  }
  frame->capture += mConfigOffset;
  if (mCueOffset) frame->capture += *mCueOffset;
  if (timed || mCueOffset) recordLatencyLocked(toMs(now - frame->capture));
  if (mRecording) {
    if (mRecorded.size() >= kMaxRecordedFrames) mRecorded.erase(mRecorded.begin());
    mRecorded.push_back(frame);
  }
  released[0] = mRing.push(std::move(frame));
  trimLocked(std::span(released).subspan(1));

  mSourceWidth = sourceWidth;
  mSourceHeight = sourceHeight;
  mScaled = scaled;
  ++mFrameCount;
  mLastFrame = now;
  mLastFrameNs.store(now.time_since_epoch().count(), std::memory_order_relaxed);
  if (mState == FeedState::kConnecting || mState == FeedState::kRetrying) {
    mState = FeedState::kLive;
  }
  // Frame rate over windows of at least one second.
  if (mWindowFrames == 0) mWindowStart = now;
  ++mWindowFrames;
  const auto elapsed = std::chrono::duration<double>(now - mWindowStart).count();
  if (elapsed >= 1.0) {
    mFps = static_cast<double>(mWindowFrames - 1) / elapsed;
    mWindowFrames = 1;
    mWindowStart = now;
  }
}

void FeedChannel::recordLatencyLocked(double ms) {
  mLatencies[mLatencyCount % kLatencySamples] = ms;
  ++mLatencyCount;
  // Percentiles every 8 frames (and for the first ones): a sort of at most 64 numbers.
  if (mLatencyCount % 8 != 1 && mLatencyCount > 8) return;
  const std::size_t n = std::min(mLatencyCount, kLatencySamples);
  std::array<double, kLatencySamples> sorted;
  std::copy_n(mLatencies.begin(), n, sorted.begin());
  std::sort(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(n));
  const std::span<const double> window(sorted.data(), n);
  mLatencyP50 = nearestRank(window, 0.5);
  mLatencyP95 = nearestRank(window, 0.95);
}

void FeedChannel::setState(FeedState state, std::string error) {
  std::lock_guard lock(mMutex);
  mState = state;
  if (!error.empty()) mLastError = std::move(error);
}

void FeedChannel::countRestart() {
  std::lock_guard lock(mMutex);
  ++mRestarts;
}

void FeedChannel::setProtocol(std::string protocol) {
  std::lock_guard lock(mMutex);
  mProtocol = std::move(protocol);
}

void FeedChannel::setFirstFrameMs(double ms) {
  std::lock_guard lock(mMutex);
  mFirstFrameMs = ms;
}

void FeedChannel::setBitrateKbps(double kbps) {
  std::lock_guard lock(mMutex);
  mBitrateKbps = kbps;
}

void FeedChannel::setClockOffset(std::int64_t senderMinusServerNs, ClockEstimate how) {
  std::lock_guard lock(mMutex);
  mClockOffsetNs = senderMinusServerNs;
  mClockEstimate = how;
}

void FeedChannel::setConfigOffset(std::chrono::nanoseconds offset) {
  std::lock_guard lock(mMutex);
  mConfigOffset = offset;
}

void FeedChannel::setCueOffset(std::optional<std::chrono::nanoseconds> offset) {
  std::lock_guard lock(mMutex);
  mCueOffset = offset;
  mLatencyCount = 0;  // the old latencies were measured against other capture times
}

bool FeedChannel::syncedLocked() const {
  if (mCueOffset) return true;
  switch (mTimingKind) {
    case FrameTiming::Kind::kTimeline:
      return true;
    case FrameTiming::Kind::kSender:
      return mClockOffsetNs.has_value();
    case FrameTiming::Kind::kNone:
      return false;
  }
  return false;
}

SyncState FeedChannel::stateLocked(Clock::duration delay, Clock::duration maxDelay) const {
  if (!syncedLocked() || mLatencyCount == 0) return SyncState::kUnsynced;
  // Later than the playout can wait for (max_delay_ms): drawn with its newest frame.
  if (mLatencyP50 > toMs(maxDelay)) return SyncState::kLate;
  // A room clock later than the playout waits now (by more than half a frame at 30 fps) is out
  // of step. An own timeline has no room instant to be late for: when it arrives later than the
  // delay its newest frame is the nearest, drawn as it comes.
  if (roomClockLocked() && mLatencyP50 > toMs(delay) + 1000.0 / 60) return SyncState::kLate;
  return SyncState::kAligned;
}

bool FeedChannel::synced() const {
  std::lock_guard lock(mMutex);
  return syncedLocked() && mLatencyCount > 0;
}

bool FeedChannel::roomClockLocked() const {
  return mCueOffset || (mTimingKind == FrameTiming::Kind::kSender && mClockOffsetNs);
}

bool FeedChannel::setsPlayoutDelay() const {
  std::lock_guard lock(mMutex);
  return roomClockLocked() && mLatencyCount > 0;
}

double FeedChannel::latencyMsP95() const {
  std::lock_guard lock(mMutex);
  return mLatencyP95;
}

void FeedChannel::trimLocked(std::span<FrameRef> out) {
  if (!mKeepNewestOnly && !mKeepFrom) return;  // no pick yet: the ring's capacity bounds it
  for (FrameRef& slot : out) {
    slot = mRing.popTrimmable(mKeepNewestOnly ? std::nullopt : mKeepFrom);
    if (!slot) return;
  }
}

PlayoutPick FeedChannel::pick(Clock::time_point now, Clock::duration delay,
                              Clock::duration maxDelay, bool syncEnabled) {
  std::lock_guard lock(mMutex);
  return pickLocked(now, delay, maxDelay, syncEnabled);
}

std::optional<PlayoutPick> FeedChannel::tryPick(Clock::time_point now, Clock::duration delay,
                                                Clock::duration maxDelay, bool syncEnabled) {
  std::unique_lock lock(mMutex, std::try_to_lock);
  if (!lock.owns_lock()) return std::nullopt;
  return pickLocked(now, delay, maxDelay, syncEnabled);
}

bool FeedChannel::tryPlayoutNeedMs(std::optional<double>* out) const {
  std::unique_lock lock(mMutex, std::try_to_lock);
  if (!lock.owns_lock()) return false;
  *out = roomClockLocked() && mLatencyCount > 0
             ? std::optional<double>(playoutNeedMs(mLatencyP95, mFps))
             : std::nullopt;
  return true;
}

double FeedChannel::playoutNeedMs(double latencyP95Ms, double fps) {
  // Before its first second the rate is unknown: a camera's usual 30 fps.
  const double rate = fps > 0 ? std::max(fps, PlayoutDelay::kSlowestFps) : 30.0;
  return latencyP95Ms + 500.0 / rate;
}

PlayoutPick FeedChannel::pickLocked(Clock::time_point now, Clock::duration delay,
                                    Clock::duration maxDelay, bool syncEnabled) {
  const bool byCapture =
      syncEnabled && syncedLocked() && mLatencyCount > 0 && mLatencyP50 <= toMs(maxDelay);
  // What the next picks can need; the streaming thread trims the rest as it pushes.
  mKeepNewestOnly = !byCapture;
  if (!byCapture) return {mRing.takeNewest(), false};
  const auto target = now - delay;
  // A feed later than the delay (but within max_delay_ms) is drawn with the frame nearest the
  // target too, which is its newest: it is not aligned, and must not count as if it were. Nor
  // is a feed whose nearest frame is far from the instant (it stalled: its newest is old).
  PlayoutPick p{mRing.nearest(target), false};
  p.aligned = p.frame && stateLocked(delay, maxDelay) == SyncState::kAligned &&
              std::chrono::abs(p.frame->capture - target) <= kInStep;
  // The next canvas frame's target is later; a margin covers a delay that grows meanwhile.
  mKeepFrom = target - std::chrono::milliseconds(20);
  return p;
}

FrameRef FeedChannel::newest() const {
  std::lock_guard lock(mMutex);
  return mRing.newest();
}

std::optional<FrameRef> FeedChannel::tryNewest() const {
  std::unique_lock lock(mMutex, std::try_to_lock);
  if (!lock.owns_lock()) return std::nullopt;
  return mRing.newest();
}

FrameRef FeedChannel::takeNew() {
  std::lock_guard lock(mMutex);
  return mRing.takeNewestUnshown();
}

std::vector<FrameRef> FeedChannel::recentFrames() const {
  std::lock_guard lock(mMutex);
  return mRing.frames();
}

void FeedChannel::recordFrames(bool on) {
  std::vector<FrameRef> dropped;  // released outside the lock
  std::lock_guard lock(mMutex);
  mRecording = on;
  if (on) mRecorded.reserve(64);
  if (!on) dropped.swap(mRecorded);
}

std::vector<FrameRef> FeedChannel::takeRecorded() {
  std::vector<FrameRef> out;
  std::lock_guard lock(mMutex);
  out.swap(mRecorded);
  return out;
}

// These and the cached status below never wait for the channel's lock: a streaming thread in
// the idle class, preempted inside pushFrame, can hold it for as long as the machine is busy,
// and the main loop (the watchdogs, the HTTP API) and the analysis thread must not wait that
// long (see tryPick for the render thread).
bool FeedChannel::hasFrame() const {
  return mLastFrameNs.load(std::memory_order_relaxed) != 0;
}

std::optional<Clock::time_point> FeedChannel::lastFrameAt() const {
  const Clock::rep ns = mLastFrameNs.load(std::memory_order_relaxed);
  if (ns == 0) return std::nullopt;
  return Clock::time_point{Clock::duration(ns)};
}

std::optional<Clock::time_point> FeedChannel::lastActivityAt() const {
  auto last = lastFrameAt();
  const Clock::rep heldBack = mHeldBackNs.load(std::memory_order_relaxed);
  if (heldBack == 0) return last;
  const Clock::time_point held{Clock::duration(heldBack)};
  return last ? std::max(*last, held) : held;
}

FeedStatus FeedChannel::status(Clock::time_point now) const {
  // The cache's lock first, then the channel's: only readers take the former, so a reader that
  // waits for the channel (the first time) holds up other readers only.
  std::lock_guard cache(mCacheMutex);
  std::unique_lock lock(mMutex, std::try_to_lock);
  if (!lock.owns_lock() && mStatusCache) {
    // Busy: the last status, with what the atomics say now.
    FeedStatus s = *mStatusCache;
    const auto last = lastActivityAt();
    if (s.state == FeedState::kLive && last && now - *last > kFrozenAfter) {
      s.state = FeedState::kFrozen;
      s.fps = 0;
      s.bitrateKbps = 0;
    }
    s.skipped = mSkipped.load(std::memory_order_relaxed);
    return s;
  }
  if (!lock.owns_lock()) lock.lock();  // the first time only: nothing cached yet
  mStatusCache = statusLocked(now);
  return *mStatusCache;
}

FeedStatus FeedChannel::statusLocked(Clock::time_point now) const {
  FeedStatus s;
  s.state = mState;
  const Clock::rep heldBackNs = mHeldBackNs.load(std::memory_order_relaxed);
  const auto lastActivity = std::max(mLastFrame, Clock::time_point{Clock::duration(heldBackNs)});
  const bool silent = mFrameCount > 0 && now - lastActivity > kFrozenAfter;
  if (s.state == FeedState::kLive && silent) s.state = FeedState::kFrozen;
  s.sourceWidth = mSourceWidth;
  s.sourceHeight = mSourceHeight;
  s.scaledWidth = mScaled.width;
  s.scaledHeight = mScaled.height;
  s.fps = silent ? 0 : mFps;
  s.frames = mFrameCount;
  s.dropped = mRing.droppedUnshown();
  s.skipped = mSkipped.load(std::memory_order_relaxed);
  s.restarts = mRestarts;
  s.lastError = mLastError;
  s.protocol = mProtocol;
  s.firstFrameMs = mFirstFrameMs;
  s.bitrateKbps = silent ? 0 : mBitrateKbps;
  return s;
}

SyncStatus FeedChannel::syncStatus(Clock::duration delay, Clock::duration maxDelay) const {
  std::lock_guard cache(mCacheMutex);  // before the channel's, as in status()
  std::unique_lock lock(mMutex, std::try_to_lock);
  if (!lock.owns_lock() && mSyncCache) return *mSyncCache;  // busy: the last one
  if (!lock.owns_lock()) lock.lock();                       // the first time only
  mSyncCache = syncStatusLocked(delay, maxDelay);
  return *mSyncCache;
}

SyncStatus FeedChannel::syncStatusLocked(Clock::duration delay, Clock::duration maxDelay) const {
  SyncStatus s;
  s.clock = mTimingKind == FrameTiming::Kind::kTimeline ? ClockEstimate::kTimeline
            : mTimingKind == FrameTiming::Kind::kSender ? mClockEstimate
                                                        : ClockEstimate::kNone;
  s.latencyMsP50 = mLatencyP50;
  s.latencyMsP95 = mLatencyP95;
  if (mClockOffsetNs && mTimingKind == FrameTiming::Kind::kSender) {
    s.clockOffsetMs = static_cast<double>(*mClockOffsetNs) / 1e6;
  }
  if (mCueOffset) s.cueOffsetMs = toMs(*mCueOffset);
  s.configOffsetMs = toMs(mConfigOffset);
  s.ringFrames = mRing.size();
  s.state = stateLocked(delay, maxDelay);
  return s;
}

}  // namespace tessera::core
