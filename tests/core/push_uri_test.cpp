#include "core/push_uri.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "core/config.hpp"

using tessera::core::parsePushUri;
using tessera::core::PushKind;

namespace {
struct GoodUri {
  const char* uri;
  PushKind kind;
  const char* host;
  int port;
  const char* masked;
};

const std::vector<GoodUri> kGood = {
    {"rtmp://live.example.com/app/abcd-1234-key", PushKind::kRtmp, "live.example.com", 1935,
     "rtmp://live.example.com/app/***"},
    {"rtmp://127.0.0.1:1936/live", PushKind::kRtmp, "127.0.0.1", 1936, "rtmp://127.0.0.1:1936/live"},
    {"rtmps://a.rtmps.youtube.com/live2/xxxx-yyyy?backup=1", PushKind::kRtmps,
     "a.rtmps.youtube.com", 443, "rtmps://a.rtmps.youtube.com/live2/***"},
    {"rtmp://user:pa55@host/app/key", PushKind::kRtmp, "host", 1935, "rtmp://user:***@host/app/***"},
    {"srt://10.0.0.5:9000", PushKind::kSrt, "10.0.0.5", 9000, "srt://10.0.0.5:9000"},
    {"srt://:9001", PushKind::kSrt, "", 9001, "srt://:9001"},
    {"srt://truck.local:7001?passphrase=0123456789abc&latency=200&streamid=#!::r=cam",
     PushKind::kSrt, "truck.local", 7001, "srt://truck.local:7001?passphrase=***&latency=200&streamid=***"},
};

struct BadUri {
  const char* uri;
  const char* error;
};

const std::vector<BadUri> kBad = {
    {"http://host/app", "expected rtmp://, rtmps:// or srt://"},
    {"rtmp://host", "expected an application after the host, as in rtmp://host/app/stream-key"},
    {"rtmp:///app/key", "expected a host name or address after \"://\""},
    {"rtmp://ho st/app", "spaces, quotes, backslashes and control characters are not allowed "
                          "(percent-encode them)"},
    {"rtmp://host\"!fakesink/app", "spaces, quotes, backslashes and control characters are not "
                                  "allowed (percent-encode them)"},
    {"rtmp://host:99999/app", "expected a port in 1..65535 after \"host:\""},
    {"rtmp://h%6Fst/app", "the host may hold only letters, digits, '-' and '.'"},
    {"srt://host", "an SRT URI needs a port, as in srt://host:9000 or srt://:9000"},
    {"srt://host:9000/path", "expected srt://host:port (caller) or srt://:port (listener)"},
    {"srt://host:9000?passphrase=short", "an SRT passphrase has 10 to 79 characters"},
    {"srt://host:9000?pbkeylen=8", "pbkeylen is 16, 24 or 32"},
    {"srt://host:9000?latency=x", "latency is a number of milliseconds in 1..65535"},
    {"srt://host:9000?mode=rendezvous",
     "unknown SRT parameter \"mode\" (known: passphrase, pbkeylen, latency, streamid)"},
};
}  // namespace

TEST_CASE("push URIs: kinds, hosts, ports and masked secrets", "[core][push]") {
  for (const GoodUri& g : kGood) {
    DYNAMIC_SECTION(g.uri) {
      std::string error;
      const auto t = parsePushUri(g.uri, &error);
      REQUIRE(t);
      CHECK(error.empty());
      CHECK(t->kind == g.kind);
      CHECK(t->host == g.host);
      CHECK(t->port == g.port);
      CHECK(t->masked == g.masked);
      CHECK(t->uri == g.uri);
      CHECK(t->listener() == (g.kind == PushKind::kSrt && std::string(g.host).empty()));
    }
  }
}

TEST_CASE("push URIs: refused with a reason", "[core][push]") {
  for (const BadUri& b : kBad) {
    DYNAMIC_SECTION(b.uri) {
      std::string error;
      CHECK_FALSE(parsePushUri(b.uri, &error));
      CHECK(error == b.error);
    }
  }
  std::string error;
  CHECK_FALSE(parsePushUri("rtmp://host/app/" + std::string(3000, 'k'), &error));
  CHECK(error == "longer than 2048 bytes");
}

TEST_CASE("[[output.push]] in an installation file", "[core][config][push]") {
  const auto config = tessera::core::parseConfig(
      "[[output.push]]\nuri = \"rtmp://h/app/key\"\n[[output.push]]\nuri = \"srt://:9000\"\n",
      "t.toml");
  REQUIRE(config.output.pushes.size() == 2);
  CHECK(config.output.pushes[0].masked == "rtmp://h/app/***");
  CHECK(config.output.pushes[1].listener());
  const auto problems = [](const char* text) {
    try {
      tessera::core::parseConfig(text, "t.toml");
    } catch (const tessera::core::ConfigError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  // The message never repeats the URI (it may hold a stream key).
  CHECK(problems("[[output.push]]\nuri = \"rtmp://h\"\n") ==
        "t.toml:2: output.push[0].uri: not a push target: expected an application after the "
        "host, as in rtmp://host/app/stream-key");
  CHECK(problems("[[output.push]]\nuri = \"srt://:9000\"\n[[output.push]]\nuri = "
                 "\"srt://:9000?latency=50\"\n") ==
        "t.toml:4: output.push[1].uri: the same target as output.push[0] (srt://:9000)");
  CHECK(problems("[[output.push]]\nurl = \"rtmp://h/a/k\"\n").find("output.push[0].url: unknown key") !=
        std::string::npos);
}
