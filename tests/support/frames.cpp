#include "tests/support/frames.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdlib>
#include <vector>

namespace tessera::test {

std::string toString(const Rgba& c) {
  return fmt::format("({},{},{},{})", c.r, c.g, c.b, c.a);
}

bool near(const Rgba& a, const Rgba& b, int tolerance) {
  return std::abs(a.r - b.r) <= tolerance && std::abs(a.g - b.g) <= tolerance &&
         std::abs(a.b - b.b) <= tolerance && std::abs(a.a - b.a) <= tolerance;
}

namespace {

std::shared_ptr<core::VideoFrame> frameWithStride(int width, int height, std::size_t strideBytes,
                                                  std::vector<std::uint8_t> pixels) {
  auto f = core::VideoFrame::fromPixels(width, height, std::move(pixels));
  f->strideBytes = strideBytes;
  return f;
}

void put(std::vector<std::uint8_t>& px, std::size_t offset, Rgba c) {
  px[offset + 0] = c.r;
  px[offset + 1] = c.g;
  px[offset + 2] = c.b;
  px[offset + 3] = c.a;
}

}  // namespace

std::shared_ptr<core::VideoFrame> solidFrame(int width, int height, Rgba colour,
                                             std::size_t strideBytes, Rgba padding) {
  const std::size_t rowBytes = static_cast<std::size_t>(width) * 4;
  if (strideBytes == 0) strideBytes = rowBytes;
  assert(strideBytes >= rowBytes);
  std::vector<std::uint8_t> px(strideBytes * static_cast<std::size_t>(height));
  for (int y = 0; y < height; ++y) {
    const std::size_t row = strideBytes * static_cast<std::size_t>(y);
    for (std::size_t x = 0; x + 4 <= strideBytes; x += 4) {
      put(px, row + x, x < rowBytes ? colour : padding);
    }
  }
  return frameWithStride(width, height, strideBytes, std::move(px));
}

std::shared_ptr<core::VideoFrame> quadrantFrame(int width, int height, Rgba topLeft, Rgba topRight,
                                                Rgba bottomLeft, Rgba bottomRight) {
  assert(width % 2 == 0 && height % 2 == 0);
  const std::size_t stride = static_cast<std::size_t>(width) * 4;
  std::vector<std::uint8_t> px(stride * static_cast<std::size_t>(height));
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const bool right = x >= width / 2, bottom = y >= height / 2;
      const Rgba c = bottom ? (right ? bottomRight : bottomLeft) : (right ? topRight : topLeft);
      put(px, stride * static_cast<std::size_t>(y) + static_cast<std::size_t>(x) * 4, c);
    }
  }
  return frameWithStride(width, height, stride, std::move(px));
}

namespace {

std::uint8_t clampByte(double v) {
  return static_cast<std::uint8_t>(std::lround(std::clamp(v, 0.0, 255.0)));
}

}  // namespace

Yuv toYuv(Rgba c) {
  const double r = c.r, g = c.g, b = c.b;
  return {clampByte(16 + 0.256788 * r + 0.504129 * g + 0.097906 * b),
          clampByte(128 - 0.148223 * r - 0.290993 * g + 0.439216 * b),
          clampByte(128 + 0.439216 * r - 0.367788 * g - 0.071427 * b)};
}

Rgba toRgba(Yuv c) {
  const double y = 1.164383 * (c.y - 16), u = c.u - 128.0, v = c.v - 128.0;
  return {clampByte(y + 1.596027 * v), clampByte(y - 0.391762 * u - 0.812968 * v),
          clampByte(y + 2.017232 * u), 255};
}

std::shared_ptr<core::VideoFrame> solidI420Frame(int width, int height, Yuv colour,
                                                 std::size_t lumaStride, std::uint8_t lumaPadding) {
  assert(width % 2 == 0 && height % 2 == 0);
  if (lumaStride == 0) lumaStride = static_cast<std::size_t>(width);
  assert(lumaStride >= static_cast<std::size_t>(width));
  const std::size_t chromaStride = (lumaStride + 1) / 2;
  const std::size_t cw = static_cast<std::size_t>(width) / 2;
  const std::size_t ch = static_cast<std::size_t>(height) / 2;
  const std::size_t ySize = lumaStride * static_cast<std::size_t>(height);
  const std::size_t cSize = chromaStride * ch;
  std::vector<std::uint8_t> px(ySize + 2 * cSize, lumaPadding);
  for (int y = 0; y < height; ++y) {
    std::fill_n(px.begin() + static_cast<std::ptrdiff_t>(lumaStride * static_cast<std::size_t>(y)),
                width, colour.y);
  }
  for (std::size_t y = 0; y < ch; ++y) {
    std::fill_n(px.begin() + static_cast<std::ptrdiff_t>(ySize + chromaStride * y),
                static_cast<std::ptrdiff_t>(cw), colour.u);
    std::fill_n(px.begin() + static_cast<std::ptrdiff_t>(ySize + cSize + chromaStride * y),
                static_cast<std::ptrdiff_t>(cw), colour.v);
  }
  auto f = core::VideoFrame::fromI420(width, height, std::move(px));
  // fromI420 assumes packed planes: point them at the padded layout.
  f->planes[1] = f->planes[0] + ySize;
  f->planes[2] = f->planes[1] + cSize;
  f->planeStrides[0] = lumaStride;
  f->planeStrides[1] = f->planeStrides[2] = chromaStride;
  f->strideBytes = lumaStride;
  return f;
}

Picture toPicture(const core::VideoFrame& frame) {
  Picture pic;
  pic.width = frame.width;
  pic.height = frame.height;
  pic.rgba.resize(static_cast<std::size_t>(frame.width) * frame.height * 4);
  for (int y = 0; y < frame.height; ++y) {
    for (int x = 0; x < frame.width; ++x) {
      Rgba c;
      if (frame.format == core::PixelFormat::kI420) {
        const std::size_t cx = static_cast<std::size_t>(x) / 2,
                          cy = static_cast<std::size_t>(y) / 2;
        c = toRgba({frame.planes[0][frame.planeStrides[0] * static_cast<std::size_t>(y) +
                                    static_cast<std::size_t>(x)],
                    frame.planes[1][frame.planeStrides[1] * cy + cx],
                    frame.planes[2][frame.planeStrides[2] * cy + cx]});
      } else {
        c = PixelView::of(frame).at(x, y);
      }
      put(pic.rgba, (static_cast<std::size_t>(y) * frame.width + x) * 4, c);
    }
  }
  return pic;
}

Rgba PixelView::at(int x, int y) const {
  assert(x >= 0 && y >= 0 && x < width && y < height);
  const std::uint8_t* p =
      data + strideBytes * static_cast<std::size_t>(y) + static_cast<std::size_t>(x) * 4;
  return {p[0], p[1], p[2], p[3]};
}

double MeanRgb::distance(const MeanRgb& o) const {
  return std::abs(r - o.r) + std::abs(g - o.g) + std::abs(b - o.b);
}

MeanRgb meanRgb(const PixelView& view, int x, int y, int w, int h) {
  MeanRgb m;
  for (int yy = y; yy < y + h; ++yy) {
    for (int xx = x; xx < x + w; ++xx) {
      const Rgba c = view.at(xx, yy);
      m.r += c.r;
      m.g += c.g;
      m.b += c.b;
    }
  }
  const double n = static_cast<double>(w) * h;
  if (n > 0) {
    m.r /= n;
    m.g /= n;
    m.b /= n;
  }
  return m;
}

double changedFraction(const PixelView& a, const PixelView& b, int threshold) {
  assert(a.width == b.width && a.height == b.height);
  std::size_t changed = 0;
  for (int y = 0; y < a.height; ++y) {
    for (int x = 0; x < a.width; ++x) {
      const Rgba p = a.at(x, y), q = b.at(x, y);
      if (std::abs(p.r - q.r) > threshold || std::abs(p.g - q.g) > threshold ||
          std::abs(p.b - q.b) > threshold) {
        ++changed;
      }
    }
  }
  return static_cast<double>(changed) / (static_cast<double>(a.width) * a.height);
}

std::string checkRect(const PixelView& view, int x, int y, int w, int h, Rgba expected,
                      int tolerance) {
  for (int yy = y; yy < y + h; ++yy) {
    for (int xx = x; xx < x + w; ++xx) {
      const Rgba c = view.at(xx, yy);
      if (!near(c, expected, tolerance)) {
        return fmt::format("pixel ({},{}) is {}, expected {} +-{}", xx, yy, toString(c),
                           toString(expected), tolerance);
      }
    }
  }
  return {};
}

}  // namespace tessera::test
