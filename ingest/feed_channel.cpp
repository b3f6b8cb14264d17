#include "ingest/feed_channel.hpp"

namespace tessera::ingest {

void FeedChannel::pushFrame(core::FrameRef frame, int sourceWidth, int sourceHeight) {
  const auto now = frame->arrival;
  mFrames.put(std::move(frame));
  std::lock_guard lock(mMutex);
  mSourceWidth = sourceWidth;
  mSourceHeight = sourceHeight;
  ++mFrameCount;
  mLastFrame = now;
  if (mState == core::FeedState::kConnecting || mState == core::FeedState::kRetrying) {
    mState = core::FeedState::kLive;
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

void FeedChannel::setState(core::FeedState state, std::string error) {
  std::lock_guard lock(mMutex);
  mState = state;
  if (!error.empty()) mLastError = std::move(error);
}

void FeedChannel::countRestart() {
  std::lock_guard lock(mMutex);
  ++mRestarts;
}

bool FeedChannel::hasFrame() const {
  std::lock_guard lock(mMutex);
  return mFrameCount > 0;
}

std::optional<std::chrono::steady_clock::time_point> FeedChannel::lastFrameAt() const {
  std::lock_guard lock(mMutex);
  if (mFrameCount == 0) return std::nullopt;
  return mLastFrame;
}

FeedStatus FeedChannel::status(std::chrono::steady_clock::time_point now) const {
  const auto counters = mFrames.counters();
  std::lock_guard lock(mMutex);
  FeedStatus s;
  s.state = mState;
  const bool silent = mFrameCount > 0 && now - mLastFrame > kFrozenAfter;
  if (s.state == core::FeedState::kLive && silent) s.state = core::FeedState::kFrozen;
  s.sourceWidth = mSourceWidth;
  s.sourceHeight = mSourceHeight;
  s.fps = silent ? 0 : mFps;
  s.frames = mFrameCount;
  s.dropped = counters.dropped;
  s.restarts = mRestarts;
  s.lastError = mLastError;
  return s;
}

}  // namespace tessera::ingest
