// The frame bus: what one feed shares with every later stage. Its recent frames (a FrameRing,
// each frame with its capture time on the server's clock), the clock offsets that put its
// timestamps on that clock, and its status.
//
// Threads: frames and source size come from the feed's GStreamer streaming thread; state, the
// clock offset and the cue offset from the main-loop thread; the render thread picks frames,
// the analysis thread and HTTP peek. Every access is one short lock; no reader ever blocks a
// streaming thread on its own work.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/frame.hpp"
#include "core/frame_ring.hpp"
#include "core/time.hpp"
#include "core/types.hpp"

namespace tessera::core {

// What a source says about when a frame was taken.
struct FrameTiming {
  enum class Kind {
    kNone,      // nothing usable (a live source without RTCP): capture = arrival
    kTimeline,  // `ns` is on CLOCK_MONOTONIC: the pipeline's base time + the buffer's running
                // time (synthetic feeds and files: their own timeline from when they started)
    kSender,    // `ns` is the sender's wall clock as Unix ns (RTCP Sender Reports' NTP time)
  };
  Kind kind = Kind::kNone;
  std::int64_t ns = 0;
};

// How a feed's sender clock is tied to the server's.
enum class ClockEstimate {
  kNone,       // no estimate (yet): the feed is unsynced
  kTimeline,   // the server's own clock (synthetic feeds, files)
  kExchange,   // the join page's NTP-style exchange with the server
  kSrArrival,  // from the Sender Reports' arrival (the smallest one-way delay seen)
};
const char* toString(ClockEstimate e);

enum class SyncState { kAligned, kLate, kUnsynced };
const char* toString(SyncState s);

struct SyncStatus {
  SyncState state = SyncState::kUnsynced;
  ClockEstimate clock = ClockEstimate::kNone;
  double latencyMsP50 = 0;  // capture to arrival, over the last couple of seconds
  double latencyMsP95 = 0;
  std::optional<double> clockOffsetMs;  // sender clock minus server clock
  std::optional<double> cueOffsetMs;    // the correction the last cue applied
  double configOffsetMs = 0;            // [[ingest.pull]] offset_ms
  std::size_t ringFrames = 0;           // frames held for the playout
};

struct FeedStatus {
  FeedState state = FeedState::kConnecting;
  int sourceWidth = 0;  // as decoded, before scaling to the tile
  int sourceHeight = 0;
  int scaledWidth = 0;  // the newest frame: as scaled for its tile (core/tile_scale.hpp)
  int scaledHeight = 0;
  double fps = 0;  // frames per second arriving, over the last second or so
  std::uint64_t frames = 0;
  std::uint64_t dropped = 0;  // frames that left the ring without being shown
  // Frames the feed's decoder or sink skipped because they came too late (a busy machine: feed
  // threads give way to the canvas, see ingest::Feed).
  std::uint64_t skipped = 0;
  int restarts = 0;
  std::string lastError;
  // Pulled feeds: "rtsp", "rtmp", "srt", "hls", "mjpeg", ... (empty for others), the time from
  // the last (re)connection to its first frame, and the compressed video bitrate.
  std::string protocol;
  std::optional<double> firstFrameMs;
  double bitrateKbps = 0;
};

// The playout's choice for one feed in one canvas frame.
struct PlayoutPick {
  FrameRef frame;  // null before the first frame
  // Chosen by capture time for a feed in step (SyncState::kAligned), within kInStep of the
  // instant drawn.
  bool aligned = false;
};

class FeedChannel {
 public:
  // A live feed with no frame for this long is reported as frozen.
  static constexpr std::chrono::milliseconds kFrozenAfter{2000};
  // Frames a ring holds at most: a second at 30 fps and a margin (max_delay_ms bounds use).
  static constexpr std::size_t kDefaultRingFrames = 40;
  // A pick this far from the instant drawn is not in step (a feed that stalled): 1.5 frames of
  // a 15 fps camera.
  static constexpr std::chrono::milliseconds kInStep{100};
  // Capture-to-arrival latencies kept for the percentiles.
  static constexpr std::size_t kLatencySamples = 64;

  FeedChannel(FeedId id, FeedSource source, std::string uri,
              std::size_t ringFrames = kDefaultRingFrames);

  FeedId id() const { return mId; }
  FeedSource source() const { return mSource; }
  const std::string& uri() const { return mUri; }

  // Streaming thread: a new frame of the tile size with its source's timing. The channel sets
  // its capture time; `frame->arrival` must be set.
  void pushFrame(std::shared_ptr<VideoFrame> frame, FrameTiming timing, int sourceWidth,
                 int sourceHeight);
  // Older callers and tests: no timing (capture = arrival).
  void pushFrame(std::shared_ptr<VideoFrame> frame, int sourceWidth, int sourceHeight) {
    pushFrame(std::move(frame), FrameTiming{}, sourceWidth, sourceHeight);
  }

  // Main-loop thread.
  void setState(FeedState state, std::string error = {});
  void countRestart();
  // Any thread: one frame skipped before the ring (FeedStatus::skipped).
  void countSkipped() { mSkipped.fetch_add(1, std::memory_order_relaxed); }
  // Pulled feeds (any thread): what FeedStatus reports about the connection.
  void setProtocol(std::string protocol);
  void setFirstFrameMs(double ms);
  void setBitrateKbps(double kbps);
  // The sender's clock minus the server's (Unix ns), and how it was found. Frames with
  // kSender timing are unsynced until the first one.
  void setClockOffset(std::int64_t senderMinusServerNs, ClockEstimate how);
  // Added to every capture time: [[ingest.pull]] offset_ms.
  void setConfigOffset(std::chrono::nanoseconds offset);
  // The last cue's correction, added to capture times; it also aligns a feed without timing.
  void setCueOffset(std::optional<std::chrono::nanoseconds> offset);
  // Whether the scene may lay the feed out: off while it waits for the operator's approval or
  // is hidden (core/moderation.hpp). Its frames still arrive and are analysed.
  void setOnCanvas(bool on) { mOnCanvas.store(on, std::memory_order_relaxed); }
  bool onCanvas() const { return mOnCanvas.load(std::memory_order_relaxed); }
  // Whether the scene draws the feed (render thread, when the layout changes): a feed with a
  // picture but no tile (hidden, waiting, beyond a photomosaic's cells) is decoded at its
  // keyframes only (ingest::KeyframeGate). True until the render thread says otherwise.
  void setShown(bool shown) { mShown.store(shown, std::memory_order_relaxed); }
  bool shown() const { return mShown.load(std::memory_order_relaxed); }
  // The size, in canvas pixels, the feed's whole picture would have where the scene draws it
  // largest (a tile showing part of the picture needs the whole at more than the tile's size):
  // what a participant's phone needs to send at most (render thread, with setShown). 0x0 when
  // the scene may draw it at any size (brush and shader scenes) or before the first layout.
  void setDrawnSize(SizePx size) { mDrawnSize.store(packSize(size), std::memory_order_relaxed); }
  SizePx drawnSize() const { return unpackSize(mDrawnSize.load(std::memory_order_relaxed)); }

  // Render thread: the frame to draw for a canvas frame at `now` with the playout `delay`.
  // Unsynced feeds, feeds later than `maxDelay` and `syncEnabled == false` get the newest. The
  // ring drops what no later pick can need as the next frames are pushed (streaming thread).
  PlayoutPick pick(Clock::time_point now, Clock::duration delay, Clock::duration maxDelay,
                   bool syncEnabled);
  // The render thread's pick: nullopt, at once, when another thread holds the channel. Feed
  // threads run in the idle scheduling class, and one preempted inside pushFrame could keep
  // the CPU from coming back to it for many milliseconds: the canvas never waits for a feed
  // (it draws that feed's last picture again).
  std::optional<PlayoutPick> tryPick(Clock::time_point now, Clock::duration delay,
                                     Clock::duration maxDelay, bool syncEnabled);
  // Likewise for the auto delay: false at once when the channel is busy; else true with `out`
  // the delay this feed needs (playoutNeedMs), nullopt when it does not set the delay
  // (setsPlayoutDelay).
  bool tryPlayoutNeedMs(std::optional<double>* out) const;
  // The playout delay that lets this feed's frame nearest the instant drawn have arrived: its
  // latency's 95th percentile plus half its frame interval (the nearest frame may be taken that
  // much after the instant). A feed under PlayoutDelay::kSlowestFps counts as that rate: waiting
  // half a second for a 1 fps trickle (a tile the scene hides) would delay every tile for a
  // picture nobody sees.
  static double playoutNeedMs(double latencyP95Ms, double fps);
  // Tests: holds the channel as a streaming thread inside pushFrame does.
  std::unique_lock<std::mutex> lockForTest() { return std::unique_lock(mMutex); }

  // The newest frame (analysis, tools); null before the first.
  FrameRef newest() const;
  // The analysis thread's: nullopt, at once, while a streaming thread holds the channel.
  std::optional<FrameRef> tryNewest() const;
  // The newest frame if nobody took or picked it yet (tests, tools), else null.
  FrameRef takeNew();
  // The frames still held, oldest first.
  std::vector<FrameRef> recentFrames() const;
  // Any thread: while on, every frame pushed is also kept until taken (at most
  // kMaxRecordedFrames; beyond, the oldest go), so a reader that must see every frame (the
  // cue's step detector) misses none however the playout trims the ring. Off drops them.
  static constexpr std::size_t kMaxRecordedFrames = 256;
  void recordFrames(bool on);
  std::vector<FrameRef> takeRecorded();
  bool hasFrame() const;
  std::optional<Clock::time_point> lastFrameAt() const;
  // Any thread: compressed video arrived and was not decoded on purpose (a feed the scene does
  // not draw is decoded at its keyframes only). The feed is alive though no frame comes.
  void noteMediaHeldBack() {
    mHeldBackNs.store(Clock::now().time_since_epoch().count(), std::memory_order_relaxed);
  }
  // The last frame or held-back video, whichever is later: what the stall and silence
  // watchdogs and "frozen" go by. Null before either.
  std::optional<Clock::time_point> lastActivityAt() const;
  FeedStatus status(Clock::time_point now = Clock::now()) const;
  // With the playout's current delay and max delay, which decide aligned or late.
  SyncStatus syncStatus(Clock::duration delay, Clock::duration maxDelay) const;
  // Whether the feed's capture times are usable for the playout (and its latency counts for
  // the auto delay), and its latency's 95th percentile.
  bool synced() const;
  // Whether the feed films the room on a clock the playout waits for (a sender's clock mapped
  // onto the server's, or a cue's correction): only these set the auto delay. Own timelines
  // (files, synthetic feeds) have no room instant, and waiting for a file decoder that falls
  // behind would only hold more frames and delay every tile.
  bool setsPlayoutDelay() const;
  double latencyMsP95() const;

 private:
  FeedStatus statusLocked(Clock::time_point now) const;
  SyncStatus syncStatusLocked(Clock::duration delay, Clock::duration maxDelay) const;
  PlayoutPick pickLocked(Clock::time_point now, Clock::duration delay, Clock::duration maxDelay,
                         bool syncEnabled);
  bool syncedLocked() const;
  bool roomClockLocked() const;
  // Moves the frames no pick can need any more into `out` (at most its size).
  void trimLocked(std::span<FrameRef> out);
  SyncState stateLocked(Clock::duration delay, Clock::duration maxDelay) const;
  void recordLatencyLocked(double ms);

  const FeedId mId;
  const FeedSource mSource;
  const std::string mUri;
  // One flag, set on the main-loop thread and read by the render thread each tick.
  std::atomic<bool> mOnCanvas{true};
  std::atomic<bool> mShown{true};
  static std::uint64_t packSize(SizePx s) {
    return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(s.width)) << 32) |
           static_cast<std::uint32_t>(s.height);
  }
  static SizePx unpackSize(std::uint64_t v) {
    return {static_cast<int>(v >> 32), static_cast<int>(v & 0xffffffffu)};
  }
  std::atomic<std::uint64_t> mDrawnSize{0};
  std::atomic<Clock::rep> mHeldBackNs{0};  // 0: never
  std::atomic<std::uint64_t> mSkipped{0};

  mutable std::mutex mMutex;
  // Readers' copies of the last status and sync status, returned while a streaming thread holds
  // mMutex. Only readers take mCacheMutex, always before mMutex.
  mutable std::mutex mCacheMutex;
  mutable std::optional<FeedStatus> mStatusCache;
  mutable std::optional<SyncStatus> mSyncCache;
  FrameRing mRing;
  // Set by the playout's picks: frames before mKeepFrom (or all but the newest) can go.
  std::optional<Clock::time_point> mKeepFrom;
  bool mKeepNewestOnly = false;
  FeedState mState = FeedState::kConnecting;
  int mSourceWidth = 0;
  int mSourceHeight = 0;
  SizePx mScaled;  // the newest frame's size
  std::uint64_t mFrameCount = 0;
  std::atomic<Clock::rep> mLastFrameNs{0};  // mLastFrame, for readers that never wait
  int mRestarts = 0;
  std::string mLastError;
  std::string mProtocol;
  std::optional<double> mFirstFrameMs;
  double mBitrateKbps = 0;
  Clock::time_point mLastFrame{};
  Clock::time_point mWindowStart{};
  std::uint64_t mWindowFrames = 0;
  double mFps = 0;

  // Timing.
  FrameTiming::Kind mTimingKind = FrameTiming::Kind::kNone;  // of the last frame
  std::optional<std::int64_t> mClockOffsetNs;
  ClockEstimate mClockEstimate = ClockEstimate::kNone;
  std::chrono::nanoseconds mConfigOffset{0};
  std::optional<std::chrono::nanoseconds> mCueOffset;
  bool mRecording = false;
  std::vector<FrameRef> mRecorded;  // while mRecording
  std::array<double, kLatencySamples> mLatencies{};
  std::size_t mLatencyCount = 0;  // samples written (the window holds the last 64)
  double mLatencyP50 = 0;
  double mLatencyP95 = 0;
};

// The feeds in join order; an immutable snapshot, replaced whole when a feed comes or goes.
struct FeedTable {
  std::uint64_t version = 0;
  std::vector<std::shared_ptr<FeedChannel>> feeds;
};

}  // namespace tessera::core
