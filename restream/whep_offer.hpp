// What a WHEP viewer's SDP offer (draft-ietf-wish-whep) must hold before a session is made, and
// which of its H.264 payload types carries the canvas stream. Pure text handling: no GStreamer,
// so it is tested as tables and fuzzed.
#pragma once

#include <string>
#include <string_view>
#include <variant>

namespace tessera::restream {

// The payload type the answer uses, with its format parameters as the offer gave them.
struct WhepCodec {
  int payloadType = 0;
  std::string profileLevelId;  // "42e01f"; empty when the offer names none
};

// Why an offer is refused: 400 (not an offer a viewer sends) or 406 (nothing we can send).
struct WhepOfferProblem {
  int status = 400;
  std::string detail;
};

// The canvas is H.264 Constrained Baseline in packetization mode 1 (x264, no B-frames). Of the
// first video section's H.264 payloads in mode 1 this picks Constrained Baseline (42e0..) first,
// then Baseline (42..), then any other profile (their decoders decode Constrained Baseline too).
std::variant<WhepCodec, WhepOfferProblem> chooseWhepCodec(std::string_view sdp);

}  // namespace tessera::restream
