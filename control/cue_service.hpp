// What the cue routes (POST/GET /api/v1/cue) ask of the running installation, as plain values.
//
// Thread: every call comes from the main-loop thread.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/types.hpp"

namespace tessera::control {

struct CueFeedInfo {
  core::FeedId id;
  std::optional<double> stepMs;    // the step's capture time relative to the cue
  std::optional<double> offsetMs;  // the correction applied (the feed's cue offset now)
};

struct CueInfo {
  std::uint64_t id = 0;
  bool flash = false;
  bool done = false;  // "done" once every feed's step was looked for; "waiting" before
  std::vector<CueFeedInfo> feeds;
};

class CueService {
 public:
  virtual ~CueService() = default;
  // Starts a cue (the canvas flashes white when `flash`); nullopt while one is still open.
  virtual std::optional<CueInfo> startCue(bool flash) = 0;
  // The last cue, nullopt before the first.
  virtual std::optional<CueInfo> lastCue() = 0;
};

}  // namespace tessera::control
