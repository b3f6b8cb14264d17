#include "control/clock_request.hpp"

#include <cmath>

#include <nlohmann/json.hpp>

namespace tessera::control {
namespace {

using nlohmann::json;

// Unix ms a wall clock can plausibly read: 2000-01-01 to 2100-01-01. A phone's clock may be wrong
// by hours, never by decades; this also keeps every product in int64 ns.
constexpr double kMinUnixMs = 946684800000.0;
constexpr double kMaxUnixMs = 4102444800000.0;

std::optional<std::int64_t> unixMsToNs(const json& v) {
  if (!v.is_number()) return std::nullopt;
  const double ms = v.get<double>();
  if (!std::isfinite(ms) || ms < kMinUnixMs || ms > kMaxUnixMs) return std::nullopt;
  // Whole ms and the fraction apart: ms * 1e6 as one double would be off by up to 128 ns.
  const double whole = std::floor(ms);
  return static_cast<std::int64_t>(whole) * 1'000'000 + std::llround((ms - whole) * 1e6);
}

ClockRequestError malformed(const std::string& why) {
  return {400, why + R"(: expected {"t0": UNIX_MS, "prev": [T0, T1, T2, T3]} ("prev" optional))"};
}

// The page's previous round: its own t0, t3 and the t1, t2 this server answered with.
std::variant<core::ExchangeSample, ClockRequestError> parseRound(const json& prev,
                                                                 std::int64_t nowUnixNs) {
  if (!prev.is_array() || prev.size() != 4) return malformed("\"prev\" is not 4 numbers");
  std::int64_t t[4];
  for (std::size_t i = 0; i < 4; ++i) {
    const auto ns = unixMsToNs(prev[i]);
    if (!ns) return ClockRequestError{422, "\"prev\" holds a value that is no Unix time in ms"};
    t[i] = *ns;
  }
  const core::ExchangeSample s{t[0], t[1], t[2], t[3]};
  if (s.t1 > s.t2 || s.t2 > nowUnixNs || nowUnixNs - s.t1 > kClockMaxRoundAgeNs) {
    return ClockRequestError{422, "\"prev\"[1] and [2] must be this server's recent t1 <= t2"};
  }
  if (s.t3 < s.t0 || s.roundTripNs() < 0) {
    return ClockRequestError{422, "\"prev\": t3 is before t0, or the round trip is negative"};
  }
  return s;
}

}  // namespace

std::variant<ClockRequest, ClockRequestError> parseClockRequest(const std::string& body,
                                                                std::int64_t nowUnixNs) {
  if (body.size() > kClockMaxBodyBytes) return ClockRequestError{413, "the body is too large"};
  const json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return malformed("not a JSON object");
  ClockRequest out;
  bool haveT0 = false;
  for (const auto& [key, value] : doc.items()) {
    if (key == "t0") {
      const auto ns = unixMsToNs(value);
      if (!ns) return ClockRequestError{422, "\"t0\" is no Unix time in ms (2000-2100)"};
      out.t0Ns = *ns;
      haveT0 = true;
    } else if (key == "prev") {
      if (value.is_null()) continue;
      auto round = parseRound(value, nowUnixNs);
      if (auto* error = std::get_if<ClockRequestError>(&round)) return *error;
      out.prev = std::get<core::ExchangeSample>(round);
    } else {
      return malformed("unexpected key \"" + key.substr(0, 32) + "\"");
    }
  }
  if (!haveT0) return malformed("\"t0\" is missing");
  return out;
}

}  // namespace tessera::control
