// Spotlight: tile sizes follow a score (motion, faces, ...) or a pinned feed, in a treemap that
// fills the canvas.
#pragma once

#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "compositor/layout.hpp"
#include "core/score_table.hpp"
#include "core/types.hpp"

namespace tessera::compositor {

enum class SpotlightScore { kNone, kMotion, kFaces, kBrightness, kSharpness };

// A score mapped to 0..1: motion and brightness as they are, faces min(faces, 3) / 3, sharpness
// (variance of the Laplacian) 1 - exp(-sharpness / 300).
float spotlightValue(const core::Scores& scores, SpotlightScore score);

// Rectangles with areas proportional to `weights` (all > 0) that tile `area` exactly, by the
// squarified treemap algorithm (Bruls, Huizing, van Wijk) but in the order given rather than
// sorted by weight: a small change of one weight then moves edges a little instead of reordering
// tiles. Edges are whole pixels when `area` is; neighbours share their edges exactly.
std::vector<core::Rect> treemap(std::span<const double> weights, const core::Rect& area);

struct SpotlightParams {
  SpotlightScore score = SpotlightScore::kMotion;
  float emphasis = 3;  // a feed scoring 1 gets (1 + emphasis) times the area of one scoring 0
  std::optional<core::FeedId> pinned;  // placed first, with `pinnedShare` of the canvas
  float pinnedShare = 0.4f;
  float threshold = 0.1f;  // score changes smaller than this (0..1) leave the layout as it is
  int gapPx = 2;
};

// Keeps a spotlight layout up to date. Each feed's weight is 1 + emphasis * value, where value
// only follows the score once it has moved by more than `threshold` since it was last taken (so
// noise never reshuffles tiles); tiles are the treemap of the weights in join order (the pinned
// feed first), inset by half the gap, each showing the centre of its picture (cover).
//
// Thread: the render thread.
class SpotlightEngine {
 public:
  SpotlightEngine(SpotlightParams params, core::SizePx canvas, core::SizePx tileAspect);

  // `feeds`: visible feeds in join order; `scores` may be null. True when layout() changed.
  bool update(std::span<const core::FeedId> feeds, const core::ScoreTable* scores);
  const Layout& layout() const { return mLayout; }

 private:
  void rebuild();

  SpotlightParams mParams;
  core::SizePx mCanvas;
  core::SizePx mTileAspect;
  std::vector<core::FeedId> mFeeds;
  std::unordered_map<core::FeedId, float> mValues;  // the value each feed's weight uses
  std::uint64_t mScoresVersion = ~std::uint64_t{0};
  std::vector<core::FeedId> mOrder;
  std::vector<double> mWeights;
  Layout mLayout;
};

}  // namespace tessera::compositor
