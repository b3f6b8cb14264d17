#include "render/feed_frames.hpp"

#include <algorithm>
#include <cmath>

namespace tessera::render {

FeedFrames::FeedFrames(int layers)
    : mLayerHeld(static_cast<std::size_t>(layers)),
      mUploaded(static_cast<std::size_t>(layers), 0),
      mLayerDrawn(static_cast<std::size_t>(layers), 0) {
  for (int i = layers - 1; i >= 0; --i) mFreeLayers.push_back(i);
}

void FeedFrames::setTable(std::shared_ptr<const core::FeedTable> table) {
  if (table == mTable) return;
  mTable = std::move(table);
  mReleasePending = true;
  mInTable.clear();
  if (mTable) {
    for (const auto& c : mTable->feeds) mInTable.insert(c->id());
  }
}

int FeedFrames::layerFor(core::FeedId id) {
  if (auto it = mLayers.find(id); it != mLayers.end()) return it->second;
  if (mFreeLayers.empty()) return -1;
  const int layer = mFreeLayers.back();
  mFreeLayers.pop_back();
  mLayers.emplace(id, layer);
  mLayerHeld[static_cast<std::size_t>(layer)] = {};
  return layer;
}

int FeedFrames::layerOf(core::FeedId id) const {
  const auto it = mLayers.find(id);
  return it == mLayers.end() ? -1 : it->second;
}

PlayoutFrameStats FeedFrames::chooseAndUpload(core::Clock::time_point now,
                                              const core::PlayoutDelay& playout,
                                              TileRenderer& renderer) {
  PlayoutFrameStats stats;
  std::fill(mUploaded.begin(), mUploaded.end(), 0);
  mVisible.clear();
  mChannels.clear();
  mCaptures.clear();
  const auto delay = core::fromMs(playout.delayMs());
  const auto maxDelay = core::fromMs(playout.settings().maxDelayMs);
  if (!mTable) return stats;
  for (const auto& channel : mTable->feeds) {
    const auto pick = channel->tryPick(now, delay, maxDelay, playout.settings().enabled);
    if (!pick) {
      keepLastPicture(channel, stats);
      continue;
    }
    // No picture yet, or held back by the operator (waiting or hidden): not laid out.
    if (!pick->frame || !channel->onCanvas()) continue;
    addVisible(channel, *pick, stats);
    upload(channel->id(), *pick->frame, renderer, stats);
  }
  if (!mCaptures.empty()) {
    const auto [lo, hi] = std::minmax_element(mCaptures.begin(), mCaptures.end());
    const auto target = now - delay;
    stats.spreadMs = core::toMs(*hi - *lo);
    stats.errorMs =
        std::max(std::abs(core::toMs(*hi - target)), std::abs(core::toMs(*lo - target)));
  }
  return stats;
}

void FeedFrames::addVisible(const std::shared_ptr<core::FeedChannel>& channel,
                            const core::PlayoutPick& pick, PlayoutFrameStats& stats) {
  mVisible.push_back(channel->id());
  mChannels.push_back(channel);
  if (pick.aligned) {
    ++stats.aligned;
    mCaptures.push_back(pick.frame->capture);
  } else {
    ++stats.newest;
  }
}

// A streaming thread holds the channel: its tile keeps the picture its layer has, if any.
void FeedFrames::keepLastPicture(const std::shared_ptr<core::FeedChannel>& channel,
                                 PlayoutFrameStats& stats) {
  ++stats.busy;
  const int layer = layerOf(channel->id());
  if (layer < 0 || !channel->onCanvas() || mLayerHeld[static_cast<std::size_t>(layer)] == Held{}) {
    return;
  }
  mVisible.push_back(channel->id());
  mChannels.push_back(channel);
  ++stats.newest;
}

void FeedFrames::upload(core::FeedId id, const core::VideoFrame& frame, TileRenderer& renderer,
                        PlayoutFrameStats& stats) {
  const int layer = layerFor(id);
  if (layer < 0) return;
  const Held held{frame.sequence, frame.arrival};
  auto& slot = mLayerHeld[static_cast<std::size_t>(layer)];
  if (slot == held || !renderer.upload(layer, frame)) return;
  slot = held;
  mUploaded[static_cast<std::size_t>(layer)] = 1;
  ++stats.uploads;
}

void FeedFrames::releaseUnused(const std::vector<TileInstance>& drawn) {
  if (!mReleasePending) return;
  // Layers of feeds that left stay while a tile still fades out with their last picture.
  std::fill(mLayerDrawn.begin(), mLayerDrawn.end(), 0);
  for (const TileInstance& t : drawn) mLayerDrawn[static_cast<std::size_t>(t.layer)] = 1;
  bool stillShown = false;
  for (auto it = mLayers.begin(); it != mLayers.end();) {
    const bool present = mInTable.contains(it->first);
    const bool shown = mLayerDrawn[static_cast<std::size_t>(it->second)] != 0;
    stillShown = stillShown || (!present && shown);
    if (present || shown) {
      ++it;
      continue;
    }
    mFreeLayers.push_back(it->second);
    it = mLayers.erase(it);
  }
  mReleasePending = stillShown;
}

}  // namespace tessera::render
