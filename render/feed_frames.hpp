// The render thread's first step each tick: the playout chooses every feed's frame for this
// canvas frame (the one captured nearest `now - delay`, core::FeedChannel::pick) and uploads
// the ones that changed into the feed's layer of the tile arrays.
//
// Thread: the render thread alone (it owns the GL context the uploads go to).
#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "compositor/layout.hpp"
#include "core/feed_channel.hpp"
#include "core/playout.hpp"
#include "render/tile_renderer.hpp"

namespace tessera::render {

// What the playout drew in one canvas frame.
struct PlayoutFrameStats {
  std::size_t aligned = 0;  // feeds drawn by capture time
  std::size_t newest = 0;   // feeds drawn with their newest frame (unsynced, late, sync off)
  double spreadMs = 0;      // max - min capture time of the aligned feeds' frames
  double errorMs = 0;       // the largest |capture - (now - delay)| among them
  std::size_t uploads = 0;
  std::size_t busy = 0;  // feeds whose channel a streaming thread held: last picture kept
};

class FeedFrames {
 public:
  explicit FeedFrames(int layers);

  // The feeds of a new table. Layers of feeds that left stay until releaseUnused() finds no
  // tile drawing them.
  void setTable(std::shared_ptr<const core::FeedTable> table);
  const std::shared_ptr<const core::FeedTable>& table() const { return mTable; }
  // The feeds that have a picture, in join order (what the scene lays out).
  const std::vector<core::FeedId>& visible() const { return mVisible; }

  // Picks each visible feed's frame for the canvas frame at `now` and uploads those that differ
  // from what its layer holds.
  PlayoutFrameStats chooseAndUpload(core::Clock::time_point now, const core::PlayoutDelay& playout,
                                    TileRenderer& renderer);
  // The layer of a feed, -1 when it has none.
  int layerOf(core::FeedId id) const;
  // Whether the layer got a new picture this tick.
  bool uploaded(int layer) const { return mUploaded[static_cast<std::size_t>(layer)] != 0; }
  // Frees the layers of feeds that left once no tile in `drawn` shows them.
  void releaseUnused(const std::vector<TileInstance>& drawn);

 private:
  int layerFor(core::FeedId id);
  void addVisible(const std::shared_ptr<core::FeedChannel>& channel, const core::PlayoutPick& pick,
                  PlayoutFrameStats& stats);
  void keepLastPicture(const std::shared_ptr<core::FeedChannel>& channel, PlayoutFrameStats& stats);
  void upload(core::FeedId id, const core::VideoFrame& frame, TileRenderer& renderer,
              PlayoutFrameStats& stats);

  std::shared_ptr<const core::FeedTable> mTable;
  std::vector<std::shared_ptr<core::FeedChannel>> mChannels;  // visible, parallel to mVisible
  std::vector<core::FeedId> mVisible;
  std::unordered_set<core::FeedId> mInTable;
  bool mReleasePending = false;

  std::vector<int> mFreeLayers;
  std::unordered_map<core::FeedId, int> mLayers;
  // What each layer holds, by the frame's sequence and arrival (holding the frame itself would
  // keep a decoder buffer per feed alive).
  struct Held {
    std::uint64_t sequence = 0;
    core::Clock::time_point arrival{};
    bool operator==(const Held&) const = default;
  };
  std::vector<Held> mLayerHeld;
  std::vector<std::uint8_t> mUploaded;
  std::vector<std::uint8_t> mLayerDrawn;
  std::vector<core::Clock::time_point> mCaptures;  // of this tick's aligned picks
};

}  // namespace tessera::render
