// Turns what an appsink delivers into core frames, without copying pixels.
//
// Thread: called on GStreamer streaming threads.
#pragma once

#include <gst/app/gstappsink.h>

#include <cstdint>
#include <memory>
#include <optional>

#include "core/feed_channel.hpp"
#include "core/frame.hpp"
#include "platform/gst_ptr.hpp"

namespace tessera::ingest {

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
PulledFrame pullFrame(GstAppSink* sink, std::uint64_t sequence);

// The timing a feed reports for a pulled frame: the sender's clock when the buffer carries it,
// else the pipeline's timeline when `ownTimeline` (synthetic feeds, files), else none.
core::FrameTiming timingOf(const PulledFrame& pulled, bool ownTimeline);

// The size of the video arriving at `pad` (before scaling), or false when it is not known yet.
bool videoSizeAt(GstPad* pad, int* width, int* height);

}  // namespace tessera::ingest
