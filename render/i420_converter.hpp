// The canvas converted to I420 on the GPU at an encoder's size (scaled in the same pass) and
// read back through a ring of pixel buffers: the encoder gets the buffer it encodes (1.5 bytes
// a pixel instead of RGBA's 4) and no conversion runs on the CPU. shaders/i420.frag draws Y into
// one R8 target and U and V at once into two; the three are read into one pixel buffer with
// 4-byte row alignment, which is exactly core::i420Layout (GStreamer's I420).
//
// Thread: the render thread, with its GL context current, for the object's whole life.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "core/frame.hpp"
#include "core/types.hpp"
#include "platform/gl.hpp"
#include "render/readback_ring.hpp"

namespace tessera::render {

class I420Converter {
 public:
  // Loads shaders/canvas.vert and shaders/i420.frag. `size` (what is encoded) must be even;
  // `canvas` is the size of the texture convert() reads. Null (with `error`) on failure.
  static std::unique_ptr<I420Converter> create(core::SizePx canvas, core::SizePx size,
                                               const std::filesystem::path& shaderDir,
                                               std::string* error);

  core::SizePx size() const { return mSize; }
  const core::I420Layout& layout() const { return mLayout; }
  core::YuvMatrix matrix() const { return mMatrix; }

  // Draws `canvas` (an RGBA texture of the canvas size, rows top-first) as I420 ...
  void convert(GLuint canvas);
  // ... and starts reading it back (after convert()) ...
  void startReadback();
  // ... copied out a frame later (layout().bytes into `dst`), as ReadbackRing::finish.
  bool finishReadback(std::uint8_t* dst, bool allowNewest);
  // Synchronous read of the last conversion (tests).
  void readNow(std::uint8_t* dst);

 private:
  I420Converter(core::SizePx size, core::I420Layout layout);
  bool makeTargets();
  void setMatrix(GLuint program) const;
  std::array<ReadbackRing::Region, 3> regions() const;

  core::SizePx mSize;
  core::I420Layout mLayout;
  core::YuvMatrix mMatrix;
  platform::GlProgram mLuma;    // Y
  platform::GlProgram mChroma;  // U and V
  platform::GlSampler mSampler;
  platform::GlTexture mPlanes[3];
  platform::GlFramebuffer mLumaFramebuffer;
  platform::GlFramebuffer mChromaFramebuffer;  // U at attachment 0, V at 1
  platform::GlVertexArray mEmptyVertexArray;
  ReadbackRing mRing;
};

}  // namespace tessera::render
