#include "compositor/scene.hpp"

#include <algorithm>
#include <cassert>

namespace tessera::compositor {

ScenePlanner::ScenePlanner(SceneSpec spec, core::SizePx canvas, core::SizePx tileAspect)
    : mSpec(std::move(spec)),
      mCanvas(canvas),
      mTileAspect(tileAspect),
      mAnimator(mSpec.glideSeconds) {
  switch (mSpec.kind) {
    case core::LayoutKind::kPhotomosaic:
      assert(mSpec.photomosaic.target);
      if (mSpec.photomosaic.target) {
        mPhotomosaic = std::make_unique<PhotomosaicEngine>(mSpec.photomosaic, canvas, tileAspect);
      }
      break;
    case core::LayoutKind::kSpotlight:
      mSpotlight = std::make_unique<SpotlightEngine>(mSpec.spotlight, canvas, tileAspect);
      break;
    case core::LayoutKind::kBrush:
      mBrush = std::make_unique<BrushEngine>(mSpec.brush, canvas, tileAspect);
      break;
    case core::LayoutKind::kGrid:
    case core::LayoutKind::kShader:
      break;
  }
}

SceneFrame ScenePlanner::update(std::span<const core::FeedId> feeds, const core::ScoreTable* scores,
                                double nowS) {
  SceneFrame frame;
  if (mBrush) {
    mBrush->update(feeds, scores, nowS);
    frame.tiles = mBrush->dabs().tiles;
    frame.paint = true;
    frame.fade = mBrush->fade();
    frame.redrawAll = true;
    frame.layoutChanged = !mStarted;
    mStarted = true;
    return frame;
  }

  bool changed = false;
  const Layout* target = nullptr;
  if (mPhotomosaic) {
    changed = mPhotomosaic->update(feeds, scores, nowS);
    target = &mPhotomosaic->layout();
  } else if (mSpotlight) {
    changed = mSpotlight->update(feeds, scores);
    target = &mSpotlight->layout();
  } else if (!mStarted ||
             !std::equal(feeds.begin(), feeds.end(), mGridFeeds.begin(), mGridFeeds.end())) {
    mGridFeeds.assign(feeds.begin(), feeds.end());
    // A new grid only when the feeds change: their order is join order.
    mAnimator.setTarget(gridLayout(feeds, mCanvas, mTileAspect, mSpec.gapPx), nowS, mStarted);
    changed = true;
  }
  if (target && (changed || !mStarted)) {
    mAnimator.setTarget(*target, nowS, mStarted);
    changed = true;
  }
  mStarted = true;

  const bool animating = mAnimator.animating(nowS);
  frame.tiles = mAnimator.frame(nowS);
  frame.layoutChanged = changed;
  // One more full redraw when a glide ends, so the settled tiles land on a clean canvas.
  frame.redrawAll = changed || animating || mWasAnimating;
  mWasAnimating = animating;
  return frame;
}

Layout ScenePlanner::target() const {
  if (mBrush) return mBrush->heads();
  return mAnimator.target();
}

}  // namespace tessera::compositor
