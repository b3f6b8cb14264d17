#include "core/pull_uri.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "core/config.hpp"

using tessera::core::parsePullUri;
using tessera::core::PullKind;

namespace {
struct GoodUri {
  const char* uri;
  PullKind kind;
  const char* host;
  int port;
  const char* masked;
  const char* location;  // what the source element is given
  const char* protocol;
};

const std::vector<GoodUri> kGood = {
    {"rtsp://10.0.0.7/stream1", PullKind::kRtsp, "10.0.0.7", 554, "rtsp://10.0.0.7/stream1",
     "rtsp://10.0.0.7/stream1", "rtsp"},
    {"rtsp://admin:p%40ss@cam.local:8554/h264?channel=1", PullKind::kRtsp, "cam.local", 8554,
     "rtsp://admin:***@cam.local:8554/h264?channel=***", "rtsp://cam.local:8554/h264?channel=1",
     "rtsp"},
    {"rtsps://cam/s", PullKind::kRtsp, "cam", 322, "rtsps://cam/s", "rtsps://cam/s", "rtsps"},
    {"rtmp://media.local/live/cam-key-1", PullKind::kRtmp, "media.local", 1935,
     "rtmp://media.local/live/***", "rtmp://media.local/live/cam-key-1", "rtmp"},
    {"rtmps://u:pw@media.local:4443/app/key", PullKind::kRtmp, "media.local", 4443,
     "rtmps://u:***@media.local:4443/app/***", "rtmps://media.local:4443/app/key", "rtmps"},
    {"srt://encoder.local:9000", PullKind::kSrt, "encoder.local", 9000, "srt://encoder.local:9000",
     "srt://encoder.local:9000", "srt"},
    {"srt://:9001?mode=listener&passphrase=0123456789ab&latency=80", PullKind::kSrt, "", 9001,
     "srt://:9001?mode=listener&passphrase=***&latency=80", "srt://:9001", "srt"},
    {"srt://:9002", PullKind::kSrt, "", 9002, "srt://:9002", "srt://:9002", "srt"},
    {"srt://127.0.0.1:9003?mode=listener&streamid=cam1", PullKind::kSrt, "127.0.0.1", 9003,
     "srt://127.0.0.1:9003?mode=listener&streamid=***", "srt://127.0.0.1:9003", "srt"},
    {"https://cdn.example.com/live/index.m3u8?token=abcdef", PullKind::kHttp, "cdn.example.com",
     443, "https://cdn.example.com/live/index.m3u8?token=***",
     "https://cdn.example.com/live/index.m3u8?token=abcdef", "https"},
    {"http://viewer:secret@10.1.1.9/mjpg/video.mjpg", PullKind::kHttp, "10.1.1.9", 80,
     "http://viewer:***@10.1.1.9/mjpg/video.mjpg", "http://10.1.1.9/mjpg/video.mjpg", "http"},
    {"v4l2:///dev/video2", PullKind::kV4l2, "", 0, "v4l2:///dev/video2", "v4l2:///dev/video2",
     "v4l2"},
    {"file:///clips/a.mp4", PullKind::kFile, "", 0, "file:///clips/a.mp4", "file:///clips/a.mp4",
     "file"},
    {"file:///sessions/cam.sdp", PullKind::kFile, "", 0, "file:///sessions/cam.sdp",
     "file:///sessions/cam.sdp", "sdp"},
    {"sdp:///sessions/cam.sdp", PullKind::kFile, "", 0, "sdp:///sessions/cam.sdp",
     "sdp:///sessions/cam.sdp", "sdp"},
    {"udp://127.0.0.1:5004", PullKind::kUdp, "127.0.0.1", 5004, "udp://127.0.0.1:5004",
     "udp://127.0.0.1:5004", "udp"},
};

struct BadUri {
  const char* uri;
  const char* error;
};

const std::vector<BadUri> kBad = {
    {"ftp://host/x",
     "unknown scheme \"ftp\" (known: file, rtsp, rtsps, rtmp, rtmps, srt, http, "
     "https, v4l2, udp, sdp)"},
    {"/abs/clip.mp4",
     "expected a URI such as \"rtsp://camera/stream\" or \"file:///abs/clip.mp4\""},
    {"RTSP://cam/s", "expected a URI such as \"rtsp://camera/stream\" or \"file:///abs/clip.mp4\""},
    {"rtsp://cam:99999/s", "expected a port in 1..65535 after \"cam:\""},
    {"rtsp:///s", "expected a host name or address after \"://\""},
    {"rtsp://cam/s\" ! fakesink",
     "spaces, quotes, backslashes and control characters are not "
     "allowed (percent-encode them)"},
    {"rtmp://media/live",
     "expected a stream name after the application, as in "
     "rtmp://host/app/stream"},
    {"rtmp://media", "expected an application after the host, as in rtmp://host/app/stream"},
    {"srt://encoder",
     "an SRT URI needs a port, as in srt://host:9000 or srt://:9000?mode=listener"},
    {"srt://:9000?mode=caller",
     "an SRT caller needs a host, as in srt://host:9000 (srt://:9000 "
     "listens)"},
    {"srt://h:9000?mode=rendezvous", "mode is \"caller\" or \"listener\""},
    {"srt://h:9000?passphrase=short", "an SRT passphrase has 10 to 79 characters"},
    {"srt://h:9000?foo=1",
     "unknown SRT parameter \"foo\" (known: mode, passphrase, pbkeylen, "
     "latency, streamid)"},
    {"v4l2:///etc/passwd", "expected a device under /dev, as in v4l2:///dev/video0"},
    {"v4l2:///dev/../etc/x", "expected a device under /dev, as in v4l2:///dev/video0"},
    {"file://relative/x.mp4", "expected an absolute path, as in file:///abs/clip.mp4"},
    {"udp://127.0.0.1", "a UDP URI needs a port, as in udp://0.0.0.0:5000"},
};
}  // namespace

TEST_CASE("pull URIs: kinds, hosts, ports, locations and masked secrets", "[core][pull]") {
  for (const GoodUri& g : kGood) {
    DYNAMIC_SECTION(g.uri) {
      std::string error;
      const auto t = parsePullUri(g.uri, &error);
      REQUIRE(t);
      CHECK(error.empty());
      CHECK(t->kind == g.kind);
      CHECK(t->host == g.host);
      CHECK(t->port == g.port);
      CHECK(t->masked == g.masked);
      CHECK(t->location == g.location);
      CHECK(t->protocol() == g.protocol);
      CHECK(t->uri == g.uri);
    }
  }
}

TEST_CASE("pull URIs: credentials, listener and caller", "[core][pull]") {
  auto t = parsePullUri("rtsp://admin:p%40ss@cam.local:8554/h264", nullptr);
  REQUIRE(t);
  CHECK(t->user == "admin");
  CHECK(t->password == "p@ss");  // decoded: rtspsrc gets it as a property
  t = parsePullUri("srt://:9001?mode=listener&passphrase=0123456789ab&pbkeylen=32", nullptr);
  REQUIRE(t);
  CHECK(t->listener);
  CHECK(t->passphrase == "0123456789ab");
  CHECK(t->pbkeylen == 32);
  CHECK(t->defaultTimeouts().connectS == 0);  // a listener waits for its caller
  t = parsePullUri("srt://h:9001?latency=300", nullptr);
  REQUIRE(t);
  CHECK_FALSE(t->listener);
  CHECK(t->defaultTimeouts().latencyMs == 300);
  CHECK(t->defaultTimeouts().connectS > 0);
}

TEST_CASE("pull URIs: secrets are scrubbed from any text", "[core][pull]") {
  const auto t = parsePullUri("rtsp://admin:hunter22@cam/s?token=tok-123", nullptr);
  REQUIRE(t);
  CHECK(t->redact("Could not connect to rtsp://admin:hunter22@cam/s?token=tok-123: refused") ==
        "Could not connect to rtsp://admin:***@cam/s?token=***: refused");
  const auto rtmp = parsePullUri("rtmp://m/live/the-stream-key", nullptr);
  REQUIRE(rtmp);
  CHECK(rtmp->redact("play the-stream-key failed") == "play *** failed");
  const auto srt = parsePullUri("srt://h:1?passphrase=0123456789ab&streamid=cam-7", nullptr);
  REQUIRE(srt);
  CHECK(srt->redact("bad 0123456789ab for cam-7") == "bad *** for ***");
}

TEST_CASE("pull URIs: refused with a reason", "[core][pull]") {
  for (const BadUri& b : kBad) {
    DYNAMIC_SECTION(b.uri) {
      std::string error;
      CHECK_FALSE(parsePullUri(b.uri, &error));
      CHECK(error == b.error);
    }
  }
  std::string error;
  CHECK_FALSE(parsePullUri("rtsp://h/" + std::string(3000, 'k'), &error));
  CHECK(error == "longer than 2048 bytes");
}

TEST_CASE("[[ingest.pull]] timeouts and latency in an installation file", "[core][config][pull]") {
  auto config = tessera::core::parseConfig(
      "[[ingest.pull]]\nuri = \"rtsp://u:pw@cam/s\"\n"
      "[[ingest.pull]]\nuri = \"srt://:9000?mode=listener\"\nconnect_timeout_s = 20\n"
      "stall_timeout_s = 3\nlatency_ms = 250\n"
      "[[ingest.pull]]\nuri = \"https://h/live.m3u8\"\n",
      "t.toml");
  REQUIRE(config.ingest.pulls.size() == 3);
  const auto& rtsp = config.ingest.pulls[0];
  CHECK(rtsp.target.masked == "rtsp://u:***@cam/s");
  CHECK(rtsp.timeouts.connectS == 10);
  CHECK(rtsp.timeouts.stallS == 5);
  CHECK(rtsp.timeouts.latencyMs == 200);
  const auto& srt = config.ingest.pulls[1];
  CHECK(srt.target.listener);
  CHECK(srt.timeouts.connectS == 20);
  CHECK(srt.timeouts.stallS == 3);
  CHECK(srt.timeouts.latencyMs == 250);
  CHECK(config.ingest.pulls[2].timeouts.connectS == 15);

  const auto problems = [](const std::string& text) {
    try {
      tessera::core::parseConfig(text, "t.toml");
    } catch (const tessera::core::ConfigError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  // The message never repeats the URI (it may hold a password).
  CHECK(problems("[[ingest.pull]]\nuri = \"srt://:9000?mode=caller&passphrase=0123456789\"\n") ==
        "t.toml:2: ingest.pull[0].uri: an SRT caller needs a host, as in srt://host:9000 "
        "(srt://:9000 listens)");
  CHECK(problems("[[ingest.pull]]\nuri = \"rtmp://h/live/k\"\nlatency_ms = 100\n") ==
        "t.toml:3: ingest.pull[0].latency_ms: only RTSP and SRT sources have a latency (rtsp://, "
        "srt://)");
  CHECK(problems("[[ingest.pull]]\nuri = \"srt://:9000\"\n[[ingest.pull]]\nuri = "
                 "\"srt://127.0.0.1:9000?mode=listener\"\n") ==
        "t.toml:4: ingest.pull[1].uri: listens on port 9000 like ingest.pull[0]");
  CHECK(problems("[[ingest.pull]]\nuri = \"rtsp://h/s\"\nstall_timeout_s = 0\n")
            .find("ingest.pull[0].stall_timeout_s: expected a number of seconds in 0.5..3600") !=
        std::string::npos);
}
