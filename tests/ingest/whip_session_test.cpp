// A WHIP client made of GStreamer (webrtcbin sending VP8, with RTCP, as OBS or gst's whipsink
// do) joins a WhipSession on loopback; its frames wait 300 ms before they are sent. They must
// reach the feed's channel with the sender's capture time (RTCP Sender Reports through rtpbin's
// reference timestamp metas, carried by the depayloader, decoder and scaler to the appsink), and
// the Sender Reports' arrival must set the clock offset (no join page here).
#include "ingest/whip_session.hpp"

#include <gst/rtp/gstrtcpbuffer.h>
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>
#include <nice/agent.h>

#include <catch2/catch.hpp>

#include <sched.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>

#include "ingest/sample_frame.hpp"
#include "ingest/sender_reports.hpp"
#include "platform/gobject_ptr.hpp"
#include "platform/gst_ptr.hpp"
#include "platform/pipeline.hpp"
#include "tests/support/wait.hpp"

using namespace std::chrono_literals;
using tessera::core::ClockEstimate;
using tessera::core::FeedChannel;
using tessera::core::FeedId;
using tessera::core::FeedSource;
using tessera::ingest::WhipSession;
using tessera::ingest::WhipSessionListener;
using tessera::ingest::WhipSettings;
using tessera::platform::GObjectPtr;
using tessera::platform::GstPtr;
using tessera::test::waitUntil;

namespace {

const tessera::platform::GstRuntime kGst;

struct AnswerListener final : WhipSessionListener {
  std::string sdp, error;
  bool answered = false, failed = false;
  void onWhipAnswer(const std::string&, const std::string& s, const std::string& e) override {
    answered = true;
    sdp = s;
    error = e;
  }
  void onWhipFailed(const std::string&, const std::string&) override { failed = true; }
};

// Emits a webrtcbin action that answers through a promise and waits for it (webrtcbin works on
// its own thread, so this may block the test's thread).
void emitAndWait(GstElement* webrtc, const char* signal, GstWebRTCSessionDescription* desc) {
  GstPromise* promise = gst_promise_new();
  g_signal_emit_by_name(webrtc, signal, desc, promise);
  gst_promise_wait(promise);
  gst_promise_unref(promise);
}

// A live VP8 sender whose webrtcbin gathers on 127.0.0.1 only.
struct Sender {
  GstPtr<GstElement> pipeline;
  GstPtr<GstElement> webrtc;

  Sender() {
    pipeline = GstPtr<GstElement>::adopt(gst_parse_launch(
        "videotestsrc is-live=true pattern=ball ! video/x-raw,width=160,height=120,framerate=15/1 "
        "! vp8enc deadline=1 lag-in-frames=0 ! "
        // Every encoded frame waits 300 ms before it is sent (a slow encoder or network).
        "queue min-threshold-time=300000000 max-size-buffers=0 max-size-bytes=0 "
        "max-size-time=2000000000 ! rtpvp8pay ! "
        "application/x-rtp,media=video,encoding-name=VP8,payload=96,clock-rate=90000 ! "
        "webrtcbin name=send bundle-policy=max-bundle",
        nullptr));
    REQUIRE(pipeline);
    webrtc = GstPtr<GstElement>::adopt(gst_bin_get_by_name(GST_BIN(pipeline.get()), "send"));
    GObject* ice = nullptr;
    g_object_get(webrtc.get(), "ice-agent", &ice, nullptr);
    const auto iceRef = GObjectPtr<GObject>::adopt(ice);
    NiceAgent* agent = nullptr;
    g_object_get(ice, "agent", &agent, nullptr);
    const auto agentRef = GObjectPtr<NiceAgent>::adopt(agent);
    NiceAddress a;
    nice_address_init(&a);
    nice_address_set_from_string(&a, "127.0.0.1");
    nice_agent_add_local_address(agent, &a);
    // Sender Reports tied to capture times, as browsers (libwebrtc) and OBS send them. GStreamer's
    // default ties them to send times: its frames would then look as old as its queues.
    auto rtpbin = GstPtr<GstElement>::adopt(gst_bin_get_by_name(GST_BIN(webrtc.get()), "rtpbin"));
    g_object_set(rtpbin.get(), "rtcp-sync-send-time", FALSE, nullptr);
    gst_element_set_state(pipeline.get(), GST_STATE_PLAYING);
  }
  ~Sender() { gst_element_set_state(pipeline.get(), GST_STATE_NULL); }

  // The offer with every candidate in it (a WHIP client does not trickle here).
  std::string offer() {
    GstPromise* promise = gst_promise_new();
    g_signal_emit_by_name(webrtc.get(), "create-offer", nullptr, promise);
    gst_promise_wait(promise);
    GstWebRTCSessionDescription* offer = nullptr;
    gst_structure_get(gst_promise_get_reply(promise), "offer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION,
                      &offer, nullptr);
    gst_promise_unref(promise);
    REQUIRE(offer);
    emitAndWait(webrtc.get(), "set-local-description", offer);
    gst_webrtc_session_description_free(offer);
    waitUntil(
        [&] {
          GstWebRTCICEGatheringState s = GST_WEBRTC_ICE_GATHERING_STATE_NEW;
          g_object_get(webrtc.get(), "ice-gathering-state", &s, nullptr);
          return s == GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE;
        },
        5s);
    GstWebRTCSessionDescription* local = nullptr;
    g_object_get(webrtc.get(), "local-description", &local, nullptr);
    REQUIRE(local);
    gchar* text = gst_sdp_message_as_text(local->sdp);
    std::string sdp = text;
    g_free(text);
    gst_webrtc_session_description_free(local);
    return sdp;
  }

  void answer(const std::string& sdpText) {
    GstSDPMessage* sdp = nullptr;
    REQUIRE(gst_sdp_message_new_from_text(sdpText.c_str(), &sdp) == GST_SDP_OK);
    GstWebRTCSessionDescription* answer =
        gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_ANSWER, sdp);
    emitAndWait(webrtc.get(), "set-remote-description", answer);
    gst_webrtc_session_description_free(answer);
  }
};

// This process's threads by name (15 characters at most), with their scheduling policies.
std::multimap<std::string, int> threadPolicies() {
  std::multimap<std::string, int> out;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    std::getline(comm, name);
    out.emplace(name, sched_getscheduler(std::stoi(task.path().filename().string())));
  }
  return out;
}

}  // namespace

TEST_CASE("WHIP frames carry the sender's capture time and the Sender Reports set the offset",
          "[ingest][whip]") {
  std::string missing;
  if (!tessera::platform::GstRuntime::haveElements({"webrtcbin", "vp8enc", "vp8dec"}, &missing)) {
    WARN("skipped: missing " << missing);
    return;
  }
  auto channel = std::make_shared<FeedChannel>(FeedId{7}, FeedSource::kWhip, "");
  AnswerListener listener;
  WhipSettings settings;
  settings.iceAddresses = {"127.0.0.1"};
  auto session = WhipSession::create("test-session", settings, channel, &listener);

  Sender sender;
  std::string error;
  REQUIRE(session->start(sender.offer(), &error));
  REQUIRE(waitUntil([&] { return listener.answered; }, 10s));
  REQUIRE(listener.error.empty());
  sender.answer(listener.sdp);

  // Frames first (unsynced until a Sender Report maps them), then the first report's arrival
  // (GStreamer sends its first RTCP after about 2.5 s).
  REQUIRE(waitUntil([&] { return channel->hasFrame(); }, 15s));
  {
    // The participant's video is decoded on its jitter buffer's output thread, which gives way
    // to the canvas ([ingest] feed_priority, idle by default); the threads that receive packets
    // do not (the test's sender has the same elements, so only SCHED_IDLE ones count).
    // It takes that priority once the participant has settled (ingest::SettledPriority).
    std::multimap<std::string, int> threads;
    int decoding = 0, idleNetwork = 0;
    waitUntil(
        [&] {
          threads = threadPolicies();
          decoding = idleNetwork = 0;
          for (const auto& [name, policy] : threads) {
            if (name.rfind("rtpjitterbuffer", 0) == 0 && policy == SCHED_IDLE) ++decoding;
            if (name.rfind("nicesrc", 0) == 0 && policy == SCHED_IDLE) ++idleNetwork;
          }
          return decoding >= 1;
        },
        tessera::ingest::SettledPriority::kSettleTime + 5s);
    std::string names;
    for (const auto& [name, policy] : threads) names += name + "=" + std::to_string(policy) + " ";
    INFO("threads: " << names);
    CHECK(decoding >= 1);  // one per SSRC the session has seen
    CHECK(idleNetwork == 0);
  }
  const bool synced = waitUntil(
      [&] {
        return channel->syncStatus(500ms, 1s).clock == ClockEstimate::kSrArrival &&
               channel->synced();
      },
      20s);
  const auto sync = channel->syncStatus(500ms, 1s);
  INFO("clock " << tessera::core::toString(sync.clock) << ", offset "
                << sync.clockOffsetMs.value_or(-1e9) << " ms, latency p50 " << sync.latencyMsP50);
  REQUIRE(synced);
  CHECK_FALSE(listener.failed);
  // Sender and server read the same system clock: the offset is the loopback's one-way delay,
  // not the 300 ms the frames wait.
  REQUIRE(sync.clockOffsetMs);
  CHECK(std::abs(*sync.clockOffsetMs) < 20);
  // Capture to arrival: the 300 ms wait (the queue counts it in whole frames) plus encoding and
  // decoding (in-order packets leave the
  // jitter buffer at once). Capture = arrival would mean the capture times were lost.
  CHECK(sync.latencyMsP50 > 200);
  CHECK(sync.latencyMsP50 < 500);
  const auto frame = channel->newest();
  REQUIRE(frame);
  CHECK(frame->capture < frame->arrival);
  session->stop();
}

TEST_CASE("Sender Report times are read from RTCP compound packets", "[ingest][whip]") {
  // A Sender Report with NTP 2024-01-01T00:00:00.5Z, then a receiver report.
  const guint64 ntpSeconds = 1704067200ULL + 2208988800ULL;
  GstBuffer* raw = gst_rtcp_buffer_new(1400);
  auto buffer = GstPtr<GstBuffer>::adopt(raw);
  {
    GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
    gst_rtcp_buffer_map(raw, GST_MAP_READWRITE, &rtcp);
    GstRTCPPacket packet;
    REQUIRE(gst_rtcp_buffer_add_packet(&rtcp, GST_RTCP_TYPE_SR, &packet));
    gst_rtcp_packet_sr_set_sender_info(&packet, 0x1234, (ntpSeconds << 32) | 0x80000000u, 90000, 10,
                                       1000);
    REQUIRE(gst_rtcp_buffer_add_packet(&rtcp, GST_RTCP_TYPE_RR, &packet));
    gst_rtcp_buffer_unmap(&rtcp);
  }
  const auto times = tessera::ingest::senderReportTimes(raw);
  REQUIRE(times.size() == 1);
  CHECK(times[0] == 1704067200LL * 1'000'000'000 + 500'000'000);

  // Garbage, an empty buffer and a report with a zero NTP time give nothing.
  const guint8 junk[] = {0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4};
  auto garbage = GstPtr<GstBuffer>::adopt(gst_buffer_new_memdup(junk, sizeof junk));
  CHECK(tessera::ingest::senderReportTimes(garbage.get()).empty());
  CHECK(tessera::ingest::senderReportTimes(nullptr).empty());
  auto zero = GstPtr<GstBuffer>::adopt(gst_rtcp_buffer_new(1400));
  {
    GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
    gst_rtcp_buffer_map(zero.get(), GST_MAP_READWRITE, &rtcp);
    GstRTCPPacket packet;
    gst_rtcp_buffer_add_packet(&rtcp, GST_RTCP_TYPE_SR, &packet);
    gst_rtcp_packet_sr_set_sender_info(&packet, 1, 0, 0, 0, 0);
    gst_rtcp_buffer_unmap(&rtcp);
  }
  CHECK(tessera::ingest::senderReportTimes(zero.get()).empty());
}
