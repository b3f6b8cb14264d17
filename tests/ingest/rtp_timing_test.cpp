// Pulled RTP sessions (an SDP file): with RTCP Sender Reports their frames are timed by the
// sender's clock; without, they stay unsynced; neither is timed as a file.
#include <catch2/catch.hpp>

#include <fmt/format.h>
#include <gio/gio.h>

#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/feed_channel.hpp"
#include "ingest/feed.hpp"
#include "platform/pipeline.hpp"
#include "tests/ingest/ingest_fixtures.hpp"
#include "tests/support/clips.hpp"
#include "tests/support/wait.hpp"

using namespace std::chrono_literals;
using tessera::core::ClockEstimate;
using tessera::core::FeedChannel;
using tessera::core::FeedId;
using tessera::core::FeedSource;
using tessera::core::SyncState;
using tessera::ingest::Feed;
using tessera::ingest::testing::kTile;
using tessera::ingest::testing::pull;
using tessera::ingest::testing::RecordingFeedListener;
using tessera::test::waitUntil;

namespace {

const tessera::platform::GstRuntime kGst;

// An even loopback UDP port whose next one is free too (RTP, RTCP), below the ephemeral range
// (the sender's own sockets take ephemeral ports, which must not be one the feed listens on).
int freePortPair() {
  std::random_device seed;
  std::mt19937 rng(seed());
  std::uniform_int_distribution<int> pick(10000, 16000);
  GInetAddress* lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
  for (int attempt = 0; attempt < 100; ++attempt) {
    const int port = pick(rng) * 2;
    bool ok = true;
    std::vector<GSocket*> held;
    for (int p : {port, port + 1}) {
      GSocket* s = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP,
                                nullptr);
      GSocketAddress* a = g_inet_socket_address_new(lo, static_cast<guint16>(p));
      ok = g_socket_bind(s, a, FALSE, nullptr) && ok;
      g_object_unref(a);
      held.push_back(s);
    }
    for (GSocket* s : held) {
      g_socket_close(s, nullptr);
      g_object_unref(s);
    }
    if (ok) {
      g_object_unref(lo);
      return port;
    }
  }
  g_object_unref(lo);
  FAIL("no free UDP port pair on loopback");
  return 0;
}

// A JPEG-over-RTP camera on loopback, with or without RTCP, and the SDP file that describes it.
struct RtpSender {
  std::optional<tessera::platform::Pipeline> pipeline;
  std::string uri;

  RtpSender(const std::filesystem::path& dir, bool rtcp) {
    const int port = freePortPair();
    std::string desc = fmt::format(
        "rtpbin name=r rtcp-sync-send-time=false videotestsrc is-live=true ! "
        "video/x-raw,format=I420,width=160,height=120,framerate=30/1 ! jpegenc ! rtpjpegpay ! "
        "r.send_rtp_sink_0 r.send_rtp_src_0 ! udpsink host=127.0.0.1 port={} ",
        port);
    if (rtcp) {
      desc += fmt::format(
          "r.send_rtcp_src_0 ! udpsink host=127.0.0.1 port={} sync=false async=false", port + 1);
    }
    std::string error;
    auto parsed = tessera::platform::Pipeline::parse("sender", desc, &error);
    REQUIRE(parsed);
    pipeline.emplace(std::move(*parsed));
    REQUIRE(pipeline->play(&error));
    const auto file = dir / fmt::format("sender-{}.sdp", port);
    std::ofstream(file) << fmt::format(
        "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=test\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
        "m=video {} RTP/AVP 26\r\na=rtpmap:26 JPEG/90000\r\n{}",
        port, rtcp ? fmt::format("a=rtcp:{}\r\n", port + 1) : std::string());
    uri = "file://" + file.string();
  }
};

}  // namespace

TEST_CASE("an SDP-file source with Sender Reports is timed by the sender's clock",
          "[ingest][feed][rtp]") {
  tessera::test::ScratchDir dir;
  RtpSender sender(dir.path(), true);
  auto channel = std::make_shared<FeedChannel>(FeedId{1}, FeedSource::kPull, sender.uri);
  RecordingFeedListener listener;
  Feed feed(pull(sender.uri, true), channel, kTile, 30, &listener);
  std::string error;
  REQUIRE(feed.start(&error));
  // The first Sender Report comes 1-4 s after the first packets (RTCP's first interval).
  const bool timed = waitUntil(
      [&] {
        const auto s = channel->syncStatus(500ms, 1000ms);
        return s.clock == ClockEstimate::kSrArrival && s.state == SyncState::kAligned;
      },
      15s);
  INFO("failures: " << (listener.failures.empty() ? "" : listener.failures.front()));
  REQUIRE(timed);
  const auto s = channel->syncStatus(500ms, 1000ms);
  // Same machine: the sender's clock is the server's, give or take the report's trip.
  REQUIRE(s.clockOffsetMs);
  CHECK(std::abs(*s.clockOffsetMs) < 20);
  // Capture to arrival: the jitter buffer's 200 ms and decoding, never negative.
  CHECK(s.latencyMsP50 > 150);
  CHECK(s.latencyMsP50 < 400);
  const auto frame = channel->newest();
  REQUIRE(frame);
  CHECK(frame->capture < frame->arrival);
  feed.stop();
}

TEST_CASE("an SDP-file source without RTCP stays unsynced (not timed as a file)",
          "[ingest][feed][rtp]") {
  tessera::test::ScratchDir dir;
  RtpSender sender(dir.path(), false);
  auto channel = std::make_shared<FeedChannel>(FeedId{1}, FeedSource::kPull, sender.uri);
  RecordingFeedListener listener;
  Feed feed(pull(sender.uri, true), channel, kTile, 30, &listener);
  std::string error;
  REQUIRE(feed.start(&error));
  REQUIRE(waitUntil([&] { return channel->status().frames >= 30; }, 10s));
  const auto s = channel->syncStatus(500ms, 1000ms);
  CHECK(s.state == SyncState::kUnsynced);
  CHECK(s.clock == ClockEstimate::kNone);
  CHECK_FALSE(channel->synced());
  const auto frame = channel->newest();
  REQUIRE(frame);
  CHECK(frame->capture == frame->arrival);
  feed.stop();
}
