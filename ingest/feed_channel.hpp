// What one feed shares with the rest of the server: its latest frame and its status.
//
// Threads: written by the feed's GStreamer streaming thread (frames, source size) and by the
// main-loop thread (state); read by the render thread and HTTP. Every access is a short lock.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/frame.hpp"
#include "core/mailbox.hpp"
#include "core/types.hpp"

namespace tessera::ingest {

struct FeedStatus {
  core::FeedState state = core::FeedState::kConnecting;
  int sourceWidth = 0;  // as decoded, before scaling to the tile
  int sourceHeight = 0;
  double fps = 0;  // frames per second arriving, over the last second or so
  std::uint64_t frames = 0;
  std::uint64_t dropped = 0;  // frames replaced in the mailbox before anyone read them
  int restarts = 0;
  std::string lastError;
};

class FeedChannel {
 public:
  // A live feed with no frame for this long is reported as frozen.
  static constexpr std::chrono::milliseconds kFrozenAfter{2000};

  FeedChannel(core::FeedId id, core::FeedSource source, std::string uri)
      : mId(id), mSource(source), mUri(std::move(uri)) {}

  core::FeedId id() const { return mId; }
  core::FeedSource source() const { return mSource; }
  const std::string& uri() const { return mUri; }

  // Streaming thread: a new frame of the tile size.
  void pushFrame(core::FrameRef frame, int sourceWidth, int sourceHeight);
  // Main-loop thread.
  void setState(core::FeedState state, std::string error = {});
  void countRestart();

  core::LatestMailbox<core::VideoFrame>& frames() { return mFrames; }
  // True once the feed has delivered a frame (it then has something to show).
  bool hasFrame() const;
  // When the last frame arrived; nullopt before the first.
  std::optional<std::chrono::steady_clock::time_point> lastFrameAt() const;
  FeedStatus status(
      std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now()) const;

 private:
  const core::FeedId mId;
  const core::FeedSource mSource;
  const std::string mUri;
  core::LatestMailbox<core::VideoFrame> mFrames;

  mutable std::mutex mMutex;
  core::FeedState mState = core::FeedState::kConnecting;
  int mSourceWidth = 0;
  int mSourceHeight = 0;
  std::uint64_t mFrameCount = 0;
  int mRestarts = 0;
  std::string mLastError;
  std::chrono::steady_clock::time_point mLastFrame{};
  std::chrono::steady_clock::time_point mWindowStart{};
  std::uint64_t mWindowFrames = 0;
  double mFps = 0;
};

// The feeds in join order; an immutable snapshot, replaced whole when a feed comes or goes.
struct FeedTable {
  std::uint64_t version = 0;
  std::vector<std::shared_ptr<FeedChannel>> feeds;
};

}  // namespace tessera::ingest
