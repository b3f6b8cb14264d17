// The per-address rate limit shared by POST /whip and POST /api/v1/reactions.
#include "control/detail/rate_limit.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

using tessera::control::detail::AddressRateLimit;
using Verdict = AddressRateLimit::Verdict;
using namespace std::chrono_literals;

namespace {
AddressRateLimit::Clock::time_point at(double seconds) {
  return AddressRateLimit::Clock::time_point(
      std::chrono::duration_cast<AddressRateLimit::Clock::duration>(
          std::chrono::duration<double>(seconds + 1000)));
}
}  // namespace

TEST_CASE("an address gets perWindow requests a window, then a wait", "[control][rate]") {
  struct Row {
    const char* what;
    const char* address;
    double atS;
    Verdict verdict;
    long retryAfterS;  // when refused
  };
  // 3 a minute.
  const std::vector<Row> rows = {
      {"1st", "a", 0, Verdict::kAllowed, 0},
      {"2nd", "a", 1, Verdict::kAllowed, 0},
      {"3rd", "a", 2, Verdict::kAllowed, 0},
      {"4th within the minute: wait until the 1st leaves it", "a", 10, Verdict::kOverRate, 51},
      {"another address is not affected", "b", 10, Verdict::kAllowed, 0},
      {"still refused a moment before", "a", 59.5, Verdict::kOverRate, 1},
      {"the 1st has left the window", "a", 60.5, Verdict::kAllowed, 0},
      {"but not the 2nd", "a", 60.6, Verdict::kOverRate, 1},
  };
  AddressRateLimit limit(3, 60s, 16);
  for (const Row& r : rows) {
    INFO(r.what);
    const auto d = limit.admit(r.address, at(r.atS));
    CHECK(d.verdict == r.verdict);
    CHECK(static_cast<bool>(d) == (r.verdict == Verdict::kAllowed));
    if (r.verdict != Verdict::kAllowed) CHECK(d.retryAfter.count() == r.retryAfterS);
  }
}

TEST_CASE("the addresses remembered stay bounded", "[control][rate]") {
  AddressRateLimit limit(5, 60s, 4);
  for (int i = 0; i < 4; ++i) CHECK(limit.admit("busy" + std::to_string(i), at(0)));
  CHECK(limit.addresses() == 4);
  // Every remembered address is inside its window: a fifth is refused, nothing grows.
  const auto full = limit.admit("new", at(30));
  CHECK(full.verdict == Verdict::kTooManyAddresses);
  CHECK(full.retryAfter == 60s);
  CHECK(limit.addresses() == 4);
  // A known address still gets its rate.
  CHECK(limit.admit("busy0", at(30)));
  // Once the others have been idle for the window they are forgotten for the newcomer.
  CHECK(limit.admit("new", at(61)));
  CHECK(limit.addresses() == 2);  // busy0 (at 30) and new
  for (int i = 0; i < 1000; ++i) {
    limit.admit("flood" + std::to_string(i), at(62 + i * 0.001));
    CHECK(limit.addresses() <= 4);
  }
}
