#include "ingest/sender_reports.hpp"

#include <gst/rtp/gstrtcpbuffer.h>

#include <algorithm>
#include <mutex>

#include "core/log.hpp"
#include "core/time.hpp"
#include "platform/gobject_ptr.hpp"
#include "platform/gst_ptr.hpp"

namespace tessera::ingest {
namespace {

constexpr const char* kModule = "whip";

// What the rtpbin callbacks share: the clock and which RTP sessions are already watched
// (on-new-ssrc fires per source, from several streaming threads).
struct Watch {
  std::shared_ptr<ClockSync> clock;
  std::mutex mutex;
  std::vector<guint> sessions;
};

void deleteWatch(gpointer p, GClosure*) {
  delete static_cast<std::shared_ptr<Watch>*>(p);
}

// RTPSession "on-receiving-rtcp" (an RTCP streaming thread), before the session handles it.
void onReceivingRtcp(GObject*, GstBuffer* buffer, gpointer data) {
  const std::int64_t arrival = core::toUnixNs(core::Clock::now());
  const auto& watch = *static_cast<std::shared_ptr<Watch>*>(data);
  for (const std::int64_t sent : senderReportTimes(buffer)) {
    watch->clock->onSenderReport(sent, arrival);
  }
}

// rtpbin "on-new-ssrc": the first packet of a source; its session is watched from then on.
void onNewSsrc(GstElement* rtpbin, guint sessionId, guint, gpointer data) {
  const auto& watch = *static_cast<std::shared_ptr<Watch>*>(data);
  {
    std::lock_guard lock(watch->mutex);
    if (std::find(watch->sessions.begin(), watch->sessions.end(), sessionId) !=
        watch->sessions.end()) {
      return;
    }
    watch->sessions.push_back(sessionId);
  }
  GObject* raw = nullptr;
  g_signal_emit_by_name(rtpbin, "get-internal-session", sessionId, &raw);
  const auto session = platform::GObjectPtr<GObject>::adopt(raw);
  if (!session) return;
  g_signal_connect_data(session.get(), "on-receiving-rtcp", G_CALLBACK(onReceivingRtcp),
                        new std::shared_ptr<Watch>(watch), &deleteWatch,
                        static_cast<GConnectFlags>(0));
}

}  // namespace

bool watchSenderReports(GstElement* webrtc, std::shared_ptr<ClockSync> clock) {
  // webrtcbin makes its rtpbin when it is made, named "rtpbin".
  auto rtpbin = platform::GstPtr<GstElement>::adopt(gst_bin_get_by_name(GST_BIN(webrtc), "rtpbin"));
  if (!rtpbin || !g_object_class_find_property(G_OBJECT_GET_CLASS(rtpbin.get()),
                                               "add-reference-timestamp-meta")) {
    core::logWarn(kModule, "webrtcbin's rtpbin cannot add reference timestamps: phones unsynced");
    return false;
  }
  g_object_set(rtpbin.get(), "add-reference-timestamp-meta", TRUE, nullptr);
  auto watch = std::make_shared<Watch>();
  watch->clock = std::move(clock);
  g_signal_connect_data(rtpbin.get(), "on-new-ssrc", G_CALLBACK(onNewSsrc),
                        new std::shared_ptr<Watch>(std::move(watch)), &deleteWatch,
                        static_cast<GConnectFlags>(0));
  return true;
}

std::vector<std::int64_t> senderReportTimes(GstBuffer* buffer) {
  std::vector<std::int64_t> times;
  if (!buffer || !gst_rtcp_buffer_validate_reduced(buffer)) return times;
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  if (!gst_rtcp_buffer_map(buffer, GST_MAP_READ, &rtcp)) return times;
  GstRTCPPacket packet;
  for (gboolean more = gst_rtcp_buffer_get_first_packet(&rtcp, &packet); more;
       more = gst_rtcp_packet_move_to_next(&packet)) {
    if (gst_rtcp_packet_get_type(&packet) != GST_RTCP_TYPE_SR) continue;
    guint32 ssrc = 0, rtpTime = 0, packets = 0, octets = 0;
    guint64 ntp = 0;  // 32.32 fixed point seconds since 1900
    gst_rtcp_packet_sr_get_sender_info(&packet, &ssrc, &ntp, &rtpTime, &packets, &octets);
    const guint64 ntpNs = gst_util_uint64_scale(ntp, GST_SECOND, G_GUINT64_CONSTANT(1) << 32);
    // Before 1970 is no wall clock (a sender that sends zeros, or garbage).
    if (ntpNs <= static_cast<guint64>(core::kNtpToUnixSeconds) * GST_SECOND) continue;
    times.push_back(core::ntpNsToUnixNs(ntpNs));
  }
  gst_rtcp_buffer_unmap(&rtcp);
  return times;
}

}  // namespace tessera::ingest
