// The source half of a pulled feed's pipeline, chosen per scheme (core::PullTarget): rtspsrc,
// rtmp2src, srtsrc, souphttpsrc, v4l2src, each followed by decodebin; uridecodebin for files
// and UDP. Every URI part reaches its element as a property value, never as launch text.
//
// Thread: built on the main-loop thread before the pipeline plays.
#pragma once

#include <gst/gst.h>

#include <string>

#include "core/pull_uri.hpp"

namespace tessera::ingest {

// How long rtspsrc waits for UDP packets before it asks the server for TCP interleaving.
inline constexpr double kRtspUdpWaitS = 2.0;

// Adds the source elements for `target` to `bin` and returns the element that exposes decoded
// pads (a decodebin or uridecodebin, owned by `bin`), or null with `error` (a missing plugin).
GstElement* addPullSource(GstBin* bin, const core::PullTarget& target,
                          const core::PullTimeouts& timeouts, std::string* error);

}  // namespace tessera::ingest
