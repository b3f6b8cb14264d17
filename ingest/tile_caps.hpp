// A feed's frames follow the size its tile is drawn at: the capsfilter named "tilecaps" after
// its scaler (pulled, synthetic and WHIP feeds) is set to core::scaledTileSize, once a second at
// most, from the main loop; the scaler renegotiates on its next frame.
//
// Thread: the main loop.
#pragma once

#include <gst/gst.h>

#include <optional>

#include "core/types.hpp"

namespace tessera::ingest {

// Whether to set new caps: the wanted size differs (scaledTileSize moves in whole steps of the
// tile's aspect, 8x6 px for 160x120, so a tile a pixel larger or smaller rarely changes it;
// layouts change when feeds join, leave or scenes switch, and the check runs once a second).
bool shouldRescale(core::SizePx current, core::SizePx want);

// I420 at `size`, square pixels; with `fps`, that frame rate too (a synthetic source's caps).
void setTileCaps(GstElement* capsfilter, core::SizePx size, std::optional<int> fps);

}  // namespace tessera::ingest
