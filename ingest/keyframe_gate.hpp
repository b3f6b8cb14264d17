// Decodes a feed the scene does not draw at its keyframes only (issue 13: decode only what is
// seen). A probe on the decoder's sink pad drops delta frames while the feed's channel says it
// is not shown, and asks upstream for a keyframe once a second (a PLI to a phone, a FIR to an
// RTSP camera; a file keeps its own GOP), so a hidden or waiting feed still has a current
// picture for its thumbnail and scores. Once shown again it asks for a keyframe at once and
// drops delta frames until one comes, so the decoder never sees a frame whose reference it
// missed. The dropped video counts as the feed being alive (FeedChannel::noteMediaHeldBack).
//
// Thread: attach on whichever thread adds the decoder; the probe runs on the streaming thread.
#pragma once

#include <gst/gst.h>

#include <memory>

#include "core/feed_channel.hpp"

namespace tessera::ingest {

// Adds the gate to `decoderSink` for as long as the pad lives.
void attachKeyframeGate(GstPad* decoderSink, std::shared_ptr<core::FeedChannel> channel);

}  // namespace tessera::ingest
