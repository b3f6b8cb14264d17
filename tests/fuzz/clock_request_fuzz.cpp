// The clock exchange's request parser never throws or crashes, and what it accepts is ordered.
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>

#include "control/clock_request.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);
  constexpr std::int64_t kNow = 1'704'067'210'000'000'000;
  const auto result = tessera::control::parseClockRequest(body, kNow);
  if (const auto* r = std::get_if<tessera::control::ClockRequest>(&result)) {
    if (r->prev) {
      assert(r->prev->t1 <= r->prev->t2 && r->prev->t2 <= kNow);
      assert(r->prev->t0 <= r->prev->t3 && r->prev->roundTripNs() >= 0);
    }
  } else {
    assert(!std::get<tessera::control::ClockRequestError>(result).detail.empty());
  }
  return 0;
}
