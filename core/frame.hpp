// A decoded video frame handed between threads as an immutable snapshot.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace tessera::core {

enum class PixelFormat {
  kRgba,  // one plane, 4 bytes a pixel
  kI420,  // planar Y, U, V (limited range, see YuvMatrix); U and V at half width and height
};

// Which RGB <-> YUV matrix an I420 frame uses (both limited range). Feeds are taken as BT.601;
// the canvas converted for the encoders uses what GStreamer assumes for its size (yuvMatrixFor).
enum class YuvMatrix { kBt601, kBt709 };

// GStreamer's default for I420 caps that name no colorimetry: BT.709 above 576 lines.
inline YuvMatrix yuvMatrixFor(int height) {
  return height > 576 ? YuvMatrix::kBt709 : YuvMatrix::kBt601;
}

// Where the planes of a packed I420 picture lie, as GStreamer lays out I420 caps without video
// meta: Y rows padded to 4 bytes, U and V rows to 4 bytes, one buffer.
struct I420Layout {
  std::size_t strides[3] = {0, 0, 0};
  std::size_t offsets[3] = {0, 0, 0};
  std::size_t bytes = 0;
};

inline I420Layout i420Layout(int width, int height) {
  const auto up4 = [](std::size_t n) { return (n + 3) / 4 * 4; };
  const auto w = static_cast<std::size_t>(width), h = static_cast<std::size_t>(height);
  const std::size_t chromaRows = (h + 1) / 2;
  I420Layout l;
  l.strides[0] = up4(w);
  l.strides[1] = l.strides[2] = up4((w + 1) / 2);
  l.offsets[1] = l.strides[0] * ((h + 1) / 2 * 2);
  l.offsets[2] = l.offsets[1] + l.strides[1] * chromaRows;
  l.bytes = l.offsets[2] + l.strides[2] * chromaRows;
  return l;
}

// Pixels, top row first. `data` (plane 0) and `planes` point into `storage`, which keeps them
// alive (a mapped GStreamer buffer, a pooled readback, or a plain vector), so frames move between
// threads without copies. Feeds arrive as I420 (what decoders produce: no conversion on the CPU);
// the canvas is RGBA, and I420 at each encoder's size (converted on the GPU, i420Layout).
struct VideoFrame {
  int width = 0;
  int height = 0;
  PixelFormat format = PixelFormat::kRgba;
  YuvMatrix matrix = YuvMatrix::kBt601;                         // I420 only
  std::size_t strideBytes = 0;                                  // of plane 0
  const std::uint8_t* data = nullptr;                           // plane 0
  const std::uint8_t* planes[3] = {nullptr, nullptr, nullptr};  // I420: Y, U, V
  std::size_t planeStrides[3] = {0, 0, 0};
  std::uint64_t sequence = 0;  // counts frames of one source, starting at 1
  // When the frame reached the server (the appsink), and when its picture was taken, both on
  // the server's steady clock (core/time.hpp). A source without usable timing has
  // capture == arrival (FeedChannel fills `capture` in; docs/architecture.md, "Time").
  std::chrono::steady_clock::time_point arrival{};
  std::chrono::steady_clock::time_point capture{};
  std::shared_ptr<const void> storage;

  // A frame that owns a copy of its pixels (tests, tools).
  static std::shared_ptr<VideoFrame> fromPixels(int width, int height,
                                                std::vector<std::uint8_t> rgba) {
    auto pixels = std::make_shared<std::vector<std::uint8_t>>(std::move(rgba));
    auto f = std::make_shared<VideoFrame>();
    f->width = width;
    f->height = height;
    f->strideBytes = static_cast<std::size_t>(width) * 4;
    f->data = pixels->data();
    f->planes[0] = f->data;
    f->planeStrides[0] = f->strideBytes;
    f->storage = std::move(pixels);
    return f;
  }

  // An I420 frame that owns a copy of its planes (tests, tools); `yuv` is Y then U then V, packed.
  static std::shared_ptr<VideoFrame> fromI420(int width, int height,
                                              std::vector<std::uint8_t> yuv) {
    auto pixels = std::make_shared<std::vector<std::uint8_t>>(std::move(yuv));
    auto f = std::make_shared<VideoFrame>();
    f->width = width;
    f->height = height;
    f->format = PixelFormat::kI420;
    const std::size_t cw = static_cast<std::size_t>(width + 1) / 2;
    const std::size_t ch = static_cast<std::size_t>(height + 1) / 2;
    f->planes[0] = pixels->data();
    f->planes[1] = f->planes[0] + static_cast<std::size_t>(width) * height;
    f->planes[2] = f->planes[1] + cw * ch;
    f->planeStrides[0] = static_cast<std::size_t>(width);
    f->planeStrides[1] = f->planeStrides[2] = cw;
    f->data = f->planes[0];
    f->strideBytes = f->planeStrides[0];
    f->storage = std::move(pixels);
    return f;
  }
};

using FrameRef = std::shared_ptr<const VideoFrame>;

}  // namespace tessera::core
