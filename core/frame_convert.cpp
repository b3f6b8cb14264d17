#include "core/frame_convert.hpp"

#include <algorithm>
#include <cstdint>
#include <vector>

namespace tessera::core {
namespace {

struct Coefficients {
  float rFromV, gFromU, gFromV, bFromU;
};

// The inverse of the limited-range matrices: R = Y' + rFromV * V', and so on, with Y' scaled
// from 16..235 to 0..1 and U', V' from 16..240 to -0.5..0.5.
Coefficients coefficientsFor(YuvMatrix m) {
  const float kr = m == YuvMatrix::kBt709 ? 0.2126f : 0.299f;
  const float kb = m == YuvMatrix::kBt709 ? 0.0722f : 0.114f;
  const float kg = 1 - kr - kb;
  return {2 * (1 - kr), -2 * (1 - kb) * kb / kg, -2 * (1 - kr) * kr / kg, 2 * (1 - kb)};
}

std::uint8_t toByte(float v) {
  return static_cast<std::uint8_t>(std::clamp(v * 255.0f + 0.5f, 0.0f, 255.0f));
}

}  // namespace

std::shared_ptr<VideoFrame> rgbaFromI420(const VideoFrame& yuv, int width, int height) {
  if (yuv.format != PixelFormat::kI420 || width <= 0 || height <= 0 || yuv.width <= 0 ||
      yuv.height <= 0 || !yuv.planes[0] || !yuv.planes[1] || !yuv.planes[2]) {
    return nullptr;
  }
  const Coefficients c = coefficientsFor(yuv.matrix);
  std::vector<std::uint8_t> rgba(static_cast<std::size_t>(width) * height * 4);
  std::vector<int> columns(static_cast<std::size_t>(width));
  for (int x = 0; x < width; ++x) {
    columns[static_cast<std::size_t>(x)] =
        static_cast<int>(static_cast<long long>(x) * yuv.width / width);
  }
  std::uint8_t* out = rgba.data();
  for (int y = 0; y < height; ++y) {
    const int sy = static_cast<int>(static_cast<long long>(y) * yuv.height / height);
    const std::uint8_t* rowY = yuv.planes[0] + static_cast<std::size_t>(sy) * yuv.planeStrides[0];
    const std::uint8_t* rowU =
        yuv.planes[1] + static_cast<std::size_t>(sy / 2) * yuv.planeStrides[1];
    const std::uint8_t* rowV =
        yuv.planes[2] + static_cast<std::size_t>(sy / 2) * yuv.planeStrides[2];
    for (int x = 0; x < width; ++x, out += 4) {
      const int sx = columns[static_cast<std::size_t>(x)];
      const float l = (static_cast<float>(rowY[sx]) - 16) / 219;
      const float u = (static_cast<float>(rowU[sx / 2]) - 128) / 224;
      const float v = (static_cast<float>(rowV[sx / 2]) - 128) / 224;
      out[0] = toByte(l + c.rFromV * v);
      out[1] = toByte(l + c.gFromU * u + c.gFromV * v);
      out[2] = toByte(l + c.bFromU * u);
      out[3] = 255;
    }
  }
  auto frame = VideoFrame::fromPixels(width, height, std::move(rgba));
  frame->sequence = yuv.sequence;
  frame->arrival = yuv.arrival;
  frame->capture = yuv.capture;
  return frame;
}

}  // namespace tessera::core
