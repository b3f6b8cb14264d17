// Draws tiles from a texture array into the canvas framebuffer with one instanced draw, and
// reads the canvas back through a ring of pixel-buffer objects (asynchronous on a real GPU).
//
// Thread: the render thread, with its GL context current, for the object's whole life.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/frame.hpp"
#include "core/types.hpp"
#include "platform/gl.hpp"

namespace tessera::render {

struct TileInstance {
  core::Rect rect;  // canvas pixels
  int layer = 0;    // in the tile array
};

class TileRenderer {
 public:
  // Tiles drawn between these scales of their texture read texels directly; others are filtered.
  static constexpr float kNearestMinScale = 0.45f;
  static constexpr float kNearestMaxScale = 1.3f;

  // Per-instance vertex data as the shaders read it.
  struct Instance {
    float rect[4];
    float layer;
  };
  static constexpr int kReadbackRing = 3;

  // Loads shaders/tiles.{vert,frag} from `shaderDir`. Null (with `error`) on failure.
  static std::unique_ptr<TileRenderer> create(core::SizePx canvas, core::SizePx tile, int layers,
                                              const std::filesystem::path& shaderDir,
                                              std::string* error);

  core::SizePx canvas() const { return mCanvas; }
  core::SizePx tile() const { return mTile; }
  int layers() const { return mLayers; }
  GLuint framebuffer() const { return mFramebuffer.id(); }

  // Copies one frame (RGBA or I420) into a layer; a frame of another size is refused (ingest
  // scales to the tile). The layer is drawn in the format of the frame uploaded last.
  bool upload(int layer, const core::VideoFrame& frame);
  // Draws `tiles` into the canvas. With `clear`, the canvas is cleared first (a new layout);
  // without, only these tiles are drawn over the previous canvas (the tiles that changed).
  void draw(std::span<const TileInstance> tiles, bool clear = true);

  // Starts reading the canvas into the next pixel buffer.
  void startReadback();
  // Copies the oldest pending readback into `dst` (width*height*4 bytes, rows top-first). Unless
  // `allowNewest`, the read started last is left in flight (a frame of latency, no GPU stall).
  // False when nothing could be copied.
  bool finishReadback(std::uint8_t* dst, bool allowNewest);
  // Synchronous read of the current canvas (tests).
  void readNow(std::uint8_t* dst);

 private:
  TileRenderer() = default;

  core::SizePx mCanvas;
  core::SizePx mTile;
  int mLayers = 0;
  // Program variants: bit 0 = I420 layers, bit 1 = direct texel reads (see tiles.frag).
  static constexpr int kVariants = 4;
  struct Variant {
    platform::GlProgram program;
    GLint canvasSize = -1;
    GLint tileSize = -1;
  };
  std::array<Variant, kVariants> mVariants;

  platform::GlTexture mTileArray;       // RGBA tiles
  platform::GlTexture mPlaneArrays[3];  // I420 tiles: Y, U, V (R8); converted in the shader
  std::vector<std::uint8_t> mLayerIsYuv;
  platform::GlTexture mCanvasTexture;
  platform::GlFramebuffer mFramebuffer;
  platform::GlVertexArray mVertexArray;
  platform::GlBuffer mInstances;
  std::size_t mInstanceCapacity = 0;
  platform::GlBuffer mReadback[kReadbackRing];
  int mReadbackNext = 0;
  int mReadbackPending = 0;
  // Draw scratch, kept to avoid allocating per frame.
  std::array<std::vector<Instance>, kVariants> mGroups;
  std::vector<Instance> mPacked;
};

}  // namespace tessera::render
