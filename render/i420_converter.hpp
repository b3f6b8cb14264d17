// The canvas converted to I420 on the GPU at an encoder's size (scaled in the same pass) and
// read back through a ring of pixel buffers: the encoder gets the buffer it encodes (1.5 bytes
// a pixel instead of RGBA's 4) and no conversion runs on the CPU. shaders/i420.frag draws the
// three planes, laid out as core::i420Layout, into one R8 target read back in one go: three
// draws, one per plane over the target rows it covers.
//
// Thread: the render thread, with its GL context current, for the object's whole life.
#pragma once

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
  void planSetUp();

  core::SizePx mSize;
  core::I420Layout mLayout;
  core::YuvMatrix mMatrix;
  int mRows = 0;  // of the target, whose width is the Y stride
  // [0] draws Y, [1] U and V (they differ when Y reads texels: the canvas is the encoded size).
  struct Program {
    platform::GlProgram program;
    GLint offset = -1, stride = -1, bytes = -1, scale = -1, coefficients = -1;
  };
  Program mPrograms[2];
  struct Plane {
    float offset, stride, bytes, scale;
    float coefficients[4];
    int firstRow, rows;  // of the target
  };
  Plane mPlanes[3]{};
  platform::GlSampler mSampler;
  platform::GlTexture mTexture;
  platform::GlFramebuffer mFramebuffer;
  platform::GlVertexArray mEmptyVertexArray;
  ReadbackRing mRing;
};

}  // namespace tessera::render
