// libFuzzer target: a WHEP viewer's offer (restream/whep_offer), read before any session exists.
// Invariants: no crash, no sanitizer report; a refusal is 400 or 406 with a reason; a choice is a
// payload type 0..127 that the input names in an "a=rtpmap:PT H264/90000" line.
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "restream/whep_offer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  using namespace tessera::restream;
  const auto result = chooseWhepCodec(input);
  if (const auto* problem = std::get_if<WhepOfferProblem>(&result)) {
    assert(problem->status == 400 || problem->status == 406);
    assert(!problem->detail.empty());
  } else {
    const auto& codec = std::get<WhepCodec>(result);
    assert(codec.payloadType >= 0 && codec.payloadType <= 127);
    assert(input.find("rtpmap:" + std::to_string(codec.payloadType) + " ") !=
           std::string_view::npos);
  }
  return 0;
}
