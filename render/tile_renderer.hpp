// Draws tiles from a texture array into the canvas framebuffer with a few instanced draws, keeps
// the brush's persistent paint and the outgoing scene's last frame for cross-fades, and reads the
// canvas back through a ring of pixel-buffer objects (asynchronous on a real GPU).
//
// Thread: the render thread, with its GL context current, for the object's whole life.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "compositor/layout.hpp"
#include "core/frame.hpp"
#include "core/types.hpp"
#include "platform/gl.hpp"
#include "render/readback_ring.hpp"

namespace tessera::render {

struct TileInstance {
  core::Rect rect;                // canvas pixels
  int layer = 0;                  // in the tile array
  core::Rect source{0, 0, 1, 1};  // the part of the layer shown, 0..1
  compositor::Tint tint{};
  float alpha = 1;        // below 1: blended over what is under it
  float rotationRad = 0;  // about the rect's centre, clockwise on the canvas
  int z = 1;              // band: 0 is drawn before 1
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
    float source[4];
    float tint[4];
    float alphaRotation[2];
  };
  static constexpr int kReadbackRing = ReadbackRing::kRing;

  // Loads shaders/tiles.{vert,frag} and shaders/canvas.{vert,frag} from `shaderDir`. Null (with
  // `error`) on failure.
  static std::unique_ptr<TileRenderer> create(core::SizePx canvas, core::SizePx tile, int layers,
                                              const std::filesystem::path& shaderDir,
                                              std::string* error);

  core::SizePx canvas() const { return mCanvas; }
  core::SizePx tile() const { return mTile; }
  int layers() const { return mLayers; }
  // Where tiles are drawn (rows top-first); it keeps them between frames for partial redraws.
  GLuint tilesFramebuffer() const { return mFramebuffer.id(); }
  // The picture shown and read back: the tiles, or with post-processing on, a second canvas
  // that a scene's shaders fill from the tiles each frame (so the tiles are never drawn over).
  GLuint framebuffer() const { return mPostActive ? mPostFramebuffer.id() : mFramebuffer.id(); }
  // The texture behind framebuffer() (what an I420Converter reads).
  GLuint canvasTexture() const { return mPostActive ? mPostTexture.id() : mCanvasTexture.id(); }
  void setPostProcessing(bool on);
  // With post-processing on and no shader filling the second canvas: copies the tiles into it
  // (something is drawn over them there and must not stay in the tiles, e.g. reactions).
  void copyTilesToCanvas();
  // The tile arrays, for shaders that read the feeds (FEED_PIXEL).
  GLuint tileArray() const { return mTileArray.id(); }
  GLuint planeArray(int plane) const { return mPlaneArrays[plane].id(); }
  bool layerIsYuv(int layer) const { return mLayerIsYuv[static_cast<std::size_t>(layer)] != 0; }
  // The share of the layer its last frame filled, from the top left (1: the whole tile). Ingest
  // scales a feed to the size its tile is drawn at (core/tile_scale.hpp), in the tile's aspect.
  float layerScale(int layer) const { return mLayerScale[static_cast<std::size_t>(layer)].w; }

  // Copies one frame (RGBA or I420) into a layer, at its top left; a frame larger than the tile
  // is refused (ingest scales to the tile or smaller). The layer is drawn in the format and at
  // the size of the frame uploaded last.
  bool upload(int layer, const core::VideoFrame& frame);
  // Draws `tiles` into the canvas: band 0 first, then band 1; in each band opaque tiles, then
  // translucent ones blended. With `clear`, the canvas is cleared first (a new layout); without,
  // only these tiles are drawn over the previous canvas (the tiles that changed).
  void draw(std::span<const TileInstance> tiles, bool clear = true);

  // The brush: fades the persistent paint by `fade` (0..1; it converges to black, never leaving
  // a faint ghost), paints `dabs` on it (soft ellipses, blended) and copies it to the canvas.
  void paint(std::span<const TileInstance> dabs, float fade);
  // Clears the paint (a brush scene starts on a fresh canvas).
  void clearPaint();

  // Keeps the canvas as it is now (the outgoing scene's last frame) ...
  void snapshot();
  // ... and draws it over the canvas with opacity `alpha` (a cross-fade to the new scene).
  void overlaySnapshot(float alpha);
  // An RGBA picture kept on top of the canvas (the join page's QR code): scaled without
  // filtering (crisp modules) into `rect`, canvas pixels, by drawOverlay() after every draw.
  // False (and no overlay) for a frame that is not RGBA.
  bool setOverlay(const core::VideoFrame& rgba, core::Rect rect);
  void drawOverlay();
  // Fills the shown canvas with one colour (the cue's flash); the next tiles draw must be whole.
  void fill(float r, float g, float b);

  // Starts reading the canvas into the next pixel buffer.
  void startReadback();
  // Reads started and not finished yet; dropReadback() forgets them (nobody wants them now).
  int pendingReadbacks() const { return mReadback->pending(); }
  void dropReadback() { mReadback->drop(); }
  // Copies the oldest pending readback into `dst` (width*height*4 bytes, rows top-first). Unless
  // `allowNewest`, the read started last is left in flight (a frame of latency, no GPU stall).
  // False when nothing could be copied.
  bool finishReadback(std::uint8_t* dst, bool allowNewest);
  // Synchronous read of the current canvas (tests).
  void readNow(std::uint8_t* dst);

 private:
  TileRenderer() = default;
  void drawInto(GLuint framebuffer, std::span<const TileInstance> tiles, bool dabs);
  void drawCanvasPass(bool image, float alpha, const float colour[4]);

  core::SizePx mCanvas;
  core::SizePx mTile;
  int mLayers = 0;
  // Program variants: bit 0 = I420 layers, bit 1 = direct texel reads, bit 2 = tint, bit 3 =
  // brush dab (see tiles.frag).
  static constexpr int kVariants = 16;
  static constexpr int kYuvBit = 1, kNearestBit = 2, kTintBit = 4, kDabBit = 8;
  struct Variant {
    platform::GlProgram program;
    GLint canvasSize = -1;
    GLint tileSize = -1;
  };
  std::array<Variant, kVariants> mVariants;
  // Whole-canvas passes: [0] flat colour, [1] image.
  struct CanvasPass {
    platform::GlProgram program;
    GLint alpha = -1;
    GLint colour = -1;
  };
  std::array<CanvasPass, 2> mCanvasPasses;

  platform::GlTexture mTileArray;       // RGBA tiles
  platform::GlTexture mPlaneArrays[3];  // I420 tiles: Y, U, V (R8); converted in the shader
  std::vector<std::uint8_t> mLayerIsYuv;
  struct LayerScale {
    float w = 1, h = 1;
  };
  std::vector<LayerScale> mLayerScale;
  platform::GlTexture mCanvasTexture;
  platform::GlFramebuffer mFramebuffer;
  platform::GlTexture mPaintTexture;  // the brush's persistent paint
  platform::GlFramebuffer mPaintFramebuffer;
  platform::GlTexture mOverlayTexture;  // setOverlay's picture, attached to its framebuffer
  platform::GlFramebuffer mOverlayFramebuffer;
  core::SizePx mOverlaySize;
  core::Rect mOverlayRect;
  platform::GlTexture mPostTexture;  // setPostProcessing's picture, made when first needed
  platform::GlFramebuffer mPostFramebuffer;
  bool mPostActive = false;
  platform::GlTexture mSnapshotTexture;  // the outgoing scene's last frame
  platform::GlFramebuffer mSnapshotFramebuffer;
  platform::GlVertexArray mVertexArray;
  platform::GlVertexArray mEmptyVertexArray;  // whole-canvas passes have no attributes
  platform::GlBuffer mInstances;
  std::size_t mInstanceCapacity = 0;
  std::optional<ReadbackRing> mReadback;
  // Draw scratch, kept to avoid allocating per frame: groups by band, blending and variant.
  static constexpr int kGroups = 2 * 2 * kVariants;
  std::array<std::vector<Instance>, kGroups> mGroups;
  std::vector<Instance> mPacked;
};

}  // namespace tessera::render
