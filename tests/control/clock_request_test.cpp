// The clock exchange's request parser: what the join page sends, and garbage.
#include "control/clock_request.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <variant>
#include <vector>

using tessera::control::ClockRequest;
using tessera::control::ClockRequestError;
using tessera::control::parseClockRequest;

namespace {
constexpr std::int64_t kMs = 1'000'000;
// The server's clock: 2024-01-01T00:00:10Z.
constexpr std::int64_t kNow = 1'704'067'210'000 * kMs;
}  // namespace

TEST_CASE("clock requests the join page sends", "[control][clock]") {
  auto first = parseClockRequest(R"({"t0": 1704067209990.125})", kNow);
  REQUIRE(std::holds_alternative<ClockRequest>(first));
  CHECK(std::get<ClockRequest>(first).t0Ns == 1'704'067'209'990'125'000);
  CHECK_FALSE(std::get<ClockRequest>(first).prev);

  // The previous round: the page 2 s ahead, 4 ms each way, answered 1 s ago.
  auto next = parseClockRequest(
      R"({"t0": 1704067212000, "prev": [1704067211000, 1704067209004, 1704067209004.5, 1704067211008.5]})",
      kNow);
  REQUIRE(std::holds_alternative<ClockRequest>(next));
  const auto& prev = std::get<ClockRequest>(next).prev;
  REQUIRE(prev);
  CHECK(prev->offsetNs() == 2000 * kMs);
  CHECK(prev->roundTripNs() == 8 * kMs);
  CHECK(std::holds_alternative<ClockRequest>(
      parseClockRequest(R"({"t0": 1704067209990, "prev": null})", kNow)));
}

TEST_CASE("clock requests that are refused, and with which status", "[control][clock]") {
  struct Row {
    const char* what;
    std::string body;
    int status;
  };
  const std::vector<Row> rows = {
      {"empty", "", 400},
      {"not JSON", "hello", 400},
      {"NaN is not JSON", R"({"t0": NaN})", 400},
      {"an array", "[1704067209990]", 400},
      {"t0 missing", "{}", 400},
      {"unknown key", R"({"t0": 1704067209990, "t9": 1})", 400},
      {"t0 a string", R"({"t0": "1704067209990"})", 422},
      {"t0 in seconds", R"({"t0": 1704067209})", 422},
      {"t0 huge", R"({"t0": 1e300})", 422},
      {"t0 beyond int64 ns", R"({"t0": 9.3e12})", 422},
      {"t0 negative", R"({"t0": -1704067209990})", 422},
      {"prev not an array", R"({"t0": 1704067209990, "prev": 5})", 400},
      {"prev of 3",
       R"({"t0": 1704067209990, "prev": [1704067209990, 1704067209990, 1704067209990]})", 400},
      {"prev with a string",
       R"({"t0": 1704067209990, "prev": [1704067209990, "x", 1704067209990, 1704067209990]})", 422},
      {"t1 from 5 minutes ago",
       R"({"t0": 1704067209990, "prev": [1704066909000, 1704066909004, 1704066909005, 1704066909010]})",
       422},
      {"t2 in the server's future",
       R"({"t0": 1704067209990, "prev": [1704067209000, 1704067209004, 1704067219005, 1704067209010]})",
       422},
      {"t2 before t1",
       R"({"t0": 1704067209990, "prev": [1704067209000, 1704067209004, 1704067209003, 1704067209010]})",
       422},
      {"t3 before t0",
       R"({"t0": 1704067209990, "prev": [1704067209010, 1704067209004, 1704067209005, 1704067209000]})",
       422},
      {"over 512 bytes", R"({"t0": 1704067209990, "pad": ")" + std::string(600, 'x') + "\"}", 413},
  };
  for (const Row& r : rows) {
    INFO(r.what);
    const auto result = parseClockRequest(r.body, kNow);
    REQUIRE(std::holds_alternative<ClockRequestError>(result));
    CHECK(std::get<ClockRequestError>(result).status == r.status);
    CHECK_FALSE(std::get<ClockRequestError>(result).detail.empty());
  }
}
