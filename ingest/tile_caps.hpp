// A feed's frames follow the size its tile is drawn at: the capsfilter named "tilecaps" after
// its scaler (pulled, synthetic and WHIP feeds) is set to core::scaledTileSize, once a second at
// most, from the main loop; the scaler renegotiates on its next frame.
//
// Thread: the main loop.
#pragma once

#include <optional>

#include "core/feed_channel.hpp"
#include "core/types.hpp"
#include "platform/pipeline.hpp"

namespace tessera::ingest {

// Sets `pipeline`'s tile caps to the size `channel` is drawn at (at most `tile`; with `fps`, that
// frame rate too: a synthetic source's caps) when it differs from `current`. A feed the scene
// does not draw keeps its size. scaledTileSize moves in whole steps of the tile's aspect (8x6 px
// for 160x120), so a tile a pixel larger or smaller rarely changes it. Returns the size set, or
// nullopt when nothing changed (or the caps are not there yet: a WHIP stream not arrived).
std::optional<core::SizePx> followDrawnSize(const platform::Pipeline& pipeline,
                                            const core::FeedChannel& channel, core::SizePx tile,
                                            core::SizePx current, std::optional<int> fps);

}  // namespace tessera::ingest
