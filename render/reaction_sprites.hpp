// Where the canvas draws viewers' reactions (the default overlay, [reactions] overlay): each
// reaction is a small shape of its kind that pops up near the bottom edge, rises about two
// fifths of the canvas while swaying, and fades out by kReactionBurstLifetime (2 s). Its place
// along the bottom comes from its sequence number, so a burst of taps spreads out and the same
// reaction is drawn in the same place every frame. Pure: tested without GL.
//
// Thread: the render thread (any thread: no state).
#pragma once

#include <vector>

#include "core/reactions.hpp"
#include "core/types.hpp"

namespace tessera::render {

// One shape, as the overlay's vertex shader reads it (shaders/reactions.vert).
struct ReactionSprite {
  float x = 0, y = 0;  // centre, canvas pixels, y down
  float size = 0;      // width and height, canvas pixels
  float alpha = 0;     // 0..1
  float kind = 0;      // core::ReactionKind: picks the shape and colour
};

// The sprites of the bursts alive at `now`, oldest first, into `out` (cleared first; no
// allocation once it holds kMaxReactionBursts).
void planReactionSprites(const core::ReactionSnapshot& snapshot, core::Clock::time_point now,
                         core::SizePx canvas, std::vector<ReactionSprite>& out);

}  // namespace tessera::render
