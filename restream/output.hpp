// One place the encoded canvas goes (HLS files, an RTMP server, an SRT peer), in a pipeline of
// its own fed by the encoder (restream/encoder.hpp): appsrc (encoded H.264) -> mux -> sink.
//
// Supervised as ingest supervises feeds: an error tears the pipeline down and it is built again
// after a backoff (1, 2, 4 ... 30 s; back to 1 s after a minute of running), so a dead RTMP
// server, a full disk or a slow peer never stalls the canvas or another output. While an output
// is down, or its queue is full (2 s of frames), its frames are dropped and counted, and it
// resumes at the next keyframe so what it sends always decodes.
//
// Threads: start()/stop() and restarts on the main-loop thread (bus messages arrive there);
// offer()/endOfStream() on the encoder's streaming thread; status() from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>

#include "platform/main_loop.hpp"
#include "platform/pipeline.hpp"
#include "restream/encoder.hpp"

namespace tessera::restream {

struct OutputStatus {
  std::string kind;        // "hls" | "rtmp" | "rtmps" | "srt"
  std::string uri;         // secrets masked
  std::string state;       // "live" | "retrying" | "off"
  double bitrateKbps = 0;  // what reached the sink over the last second
  int restarts = 0;
  std::string lastError;
  std::uint64_t frames = 0;   // access units handed to the output's pipeline
  std::uint64_t dropped = 0;  // access units dropped (down, queue full, waiting for a keyframe)
  std::uint64_t bytes = 0;    // bytes that reached the sink
  std::optional<std::uint64_t> diskBytes;  // what it keeps on disk (the replay)
};

class Output : public EncodedSink, public platform::PipelineListener {
 public:
  Output(std::string kind, std::string maskedUri, int fps);
  ~Output() override;
  Output(const Output&) = delete;
  Output& operator=(const Output&) = delete;

  // Builds and plays the pipeline. A pipeline that does not start is retried with backoff like
  // a failure later on; false only when it can never work (the description does not parse).
  bool start(std::string* error);
  // Ends the stream (bounded wait so muxers finish their files) and tears the pipeline down.
  void stop(std::chrono::steady_clock::time_point deadline);

  void offer(GstSample* sample) override;
  void endOfStream() override;

  OutputStatus status() const;
  // An error happened at some point of the run (recovered or not).
  bool everFailed() const { return mRestarts > 0 || mLastErrorSet; }
  const std::string& name() const { return mName; }

 protected:
  // The pipeline after "appsrc name=src ! ": only numbers. The element that delivers the bytes
  // is named "sink" (its sink pad is metered) unless meterSource() says to meter the source.
  virtual std::string branchDescription() const = 0;
  // Sets what comes from the configuration (locations, URIs) as properties.
  virtual void configure(platform::Pipeline& pipeline, int attempt) = 0;
  virtual bool meterSource() const { return false; }
  // Push streams start every connection at 0; HLS keeps the render clock across restarts.
  virtual bool zeroBasedTimestamps() const { return true; }
  // An element's error text with any secret of the target (a stream key) masked.
  virtual std::string scrub(std::string text) const { return text; }
  // After the stream's end reached the sink at stop(), before the pipeline goes.
  virtual void onStreamFinished(platform::Pipeline& pipeline) {}
  virtual std::optional<std::uint64_t> diskBytes() const { return std::nullopt; }
  // The end (PTS + duration) of the last access unit handed to the pipeline, as sent.
  std::uint64_t lastEndNs() const { return mLastEndNs; }

  const std::string mKind;
  const std::string mUri;   // masked
  const std::string mName;  // for log lines: "rtmp://host/app/***"
  const int mFps;

 private:
  bool build(std::string* error);
  void teardown();
  void fail(const std::string& why);
  void scheduleRestart();
  void onPipelineError(const std::string& source, const std::string& message,
                       const std::string& debug) override;
  void onPipelineEos() override;
  static GstPadProbeReturn meter(GstPad* pad, GstPadProbeInfo* info, gpointer self);

  // Main-loop thread.
  std::optional<platform::Pipeline> mPipeline;
  platform::Timer mRestartTimer;
  platform::Timer mTeardownTimer;
  std::chrono::seconds mBackoff{1};
  bool mRestartScheduled = false;
  std::chrono::steady_clock::time_point mStartedAt;
  std::atomic<bool> mStopped{false};

  // Shared with the encoder's thread.
  mutable std::mutex mMutex;
  platform::GstPtr<GstElement> mSource;  // null while down
  bool mCapsSet = false;
  bool mWaitKeyframe = true;
  bool mEnded = false;
  std::optional<GstClockTime> mFirstPts;
  std::string mLastError;
  std::atomic<bool> mLastErrorSet{false};

  std::atomic<int> mRestarts{0};
  std::atomic<std::uint64_t> mFrames{0};
  std::atomic<std::uint64_t> mDropped{0};
  std::atomic<std::uint64_t> mBytes{0};
  std::atomic<std::uint64_t> mLastEndNs{0};
  std::atomic<std::int64_t> mLastByteNs{0};  // steady clock
  std::atomic<std::int64_t> mBucketStartNs{0};
  std::atomic<std::uint64_t> mBucketBytes{0};
  std::atomic<double> mKbps{0};
};

}  // namespace tessera::restream
