// One feed's GStreamer pipeline: a source, decoded and scaled to the tile size (I420) inside
// GStreamer, into an appsink whose callback puts each frame into the feed's mailbox.
//
// Thread: created, started, stopped and destroyed on the main-loop thread, which also receives
// its bus messages. The appsink callback runs on a streaming thread and touches only the channel.
#pragma once

#include <gst/app/gstappsink.h>
#include <gst/video/video.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "core/config.hpp"
#include "core/feed_channel.hpp"
#include "core/pull_uri.hpp"
#include "core/types.hpp"
#include "ingest/rtp_timing.hpp"
#include "ingest/sample_frame.hpp"
#include "platform/pipeline.hpp"

namespace tessera::ingest {

struct FeedSpec {
  core::FeedSource source = core::FeedSource::kSynthetic;
  std::string uri;              // pull only
  core::PullTarget target;      // pull only: `uri` parsed (parsed from `uri` when left empty)
  core::PullTimeouts timeouts;  // pull only: first-frame grace, stall timeout, latency
  bool loop = true;             // pull only: files start again at the end
  int syntheticIndex = 0;       // synthetic only: picks its colours, pattern and motion
  double offsetMs = 0;          // pull only: added to its capture times ([[ingest.pull]] offset_ms)
  core::FeedPriority priority = core::FeedPriority::kIdle;  // [ingest] feed_priority
};

class FeedListener {
 public:
  virtual ~FeedListener() = default;
  virtual void onFeedFailed(core::FeedId id, const std::string& reason) = 0;
  virtual void onFeedEnded(core::FeedId id) = 0;
};

class Feed final : public platform::PipelineListener {
 public:
  // `feed_priority = "low"`: the lowest nice value (a weight of 15 against 3121 at nice -5).
  static constexpr int kLowPriorityNice = 19;
  // The streaming threads' priority for `[ingest] feed_priority` (pulled, synthetic and WHIP
  // feeds alike), taken once the feed has settled (ingest::SettledPriority).
  static platform::ThreadPriority settledPriority(core::FeedPriority priority);

  Feed(FeedSpec spec, std::shared_ptr<core::FeedChannel> channel, core::SizePx tile, int fps,
       FeedListener* listener);
  ~Feed() override;
  Feed(const Feed&) = delete;
  Feed& operator=(const Feed&) = delete;

  const FeedSpec& spec() const { return mSpec; }
  // The URI for logs: secrets masked.
  const std::string& maskedUri() const { return mSpec.target.masked; }
  const std::shared_ptr<core::FeedChannel>& channel() const { return mChannel; }

  // Builds and plays the pipeline. Returns false and fills `error` when it cannot be built.
  bool start(std::string* error);
  void stop();
  bool running() const { return mPipeline.has_value(); }
  // Main loop, every second: the frames follow the size the feed's tile is drawn at
  // (core/tile_scale.hpp), so a small tile costs a small upload and is drawn texel for pixel.
  void followDrawnSize();
  // Compressed video bytes into the decoder since the last call (the feed's bitrate).
  std::uint64_t takeInputBytes() { return mInputBytes.exchange(0, std::memory_order_relaxed); }
  // What the pipeline's streaming threads are doing (starved of CPU, or stalled?).
  platform::PoolThreadsCpu streamingThreadsCpu() const {
    return mPipeline ? mPipeline->streamingThreadsCpu() : platform::PoolThreadsCpu{};
  }

  // The gst-launch description of a synthetic participant (exposed for tests and benches).
  static std::string syntheticDescription(int index, core::SizePx tile, int fps);

 private:
  void onPipelineError(const std::string& source, const std::string& message,
                       const std::string& debug) override;
  void onPipelineEos() override;
  void onPipelineWarning(const std::string& source, const std::string& message) override;
  void onPipelineQos() override { mChannel->countSkipped(); }

  struct CheckedSpec {
    FeedSpec spec;
    std::string error;
  };
  static CheckedSpec checked(FeedSpec spec);
  Feed(CheckedSpec checked, std::shared_ptr<core::FeedChannel> channel, core::SizePx tile, int fps,
       FeedListener* listener);

  std::optional<platform::Pipeline> buildSynthetic(std::string* error);
  std::optional<platform::Pipeline> buildPull(std::string* error);
  static void onElementAdded(GstBin*, GstBin*, GstElement* element, gpointer self);
  static void onNoMorePads(GstElement* decode, gpointer self);
  static GstPadProbeReturn countBytes(GstPad*, GstPadProbeInfo* info, gpointer self);
  void attachSink(const platform::Pipeline& pipeline);
  static GstFlowReturn onNewSample(GstAppSink* sink, gpointer self);
  void onTimingChanged(core::FrameTiming::Kind kind);
  std::string logName() const;

  const FeedSpec mSpec;
  const std::string mSpecError;  // a pulled URI that does not parse: start() reports it
  const std::shared_ptr<core::FeedChannel> mChannel;
  const core::SizePx mTile;
  const int mFps;
  FeedListener* const mListener;
  std::optional<platform::Pipeline> mPipeline;
  bool mFailed = false;    // one failure report per run of the pipeline
  core::SizePx mScaledTo;  // what the tile caps ask for now (main loop)

  platform::GstPtr<GstPad> mScalerPad;  // pull only; set before play, read by the streaming thread
  VideoInfoCache mSampleInfos;          // the streaming thread's (ingest/sample_frame.hpp)
  VideoInfoCache mSourceInfos;
  SettledPriority mSettled;  // the streaming thread's; reset by start()

  // Synthetic feeds and files are timed by their own pipeline clock; live sources by their
  // sender (RTCP) or not at all. A file:// URI can be live (an SDP file): mRtp tells.
  const bool mOwnTimeline;
  RtpTiming mRtp;  // pull only: RTCP Sender Report timing; outlives mPipeline

  std::atomic<std::uint64_t> mInputBytes{0};           // streaming threads add, the manager takes
  std::chrono::steady_clock::time_point mStartedAt{};  // set by start(), read on the first frame

  // Streaming thread only (reset by start() before the pipeline runs).
  std::uint64_t mSequence = 0;
  core::FrameTiming::Kind mTimingKind = core::FrameTiming::Kind::kNone;
};

}  // namespace tessera::ingest
