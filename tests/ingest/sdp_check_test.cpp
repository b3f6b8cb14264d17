#include "ingest/sdp_check.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using tessera::ingest::checkTrickleFragment;
using tessera::ingest::checkWhipOffer;
using tessera::ingest::SdpProblem;
using tessera::ingest::trickleCandidates;

namespace {

// A minimal browser-like offer; `video` is the video section's lines after its m= line.
std::string offer(const std::string& mline = "m=video 9 UDP/TLS/RTP/SAVPF 96 97",
                  const std::string& video =
                      "a=mid:0\r\na=sendonly\r\na=rtpmap:96 VP8/90000\r\n"
                      "a=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\n"
                      "a=rtcp-fb:96 nack pli\r\n",
                  const std::string& more = "") {
  return "v=0\r\no=- 46117314 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n" + mline +
         "\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:abcd\r\na=ice-pwd:aaaaaaaaaaaaaaaaaaaaaaaa\r\n" +
         "a=rtcp-mux\r\n" + video + more;
}

const std::string kAudio =
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:1\r\na=sendonly\r\na=rtpmap:111 opus/48000/2\r\n";

}  // namespace

TEST_CASE("good offers pass", "[ingest][sdp]") {
  CHECK_FALSE(checkWhipOffer(offer()));
  CHECK_FALSE(checkWhipOffer(
      offer("m=video 9 UDP/TLS/RTP/SAVPF 102", "a=mid:v\na=sendrecv\na=rtpmap:102 H264/90000\n")));
  CHECK_FALSE(checkWhipOffer(offer() + kAudio));
  // No direction attribute means sendrecv (RFC 8866); Chrome's lower dynamic range (35-63).
  CHECK_FALSE(checkWhipOffer(
      offer("m=video 9 UDP/TLS/RTP/SAVPF 45", "a=mid:0\r\na=rtpmap:45 VP8/90000\r\n")));
}

TEST_CASE("bad offers are refused naming the line", "[ingest][sdp]") {
  struct Case {
    std::string name;
    std::string sdp;
    SdpProblem::Kind kind;
    int line;  // 0: any
    std::string needle;
  };
  using K = SdpProblem::Kind;
  const std::string big(2000, 'x');
  const std::vector<Case> cases{
      {"empty", "", K::kMalformed, 0, "empty"},
      {"not SDP", "hello", K::kMalformed, 1, "x=value"},
      {"no v=0", "o=- 1 2 IN IP4 127.0.0.1\r\n", K::kMalformed, 1, "v=0"},
      {"duplicate mids", offer() + "m=video 9 UDP/TLS/RTP/SAVPF 98\r\na=mid:0\r\na=sendonly\r\n",
       K::kMalformed, 17, "two m= sections"},
      {"missing mid",
       offer("m=video 9 UDP/TLS/RTP/SAVPF 96", "a=sendonly\r\na=rtpmap:96 VP8/90000\r\n"),
       K::kMalformed, 6, "no a=mid"},
      {"recvonly video",
       offer("m=video 9 UDP/TLS/RTP/SAVPF 96",
             "a=mid:0\r\na=recvonly\r\na=rtpmap:96 VP8/90000\r\n"),
       K::kMalformed, 6, "recvonly"},
      {"inactive video",
       offer("m=video 9 UDP/TLS/RTP/SAVPF 96",
             "a=mid:0\r\na=inactive\r\na=rtpmap:96 VP8/90000\r\n"),
       K::kMalformed, 6, "inactive"},
      {"two directions",
       offer("m=video 9 UDP/TLS/RTP/SAVPF 96",
             "a=mid:0\r\na=sendonly\r\na=recvonly\r\na=rtpmap:96 VP8/90000\r\n"),
       K::kMalformed, 13, "direction"},
      {"payload type 2^32", offer("m=video 9 UDP/TLS/RTP/SAVPF 4294967296"), K::kMalformed, 6,
       "0-127"},
      {"payload type 128", offer("m=video 9 UDP/TLS/RTP/SAVPF 128"), K::kMalformed, 6, "0-127"},
      {"negative payload type", offer("m=video 9 UDP/TLS/RTP/SAVPF -1"), K::kMalformed, 6, "0-127"},
      {"huge payload type", offer("m=video 9 UDP/TLS/RTP/SAVPF 99999999999999999999999"),
       K::kMalformed, 6, "0-127"},
      {"rtpmap 2^32",
       offer("m=video 9 UDP/TLS/RTP/SAVPF 96",
             "a=mid:0\r\na=sendonly\r\na=rtpmap:4294967296 VP8/90000\r\n"),
       K::kMalformed, 13, "0-127"},
      {"rtpmap not listed",
       offer("m=video 9 UDP/TLS/RTP/SAVPF 96",
             "a=mid:0\r\na=sendonly\r\na=rtpmap:100 VP8/90000\r\n"),
       K::kMalformed, 13, "not on the m= line"},
      {"port 65536", offer("m=video 65536 UDP/TLS/RTP/SAVPF 96"), K::kMalformed, 6, "port"},
      {"port overflow", offer("m=video 18446744073709551617 UDP/TLS/RTP/SAVPF 96"), K::kMalformed,
       6, "port"},
      {"too long a line", offer() + "a=x:" + big + "\r\n", K::kMalformed, 17, "bytes"},
      {"control characters", offer() + "a=x:\x01\r\n", K::kMalformed, 17, "control"},
      {"NUL in line", offer() + std::string("a=x:\0y\r\n", 7), K::kMalformed, 17, "control"},
      {"not x=value", offer() + "garbage\r\n", K::kMalformed, 17, "x=value"},
      {"too many lines",
       offer() +
           [] {
             std::string s;
             for (int i = 0; i < 2100; ++i) s += "a=x\r\n";
             return s;
           }(),
       K::kMalformed, 2001, "lines"},
      {"too many m= sections",
       [] {
         std::string s = offer();
         for (int i = 1; i < 20; ++i) {
           s += "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:" + std::to_string(i) + "\r\n";
         }
         return s;
       }(),
       K::kMalformed, 0, "m= sections"},
      {"bad candidate", offer() + "a=candidate:1 1 UDP 99999999999 127.0.0.1 9 typ host\r\n",
       K::kMalformed, 17, "priority"},
      {"audio only",
       offer("m=audio 9 UDP/TLS/RTP/SAVPF 111",
             "a=mid:0\r\na=sendonly\r\na=rtpmap:111 opus/48000/2\r\n"),
       K::kNoVideo, 0, "video"},
      {"no decodable codec",
       offer("m=video 9 UDP/TLS/RTP/SAVPF 96",
             "a=mid:0\r\na=sendonly\r\na=rtpmap:96 AV1/90000\r\n"),
       K::kNoCodec, 0, "VP8 or H.264"},
      {"VP8 on a static payload type",
       offer("m=video 9 UDP/TLS/RTP/SAVPF 26",
             "a=mid:0\r\na=sendonly\r\na=rtpmap:26 VP8/90000\r\n"),
       K::kNoCodec, 0, "VP8 or H.264"},
      {"ufrag too short", offer() + "a=ice-ufrag:ab\r\n", K::kMalformed, 17, "ice-ufrag"},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    const auto problem = checkWhipOffer(c.sdp);
    REQUIRE(problem);
    INFO(problem->detail);
    CHECK(problem->kind == c.kind);
    if (c.line) CHECK(problem->line == c.line);
    CHECK(problem->detail.find(c.needle) != std::string::npos);
  }
}

TEST_CASE("trickle fragments", "[ingest][sdp]") {
  const std::string good =
      "a=ice-ufrag:abcd\r\na=ice-pwd:aaaaaaaaaaaaaaaaaaaaaaaa\r\nm=video 9 UDP/TLS/RTP/SAVPF 0\r\n"
      "a=mid:0\r\na=candidate:1 1 UDP 2130706431 127.0.0.1 9 typ host\r\n"
      "a=candidate:2 1 UDP 1694498815 203.0.113.7 50000 typ srflx raddr 0.0.0.0 rport 0\r\n"
      "a=end-of-candidates\r\n";
  CHECK_FALSE(checkTrickleFragment(good));
  CHECK_FALSE(checkTrickleFragment(""));
  const auto candidates = trickleCandidates(good);
  REQUIRE(candidates.size() == 2);
  CHECK(candidates[0] == "candidate:1 1 UDP 2130706431 127.0.0.1 9 typ host");

  const std::vector<std::pair<std::string, std::string>> bad{
      {"a=candidate:1 1 UDP 2130706431 127.0.0.1 65536 typ host\r\n", "port"},
      {"a=candidate:1 0 UDP 2130706431 127.0.0.1 9 typ host\r\n", "component"},
      {"a=candidate:1 1 UDP 4294967296 127.0.0.1 9 typ host\r\n", "priority"},
      {"a=candidate:1 1 UDP 1 127.0.0.1 9 host\r\n", "candidate"},
      {"a=candidate:\r\n", "candidate"},
      {"a=rtpmap:96 VP8/90000\r\n", "does not belong"},
      {"v=0\r\n", "only a= and m="},
      {"m=video 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\nm=video 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\n",
       "two m= sections"},
      {"m=video 9 UDP/TLS/RTP/SAVPF 4294967296\r\n", "0-127"},
      {"a=ice-ufrag:" + std::string(300, 'u') + "\r\n", "ice-ufrag"},
  };
  for (const auto& [fragment, needle] : bad) {
    INFO(fragment.substr(0, 80));
    const auto problem = checkTrickleFragment(fragment);
    REQUIRE(problem);
    INFO(problem->detail);
    CHECK(problem->line >= 1);
    CHECK(problem->detail.find(needle) != std::string::npos);
  }
  std::string many;
  for (int i = 0; i < 70; ++i) many += "a=candidate:1 1 UDP 1 127.0.0.1 9 typ host\r\n";
  const auto problem = checkTrickleFragment(many);
  REQUIRE(problem);
  CHECK(problem->line == 65);
}
