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
    const core::PlayoutPick pick = channel->pick(now, delay, maxDelay, playout.settings().enabled);
    // No picture yet, or held back by the operator (waiting or hidden): not laid out.
    if (!pick.frame || !channel->onCanvas()) continue;
    mVisible.push_back(channel->id());
    mChannels.push_back(channel);
    if (pick.aligned) {
      ++stats.aligned;
      mCaptures.push_back(pick.frame->capture);
    } else {
      ++stats.newest;
    }
    const int layer = layerFor(channel->id());
    if (layer < 0) continue;
    const Held held{pick.frame->sequence, pick.frame->arrival};
    auto& slot = mLayerHeld[static_cast<std::size_t>(layer)];
    if (slot == held || !renderer.upload(layer, *pick.frame)) continue;
    slot = held;
    mUploaded[static_cast<std::size_t>(layer)] = 1;
    ++stats.uploads;
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
