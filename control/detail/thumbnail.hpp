// A feed's frame made small for the admin page: half size (box filter), RGB8, then JPEG.
#pragma once

#include <cstdint>
#include <vector>

#include "core/frame.hpp"

namespace tessera::control::detail {

struct RgbImage {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> rgb;  // tightly packed, 3 bytes a pixel
};

// Half the frame's width and height (at least 1), each pixel the mean of a 2x2 block; I420
// (BT.601 limited range) and RGBA frames. Empty for a frame without pixels.
RgbImage halfSizeRgb(const core::VideoFrame& frame);

}  // namespace tessera::control::detail
