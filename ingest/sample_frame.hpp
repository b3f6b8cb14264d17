// Turns what an appsink delivers into core frames, without copying pixels.
//
// Thread: called on GStreamer streaming threads.
#pragma once

#include <gst/app/gstappsink.h>
#include <gst/video/video.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>

#include "core/feed_channel.hpp"
#include "core/frame.hpp"
#include "platform/gst_ptr.hpp"

namespace tessera::ingest {

// The video info of the caps seen last, parsed again only when the caps object changes.
// gst_video_info_from_caps looks its field names up with g_quark_from_string, which takes
// GLib's one process-wide quark lock: per frame, from hundreds of idle-class feed threads, a
// thread the scheduler preempts while holding that lock stops every other feed (and the main
// loop, which builds caps and pipelines) until the busy machine lets it run again (seen at 256
// feeds: 123 of 256 feed threads waiting on it at once).
// One per stream, used by its streaming thread only.
class VideoInfoCache {
 public:
  // The info of `caps`, or null when they are not video caps.
  const GstVideoInfo* get(GstCaps* caps);

 private:
  platform::GstPtr<GstCaps> mCaps;  // held, so a new caps object cannot reuse the address
  GstVideoInfo mInfo{};
  bool mValid = false;
};

// A feed's streaming threads start at the default priority (platform::ThreadPriority::deferred)
// and take the feed priority once the feed has settled: a frame arriving kSettleTime after its
// first, by when its caps are negotiated, its decoder open and its tile size followed. Those
// steps take process-wide locks (GLib's quark table, libav's codec lock) that an idle-class
// thread, starved while holding one, would keep from every other feed and the main loop.
// One per pipeline run, used by its streaming thread only.
class SettledPriority {
 public:
  static constexpr std::chrono::seconds kSettleTime{3};
  // Call with every frame: lowers the pool's threads once.
  void onFrame(GstTaskPool* pool);

 private:
  std::optional<std::chrono::steady_clock::time_point> mFirst;
  bool mLowered = false;
};

// A frame from an appsink with what its buffer says about when it was taken.
struct PulledFrame {
  std::shared_ptr<core::VideoFrame> frame;  // null: nothing usable
  // The buffer's running time plus the sink's base time: CLOCK_MONOTONIC ns (core/time.hpp).
  std::optional<std::int64_t> monotonicNs;
  // The sender's capture time as Unix ns, from a `timestamp/x-ntp` reference timestamp meta
  // (rtpbin's add-reference-timestamp-meta maps RTP times through RTCP Sender Reports).
  std::optional<std::int64_t> senderUnixNs;
};

// The next sample of `sink` as an I420 or RGBA frame that keeps its buffer mapped for as long
// as the frame lives; a null frame for a malformed sample or another format (dropped, never
// thrown). `sequence` is the caller's frame counter; the frame's arrival is now.
PulledFrame pullFrame(GstAppSink* sink, std::uint64_t sequence, VideoInfoCache& infos);

// The timing a feed reports for a pulled frame: the sender's clock when the buffer carries it,
// else the pipeline's timeline when `ownTimeline` (synthetic feeds, files), else none.
core::FrameTiming timingOf(const PulledFrame& pulled, bool ownTimeline);

// The size of the video arriving at `pad` (before scaling), or false when it is not known yet.
bool videoSizeAt(GstPad* pad, int* width, int* height, VideoInfoCache& infos);

}  // namespace tessera::ingest
