#include "core/tile_scale.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace tessera::core {

SizePx scaledTileSize(SizePx tile, SizePx drawn) {
  if (tile.width <= 0 || tile.height <= 0 || drawn.width <= 0 || drawn.height <= 0) return tile;
  const int g = std::gcd(tile.width, tile.height);
  const int unitW = tile.width / g;
  const int unitH = tile.height / g;
  // Both sides even: with an odd unit side, only even multiples.
  const int step = (unitW % 2 != 0 || unitH % 2 != 0) ? 2 : 1;
  // The drawn picture's larger share of the tile decides (a cropped tile needs the larger).
  const double share = std::max(static_cast<double>(drawn.width) / tile.width,
                                static_cast<double>(drawn.height) / tile.height);
  const int m = static_cast<int>(std::lround(share * g / step)) * step;
  if (m >= g || m < step) return m >= g ? tile : SizePx{unitW * step, unitH * step};
  return {unitW * m, unitH * m};
}

}  // namespace tessera::core
