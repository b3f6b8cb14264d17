// A scene: one way of arranging the feeds (grid, photomosaic, spotlight, brush) with its
// parameters, and the planner that says frame by frame what to draw. This is the render plan:
// everything the renderer does for a scene follows from SceneFrame, and it is tested without GL.
#pragma once

#include <memory>
#include <span>
#include <string>

#include "compositor/animation.hpp"
#include "compositor/brush.hpp"
#include "compositor/layout.hpp"
#include "compositor/photomosaic.hpp"
#include "compositor/spotlight.hpp"
#include "core/config.hpp"
#include "core/score_table.hpp"

namespace tessera::compositor {

// The compositor's settings for one scene (built from core::SceneConfig plus the loaded target).
struct SceneSpec {
  std::string name = "grid";
  core::LayoutKind kind = core::LayoutKind::kGrid;  // kShader draws the grid (see docs)
  double fadeSeconds = 1.0;       // cross-fade from the previous scene when switched to
  double glideSeconds = 0.6;      // tiles glide to new places over this
  int gapPx = 2;                  // grid and spotlight
  PhotomosaicParams photomosaic;  // kPhotomosaic; its target must be set
  SpotlightParams spotlight;      // kSpotlight
  BrushParams brush;              // kBrush
};

// What to draw this frame.
struct SceneFrame {
  std::span<const Placement> tiles;  // in drawing order
  // Tiles moved or faded since the last frame: clear and draw them all. When false, only tiles
  // whose feed has a new picture need drawing (the canvas keeps the rest).
  bool redrawAll = false;
  bool layoutChanged = false;  // target() is new: publish it
  // Brush: `tiles` are dabs painted over the persistent paint after `fade` of it has faded.
  bool paint = false;
  float fade = 0;
};

// Thread: the render thread.
class ScenePlanner {
 public:
  ScenePlanner(SceneSpec spec, core::SizePx canvas, core::SizePx tileAspect);

  // `feeds`: visible feeds in join order; `scores` may be null. The first call shows the layout
  // at once (a scene switch cross-fades instead); later changes glide.
  SceneFrame update(std::span<const core::FeedId> feeds, const core::ScoreTable* scores,
                    double nowS);
  // Where the tiles are going (brush: one dab per feed). Allocates for the brush: call it when
  // publishing, not every frame.
  Layout target() const;
  const SceneSpec& spec() const { return mSpec; }
  // The photomosaic engine, or null (tests and benches).
  const PhotomosaicEngine* photomosaic() const { return mPhotomosaic.get(); }

 private:
  SceneSpec mSpec;
  core::SizePx mCanvas;
  core::SizePx mTileAspect;
  bool mStarted = false;
  bool mWasAnimating = false;
  std::vector<core::FeedId> mGridFeeds;
  std::unique_ptr<PhotomosaicEngine> mPhotomosaic;
  std::unique_ptr<SpotlightEngine> mSpotlight;
  std::unique_ptr<BrushEngine> mBrush;
  LayoutAnimator mAnimator;
};

}  // namespace tessera::compositor
