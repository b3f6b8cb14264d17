// Validates untrusted SDP before webrtcbin (or GStreamer's SDP parser) sees it: a WHIP offer
// (POST /whip) and a trickle-ICE fragment (PATCH /whip/{id}, RFC 8840). Pure string work, no
// allocation beyond the result; fuzzed by tests/fuzz/sdp_check_fuzz.cpp.
//
// Thread: any (no state).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::ingest {

struct SdpLimits {
  static constexpr std::size_t kMaxLineBytes = 1024;  // Chrome's longest lines are ~200 bytes
  static constexpr std::size_t kMaxLines = 2000;
  static constexpr std::size_t kMaxMediaSections = 16;
  static constexpr std::size_t kMaxFormatsPerMedia = 64;
  static constexpr std::size_t kMaxCandidates = 64;  // per offer or fragment
  static constexpr std::size_t kMaxMidBytes = 32;
};

struct SdpProblem {
  enum class Kind {
    kMalformed,  // not SDP we accept (HTTP 400)
    kNoVideo,    // no video the phone sends (HTTP 406)
    kNoCodec,    // no video codec tessera decodes (HTTP 406)
  };
  Kind kind = Kind::kMalformed;
  int line = 0;  // 1-based; 0 when about the whole body
  std::string detail;
};

// Rules (docs/http-api.md, WHIP): `v=0` first; every line `x=value`, printable, at most
// kMaxLineBytes; one or more m= sections (at most kMaxMediaSections) with a port 0-65535 and
// RTP payload types 0-127; a=rtpmap/fmtp/rtcp-fb only for listed payload types; every m= section
// has one unique a=mid; at most one direction attribute per section; at least one video section
// that is sendonly or sendrecv with VP8 or H.264 on a dynamic payload type (96-127, or 35-63);
// no video section that is recvonly or inactive; numbers parsed without overflow.
std::optional<SdpProblem> checkWhipOffer(std::string_view sdp);

// A trickle-ICE fragment: the same line rules; only ICE attributes, m= and a=mid lines; each
// a=candidate well-formed (component 1-256, priority 32-bit, port 0-65535, a typ).
std::optional<SdpProblem> checkTrickleFragment(std::string_view fragment);

// The a=candidate lines of a checked fragment, without the "a=" (what webrtcbin takes).
std::vector<std::string> trickleCandidates(std::string_view fragment);

}  // namespace tessera::ingest
