// Frames with known pixels, and ways to look at the pixels of frames and canvas readbacks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/frame.hpp"

namespace tessera::test {

struct Rgba {
  std::uint8_t r = 0;
  std::uint8_t g = 0;
  std::uint8_t b = 0;
  std::uint8_t a = 255;
  bool operator==(const Rgba&) const = default;
};

inline constexpr Rgba kRed{255, 0, 0};
inline constexpr Rgba kGreen{0, 255, 0};
inline constexpr Rgba kBlue{0, 0, 255};
inline constexpr Rgba kWhite{255, 255, 255};
inline constexpr Rgba kMagenta{255, 0, 255};

std::string toString(const Rgba& c);
// Every channel within `tolerance` of the other's.
bool near(const Rgba& a, const Rgba& b, int tolerance);

// A frame of one colour. `strideBytes` 0 means tightly packed; a larger stride fills the padding
// at the end of each row with `padding`, so a reader that ignores the stride shows it.
std::shared_ptr<core::VideoFrame> solidFrame(int width, int height, Rgba colour,
                                             std::size_t strideBytes = 0, Rgba padding = kMagenta);
// Four quadrants: top-left, top-right, bottom-left, bottom-right (width and height even).
std::shared_ptr<core::VideoFrame> quadrantFrame(int width, int height, Rgba topLeft, Rgba topRight,
                                                Rgba bottomLeft, Rgba bottomRight);

// I420 (BT.601, limited range: what decoders produce and tiles.frag converts) of one colour.
struct Yuv {
  std::uint8_t y = 16;
  std::uint8_t u = 128;
  std::uint8_t v = 128;
};
Yuv toYuv(Rgba c);
Rgba toRgba(Yuv c);
// An I420 frame of one colour (width and height even). `lumaStride` 0 means tightly packed; a
// larger one pads the Y rows with `lumaPadding` and the chroma rows (half as long) likewise.
std::shared_ptr<core::VideoFrame> solidI420Frame(int width, int height, Yuv colour,
                                                 std::size_t lumaStride = 0,
                                                 std::uint8_t lumaPadding = 255);

// A read-only view of RGBA8 pixels, rows top-first.
struct PixelView {
  const std::uint8_t* data = nullptr;
  int width = 0;
  int height = 0;
  std::size_t strideBytes = 0;

  static PixelView of(const core::VideoFrame& f) {
    return {f.data, f.width, f.height, f.strideBytes};
  }
  Rgba at(int x, int y) const;
};

// A frame's pixels as packed RGBA (I420 converted on the CPU as tiles.frag does on the GPU).
struct Picture {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> rgba;
  PixelView view() const {
    return {rgba.data(), width, height, static_cast<std::size_t>(width) * 4};
  }
};
Picture toPicture(const core::VideoFrame& frame);

struct MeanRgb {
  double r = 0;
  double g = 0;
  double b = 0;
  // Sum of absolute channel differences.
  double distance(const MeanRgb& o) const;
};

// The mean colour of the rectangle [x, x+w) x [y, y+h).
MeanRgb meanRgb(const PixelView& view, int x, int y, int w, int h);
inline MeanRgb meanRgb(const PixelView& view) {
  return meanRgb(view, 0, 0, view.width, view.height);
}
// The share of pixels (0..1) whose channels differ by more than `threshold` somewhere.
double changedFraction(const PixelView& a, const PixelView& b, int threshold);
// Checks every pixel of the rectangle against `expected`; returns "" when all are within
// `tolerance`, else a description of the first pixel that is not.
std::string checkRect(const PixelView& view, int x, int y, int w, int h, Rgba expected,
                      int tolerance);

}  // namespace tessera::test
