// Brush: the literal real-time painting. Each feed is a brush; its strokes carry its live picture
// and colour along a flow field over a persistent canvas on which the paint slowly fades.
//
// The compositor side is a particle simulation: it says where each stroke's dab goes this frame
// and how much of the paint fades; the renderer keeps the paint (a feedback buffer on the GPU).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "compositor/layout.hpp"
#include "core/score_table.hpp"
#include "core/types.hpp"

namespace tessera::compositor {

struct BrushParams {
  int strokes = 600;        // strokes alive at once, shared round-robin among the feeds
  float strokeSizePx = 28;  // dab size (its longer side is 1.4 times this, along the flow)
  float fadeSeconds = 4;    // paint fades to 5 % over this time
  float flowSpeedPxS = 90;  // how fast strokes travel
  float flowScalePx = 320;  // size of the flow's swirls
  float lifeSeconds = 3;    // a stroke's mean life before it starts again elsewhere
  float opacity = 0.85f;    // of a dab at the middle of its stroke's life
  float tint = 0.3f;        // how far dabs are pulled toward their feed's mean colour
  std::uint64_t seed = 1;
};

// The flow's velocity at canvas point (x, y) at time t, about unit length on average. It is the
// curl of a smooth, slowly drifting stream function, so it has no divergence: strokes swirl and
// neither bunch up nor thin out.
std::array<float, 2> flowAt(float x, float y, double t, float scalePx);

// Thread: the render thread.
class BrushEngine {
 public:
  BrushEngine(BrushParams params, core::SizePx canvas, core::SizePx tileAspect);

  // Moves the strokes on to `nowS` (the first call only places them). `feeds`: visible feeds in
  // join order; `scores` may be null (dabs are then untinted).
  void update(std::span<const core::FeedId> feeds, const core::ScoreTable* scores, double nowS);

  // This frame's dabs: one per stroke while there are feeds, rotated along the flow, with the
  // stroke's opacity as alpha.
  const Layout& dabs() const { return mDabs; }
  // The share of the paint (0..1) that fades this frame.
  float fade() const { return mFade; }
  // Where each feed's strokes are, for /api/v1/feeds: one dab per feed (its first stroke's).
  // Allocates: call it when publishing, not every frame.
  Layout heads() const;

 private:
  struct Stroke {
    float x = 0;
    float y = 0;
    float age = 0;
    float life = 1;
    core::FeedId feed;
  };
  void respawn(Stroke& s);
  float random01();
  core::FeedId nextFeed();

  BrushParams mParams;
  core::SizePx mCanvas;
  core::SizePx mTileAspect;
  std::uint64_t mRandom;
  std::vector<Stroke> mStrokes;
  std::vector<core::FeedId> mFeeds;
  std::size_t mCursor = 0;  // next feed to hand a stroke to
  double mLastS = -1;
  float mFade = 0;
  Layout mDabs;
};

}  // namespace tessera::compositor
