#include "server/cue_runner.hpp"

#include "core/log.hpp"

namespace tessera::server {

CueRunner::CueRunner(core::LatestMailbox<core::FeedTable>& feeds, render::RenderLoop& render)
    : mFeeds(feeds), mRender(render) {}

CueRunner::~CueRunner() {
  mTimer.cancel();
  mDetector.cancel();  // the feeds stop recording frames for it
}

std::optional<control::CueInfo> CueRunner::startCue(bool flash) {
  if (mDetector.running()) return std::nullopt;
  std::vector<std::shared_ptr<core::FeedChannel>> feeds;
  if (const auto table = mFeeds.peek()) {
    for (const auto& c : table->feeds) {
      if (c->hasFrame()) feeds.push_back(c);
    }
  }
  const std::uint64_t id = mNextId++;
  mDetector.start(id, flash, core::Clock::now(), std::move(feeds));
  mAny = true;
  mAwaitFlash = flash;
  if (flash) {
    mRender.flashes().takeNew();  // an older flash's time is not this one's
    mRender.requestFlash(kFlashDuration);
  }
  core::logInfo("cue", "cue {}: {} over {} feeds", id,
                flash ? "the canvas flashes" : "waiting for a flash in the room",
                mDetector.report().feeds.size());
  mTimer = platform::Timer(
      kPollPeriod, [this] { poll(); }, true);
  return info();
}

void CueRunner::poll() {
  if (mAwaitFlash) {
    // Step times are measured from the first white canvas frame, once drawn.
    if (const auto at = mRender.flashes().takeNew()) {
      mDetector.setReference(*at);
      mAwaitFlash = false;
    }
  }
  if (mDetector.poll(core::Clock::now())) mTimer.cancel();
}

std::optional<control::CueInfo> CueRunner::lastCue() {
  if (!mAny) return std::nullopt;
  return info();
}

control::CueInfo CueRunner::info() const {
  const analysis::CueReport& r = mDetector.report();
  control::CueInfo out{r.id, r.flash, r.done, {}};
  for (const auto& f : r.feeds) out.feeds.push_back({f.id, f.stepMs, f.offsetMs});
  return out;
}

}  // namespace tessera::server
