#include "analysis/cue_detector.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <random>
#include <vector>

using namespace std::chrono_literals;
using tessera::analysis::FeedStep;
using tessera::analysis::findBrightnessStep;
using tessera::analysis::LumaSample;
using tessera::analysis::meanLuma;
using tessera::analysis::resolveOffsets;
using tessera::core::Clock;
using tessera::core::FeedId;

namespace {

const Clock::time_point kT0 = Clock::time_point(100s);
constexpr auto kFrame = 33'333'333ns;

// Frames every 1/30 s from kT0 with the given lumas.
std::vector<LumaSample> frames(const std::vector<double>& lumas) {
  std::vector<LumaSample> out;
  for (std::size_t i = 0; i < lumas.size(); ++i) {
    out.push_back({kT0 + std::chrono::duration_cast<Clock::duration>(kFrame * i), lumas[i]});
  }
  return out;
}

double msFromT0(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(t - kT0).count();
}

}  // namespace

TEST_CASE("a sharp step is found between the last dark and the first bright frame",
          "[analysis][cue]") {
  const auto s = frames({40, 41, 39, 40, 40, 200, 201, 199, 200});
  const auto step = findBrightnessStep(s);
  REQUIRE(step);
  CHECK(step->index == 5);
  // Halfway (120) between frame 4 (40) and frame 5 (200): the middle of that frame interval.
  CHECK(msFromT0(step->time) == Approx(4.5 * 33.333).margin(0.5));
  CHECK(step->before == 40);
  CHECK(step->after >= 200);  // the most of the three frames from the step on
}

TEST_CASE("step detection: tables of pictures with and without a flash", "[analysis][cue]") {
  struct Row {
    const char* what;
    std::vector<double> lumas;
    std::optional<std::size_t> index;  // of the first frame at or above halfway
  };
  const std::vector<Row> rows = {
      {"no step", {50, 50, 51, 49, 50, 50, 50, 50}, std::nullopt},
      {"too small a rise", {50, 50, 50, 50, 70, 72, 71, 70}, std::nullopt},
      {"a slow fade up (5 levels a frame)",
       {40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90, 95, 100, 105, 110, 115, 120},
       std::nullopt},
      {"a quicker fade (12 levels a frame)",
       {40, 52, 64, 76, 88, 100, 112, 124, 136, 148},
       std::nullopt},
      {"a one-frame spike (a decoding glitch)", {40, 40, 40, 40, 220, 40, 40, 40}, std::nullopt},
      {"a half-bright frame first (exposure across the change)",
       {40, 40, 40, 40, 40, 100, 200, 200, 200},
       6},
      {"a half-bright frame above halfway", {40, 40, 40, 40, 40, 140, 200, 200}, 5},
      {"two flashes: the first", {40, 40, 40, 40, 200, 200, 40, 40, 40, 40, 210, 210}, 4},
      {"a flash after a fade", {40, 42, 44, 46, 48, 50, 52, 54, 200, 200, 200}, 8},
      {"a step down is not a flash", {200, 200, 200, 200, 40, 40, 40}, std::nullopt},
      {"not confirmed yet (the last frame)", {40, 40, 40, 40, 40, 200}, std::nullopt},
      {"too few frames before", {40, 40, 40, 200, 200, 200}, std::nullopt},
  };
  for (const Row& r : rows) {
    INFO(r.what);
    const auto step = findBrightnessStep(frames(r.lumas));
    REQUIRE(step.has_value() == r.index.has_value());
    if (step) CHECK(step->index == *r.index);
  }
}

TEST_CASE("step detection under sensor noise finds the flash and nothing else", "[analysis][cue]") {
  std::mt19937 rng(7);
  std::normal_distribution<double> noise(0, 4);
  for (int trial = 0; trial < 50; ++trial) {
    std::vector<double> dark, lit;
    for (int i = 0; i < 60; ++i) dark.push_back(60 + noise(rng));
    CHECK_FALSE(findBrightnessStep(frames(dark)));
    lit = dark;
    for (int i = 40; i < 46; ++i) lit[static_cast<std::size_t>(i)] = 180 + noise(rng);
    const auto step = findBrightnessStep(frames(lit));
    REQUIRE(step);
    CHECK(step->index == 40);
  }
}

TEST_CASE("dropped frames: the crossing is interpolated across the gap, and not exact",
          "[analysis][cue]") {
  auto s = frames({40, 40, 40, 40, 40, 40, 200, 200, 200});
  SECTION("every frame there: exact, bracketed by the frames either side") {
    const auto step = findBrightnessStep(s);
    REQUIRE(step);
    CHECK(step->exact);
    CHECK(msFromT0(step->earliest) == Approx(5 * 33.333).margin(0.01));
    CHECK(msFromT0(step->latest) == Approx(6 * 33.333).margin(0.01));
    CHECK(std::chrono::duration<double, std::milli>(step->period).count() ==
          Approx(33.333).margin(0.01));
  }
  SECTION("a frame late by a third of a frame is still exact") {
    s[5].capture += 11ms;
    const auto step = findBrightnessStep(s);
    REQUIRE(step);
    CHECK(step->exact);
  }
  SECTION("frame 5 (dark) never arrived: the gap is two frame periods") {
    s.erase(s.begin() + 5);
    const auto step = findBrightnessStep(s);
    REQUIRE(step);
    CHECK(msFromT0(step->time) == Approx(5 * 33.333).margin(0.5));  // middle of frames 4..6
    CHECK_FALSE(step->exact);
    CHECK(msFromT0(step->earliest) == Approx(4 * 33.333).margin(0.01));
    CHECK(msFromT0(step->latest) == Approx(6 * 33.333).margin(0.01));
  }
}

TEST_CASE("offsets: residuals against the synced feeds' median, or the earliest step",
          "[analysis][cue]") {
  auto at = [](int ms) {
    return std::optional<Clock::time_point>(kT0 + std::chrono::milliseconds(ms));
  };
  SECTION("synced feeds set the reference; an unsynced one is moved onto it") {
    const std::vector<FeedStep> steps = {
        {FeedId{1}, at(100), true, 0ns},       {FeedId{2}, at(110), true, 0ns},
        {FeedId{3}, at(90), true, 5ms},    // an earlier cue's offset is kept and corrected
        {FeedId{4}, at(480), false, 0ns},  // no Sender Reports: 380 ms late
        {FeedId{5}, std::nullopt, false, 0ns},
    };
    const auto r = resolveOffsets(steps, kT0);
    REQUIRE(r.size() == 5);
    CHECK(*r[0].offsetMs == Approx(0));
    CHECK(*r[1].offsetMs == Approx(-10));
    CHECK(*r[2].offsetMs == Approx(15));
    CHECK(*r[3].offsetMs == Approx(-380));
    CHECK(*r[3].stepMs == Approx(480));
    CHECK_FALSE(r[4].offsetMs);
    CHECK_FALSE(r[4].stepMs);
  }
  SECTION("no synced feed: the quickest is the reference, nobody is dated after arrival") {
    const std::vector<FeedStep> steps = {{FeedId{1}, at(300), false, 0ns},
                                         {FeedId{2}, at(200), false, 0ns},
                                         {FeedId{3}, at(700), false, 0ns}};
    const auto r = resolveOffsets(steps, kT0);
    CHECK(*r[0].offsetMs == Approx(-100));
    CHECK(*r[1].offsetMs == Approx(0));
    CHECK(*r[2].offsetMs == Approx(-500));
    for (const auto& f : r) CHECK(*f.offsetMs <= 0);
  }
  SECTION("a synced feed within half a frame of the reference keeps its offset") {
    // 30 fps feeds: a first bright frame up to a frame after the flash is the camera's phase.
    auto synced = [&](int id, int ms, std::chrono::nanoseconds offset) {
      FeedStep f{FeedId{static_cast<std::uint32_t>(id)}, at(ms), true, offset};
      f.period = kFrame;
      return f;
    };
    const std::vector<FeedStep> steps = {synced(1, 100, 0ns), synced(2, 100, 0ns),
                                         synced(3, 116, 3ms),  // 16 ms: kept, with its offset
                                         synced(4, 84, 0ns),   // -16 ms: kept
                                         synced(5, 118, 0ns),  // 18 ms: corrected
                                         synced(6, 167, 0ns),  // 67 ms: corrected
                                         synced(7, 100, 0ns), synced(8, 100, 0ns)};
    const auto r = resolveOffsets(steps, kT0);
    CHECK(*r[2].offsetMs == Approx(3));
    CHECK(*r[3].offsetMs == Approx(0));
    CHECK(*r[4].offsetMs == Approx(-18));
    CHECK(*r[5].offsetMs == Approx(-67));
    SECTION("an unsynced feed is always moved") {
      auto unsynced = steps;
      unsynced[2].synced = false;
      CHECK(*resolveOffsets(unsynced, kT0)[2].offsetMs == Approx(3 - 16));
    }
  }
  SECTION("frames missing around a step: moved only as far as they prove") {
    auto gap = [&](int id, int from, int to, bool synced) {
      FeedStep f{FeedId{static_cast<std::uint32_t>(id)}, at((from + to) / 2), synced, 0ns};
      f.earliest = at(from);
      f.latest = at(to);
      f.period = kFrame;
      f.exact = false;
      return f;
    };
    auto exact = [&](int id, int ms) {
      FeedStep f{FeedId{static_cast<std::uint32_t>(id)}, at(ms), true, 0ns};
      f.period = kFrame;
      return f;
    };
    const std::vector<FeedStep> steps = {
        exact(1, 100),           exact(2, 104), exact(3, 96),
        gap(4, 40, 200, true),    // the reference is in its gap: unchanged
        gap(5, 140, 240, true),   // its frames prove it 40 ms late at least
        gap(6, -100, 60, false),  // unsynced: 40 ms early at least
        gap(7, 0, 400, true),     // its middle (200) would set the reference if it were exact
        gap(8, 240, 140, true),   // capture times out of order: the same range as feed 5
    };
    const auto r = resolveOffsets(steps, kT0);
    CHECK(*r[3].offsetMs == Approx(0));
    CHECK(*r[3].stepMs == Approx(120));  // the middle of the gap is still what it reports
    CHECK(*r[4].offsetMs == Approx(-40));
    CHECK(*r[5].offsetMs == Approx(40));
    CHECK(*r[6].offsetMs == Approx(0));
    CHECK(*r[7].offsetMs == Approx(-40));
    CHECK(*r[0].offsetMs == Approx(0));  // reference = median of the exact synced (100)
  }
  SECTION("no step anywhere: nothing applied") {
    const std::vector<FeedStep> steps = {{FeedId{1}, std::nullopt, true, 0ns}};
    CHECK_FALSE(resolveOffsets(steps, kT0)[0].offsetMs);
  }
}

TEST_CASE("mean luma reads the Y plane or RGB", "[analysis][cue]") {
  std::vector<std::uint8_t> yuv(16 * 8 + 2 * 8 * 4, 128);
  std::fill(yuv.begin(), yuv.begin() + 16 * 8, 200);
  CHECK(meanLuma(*tessera::core::VideoFrame::fromI420(16, 8, yuv)) == Approx(200));
  std::vector<std::uint8_t> rgba(8 * 8 * 4, 0);
  for (std::size_t i = 0; i < rgba.size(); i += 4) rgba[i + 1] = 100;  // green
  CHECK(meanLuma(*tessera::core::VideoFrame::fromPixels(8, 8, rgba)) == Approx(58.7));
}
