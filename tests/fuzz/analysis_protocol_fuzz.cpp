// libFuzzer target: the analysis worker message decoder must refuse, never crash on, any bytes,
// and whatever it accepts must hold the schema's promises and re-encode to the same bytes.
//
//   clang++ build: cmake -DCMAKE_CXX_COMPILER=clang++ ...; ninja analysis_protocol_fuzz
//   ./analysis_protocol_fuzz -max_total_time=60
#include <cassert>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "analysis/protocol.hpp"

using namespace tessera::analysis::protocol;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Message m = decode({data, size});
  std::vector<std::uint8_t> again;
  if (const auto* h = std::get_if<Hello>(&m)) {
    assert(h->maxInFlight >= 1 && h->maxInFlight <= kMaxInFlight);
    assert(h->name.size() <= kMaxNameBytes);
    for (const char c : h->name) assert(c >= 0x20 && c <= 0x7e);  // logged and shown as is
    encodeHello(*h, again);
    assert(again.size() == size && std::memcmp(again.data(), data, size) == 0);
  } else if (const auto* r = std::get_if<Result>(&m)) {
    assert(std::isfinite(r->brightness) && r->brightness >= 0 && r->brightness <= 1);
    assert(std::isfinite(r->motion) && r->motion >= 0 && r->motion <= 1);
    assert(r->faces >= 0 && r->faces <= kMaxFaces);
    assert(r->thumbnail.pixels.size() ==
           static_cast<std::size_t>(r->thumbnail.width * r->thumbnail.height));
    encodeResult(*r, again);
    assert(again.size() == size && std::memcmp(again.data(), data, size) == 0);
  } else if (const auto* j = std::get_if<JobView>(&m)) {
    assert(j->pixels.size() ==
           packedFrameBytes(j->header.format, j->header.width, j->header.height));
    assert(j->pixels.data() >= data && j->pixels.data() + j->pixels.size() <= data + size);
    assert(j->previous.size() == static_cast<std::size_t>(j->previousWidth * j->previousHeight));
  }
  return 0;
}
