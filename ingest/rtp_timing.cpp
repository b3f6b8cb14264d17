#include "ingest/rtp_timing.hpp"

#include <gst/base/gstbasesrc.h>

#include "core/log.hpp"
#include "core/time.hpp"
#include "ingest/sender_reports.hpp"
#include "platform/pipeline.hpp"

namespace tessera::ingest {
namespace {

constexpr const char* kModule = "ingest";
constexpr const char* kMetaProperty = "add-reference-timestamp-meta";

bool hasProperty(GstElement* element, const char* name) {
  return g_object_class_find_property(G_OBJECT_GET_CLASS(element), name) != nullptr;
}

}  // namespace

RtpTiming::RtpTiming(std::shared_ptr<core::FeedChannel> channel, std::string logName)
    : mChannel(std::move(channel)), mLogName(std::move(logName)) {}

void RtpTiming::attach(GstElement* pipeline) {
  {
    std::lock_guard lock(mMutex);
    mClock = std::make_unique<ClockSync>(mChannel);
  }
  mLive = false;
  mReports = 0;
  g_signal_connect(pipeline, "deep-element-added", G_CALLBACK(&RtpTiming::onDeepElementAdded),
                   this);
}

void RtpTiming::onDeepElementAdded(GstBin*, GstBin*, GstElement* element, gpointer data) {
  auto* self = static_cast<RtpTiming*>(data);
  if (GST_IS_BASE_SRC(element) && gst_base_src_is_live(GST_BASE_SRC(element))) {
    self->mLive = true;
  }
  // rtspsrc and rtpbin both have the property; rtspsrc hands it to its own rtpbin, which rtpbin
  // hands to its jitter buffers, which add the metas once a Sender Report has arrived.
  if (hasProperty(element, kMetaProperty)) g_object_set(element, kMetaProperty, TRUE, nullptr);
  if (platform::madeBy(element, "rtspsrc")) self->mLive = true;
  if (platform::madeBy(element, "rtpbin")) {
    self->mLive = true;
    g_signal_connect(element, "pad-added", G_CALLBACK(&RtpTiming::onRtpbinPadAdded), self);
  }
}

void RtpTiming::onRtpbinPadAdded(GstElement*, GstPad* pad, gpointer data) {
  // The sink pads that receive RTCP from the sender (sdpdemux and rtspsrc request them).
  if (GST_PAD_DIRECTION(pad) != GST_PAD_SINK ||
      !g_str_has_prefix(GST_PAD_NAME(pad), "recv_rtcp_sink")) {
    return;
  }
  gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, &RtpTiming::onRtcp, data, nullptr);
}

GstPadProbeReturn RtpTiming::onRtcp(GstPad*, GstPadProbeInfo* info, gpointer data) {
  // Arrival is read here, as the packet enters rtpbin from its socket's thread.
  const std::int64_t arrival = core::toUnixNs(core::Clock::now());
  for (const std::int64_t sent : senderReportTimes(GST_PAD_PROBE_INFO_BUFFER(info))) {
    static_cast<RtpTiming*>(data)->onSenderReport(sent, arrival);
  }
  return GST_PAD_PROBE_OK;
}

void RtpTiming::onSenderReport(std::int64_t senderUnixNs, std::int64_t arrivalUnixNs) {
  {
    std::lock_guard lock(mMutex);
    if (!mClock) return;  // not attached
    mClock->onSenderReport(senderUnixNs, arrivalUnixNs);
  }
  if (++mReports == 1) {
    core::logInfo(kModule,
                  "{}: RTCP Sender Reports arriving: frames are timed by the sender's "
                  "clock (offset from the reports' arrival)",
                  mLogName);
  }
}

}  // namespace tessera::ingest
