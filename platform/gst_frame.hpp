// Hands a core::VideoFrame to GStreamer without copying its pixels.
#pragma once

#include <gst/gst.h>

#include "core/frame.hpp"
#include "platform/gst_ptr.hpp"

namespace tessera::platform {

// A read-only GstBuffer over the frame's pixels; the frame lives until GStreamer drops it.
GstPtr<GstBuffer> wrapFrame(const core::FrameRef& frame);

}  // namespace tessera::platform
