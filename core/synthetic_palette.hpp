// The colours of the built-in synthetic participants, in one place: ingest draws them, and
// benches and tests reason about them.
#pragma once

#include <array>
#include <cmath>

namespace tessera::core {

// HSV (all 0-1, hue wrapping) to RGB in 0-255.
inline std::array<float, 3> hsvToRgb(double h, double s, double v) {
  h = (h - std::floor(h)) * 6.0;
  const int i = static_cast<int>(h) % 6;
  const double f = h - std::floor(h);
  const double p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
  const double rgb[6][3] = {{v, t, p}, {q, v, p}, {p, v, t}, {p, q, v}, {t, p, v}, {v, p, q}};
  return {static_cast<float>(rgb[i][0] * 255), static_cast<float>(rgb[i][1] * 255),
          static_cast<float>(rgb[i][2] * 255)};
}

struct SyntheticColours {
  std::array<float, 3> background;  // RGB 0-255
  std::array<float, 3> ball;
};

// Participant `index` gets its own hue (golden-ratio steps spread them evenly) at one of six
// saturation/value levels (hue alone nearly repeats every 13 steps) and a contrasting ball, so a
// crowd of them reads as different people.
inline SyntheticColours syntheticColours(int index) {
  constexpr double kSaturation[] = {0.55, 0.85};
  constexpr double kValue[] = {0.38, 0.60, 0.82};
  const double hue = std::fmod(index * 0.6180339887, 1.0);
  return {hsvToRgb(hue, kSaturation[index % 2], kValue[index % 3]), hsvToRgb(hue + 0.5, 0.35, 1.0)};
}

}  // namespace tessera::core
