// Runs cues for the HTTP API: starts the analysis::CueDetector over the feeds present, asks the
// render thread for the flash, polls the detector from a main-loop timer while the cue is open
// and reports it as control::CueInfo.
//
// Thread: the main-loop thread only (the HTTP routes and its timer run there).
#pragma once

#include <cstdint>
#include <optional>

#include "analysis/cue_detector.hpp"
#include "control/cue_service.hpp"
#include "core/feed_channel.hpp"
#include "core/mailbox.hpp"
#include "platform/main_loop.hpp"
#include "render/render_loop.hpp"

namespace tessera::server {

class CueRunner final : public control::CueService {
 public:
  // How long the canvas stays white for a flash cue (six frames at 30 fps).
  static constexpr std::chrono::milliseconds kFlashDuration{200};
  // How often the open cue reads the feeds' new frames.
  static constexpr std::chrono::milliseconds kPollPeriod{20};

  CueRunner(core::LatestMailbox<core::FeedTable>& feeds, render::RenderLoop& render);
  ~CueRunner() override;

  std::optional<control::CueInfo> startCue(bool flash) override;
  std::optional<control::CueInfo> lastCue() override;

 private:
  void poll();
  control::CueInfo info() const;

  core::LatestMailbox<core::FeedTable>& mFeeds;
  render::RenderLoop& mRender;
  analysis::CueDetector mDetector;
  platform::Timer mTimer;
  std::uint64_t mNextId = 1;
  bool mAny = false;
  bool mAwaitFlash = false;
};

}  // namespace tessera::server
