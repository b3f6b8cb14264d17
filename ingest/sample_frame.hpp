// Turns what an appsink delivers into core frames, without copying pixels.
//
// Thread: called on GStreamer streaming threads.
#pragma once

#include <gst/app/gstappsink.h>

#include <cstdint>

#include "core/frame.hpp"
#include "platform/gst_ptr.hpp"

namespace tessera::ingest {

// The next sample of `sink` as an I420 or RGBA frame that keeps its buffer mapped for as long
// as the frame lives; null for a malformed sample or another format (dropped, never thrown).
// `sequence` is the caller's frame counter.
core::FrameRef pullFrame(GstAppSink* sink, std::uint64_t sequence);

// The size of the video arriving at `pad` (before scaling), or false when it is not known yet.
bool videoSizeAt(GstPad* pad, int* width, int* height);

}  // namespace tessera::ingest
