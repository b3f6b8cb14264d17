// I420 -> RGBA on the CPU, for the rare consumer that needs RGBA when only I420 was read back
// (a canvas snapshot asked for while nothing read the canvas as RGBA).
#pragma once

#include <memory>

#include "core/frame.hpp"

namespace tessera::core {

// `yuv` (kI420, its own matrix, limited range) as an RGBA frame of width x height: scaled by
// nearest sample when the sizes differ. Null for a frame that is not I420 or a bad size.
std::shared_ptr<VideoFrame> rgbaFromI420(const VideoFrame& yuv, int width, int height);

}  // namespace tessera::core
