// The analysis of one feed as plain values (no OpenCV types leave analysis/).
#pragma once

#include <array>
#include <optional>

namespace tessera::core {

struct Scores {
  std::array<float, 3> meanRgb{};  // 0-255
  float brightness = 0;            // 0-1
  float motion = 0;                // 0-1
  float sharpness = 0;             // variance of the Laplacian
  int faces = 0;
};

}  // namespace tessera::core
