#include "ingest/keyframe_gate.hpp"

#include <gst/video/video.h>

#include <chrono>

namespace tessera::ingest {
namespace {

using Clock = std::chrono::steady_clock;

// Drawn again, a feed whose source never marks a keyframe (intra refresh) or ignores the
// request is let through after this long rather than held on its last picture for good.
constexpr std::chrono::milliseconds kGiveUpWaiting{3000};

// A held-back feed asks for a keyframe this often (a phone's encoder sends them only when asked;
// a file has its own GOP and ignores the request): its thumbnail and scores stay current.
constexpr std::chrono::milliseconds kHeldBackKeyframePeriod{1000};

struct Gate {
  std::shared_ptr<core::FeedChannel> channel;
  // Streaming thread only.
  bool waitingForKey = false;
  bool askedSinceShown = false;
  Clock::time_point shownAt{};  // when it was drawn again while waiting
  Clock::time_point lastKey{};
  Clock::time_point lastRequest{};
};

void requestKeyframe(GstPad* pad, Gate& gate, Clock::time_point now) {
  if (now - gate.lastRequest < kHeldBackKeyframePeriod) return;
  gate.lastRequest = now;
  // Upstream from the decoder: rtpsession turns it into a PLI, rtspsrc into a FIR.
  gst_pad_push_event(pad,
                     gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, FALSE, 0));
}

GstPadProbeReturn onBuffer(GstPad* pad, GstPadProbeInfo* info, gpointer data) {
  auto& gate = *static_cast<Gate*>(data);
  GstBuffer* buffer = GST_PAD_PROBE_INFO_BUFFER(info);
  if (!buffer) return GST_PAD_PROBE_OK;
  const auto now = Clock::now();
  if (!GST_BUFFER_FLAG_IS_SET(buffer, GST_BUFFER_FLAG_DELTA_UNIT)) {
    gate.waitingForKey = false;
    gate.askedSinceShown = false;
    gate.lastKey = now;
    return GST_PAD_PROBE_OK;
  }
  const bool shown = gate.channel->shown();
  if (shown && !gate.waitingForKey) return GST_PAD_PROBE_OK;
  // Not drawn: keyframes only, one asked for every period. Drawn again: the next keyframe,
  // asked for at once, so the decoder never sees a frame whose reference it missed.
  if (shown && !gate.askedSinceShown) {
    gate.lastRequest = {};  // drawn again: ask now
    gate.shownAt = now;
  }
  if (shown && now - gate.shownAt >= kGiveUpWaiting) {
    gate.waitingForKey = false;  // no keyframe is coming: decode what there is
    return GST_PAD_PROBE_OK;
  }
  gate.waitingForKey = true;
  gate.askedSinceShown = shown;
  if (shown || now - gate.lastKey >= kHeldBackKeyframePeriod) requestKeyframe(pad, gate, now);
  gate.channel->noteMediaHeldBack();
  return GST_PAD_PROBE_DROP;
}

}  // namespace

void attachKeyframeGate(GstPad* decoderSink, std::shared_ptr<core::FeedChannel> channel) {
  auto* gate = new Gate{std::move(channel)};
  gst_pad_add_probe(decoderSink, GST_PAD_PROBE_TYPE_BUFFER, &onBuffer, gate,
                    [](gpointer p) { delete static_cast<Gate*>(p); });
}

}  // namespace tessera::ingest
