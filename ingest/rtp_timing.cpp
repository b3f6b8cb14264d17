#include "ingest/rtp_timing.hpp"

#include <gst/base/gstbasesrc.h>
#include <gst/rtp/gstrtcpbuffer.h>

#include <cstring>

#include "core/log.hpp"
#include "core/time.hpp"

namespace tessera::ingest {
namespace {

constexpr const char* kModule = "ingest";
constexpr const char* kMetaProperty = "add-reference-timestamp-meta";

bool hasProperty(GstElement* element, const char* name) {
  return g_object_class_find_property(G_OBJECT_GET_CLASS(element), name) != nullptr;
}

bool isFactory(GstElement* element, const char* name) {
  GstElementFactory* f = gst_element_get_factory(element);
  return f && std::strcmp(GST_OBJECT_NAME(f), name) == 0;
}

// The NTP time of the first Sender Report in an RTCP compound packet; 0 when there is none or
// the packet is malformed (untrusted bytes: dropped, never thrown).
std::uint64_t senderReportNtp(GstBuffer* buffer) {
  if (!buffer || !gst_rtcp_buffer_validate_reduced(buffer)) return 0;
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  if (!gst_rtcp_buffer_map(buffer, GST_MAP_READ, &rtcp)) return 0;
  std::uint64_t ntp = 0;
  GstRTCPPacket packet;
  for (gboolean more = gst_rtcp_buffer_get_first_packet(&rtcp, &packet); more && ntp == 0;
       more = gst_rtcp_packet_move_to_next(&packet)) {
    if (gst_rtcp_packet_get_type(&packet) != GST_RTCP_TYPE_SR) continue;
    guint32 ssrc = 0, rtpTime = 0, packets = 0, octets = 0;
    guint64 time = 0;
    gst_rtcp_packet_sr_get_sender_info(&packet, &ssrc, &time, &rtpTime, &packets, &octets);
    ntp = time;
  }
  gst_rtcp_buffer_unmap(&rtcp);
  return ntp;
}

// RTCP's 64-bit NTP form (32.32 fixed point seconds since 1900) as nanoseconds since 1900.
std::uint64_t ntpToNs(std::uint64_t ntp) {
  return gst_util_uint64_scale(ntp, GST_SECOND, G_GUINT64_CONSTANT(1) << 32);
}

}  // namespace

RtpTiming::RtpTiming(std::shared_ptr<core::FeedChannel> channel, std::string logName)
    : mChannel(std::move(channel)), mLogName(std::move(logName)) {}

void RtpTiming::attach(GstElement* pipeline) {
  {
    std::lock_guard lock(mMutex);
    mOffset = SrArrivalOffset{};
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
  if (isFactory(element, "rtspsrc")) self->mLive = true;
  if (isFactory(element, "rtpbin")) {
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
  const std::uint64_t ntp = senderReportNtp(GST_PAD_PROBE_INFO_BUFFER(info));
  if (ntp != 0) static_cast<RtpTiming*>(data)->onSenderReport(ntp, arrival);
  return GST_PAD_PROBE_OK;
}

void RtpTiming::onSenderReport(std::uint64_t ntpTime, std::int64_t arrivalUnixNs) {
  const std::uint64_t ns = ntpToNs(ntpTime);
  if (ns <= static_cast<std::uint64_t>(core::kNtpToUnixSeconds) * GST_SECOND) return;  // pre-1970
  const std::int64_t sender = core::ntpNsToUnixNs(ns);
  std::optional<std::int64_t> changed;
  bool first = false;
  {
    std::lock_guard lock(mMutex);
    first = mOffset.samples() == 0;
    if (mOffset.add(sender, arrivalUnixNs)) changed = mOffset.offsetNs();
  }
  ++mReports;
  if (!changed) return;
  mChannel->setClockOffset(*changed, core::ClockEstimate::kSrArrival);
  if (first) {
    core::logInfo(kModule, "{}: RTCP Sender Reports: sender clock {:+.1f} ms from the server's "
                  "(from their arrival)", mLogName, static_cast<double>(*changed) / 1e6);
  }
}

}  // namespace tessera::ingest
