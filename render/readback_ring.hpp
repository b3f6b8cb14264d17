// A ring of pixel-buffer objects that reads a framebuffer back without waiting for the GPU: a
// read started this frame is copied out the next (asynchronous on a real GPU).
//
// Thread: the render thread, with its GL context current, for the object's whole life.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "platform/gl.hpp"

namespace tessera::render {

class ReadbackRing {
 public:
  static constexpr int kRing = 3;

  // `bytes` is what one read fills: width * rows * bytes per pixel of the start() calls.
  explicit ReadbackRing(std::size_t bytes);

  // Starts reading width x rows pixels of `framebuffer` (`format`: GL_RGBA or GL_RED, bytes)
  // into the next buffer. A full ring overwrites its oldest unread frame.
  void start(GLuint framebuffer, int width, int rows, GLenum format);
  // The same for several pictures into one buffer: each at its offset, rows 4-byte aligned.
  struct Region {
    GLuint framebuffer = 0;
    GLenum attachment = GL_COLOR_ATTACHMENT0;
    int width = 0;
    int rows = 0;
    GLenum format = GL_RED;
    std::size_t offset = 0;
  };
  void start(std::span<const Region> regions);
  // Copies the first `bytes` of the oldest pending read into `dst`. Unless `allowNewest`, the
  // read started last is left in flight (a frame of latency, no GPU stall). False when nothing
  // was copied.
  bool finish(std::uint8_t* dst, std::size_t bytes, bool allowNewest);
  int pending() const { return mPending; }
  // Forgets every read in flight (the frames they hold are no longer wanted).
  void drop() { mPending = 0; }

 private:
  std::size_t mBytes = 0;
  platform::GlBuffer mBuffers[kRing];
  int mNext = 0;
  int mPending = 0;
};

}  // namespace tessera::render
