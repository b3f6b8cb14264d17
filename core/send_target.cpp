#include "core/send_target.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace tessera::core {
namespace {

// The tile scaled by `steps` / kSendSteps, each side even and at least 2.
SizePx scaledTile(SizePx tile, int steps) {
  const auto side = [steps](int px) {
    const int scaled = (px * steps + kSendSteps - 1) / kSendSteps;
    return std::max(2, (scaled + 1) / 2 * 2);
  };
  return {side(tile.width), side(tile.height)};
}

// The eighths of the tile the drawn size needs (rounded up): the tile's aspect is kept, so the
// side that needs more decides.
int stepsFor(SizePx tile, SizePx drawn) {
  if (drawn.width <= 0 || drawn.height <= 0 || tile.width <= 0 || tile.height <= 0) {
    return kSendSteps;
  }
  const double share = std::max(static_cast<double>(drawn.width) / tile.width,
                                static_cast<double>(drawn.height) / tile.height);
  const int steps = static_cast<int>(std::ceil(share * kSendSteps - 1e-9));
  return std::clamp(steps, kSendMinSteps, kSendSteps);
}

}  // namespace

SendTarget sendTarget(const SendLimits& limits, bool shown, SizePx drawn) {
  if (!shown) {
    const SizePx box = scaledTile(limits.tile, kSendSteps / 2);
    return {box.width, box.height, std::min(kTrickleFps, std::max(1, limits.fps)), kTrickleKbps};
  }
  const SizePx box = scaledTile(limits.tile, stepsFor(limits.tile, drawn));
  const int fps = std::clamp(limits.fps, 1, 30);
  const double bits = static_cast<double>(box.width) * box.height * fps * kSendBitsPerPixel;
  const int kbps = std::max(kSendMinKbps, static_cast<int>(std::ceil(bits / 1000)));
  return {box.width, box.height, fps, kbps};
}

std::string toString(const SendTarget& t) {
  return fmt::format("{}x{}@{}/{}", t.width, t.height, t.fps, t.kbps);
}

}  // namespace tessera::core
