// The join page's clock exchange (POST /whip/{id}/clock, docs/http-api.md): the request body's
// parser. Untrusted bytes: it never throws and bounds every number before it becomes a time.
//
// Thread: any (pure).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "core/clock_offset.hpp"

namespace tessera::control {

// A clock request body: {"t0": MS, "prev": [T0, T1, T2, T3]} (Unix ms; prev is optional).
struct ClockRequest {
  std::int64_t t0Ns = 0;                     // when the page sent this request, its clock
  std::optional<core::ExchangeSample> prev;  // the round the page completed before, if any
};

struct ClockRequestError {
  int status;  // 400 malformed, 422 out of range or inconsistent
  std::string detail;
};

// A body is a few dozen bytes; beyond this it is refused unread (413).
inline constexpr std::size_t kClockMaxBodyBytes = 512;
// Server times a page hands back must be this recent (they came from this server).
inline constexpr std::int64_t kClockMaxRoundAgeNs = 120'000'000'000;

// Parses and checks a body received at server Unix time `nowUnixNs`.
std::variant<ClockRequest, ClockRequestError> parseClockRequest(const std::string& body,
                                                                std::int64_t nowUnixNs);

}  // namespace tessera::control
