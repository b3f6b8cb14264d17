// The analysis of one feed as plain values (no OpenCV types leave analysis/).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>

namespace tessera::core {

// One colour of a feed's dominant palette and the share of the picture it covers.
struct PaletteColour {
  std::array<std::uint8_t, 3> rgb{};
  float weight = 0;  // 0-1; the weights of a palette add up to 1
  bool operator==(const PaletteColour&) const = default;
};

struct Scores {
  std::array<float, 3> meanRgb{};          // 0-255
  float brightness = 0;                    // 0-1
  float motion = 0;                        // 0-1, frame-difference energy; 0 for a still picture
  float sharpness = 0;                     // variance of the Laplacian; higher is sharper
  int faces = 0;                           // from the most recent face detection
  std::array<PaletteColour, 3> palette{};  // k-means (k = 3), largest share first
  bool frozen = false;  // the picture has not changed (or no frame came) for a while
  bool black = false;   // (nearly) every pixel is dark: a covered lens, no signal
  // When the analysed frame arrived: how old the analysis is is measured from it.
  std::chrono::steady_clock::time_point frameTime{};
  int ageMs = 0;  // filled in by whoever reads the scores at a given moment (the HTTP API)

  int ageMsAt(std::chrono::steady_clock::time_point now) const {
    return static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(now - frameTime).count());
  }
};

}  // namespace tessera::core
