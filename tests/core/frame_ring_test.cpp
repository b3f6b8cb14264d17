// Frame choice from a ring, as tables: gaps, late frames, wrap-around, trimming.
#include "core/frame_ring.hpp"

#include <catch2/catch.hpp>

#include <vector>

using namespace std::chrono_literals;
using tessera::core::Clock;
using tessera::core::FrameRef;
using tessera::core::FrameRing;
using tessera::core::VideoFrame;

namespace {

const Clock::time_point kT0 = Clock::time_point(100s);

// A frame captured at t0 + captureMs, with `sequence` to tell frames apart.
FrameRef frame(std::uint64_t sequence, int captureMs) {
  auto f = std::make_shared<VideoFrame>();
  f->sequence = sequence;
  f->capture = kT0 + std::chrono::milliseconds(captureMs);
  f->arrival = f->capture + 100ms;
  return f;
}

FrameRing ringOf(std::size_t capacity, const std::vector<int>& captureMs) {
  FrameRing ring(capacity);
  std::uint64_t seq = 1;
  for (int ms : captureMs) ring.push(frame(seq++, ms));
  return ring;
}

std::uint64_t nearestSeq(FrameRing& ring, int targetMs) {
  auto f = ring.nearest(kT0 + std::chrono::milliseconds(targetMs));
  return f ? f->sequence : 0;
}

std::vector<std::uint64_t> sequences(const FrameRing& ring) {
  std::vector<std::uint64_t> out;
  for (const auto& f : ring.frames()) out.push_back(f->sequence);
  return out;
}

}  // namespace

TEST_CASE("the frame nearest a target capture time is chosen", "[core][ring]") {
  struct Row {
    const char* what;
    std::vector<int> captures;  // ms, in arrival order
    int target;
    std::uint64_t expected;  // sequence (1-based), 0 = none
  };
  const std::vector<Row> rows = {
      {"empty ring", {}, 0, 0},
      {"exact match", {0, 33, 66, 100}, 66, 3},
      {"between, nearer the earlier", {0, 33, 66, 100}, 40, 2},
      {"between, nearer the later", {0, 33, 66, 100}, 60, 3},
      {"a tie goes to the earlier frame", {0, 40}, 20, 1},
      {"target before every frame: the oldest", {500, 533}, 0, 1},
      {"target after every frame (a late feed): the newest", {0, 33, 66}, 900, 3},
      {"a gap in the frames (a stalled phone)", {0, 33, 600, 633}, 300, 2},
      {"a gap, nearer its far side", {0, 33, 600, 633}, 400, 3},
      {"a frame that arrived out of capture order", {0, 66, 33, 100}, 35, 3},
      {"one frame", {250}, 0, 1},
  };
  for (const Row& r : rows) {
    INFO(r.what);
    FrameRing ring = ringOf(8, r.captures);
    CHECK(nearestSeq(ring, r.target) == r.expected);
  }
}

TEST_CASE("a full ring drops its oldest frame and wraps around", "[core][ring]") {
  FrameRing ring(4);
  for (std::uint64_t i = 1; i <= 10; ++i) {
    const FrameRef evicted = ring.push(frame(i, static_cast<int>(i) * 33));
    if (i <= 4) {
      CHECK_FALSE(evicted);
    } else {
      REQUIRE(evicted);
      CHECK(evicted->sequence == i - 4);
    }
  }
  CHECK(ring.size() == 4);
  CHECK(sequences(ring) == std::vector<std::uint64_t>{7, 8, 9, 10});
  CHECK(ring.newest()->sequence == 10);
  // Across the wrap the choice still follows capture times.
  CHECK(nearestSeq(ring, 8 * 33 + 5) == 8);
  CHECK(nearestSeq(ring, 0) == 7);
  // Six frames left without being shown.
  CHECK(ring.droppedUnshown() == 6);
}

TEST_CASE("trimming keeps what a later target can still need", "[core][ring]") {
  struct Row {
    const char* what;
    std::vector<int> captures;
    int earliest;
    std::vector<std::uint64_t> kept;
  };
  const std::vector<Row> rows = {
      {"all frames after the earliest target stay", {100, 133, 166}, 50, {1, 2, 3}},
      {"the last frame at or before it stays (it may be nearest)", {0, 33, 66, 100}, 70, {3, 4}},
      {"exactly at the earliest target", {0, 33, 66}, 33, {2, 3}},
      {"the newest always stays", {0, 33}, 5000, {2}},
      {"empty stays empty", {}, 0, {}},
  };
  for (const Row& r : rows) {
    INFO(r.what);
    FrameRing ring = ringOf(8, r.captures);
    while (ring.popTrimmable(kT0 + std::chrono::milliseconds(r.earliest))) {
    }
    CHECK(sequences(ring) == r.kept);
  }
}

TEST_CASE("frames shown are not counted as dropped", "[core][ring]") {
  FrameRing ring(8);
  for (std::uint64_t i = 1; i <= 4; ++i) ring.push(frame(i, static_cast<int>(i) * 33));
  CHECK(ring.nearest(kT0 + 66ms)->sequence == 2);
  while (ring.popTrimmable(std::nullopt)) {  // drops 1 (unshown), 2 (shown), 3 (unshown)
  }
  CHECK(ring.droppedUnshown() == 2);
  CHECK(ring.takeNewestUnshown()->sequence == 4);
  CHECK_FALSE(ring.takeNewestUnshown());  // already taken
  ring.push(frame(5, 200));
  CHECK(ring.takeNewestUnshown()->sequence == 5);
}
