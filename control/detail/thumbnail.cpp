#include "control/detail/thumbnail.hpp"

#include <algorithm>

namespace tessera::control::detail {
namespace {

std::uint8_t clamp8(int v) {
  return static_cast<std::uint8_t>(std::clamp(v, 0, 255));
}

// BT.601 limited range, integer arithmetic (the coefficients times 256).
void yuvToRgb(int y, int u, int v, std::uint8_t* out) {
  const int c = (y - 16) * 298;
  const int d = u - 128;
  const int e = v - 128;
  out[0] = clamp8((c + 409 * e + 128) >> 8);
  out[1] = clamp8((c - 100 * d - 208 * e + 128) >> 8);
  out[2] = clamp8((c + 516 * d + 128) >> 8);
}

}  // namespace

RgbImage halfSizeRgb(const core::VideoFrame& f) {
  RgbImage img;
  if (f.width <= 0 || f.height <= 0 || !f.planes[0]) return img;
  img.width = std::max(1, f.width / 2);
  img.height = std::max(1, f.height / 2);
  img.rgb.resize(static_cast<std::size_t>(img.width) * img.height * 3);
  const int maxX = f.width - 1;
  const int maxY = f.height - 1;
  for (int y = 0; y < img.height; ++y) {
    const int y0 = std::min(2 * y, maxY);
    const int y1 = std::min(2 * y + 1, maxY);
    for (int x = 0; x < img.width; ++x) {
      const int x0 = std::min(2 * x, maxX);
      const int x1 = std::min(2 * x + 1, maxX);
      std::uint8_t* out = &img.rgb[(static_cast<std::size_t>(y) * img.width + x) * 3];
      if (f.format == core::PixelFormat::kI420) {
        auto luma = [&](int px, int py) { return f.planes[0][py * f.planeStrides[0] + px]; };
        const int yy = (luma(x0, y0) + luma(x1, y0) + luma(x0, y1) + luma(x1, y1) + 2) / 4;
        // One chroma sample covers the 2x2 block.
        const int cx = std::min(x, (f.width + 1) / 2 - 1);
        const int cy = std::min(y, (f.height + 1) / 2 - 1);
        const int u = f.planes[1][cy * f.planeStrides[1] + cx];
        const int v = f.planes[2][cy * f.planeStrides[2] + cx];
        yuvToRgb(yy, u, v, out);
      } else {
        for (int k = 0; k < 3; ++k) {
          auto at = [&](int px, int py) { return f.data[py * f.strideBytes + px * 4 + k]; };
          out[k] = static_cast<std::uint8_t>(
              (at(x0, y0) + at(x1, y0) + at(x0, y1) + at(x1, y1) + 2) / 4);
        }
      }
    }
  }
  return img;
}

}  // namespace tessera::control::detail
