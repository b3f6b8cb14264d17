// A decoded video frame handed between threads as an immutable snapshot.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

namespace tessera::core {

// Tightly packed RGBA8 pixels, top row first.
struct VideoFrame {
  int width = 0;
  int height = 0;
  std::uint64_t sequence = 0;  // counts frames of one feed, starting at 1
  std::chrono::steady_clock::time_point arrival{};
  std::vector<std::uint8_t> rgba;

  std::size_t strideBytes() const { return static_cast<std::size_t>(width) * 4; }
};

using FrameRef = std::shared_ptr<const VideoFrame>;

}  // namespace tessera::core
