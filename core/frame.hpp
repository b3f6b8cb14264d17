// A decoded video frame handed between threads as an immutable snapshot.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

namespace tessera::core {

// RGBA8 pixels, top row first. `data` points into `storage`, which keeps the pixels alive (a
// mapped GStreamer buffer, a pooled readback, or a plain vector), so frames move without copies.
struct VideoFrame {
  int width = 0;
  int height = 0;
  std::size_t strideBytes = 0;
  const std::uint8_t* data = nullptr;
  std::uint64_t sequence = 0;  // counts frames of one source, starting at 1
  std::chrono::steady_clock::time_point arrival{};
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
    f->storage = std::move(pixels);
    return f;
  }
};

using FrameRef = std::shared_ptr<const VideoFrame>;

}  // namespace tessera::core
