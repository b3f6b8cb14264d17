#include <catch2/catch.hpp>

#include <optional>

#include "platform/main_loop.hpp"
#include "tests/support/wait.hpp"

using tessera::platform::Timer;
using tessera::test::waitUntil;
using namespace std::chrono_literals;

// Each test ends with a later "sentinel" timer: waiting for it gives the timer under test time
// to misbehave (fire again, fire after being dropped) without a bare sleep.

TEST_CASE("a one-shot timer fires once", "[platform][timer]") {
  int fired = 0;
  Timer once(10ms, [&] { ++fired; });
  CHECK(once.pending());
  REQUIRE(waitUntil([&] { return fired == 1; }, 2s));
  CHECK_FALSE(once.pending());
  bool sentinel = false;
  Timer later(100ms, [&] { sentinel = true; });
  REQUIRE(waitUntil([&] { return sentinel; }, 2s));
  CHECK(fired == 1);
}

TEST_CASE("a repeating timer fires until it is dropped", "[platform][timer]") {
  int fired = 0;
  std::optional<Timer> repeat;
  repeat.emplace(
      5ms, [&] { ++fired; }, true);
  REQUIRE(waitUntil([&] { return fired >= 3; }, 2s));
  CHECK(repeat->pending());
  repeat.reset();
  const int atDrop = fired;
  bool sentinel = false;
  Timer later(60ms, [&] { sentinel = true; });
  REQUIRE(waitUntil([&] { return sentinel; }, 2s));
  CHECK(fired == atDrop);
}

TEST_CASE("a timer dropped before it fires never fires", "[platform][timer]") {
  bool fired = false;
  {
    Timer dropped(10ms, [&] { fired = true; });
    CHECK(dropped.pending());
  }
  Timer cancelled(10ms, [&] { fired = true; });
  cancelled.cancel();
  CHECK_FALSE(cancelled.pending());
  bool sentinel = false;
  Timer later(80ms, [&] { sentinel = true; });
  REQUIRE(waitUntil([&] { return sentinel; }, 2s));
  CHECK_FALSE(fired);
}

TEST_CASE("a moved timer fires once, from its new owner", "[platform][timer]") {
  int fired = 0;
  Timer first(10ms, [&] { ++fired; });
  Timer second = std::move(first);
  CHECK_FALSE(first.pending());  // NOLINT(bugprone-use-after-move)
  CHECK(second.pending());
  REQUIRE(waitUntil([&] { return fired == 1; }, 2s));

  // Move-assigning over a pending timer cancels the one that was there.
  bool overwrittenFired = false;
  Timer slot(10ms, [&] { overwrittenFired = true; });
  slot = Timer(30ms, [&] { ++fired; });
  REQUIRE(waitUntil([&] { return fired == 2; }, 2s));
  bool sentinel = false;
  Timer later(60ms, [&] { sentinel = true; });
  REQUIRE(waitUntil([&] { return sentinel; }, 2s));
  CHECK_FALSE(overwrittenFired);
  CHECK(fired == 2);
}

TEST_CASE("a one-shot timer may destroy itself in its callback", "[platform][timer]") {
  int fired = 0;
  std::optional<Timer> self;
  self.emplace(10ms, [&] {
    self.reset();  // drops the Timer (and its state) while its callback runs
    ++fired;       // the callback's captures must still be usable
  });
  REQUIRE(waitUntil([&] { return fired == 1; }, 2s));
  CHECK_FALSE(self.has_value());

  // ... or replace itself with a new timer (the retry pattern of the ingest supervisor).
  int rearmed = 0;
  std::optional<Timer> retry;
  std::function<void()> arm = [&] {
    ++rearmed;
    if (rearmed < 3) retry = Timer(5ms, arm);
  };
  retry = Timer(5ms, arm);
  REQUIRE(waitUntil([&] { return rearmed == 3; }, 2s));
  bool sentinel = false;
  Timer later(50ms, [&] { sentinel = true; });
  REQUIRE(waitUntil([&] { return sentinel; }, 2s));
  CHECK(rearmed == 3);
}

// Regression: a repeating timer dropped from its own callback once freed the std::function that
// was still running (an ASan heap-use-after-free in a TESSERA_SANITIZE build).
TEST_CASE("a repeating timer may destroy itself in its callback", "[platform][timer][regression]") {
  int fired = 0;
  std::optional<Timer> self;
  self.emplace(
      5ms,
      [&] {
        if (++fired == 3) {
          self.reset();
          ++fired;  // reads `fired` through the (freed) lambda's capture
        }
      },
      true);
  REQUIRE(waitUntil([&] { return fired >= 4; }, 2s));
  CHECK_FALSE(self.has_value());
}
