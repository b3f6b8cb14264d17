// The cue (POST /api/v1/cue): a flash every camera sees at one instant. While a cue is open the
// detector reads every frame of every feed (FeedChannel::recordFrames), keeps (capture time,
// mean luma) per frame, and at the end finds each feed's brightness step. A feed's step against
// the reference of all feeds is its residual error, applied as its cue offset: this aligns
// sources without Sender Reports and measures what each camera's path really adds.
//
// Thread: the main-loop thread (the server polls it from a GLib timer every ~20 ms while open).
// Reading a frame's luma samples ~1200 pixels of its Y plane: cheap enough for hundreds of
// feeds at 30 fps, and only while a cue is open.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "core/feed_channel.hpp"
#include "core/frame.hpp"
#include "core/time.hpp"
#include "core/types.hpp"

namespace tessera::analysis {

// One frame as the step detector sees it.
struct LumaSample {
  core::Clock::time_point capture;
  double luma = 0;  // mean Y, 0-255 as the decoder gave it
};

struct StepParams {
  double minRise = 30;     // luma levels between the level before and the level after the step
  int baselineFrames = 8;  // frames before a candidate whose median is the level before
  int minBefore = 4;       // a step needs this many frames before it
  // The rise happens within three frames (a camera exposing across the change sees a
  // half-bright frame first) after three flat ones: the change over those three frames before
  // may be at most this share of the jump (a fade changes as much before as during).
  double flatShare = 0.3;
};

struct Step {
  core::Clock::time_point time;  // when the luma crossed halfway, interpolated between frames
  std::size_t index = 0;         // the first frame at or above halfway
  double before = 0;             // the level before (median) and after (max of three frames)
  double after = 0;
  // The frames around the crossing: the step happened after `earliest` (the last frame below
  // halfway) and by `latest` (the first at or above). When frames between them are missing
  // (more than 1.5 of the feed's usual frame interval, `period`), it is not `exact`: the flash
  // may have come anywhere in the gap, and `time` (its middle) is only a guess.
  core::Clock::time_point earliest{};
  core::Clock::time_point latest{};
  core::Clock::duration period{};
  bool exact = true;
};

// The first sudden, sustained rise in brightness; nullopt when there is none, or when the
// frame that would confirm it has not come yet. A one-frame spike (back below halfway on the
// next frame) is not a step; of two flashes the first is taken. Frames may be missing (gaps in
// capture times): the crossing is interpolated across the gap and the step marked not exact.
std::optional<Step> findBrightnessStep(std::span<const LumaSample> samples,
                                       const StepParams& params = {});

// Mean luma of a frame from a grid of every 4th pixel in both directions (I420: Y; RGBA: BT.601
// luma of R, G, B).
double meanLuma(const core::VideoFrame& frame);

// One feed's step for resolveOffsets().
struct FeedStep {
  core::FeedId id;
  std::optional<core::Clock::time_point> step;
  bool synced = false;  // its capture times came from a clock (timeline, RTCP, exchange, cue)
  std::chrono::nanoseconds cueOffset{0};  // the cue offset in force while it was measured
  // From Step: where the step may be (a gap in the frames: anywhere in it), and the feed's
  // frame interval. Without a bracket the step is taken as exact.
  std::optional<core::Clock::time_point> earliest{};
  std::optional<core::Clock::time_point> latest{};
  core::Clock::duration period{};
  bool exact = true;
};

struct CueFeedResult {
  core::FeedId id;
  std::optional<double> stepMs;    // step capture time relative to the cue's reference time
  std::optional<double> offsetMs;  // the cue offset now applied; nullopt: no step, unchanged
};

// The reference instant: the median step of the feeds that were synced (their clocks are meant
// to be right; the median ignores a few wrong ones); when none was, the earliest step (the
// quickest camera is taken as instant, so no frame is dated after it arrived). Exact steps only,
// when there is one. nullopt when no feed has a step.
//
// Each feed with a step gets offset = its old offset - residual, residual = its step -
// reference, except:
// - a step that is not exact (frames missing around it) is placed at the point of its gap
//   nearest the reference: the frames cannot tell where in the gap the flash came, so the feed
//   is moved only as far as they prove it wrong (not at all when the reference is in the gap);
// - a synced feed keeps its offset when the residual is under half its frame interval: a
//   camera's phase alone puts its first bright frame up to a frame after the flash, so a
//   residual that small says nothing against its clock.
// Unsynced feeds (no clock) always take the full correction.
std::optional<core::Clock::time_point> referenceInstant(std::span<const FeedStep> steps);
std::vector<CueFeedResult> resolveOffsets(std::span<const FeedStep> steps,
                                          core::Clock::time_point cueTime);

// The state of the last cue, as GET /api/v1/cue reports it.
struct CueReport {
  std::uint64_t id = 0;
  bool flash = false;
  bool done = false;
  core::Clock::time_point at{};  // the cue's reference time (the request, or the first white frame)
  std::vector<CueFeedResult> feeds;
};

class CueDetector {
 public:
  static constexpr std::chrono::milliseconds kDefaultWindow{4000};

  // Opens cue `id` at `at` over `feeds` for `window`; the feeds start recording every frame.
  void start(std::uint64_t id, bool flash, core::Clock::time_point at,
             std::vector<std::shared_ptr<core::FeedChannel>> feeds,
             core::Clock::duration window = kDefaultWindow);
  // The flash's first white canvas frame, once the render thread drew it (flash cues).
  void setReference(core::Clock::time_point at);
  // Reads new frames; when the window has passed, finds the steps, applies the cue offsets and
  // closes the cue. Returns true on the call that closed it.
  bool poll(core::Clock::time_point now);
  bool running() const { return mRunning; }
  // Stops recording without applying anything (shutdown).
  void cancel();
  const CueReport& report() const { return mReport; }

 private:
  struct Watched {
    std::shared_ptr<core::FeedChannel> channel;
    bool synced = false;
    std::vector<LumaSample> samples;
  };
  void readFrames();
  void finish();

  bool mRunning = false;
  core::Clock::time_point mEnd{};
  std::vector<Watched> mFeeds;
  CueReport mReport;
};

}  // namespace tessera::analysis
