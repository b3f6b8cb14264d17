#include "render/tile_renderer.hpp"

#include <array>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

namespace tessera::render {
namespace {

bool readFile(const std::filesystem::path& p, std::string* out) {
  std::ifstream in(p);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

using InstanceData = TileRenderer::Instance;

// Inserts the variant's #defines after the #version line.
std::string withDefines(const std::string& source, bool yuv, bool nearest) {
  std::string defines;
  if (yuv) defines += "#define TILE_YUV 1\n";
  if (nearest) defines += "#define TILE_NEAREST 1\n";
  const auto eol = source.find('\n');
  if (eol == std::string::npos) return defines + source;
  return source.substr(0, eol + 1) + defines + source.substr(eol + 1);
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

  std::string vs, fs;
  const auto vsPath = shaderDir / "tiles.vert", fsPath = shaderDir / "tiles.frag";
  if (!readFile(vsPath, &vs) || !readFile(fsPath, &fs)) {
    if (error) *error = "cannot read " + vsPath.string() + " or " + fsPath.string();
    return nullptr;
  }
  // One program per variant: a software rasteriser runs both sides of a data-dependent branch,
  // so the choice is made per draw, not per pixel.
  for (int v = 0; v < kVariants; ++v) {
    const bool yuv = v & 1, nearest = v & 2;
    std::string log;
    auto program =
        platform::buildProgram(withDefines(vs, yuv, nearest), withDefines(fs, yuv, nearest), &log);
    if (!program) {
      if (error) *error = "shaders/tiles: " + log;
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

  r->mCanvasTexture = platform::makeTexture();
  glBindTexture(GL_TEXTURE_2D, r->mCanvasTexture.id());
  glTexStorage2D(GL_TEXTURE_2D, 1, GL_RGBA8, canvas.width, canvas.height);
  r->mFramebuffer = platform::makeFramebuffer();
  glBindFramebuffer(GL_FRAMEBUFFER, r->mFramebuffer.id());
  glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D,
                         r->mCanvasTexture.id(), 0);
  if (glCheckFramebufferStatus(GL_FRAMEBUFFER) != GL_FRAMEBUFFER_COMPLETE) {
    if (error) *error = "canvas framebuffer incomplete";
    return nullptr;
  }

  r->mVertexArray = platform::makeVertexArray();
  r->mInstances = platform::makeBuffer();
  glBindVertexArray(r->mVertexArray.id());
  glBindBuffer(GL_ARRAY_BUFFER, r->mInstances.id());
  glEnableVertexAttribArray(0);
  glVertexAttribPointer(0, 4, GL_FLOAT, GL_FALSE, sizeof(InstanceData),
                        reinterpret_cast<void*>(offsetof(InstanceData, rect)));
  glVertexAttribDivisor(0, 1);
  glEnableVertexAttribArray(1);
  glVertexAttribPointer(1, 1, GL_FLOAT, GL_FALSE, sizeof(InstanceData),
                        reinterpret_cast<void*>(offsetof(InstanceData, layer)));
  glVertexAttribDivisor(1, 1);
  glBindVertexArray(0);

  const auto canvasBytes = static_cast<GLsizeiptr>(canvas.width) * canvas.height * 4;
  for (auto& pbo : r->mReadback) {
    pbo = platform::makeBuffer();
    glBindBuffer(GL_PIXEL_PACK_BUFFER, pbo.id());
    glBufferData(GL_PIXEL_PACK_BUFFER, canvasBytes, nullptr, GL_STREAM_READ);
  }
  glBindBuffer(GL_PIXEL_PACK_BUFFER, 0);

  if (auto e = platform::glErrorString(); !e.empty()) {
    if (error) *error = "GL set-up failed: " + e;
    return nullptr;
  }
  return r;
}

bool TileRenderer::upload(int layer, const core::VideoFrame& frame) {
  if (layer < 0 || layer >= mLayers || frame.width != mTile.width || frame.height != mTile.height) {
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
  return true;
}

void TileRenderer::draw(std::span<const TileInstance> tiles, bool clear) {
  glBindFramebuffer(GL_FRAMEBUFFER, mFramebuffer.id());
  glViewport(0, 0, mCanvas.width, mCanvas.height);
  if (clear) {
    glClearColor(0.02f, 0.02f, 0.03f, 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
  }
  if (tiles.empty()) return;

  // Group the tiles by variant: the layer's pixel format, and whether the tile is drawn near its
  // texture size (direct texel reads) or magnified/minified further (filtered).
  auto& groups = mGroups;
  for (auto& g : groups) g.clear();
  for (const auto& t : tiles) {
    const float scale = t.rect.w / static_cast<float>(mTile.width);
    const bool nearest = scale >= kNearestMinScale && scale <= kNearestMaxScale;
    const bool yuv = mLayerIsYuv[static_cast<std::size_t>(t.layer)] != 0;
    groups[(yuv ? 1 : 0) | (nearest ? 2 : 0)].push_back(
        {{t.rect.x, t.rect.y, t.rect.w, t.rect.h}, static_cast<float>(t.layer)});
  }
  mPacked.clear();
  for (const auto& g : groups) mPacked.insert(mPacked.end(), g.begin(), g.end());

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
  GLint first = 0;
  for (int v = 0; v < kVariants; ++v) {
    const auto count = static_cast<GLsizei>(groups[v].size());
    if (count == 0) continue;
    const Variant& variant = mVariants[v];
    glUseProgram(variant.program.id());
    glUniform2f(variant.canvasSize, static_cast<float>(mCanvas.width),
                static_cast<float>(mCanvas.height));
    glUniform2f(variant.tileSize, static_cast<float>(mTile.width),
                static_cast<float>(mTile.height));
    glDrawArraysInstancedBaseInstance(GL_TRIANGLE_STRIP, 0, 4, count, static_cast<GLuint>(first));
    first += count;
  }
  glBindVertexArray(0);
}

void TileRenderer::startReadback() {
  glBindFramebuffer(GL_READ_FRAMEBUFFER, mFramebuffer.id());
  glBindBuffer(GL_PIXEL_PACK_BUFFER, mReadback[mReadbackNext].id());
  glPixelStorei(GL_PACK_ALIGNMENT, 4);
  glReadPixels(0, 0, mCanvas.width, mCanvas.height, GL_RGBA, GL_UNSIGNED_BYTE, nullptr);
  glBindBuffer(GL_PIXEL_PACK_BUFFER, 0);
  mReadbackNext = (mReadbackNext + 1) % kReadbackRing;
  // A full ring overwrites its oldest unread frame; the render loop finishes one per start.
  if (mReadbackPending < kReadbackRing) ++mReadbackPending;
}

bool TileRenderer::finishReadback(std::uint8_t* dst, bool allowNewest) {
  // The newest read is mapped only when asked: mapping it at once would wait for the GPU.
  if (mReadbackPending == 0 || (mReadbackPending == 1 && !allowNewest)) return false;
  const int oldest = (mReadbackNext - mReadbackPending + kReadbackRing) % kReadbackRing;
  --mReadbackPending;
  const auto bytes = static_cast<std::size_t>(mCanvas.width) * mCanvas.height * 4;
  glBindBuffer(GL_PIXEL_PACK_BUFFER, mReadback[oldest].id());
  const void* p =
      glMapBufferRange(GL_PIXEL_PACK_BUFFER, 0, static_cast<GLsizeiptr>(bytes), GL_MAP_READ_BIT);
  if (p) {
    std::memcpy(dst, p, bytes);
    glUnmapBuffer(GL_PIXEL_PACK_BUFFER);
  }
  glBindBuffer(GL_PIXEL_PACK_BUFFER, 0);
  return p != nullptr;
}

void TileRenderer::readNow(std::uint8_t* dst) {
  glBindFramebuffer(GL_READ_FRAMEBUFFER, mFramebuffer.id());
  glPixelStorei(GL_PACK_ALIGNMENT, 4);
  glReadPixels(0, 0, mCanvas.width, mCanvas.height, GL_RGBA, GL_UNSIGNED_BYTE, dst);
}

}  // namespace tessera::render
