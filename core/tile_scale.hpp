// The size a feed is scaled to in its pipeline: no larger than its tile is drawn on the canvas,
// never larger than the configured tile ([ingest] tile_width x tile_height, the layers' size),
// and always the tile's exact aspect ratio, so one factor maps the frame into its layer.
//
// Pure functions; any thread.
#pragma once

#include "core/types.hpp"

namespace tessera::core {

// `drawn` is FeedChannel::drawnSize (0x0: any size, i.e. the whole tile). The result is
// m x (tile / gcd) for the whole multiple m nearest to the drawn size, both sides even; the
// tile itself when the drawn size reaches it or the aspect allows no smaller even size.
SizePx scaledTileSize(SizePx tile, SizePx drawn);

}  // namespace tessera::core
