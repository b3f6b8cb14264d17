#include "restream/whep_offer.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

using tessera::restream::chooseWhepCodec;
using tessera::restream::WhepCodec;
using tessera::restream::WhepOfferProblem;

namespace {

std::string chromiumOffer() {
  std::ifstream in(std::string(TESSERA_SOURCE_DIR) + "/tests/e2e/data/whep_offer_chromium.sdp");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string offer(const std::string& videoLines,
                  const std::string& mline = "m=video 9 UDP/TLS/RTP/SAVPF 96 97 98") {
  return "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n" + mline + "\r\n" + videoLines;
}

int chosen(const std::string& sdp) {
  const auto r = chooseWhepCodec(sdp);
  REQUIRE(std::holds_alternative<WhepCodec>(r));
  return std::get<WhepCodec>(r).payloadType;
}

WhepOfferProblem refused(const std::string& sdp) {
  const auto r = chooseWhepCodec(sdp);
  REQUIRE(std::holds_alternative<WhepOfferProblem>(r));
  return std::get<WhepOfferProblem>(r);
}

}  // namespace

TEST_CASE("a WHEP offer from Chromium gets its Constrained Baseline mode-1 payload", "[whep]") {
  const std::string sdp = chromiumOffer();
  REQUIRE(sdp.find("a=recvonly") != std::string::npos);
  const auto r = chooseWhepCodec(sdp);
  REQUIRE(std::holds_alternative<WhepCodec>(r));
  const auto codec = std::get<WhepCodec>(r);
  // The offer lists 102 (42001f mode 1), 104 (mode 0), 108 (42e01f mode 1) ...
  CHECK(codec.payloadType == 108);
  CHECK(codec.profileLevelId == "42e01f");
}

TEST_CASE("WHEP offers rank H.264 payloads by profile, mode 1 only", "[whep]") {
  const std::string baselineThenCb =
      "a=recvonly\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 "
      "packetization-mode=1;profile-level-id=42001f\r\n"
      "a=rtpmap:97 H264/90000\r\na=fmtp:97 profile-level-id=42E01F; packetization-mode=1\r\n";
  CHECK(chosen(offer(baselineThenCb)) == 97);  // case and spaces do not matter
  const std::string highThenBaseline =
      "a=rtpmap:96 h264/90000\r\na=fmtp:96 packetization-mode=1;profile-level-id=640c1f\r\n"
      "a=rtpmap:97 H264/90000\r\na=fmtp:97 packetization-mode=1;profile-level-id=42001f\r\n";
  CHECK(chosen(offer(highThenBaseline)) == 97);
  const std::string highOnly =
      "a=rtpmap:98 H264/90000\r\na=fmtp:98 packetization-mode=1;profile-level-id=640c1f\r\n";
  CHECK(chosen(offer(highOnly)) == 98);
  // No profile-level-id: RFC 6184's default (42e01f... Baseline) ranks first.
  CHECK(chosen(offer("a=rtpmap:96 VP8/90000\r\na=rtpmap:97 H264/90000\r\n"
                     "a=fmtp:97 packetization-mode=1\r\n")) == 97);
}

TEST_CASE("WHEP offers the canvas cannot be sent in are refused with a reason", "[whep]") {
  CHECK(refused("hello").status == 400);
  CHECK(refused("").status == 400);
  CHECK(refused("v=0\r\ns=-\r\n").status == 406);  // no media at all
  CHECK(refused(offer("a=rtpmap:96 H264/90000\r\n", "m=audio 9 UDP/TLS/RTP/SAVPF 96")).status ==
        406);
  CHECK(refused(offer("a=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1\r\n",
                      "m=video 0 UDP/TLS/RTP/SAVPF 96"))
            .status == 406);  // rejected section
  const auto vp8 = refused(offer("a=rtpmap:96 VP8/90000\r\n"));
  CHECK(vp8.status == 406);
  CHECK(vp8.detail.find("H.264") != std::string::npos);
  // Mode 0 (single NAL units) only: refused.
  CHECK(refused(offer("a=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=0\r\n")).status ==
        406);
  const auto sending =
      refused(offer("a=sendonly\r\na=rtpmap:96 H264/90000\r\n"
                    "a=fmtp:96 packetization-mode=1\r\n"));
  CHECK(sending.status == 400);
  CHECK(sending.detail.find("recvonly") != std::string::npos);
  // Payload numbers outside 0..127 are not payload types.
  CHECK(refused(offer("a=rtpmap:300 H264/90000\r\na=fmtp:300 packetization-mode=1\r\n")).status ==
        406);
  // Nor are numbers with leading zeros (found by whep_offer_fuzz): the answer could not name them.
  CHECK(refused(offer("a=rtpmap:096 H264/90000\r\na=fmtp:096 packetization-mode=1\r\n")).status ==
        406);
  CHECK(chosen(offer("a=rtpmap:0 H264/90000\r\na=fmtp:0 packetization-mode=1\r\n")) == 0);
}

TEST_CASE("only the first video section of a WHEP offer is read", "[whep]") {
  const std::string two = offer(
      "a=rtpmap:96 VP8/90000\r\nm=video 9 UDP/TLS/RTP/SAVPF 97\r\na=rtpmap:97 H264/90000\r\n"
      "a=fmtp:97 packetization-mode=1\r\n",
      "m=video 9 UDP/TLS/RTP/SAVPF 96");
  CHECK(refused(two).status == 406);
  std::string many = offer("");
  for (int i = 0; i < 5000; ++i) many += "a=x\r\n";
  CHECK(refused(many).status == 400);
}
