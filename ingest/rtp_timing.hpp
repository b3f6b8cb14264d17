// Capture times for pulled RTP sources (an SDP file's session, RTSP): turns on
// `add-reference-timestamp-meta` on every rtpbin and rtspsrc in a feed's pipeline, so decoded
// buffers carry the sender's capture time (RTP time mapped through RTCP Sender Reports, as a
// `timestamp/x-ntp` reference timestamp meta), and ties the sender's clock to the server's from
// the Sender Reports' arrival (ClockSync's one-way estimator, as for WHIP clients without the
// join page), set on the feed's channel.
//
// It also notes whether the pipeline has a live source element: an SDP file is a file:// URI
// but a live session, which must not be timed by its pipeline's own timeline.
//
// Threads: attach() on the main-loop thread before the pipeline plays; the GStreamer signals
// and the RTCP probe run on streaming threads and touch only the estimator (under a lock), the
// channel and an atomic. The object must outlive the pipeline (Feed stops it first).
#pragma once

#include <gst/gst.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "core/feed_channel.hpp"
#include "ingest/clock_sync.hpp"

namespace tessera::ingest {

class RtpTiming {
 public:
  RtpTiming(std::shared_ptr<core::FeedChannel> channel, std::string logName);
  RtpTiming(const RtpTiming&) = delete;
  RtpTiming& operator=(const RtpTiming&) = delete;

  // Watches the elements `pipeline` will hold (a fresh pipeline of this feed: the estimate
  // starts again, since a restarted sender may have another clock).
  void attach(GstElement* pipeline);
  // A live source element (udpsrc, rtspsrc, ...) is in the pipeline.
  bool liveSource() const { return mLive.load(std::memory_order_relaxed); }
  // Sender Reports seen since attach() (tests, logs).
  std::uint64_t senderReports() const { return mReports.load(std::memory_order_relaxed); }

  // One Sender Report: the sender's clock as Unix ns and its arrival (Unix ns on the server's
  // clock). Public for tests; the probe calls it.
  void onSenderReport(std::int64_t senderUnixNs, std::int64_t arrivalUnixNs);

 private:
  static void onDeepElementAdded(GstBin*, GstBin*, GstElement* element, gpointer self);
  static void onRtpbinPadAdded(GstElement*, GstPad* pad, gpointer self);
  static GstPadProbeReturn onRtcp(GstPad*, GstPadProbeInfo* info, gpointer self);

  const std::shared_ptr<core::FeedChannel> mChannel;
  const std::string mLogName;
  std::atomic<bool> mLive{false};
  std::atomic<std::uint64_t> mReports{0};
  std::mutex mMutex;
  std::unique_ptr<ClockSync> mClock;  // guarded by mMutex; new for each run of the pipeline
};

}  // namespace tessera::ingest
