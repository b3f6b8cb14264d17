// Animated change: tiles glide to new places instead of popping.
#pragma once

#include <vector>

#include "compositor/layout.hpp"

namespace tessera::compositor {

// Smooth 0..1 -> 0..1 easing with zero speed at both ends (smoothstep).
float easeInOut(float u);

// Interpolates the tiles on the canvas toward the latest target layout.
//
// When the target changes, each new placement is matched with a tile of the same feed shown now:
// one in exactly the same place if there is one, else the nearest. Matched tiles glide from where
// they are (position, size, crop, tint) to their new place; new tiles fade in where they belong;
// tiles with no place in the new layout fade out where they are, under the others (band z = 0).
// A new target mid-glide starts from the tiles as they are shown at that moment, so motion never
// jumps. Once settled, frame() is exactly the target.
//
// Thread: the render thread.
class LayoutAnimator {
 public:
  explicit LayoutAnimator(double durationS = 0.6) : mDurationS(durationS) {}

  // A new target at `nowS`. With `animate` false (or a zero duration) it is shown at once.
  void setTarget(const Layout& target, double nowS, bool animate = true);
  // The tiles to draw at `nowS` (leaving tiles first, then the target's in order).
  const std::vector<Placement>& frame(double nowS);
  // Whether tiles are still moving or fading at `nowS`.
  bool animating(double nowS) const { return !mItems.empty() && nowS < mStartS + mDurationS; }
  const Layout& target() const { return mTarget; }

 private:
  struct Item {
    Placement from;
    Placement to;
  };
  void settle();

  double mDurationS;
  double mStartS = 0;
  Layout mTarget;
  std::vector<Item> mItems;  // empty when settled
  std::vector<Placement> mFrame;
  // Scratch for matching.
  std::vector<Placement> mShown;
  std::vector<std::uint8_t> mUsed;
};

}  // namespace tessera::compositor
