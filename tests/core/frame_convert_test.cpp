#include "core/frame_convert.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <vector>

using tessera::core::i420Layout;
using tessera::core::PixelFormat;
using tessera::core::VideoFrame;
using tessera::core::YuvMatrix;

namespace {

// A 4x2 BT.709 frame: the left half red (63, 102, 240), the right half white (235, 128, 128),
// laid out as i420Layout (Y rows 4 bytes, chroma rows 2 padded to 4).
VideoFrame redWhite(std::vector<std::uint8_t>& storage) {
  const auto l = i420Layout(4, 2);
  storage.assign(l.bytes, 0);
  for (int y = 0; y < 2; ++y) {
    for (int x = 0; x < 4; ++x) storage[y * l.strides[0] + x] = x < 2 ? 63 : 235;
  }
  storage[l.offsets[1]] = 102;
  storage[l.offsets[1] + 1] = 128;
  storage[l.offsets[2]] = 240;
  storage[l.offsets[2] + 1] = 128;
  VideoFrame f;
  f.width = 4;
  f.height = 2;
  f.format = PixelFormat::kI420;
  f.matrix = YuvMatrix::kBt709;
  for (int p = 0; p < 3; ++p) {
    f.planes[p] = storage.data() + l.offsets[p];
    f.planeStrides[p] = l.strides[p];
  }
  f.data = f.planes[0];
  f.strideBytes = f.planeStrides[0];
  f.sequence = 7;
  return f;
}

bool near(const std::uint8_t* p, int r, int g, int b) {
  return std::abs(p[0] - r) <= 2 && std::abs(p[1] - g) <= 2 && std::abs(p[2] - b) <= 2 &&
         p[3] == 255;
}

}  // namespace

TEST_CASE("rgbaFromI420 inverts the BT.709 limited-range matrix", "[core][frame]") {
  std::vector<std::uint8_t> storage;
  const VideoFrame yuv = redWhite(storage);
  const auto rgba = tessera::core::rgbaFromI420(yuv, 4, 2);
  REQUIRE(rgba);
  CHECK(rgba->format == PixelFormat::kRgba);
  CHECK(rgba->sequence == 7);
  CHECK(near(rgba->data, 255, 0, 0));
  CHECK(near(rgba->data + 3 * 4, 255, 255, 255));
  CHECK(near(rgba->data + rgba->strideBytes, 255, 0, 0));
}

TEST_CASE("rgbaFromI420 scales by nearest sample and refuses what is not I420", "[core][frame]") {
  std::vector<std::uint8_t> storage;
  const VideoFrame yuv = redWhite(storage);
  const auto big = tessera::core::rgbaFromI420(yuv, 8, 4);
  REQUIRE(big);
  CHECK(big->width == 8);
  CHECK(near(big->data + 3 * 4, 255, 0, 0));
  CHECK(near(big->data + 3 * big->strideBytes + 4 * 4, 255, 255, 255));
  VideoFrame rgba = yuv;
  rgba.format = PixelFormat::kRgba;
  CHECK_FALSE(tessera::core::rgbaFromI420(rgba, 4, 2));
  CHECK_FALSE(tessera::core::rgbaFromI420(yuv, 0, 2));
}
