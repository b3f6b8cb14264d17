#include "render/tile_renderer.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstring>
#include <utility>
#include <vector>

#include "render/shader_source.hpp"

namespace tessera::render {
namespace {

using InstanceData = TileRenderer::Instance;

// What TileRenderer::draw clears the canvas to (and the brush's paper starts as).
constexpr float kClearColour[4] = {0.02f, 0.02f, 0.03f, 1.0f};
// The brush's paint loses this much more (of 255) each frame it fades, so that 8-bit rounding
// never leaves a faint ghost of old strokes: the multiplicative fade alone stalls once it would
// change a value by less than half a level.
constexpr float kPaintFloor = 1.0f / 255;

std::string tileDefines(int variant) {
  std::string defines;
  if (variant & 1) defines += "#define TILE_YUV 1\n";
  if (variant & 2) defines += "#define TILE_NEAREST 1\n";
  if (variant & 4) defines += "#define TILE_TINT 1\n";
  if (variant & 8) defines += "#define TILE_DAB 1\n";
  return defines;
}

// A canvas-sized RGBA8 texture and a framebuffer drawing into it; false if incomplete.
bool makeCanvasTarget(core::SizePx canvas, platform::GlTexture* texture,
                      platform::GlFramebuffer* framebuffer) {
  auto target = platform::makeTarget(canvas.width, canvas.height, GL_RGBA8, GL_NEAREST);
  if (!target) return false;
  *texture = std::move(target->texture);
  *framebuffer = std::move(target->framebuffer);
  glBindFramebuffer(GL_FRAMEBUFFER, framebuffer->id());
  glClearColor(kClearColour[0], kClearColour[1], kClearColour[2], kClearColour[3]);
  glClear(GL_COLOR_BUFFER_BIT);
  return true;
}

void blit(GLuint from, GLuint to, core::SizePx size) {
  platform::blit(from, to, size.width, size.height);
}

void setTileSampling(GLenum target) {
  glTexParameteri(target, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
  glTexParameteri(target, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
  glTexParameteri(target, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
  glTexParameteri(target, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
}

}  // namespace

std::unique_ptr<TileRenderer> TileRenderer::create(core::SizePx canvas, core::SizePx tile,
                                                   int layers,
                                                   const std::filesystem::path& shaderDir,
                                                   std::string* error) {
  std::unique_ptr<TileRenderer> r(new TileRenderer());
  r->mCanvas = canvas;
  r->mTile = tile;
  r->mLayers = layers;

  std::string vs, fs, canvasVs, canvasFs;
  const auto vsPath = shaderDir / "tiles.vert", fsPath = shaderDir / "tiles.frag";
  const auto canvasVsPath = shaderDir / "canvas.vert", canvasFsPath = shaderDir / "canvas.frag";
  for (const auto& [path, out] :
       {std::pair{vsPath, &vs}, std::pair{fsPath, &fs}, std::pair{canvasVsPath, &canvasVs},
        std::pair{canvasFsPath, &canvasFs}}) {
    if (!readShaderFile(path, out)) {
      if (error) *error = "cannot read " + path.string();
      return nullptr;
    }
  }
  // One program per variant: a software rasteriser runs both sides of a data-dependent branch,
  // so the choice is made per draw, not per pixel.
  for (int v = 0; v < kVariants; ++v) {
    const std::string defines = tileDefines(v);
    std::string log;
    auto program = platform::buildProgram(withDefines(vs, defines), withDefines(fs, defines), &log);
    if (!program) {
      if (error) *error = "shaders/tiles (" + defines + "): " + log;
      return nullptr;
    }
    Variant& variant = r->mVariants[v];
    variant.program = std::move(*program);
    const GLuint id = variant.program.id();
    variant.canvasSize = glGetUniformLocation(id, "uCanvasSize");
    variant.tileSize = glGetUniformLocation(id, "uTileSize");
    glUseProgram(id);
    const char* samplers[] = {"uTiles", "uY", "uU", "uV"};
    for (int i = 0; i < 4; ++i) glUniform1i(glGetUniformLocation(id, samplers[i]), i);
  }
  for (int image = 0; image < 2; ++image) {
    const std::string defines = image ? "#define CANVAS_IMAGE 1\n" : "";
    std::string log;
    auto program = platform::buildProgram(withDefines(canvasVs, defines),
                                          withDefines(canvasFs, defines), &log);
    if (!program) {
      if (error) *error = "shaders/canvas: " + log;
      return nullptr;
    }
    CanvasPass& pass = r->mCanvasPasses[image];
    pass.program = std::move(*program);
    pass.alpha = glGetUniformLocation(pass.program.id(), "uAlpha");
    pass.colour = glGetUniformLocation(pass.program.id(), "uColour");
    glUseProgram(pass.program.id());
    glUniform1i(glGetUniformLocation(pass.program.id(), "uImage"), 0);
  }
  glUseProgram(0);

  GLint maxLayers = 0;
  glGetIntegerv(GL_MAX_ARRAY_TEXTURE_LAYERS, &maxLayers);
  if (layers > maxLayers) {
    if (error)
      *error = "the GL driver allows " + std::to_string(maxLayers) + " tile layers, not " +
               std::to_string(layers);
    return nullptr;
  }
  r->mTileArray = platform::makeTexture();
  glBindTexture(GL_TEXTURE_2D_ARRAY, r->mTileArray.id());
  glTexStorage3D(GL_TEXTURE_2D_ARRAY, 1, GL_RGBA8, tile.width, tile.height, layers);
  setTileSampling(GL_TEXTURE_2D_ARRAY);
  for (int p = 0; p < 3; ++p) {
    const int w = p == 0 ? tile.width : (tile.width + 1) / 2;
    const int h = p == 0 ? tile.height : (tile.height + 1) / 2;
    r->mPlaneArrays[p] = platform::makeTexture();
    glBindTexture(GL_TEXTURE_2D_ARRAY, r->mPlaneArrays[p].id());
    glTexStorage3D(GL_TEXTURE_2D_ARRAY, 1, GL_R8, w, h, layers);
    setTileSampling(GL_TEXTURE_2D_ARRAY);
  }
  r->mLayerIsYuv.assign(static_cast<std::size_t>(layers), 0);
  r->mLayerScale.assign(static_cast<std::size_t>(layers), {});

  if (!makeCanvasTarget(canvas, &r->mCanvasTexture, &r->mFramebuffer) ||
      !makeCanvasTarget(canvas, &r->mPaintTexture, &r->mPaintFramebuffer) ||
      !makeCanvasTarget(canvas, &r->mSnapshotTexture, &r->mSnapshotFramebuffer)) {
    if (error) *error = "canvas framebuffer incomplete";
    return nullptr;
  }

  r->mVertexArray = platform::makeVertexArray();
  r->mEmptyVertexArray = platform::makeVertexArray();
  r->mInstances = platform::makeBuffer();
  glBindVertexArray(r->mVertexArray.id());
  glBindBuffer(GL_ARRAY_BUFFER, r->mInstances.id());
  const auto attribute = [](GLuint index, GLint size, std::size_t offset) {
    glEnableVertexAttribArray(index);
    glVertexAttribPointer(index, size, GL_FLOAT, GL_FALSE, sizeof(InstanceData),
                          reinterpret_cast<void*>(offset));
    glVertexAttribDivisor(index, 1);
  };
  attribute(0, 4, offsetof(InstanceData, rect));
  attribute(1, 1, offsetof(InstanceData, layer));
  attribute(2, 4, offsetof(InstanceData, source));
  attribute(3, 4, offsetof(InstanceData, tint));
  attribute(4, 2, offsetof(InstanceData, alphaRotation));
  glBindVertexArray(0);

  r->mReadback.emplace(static_cast<std::size_t>(canvas.width) * canvas.height * 4);

  if (auto e = platform::glErrorString(); !e.empty()) {
    if (error) *error = "GL set-up failed: " + e;
    return nullptr;
  }
  return r;
}

bool TileRenderer::upload(int layer, const core::VideoFrame& frame) {
  if (layer < 0 || layer >= mLayers || frame.width <= 0 || frame.height <= 0 ||
      frame.width > mTile.width || frame.height > mTile.height) {
    return false;
  }
  if (frame.format == core::PixelFormat::kI420) {
    // Check every plane before touching GL: a refused frame must leave the layer as it was.
    for (int p = 0; p < 3; ++p) {
      const std::size_t w = p == 0 ? frame.width : (frame.width + 1) / 2;
      if (!frame.planes[p] || frame.planeStrides[p] < w) return false;
    }
    glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
    for (int p = 0; p < 3; ++p) {
      const int w = p == 0 ? frame.width : (frame.width + 1) / 2;
      const int h = p == 0 ? frame.height : (frame.height + 1) / 2;
      glBindTexture(GL_TEXTURE_2D_ARRAY, mPlaneArrays[p].id());
      glPixelStorei(GL_UNPACK_ROW_LENGTH, static_cast<GLint>(frame.planeStrides[p]));
      glTexSubImage3D(GL_TEXTURE_2D_ARRAY, 0, 0, 0, layer, w, h, 1, GL_RED, GL_UNSIGNED_BYTE,
                      frame.planes[p]);
    }
    mLayerIsYuv[static_cast<std::size_t>(layer)] = 1;
  } else {
    if (frame.strideBytes % 4 != 0 ||
        frame.strideBytes < static_cast<std::size_t>(frame.width) * 4) {
      return false;
    }
    glBindTexture(GL_TEXTURE_2D_ARRAY, mTileArray.id());
    glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
    glPixelStorei(GL_UNPACK_ROW_LENGTH, static_cast<GLint>(frame.strideBytes / 4));
    glTexSubImage3D(GL_TEXTURE_2D_ARRAY, 0, 0, 0, layer, frame.width, frame.height, 1, GL_RGBA,
                    GL_UNSIGNED_BYTE, frame.data);
    mLayerIsYuv[static_cast<std::size_t>(layer)] = 0;
  }
  glPixelStorei(GL_UNPACK_ROW_LENGTH, 0);
  glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
  mLayerScale[static_cast<std::size_t>(layer)] = {
      static_cast<float>(frame.width) / static_cast<float>(mTile.width),
      static_cast<float>(frame.height) / static_cast<float>(mTile.height)};
  return true;
}

void TileRenderer::draw(std::span<const TileInstance> tiles, bool clear) {
  glBindFramebuffer(GL_FRAMEBUFFER, mFramebuffer.id());
  glViewport(0, 0, mCanvas.width, mCanvas.height);
  if (clear) {
    glClearColor(kClearColour[0], kClearColour[1], kClearColour[2], kClearColour[3]);
    glClear(GL_COLOR_BUFFER_BIT);
  }
  drawInto(mFramebuffer.id(), tiles, false);
}

void TileRenderer::drawInto(GLuint framebuffer, std::span<const TileInstance> tiles, bool dabs) {
  if (tiles.empty()) return;
  glBindFramebuffer(GL_FRAMEBUFFER, framebuffer);
  glViewport(0, 0, mCanvas.width, mCanvas.height);

  // Group the tiles: by band, then opaque before blended, then by variant: the layer's pixel
  // format, whether the tile is drawn near its texture size (direct texel reads) or
  // magnified/minified further (filtered), whether it is tinted, and whether it is a dab.
  auto& groups = mGroups;
  for (auto& g : groups) g.clear();
  for (const auto& t : tiles) {
    if (t.alpha <= 0) continue;
    // The part of the layer the tile shows: its frame fills the layer's top-left share.
    const LayerScale s = mLayerScale[static_cast<std::size_t>(t.layer)];
    const core::Rect source{t.source.x * s.w, t.source.y * s.h, t.source.w * s.w, t.source.h * s.h};
    const float texels = source.w * static_cast<float>(mTile.width);
    const float scale = texels > 0 ? t.rect.w / texels : 0;
    const bool nearest =
        !dabs && t.rotationRad == 0 && scale >= kNearestMinScale && scale <= kNearestMaxScale;
    const bool yuv = mLayerIsYuv[static_cast<std::size_t>(t.layer)] != 0;
    const int variant = (yuv ? kYuvBit : 0) | (nearest ? kNearestBit : 0) |
                        (t.tint.amount > 0 ? kTintBit : 0) | (dabs ? kDabBit : 0);
    const bool blended = dabs || t.alpha < 1;
    const int group = ((t.z > 0 ? 1 : 0) * 2 + (blended ? 1 : 0)) * kVariants + variant;
    groups[group].push_back({{t.rect.x, t.rect.y, t.rect.w, t.rect.h},
                             static_cast<float>(t.layer),
                             {source.x, source.y, source.w, source.h},
                             {t.tint.r, t.tint.g, t.tint.b, t.tint.amount},
                             {t.alpha, t.rotationRad}});
  }
  mPacked.clear();
  for (const auto& g : groups) mPacked.insert(mPacked.end(), g.begin(), g.end());
  if (mPacked.empty()) return;

  glBindBuffer(GL_ARRAY_BUFFER, mInstances.id());
  const auto bytes = mPacked.size() * sizeof(InstanceData);
  if (bytes > mInstanceCapacity) {
    glBufferData(GL_ARRAY_BUFFER, static_cast<GLsizeiptr>(bytes), mPacked.data(), GL_DYNAMIC_DRAW);
    mInstanceCapacity = bytes;
  } else {
    glBufferSubData(GL_ARRAY_BUFFER, 0, static_cast<GLsizeiptr>(bytes), mPacked.data());
  }
  glActiveTexture(GL_TEXTURE0);
  glBindTexture(GL_TEXTURE_2D_ARRAY, mTileArray.id());
  for (int p = 0; p < 3; ++p) {
    glActiveTexture(GL_TEXTURE1 + p);
    glBindTexture(GL_TEXTURE_2D_ARRAY, mPlaneArrays[p].id());
  }
  glActiveTexture(GL_TEXTURE0);
  glBindVertexArray(mVertexArray.id());
  // Blended tiles mix their colour over the canvas; the canvas's alpha stays opaque.
  glBlendFuncSeparate(GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA, GL_ZERO, GL_ONE);
  GLint first = 0;
  for (int g = 0; g < kGroups; ++g) {
    const auto count = static_cast<GLsizei>(groups[g].size());
    if (count == 0) continue;
    const bool blended = (g / kVariants) % 2 == 1;
    if (blended) {
      glEnable(GL_BLEND);
    } else {
      glDisable(GL_BLEND);
    }
    const Variant& variant = mVariants[g % kVariants];
    glUseProgram(variant.program.id());
    glUniform2f(variant.canvasSize, static_cast<float>(mCanvas.width),
                static_cast<float>(mCanvas.height));
    glUniform2f(variant.tileSize, static_cast<float>(mTile.width),
                static_cast<float>(mTile.height));
    glDrawArraysInstancedBaseInstance(GL_TRIANGLE_STRIP, 0, 4, count, static_cast<GLuint>(first));
    first += count;
  }
  glDisable(GL_BLEND);
  glBindVertexArray(0);
}

void TileRenderer::drawCanvasPass(bool image, float alpha, const float colour[4]) {
  const CanvasPass& pass = mCanvasPasses[image ? 1 : 0];
  glUseProgram(pass.program.id());
  if (image) {
    glUniform1f(pass.alpha, alpha);
    glActiveTexture(GL_TEXTURE0);
    glBindTexture(GL_TEXTURE_2D, mSnapshotTexture.id());
  } else {
    glUniform4fv(pass.colour, 1, colour);
  }
  glBindVertexArray(mEmptyVertexArray.id());
  glDrawArrays(GL_TRIANGLE_STRIP, 0, 4);
  glBindVertexArray(0);
}

void TileRenderer::paint(std::span<const TileInstance> dabs, float fade) {
  glBindFramebuffer(GL_FRAMEBUFFER, mPaintFramebuffer.id());
  glViewport(0, 0, mCanvas.width, mCanvas.height);
  if (fade > 0) {
    // paint = paint * (1 - fade) - floor: the blend subtracts the pass's colour from the scaled
    // canvas (and clamps at 0); alpha stays as it is.
    glEnable(GL_BLEND);
    glBlendEquationSeparate(GL_FUNC_REVERSE_SUBTRACT, GL_FUNC_ADD);
    glBlendColor(0, 0, 0, std::clamp(fade, 0.0f, 1.0f));
    glBlendFuncSeparate(GL_ONE, GL_ONE_MINUS_CONSTANT_ALPHA, GL_ZERO, GL_ONE);
    const float floor[4] = {kPaintFloor, kPaintFloor, kPaintFloor, 0};
    drawCanvasPass(false, 1, floor);
    glBlendEquation(GL_FUNC_ADD);
    glDisable(GL_BLEND);
  }
  drawInto(mPaintFramebuffer.id(), dabs, true);
  blit(mPaintFramebuffer.id(), mFramebuffer.id(), mCanvas);
}

void TileRenderer::clearPaint() {
  glBindFramebuffer(GL_FRAMEBUFFER, mPaintFramebuffer.id());
  glClearColor(kClearColour[0], kClearColour[1], kClearColour[2], kClearColour[3]);
  glClear(GL_COLOR_BUFFER_BIT);
  glBindFramebuffer(GL_FRAMEBUFFER, 0);
}

void TileRenderer::setPostProcessing(bool on) {
  if (on && !mPostFramebuffer) {
    if (!makeCanvasTarget(mCanvas, &mPostTexture, &mPostFramebuffer)) return;
  }
  mPostActive = on;
}

void TileRenderer::copyTilesToCanvas() {
  if (mPostActive) blit(mFramebuffer.id(), mPostFramebuffer.id(), mCanvas);
}

void TileRenderer::snapshot() {
  blit(framebuffer(), mSnapshotFramebuffer.id(), mCanvas);
}

void TileRenderer::overlaySnapshot(float alpha) {
  glBindFramebuffer(GL_FRAMEBUFFER, framebuffer());
  glViewport(0, 0, mCanvas.width, mCanvas.height);
  glEnable(GL_BLEND);
  glBlendFuncSeparate(GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA, GL_ZERO, GL_ONE);
  drawCanvasPass(true, std::clamp(alpha, 0.0f, 1.0f), nullptr);
  glDisable(GL_BLEND);
}

bool TileRenderer::setOverlay(const core::VideoFrame& rgba, core::Rect rect) {
  mOverlayFramebuffer.reset();
  mOverlayTexture.reset();
  if (rgba.format != core::PixelFormat::kRgba || rgba.strideBytes % 4 != 0 || !rgba.data) {
    return false;
  }
  mOverlayTexture = platform::makeTexture();
  glBindTexture(GL_TEXTURE_2D, mOverlayTexture.id());
  glTexStorage2D(GL_TEXTURE_2D, 1, GL_RGBA8, rgba.width, rgba.height);
  glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
  glPixelStorei(GL_UNPACK_ROW_LENGTH, static_cast<GLint>(rgba.strideBytes / 4));
  glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, rgba.width, rgba.height, GL_RGBA, GL_UNSIGNED_BYTE,
                  rgba.data);
  glPixelStorei(GL_UNPACK_ROW_LENGTH, 0);
  mOverlayFramebuffer = platform::makeFramebuffer();
  glBindFramebuffer(GL_FRAMEBUFFER, mOverlayFramebuffer.id());
  glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, mOverlayTexture.id(),
                         0);
  glBindFramebuffer(GL_FRAMEBUFFER, 0);
  mOverlaySize = {rgba.width, rgba.height};
  mOverlayRect = rect;
  return true;
}

void TileRenderer::drawOverlay() {
  if (!mOverlayFramebuffer) return;
  // Row 0 of the picture is its top, as row 0 of the canvas is: no flip.
  const auto x0 = static_cast<GLint>(mOverlayRect.x), y0 = static_cast<GLint>(mOverlayRect.y);
  glBindFramebuffer(GL_READ_FRAMEBUFFER, mOverlayFramebuffer.id());
  glBindFramebuffer(GL_DRAW_FRAMEBUFFER, framebuffer());
  glBlitFramebuffer(0, 0, mOverlaySize.width, mOverlaySize.height, x0, y0,
                    x0 + static_cast<GLint>(mOverlayRect.w),
                    y0 + static_cast<GLint>(mOverlayRect.h), GL_COLOR_BUFFER_BIT, GL_NEAREST);
  glBindFramebuffer(GL_FRAMEBUFFER, 0);
}

void TileRenderer::fill(float r, float g, float b) {
  glBindFramebuffer(GL_FRAMEBUFFER, framebuffer());
  glViewport(0, 0, mCanvas.width, mCanvas.height);
  glClearColor(r, g, b, 1);
  glClear(GL_COLOR_BUFFER_BIT);
  glBindFramebuffer(GL_FRAMEBUFFER, 0);
}

void TileRenderer::startReadback() {
  mReadback->start(framebuffer(), mCanvas.width, mCanvas.height, GL_RGBA);
}

bool TileRenderer::finishReadback(std::uint8_t* dst, bool allowNewest) {
  return mReadback->finish(dst, static_cast<std::size_t>(mCanvas.width) * mCanvas.height * 4,
                           allowNewest);
}

void TileRenderer::readNow(std::uint8_t* dst) {
  glBindFramebuffer(GL_READ_FRAMEBUFFER, framebuffer());
  glPixelStorei(GL_PACK_ALIGNMENT, 4);
  glReadPixels(0, 0, mCanvas.width, mCanvas.height, GL_RGBA, GL_UNSIGNED_BYTE, dst);
}

}  // namespace tessera::render
