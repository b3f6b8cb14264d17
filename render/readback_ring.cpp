#include "render/readback_ring.hpp"

#include <cstring>

namespace tessera::render {

ReadbackRing::ReadbackRing(std::size_t bytes) : mBytes(bytes) {
  for (auto& pbo : mBuffers) {
    pbo = platform::makeBuffer();
    glBindBuffer(GL_PIXEL_PACK_BUFFER, pbo.id());
    glBufferData(GL_PIXEL_PACK_BUFFER, static_cast<GLsizeiptr>(bytes), nullptr, GL_STREAM_READ);
  }
  glBindBuffer(GL_PIXEL_PACK_BUFFER, 0);
}

void ReadbackRing::start(GLuint framebuffer, int width, int rows, GLenum format) {
  const Region region{framebuffer, GL_COLOR_ATTACHMENT0, width, rows, format, 0};
  start(std::span(&region, 1));
}

void ReadbackRing::start(std::span<const Region> regions) {
  glBindBuffer(GL_PIXEL_PACK_BUFFER, mBuffers[mNext].id());
  glPixelStorei(GL_PACK_ALIGNMENT, 4);
  for (const Region& r : regions) {
    glBindFramebuffer(GL_READ_FRAMEBUFFER, r.framebuffer);
    glReadBuffer(r.attachment);
    glReadPixels(0, 0, r.width, r.rows, r.format, GL_UNSIGNED_BYTE,
                 reinterpret_cast<void*>(r.offset));
  }
  glReadBuffer(GL_COLOR_ATTACHMENT0);
  glBindBuffer(GL_PIXEL_PACK_BUFFER, 0);
  mNext = (mNext + 1) % kRing;
  if (mPending < kRing) ++mPending;
}

bool ReadbackRing::finish(std::uint8_t* dst, std::size_t bytes, bool allowNewest) {
  // The newest read is mapped only when asked: mapping it at once would wait for the GPU.
  if (mPending == 0 || (mPending == 1 && !allowNewest) || bytes > mBytes) return false;
  const int oldest = (mNext - mPending + kRing) % kRing;
  --mPending;
  glBindBuffer(GL_PIXEL_PACK_BUFFER, mBuffers[oldest].id());
  const void* p =
      glMapBufferRange(GL_PIXEL_PACK_BUFFER, 0, static_cast<GLsizeiptr>(bytes), GL_MAP_READ_BIT);
  if (p) {
    std::memcpy(dst, p, bytes);
    glUnmapBuffer(GL_PIXEL_PACK_BUFFER);
  }
  glBindBuffer(GL_PIXEL_PACK_BUFFER, 0);
  return p != nullptr;
}

}  // namespace tessera::render
