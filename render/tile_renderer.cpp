#include "render/tile_renderer.hpp"

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

struct InstanceData {
  float rect[4];
  float layer;
  float yuv;  // 1: sample the Y/U/V arrays, 0: the RGBA array
};

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
  std::string log;
  auto program = platform::buildProgram(vs, fs, &log);
  if (!program) {
    if (error) *error = "shaders/tiles: " + log;
    return nullptr;
  }
  r->mProgram = std::move(*program);
  r->mCanvasSizeUniform = glGetUniformLocation(r->mProgram.id(), "uCanvasSize");

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
  glUseProgram(r->mProgram.id());
  const char* samplers[] = {"uTiles", "uY", "uU", "uV"};
  for (int i = 0; i < 4; ++i) glUniform1i(glGetUniformLocation(r->mProgram.id(), samplers[i]), i);
  glUseProgram(0);

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
  glEnableVertexAttribArray(2);
  glVertexAttribPointer(2, 1, GL_FLOAT, GL_FALSE, sizeof(InstanceData),
                        reinterpret_cast<void*>(offsetof(InstanceData, yuv)));
  glVertexAttribDivisor(2, 1);
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
    glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
    for (int p = 0; p < 3; ++p) {
      if (!frame.planes[p]) return false;
      const int w = p == 0 ? frame.width : (frame.width + 1) / 2;
      const int h = p == 0 ? frame.height : (frame.height + 1) / 2;
      glBindTexture(GL_TEXTURE_2D_ARRAY, mPlaneArrays[p].id());
      glPixelStorei(GL_UNPACK_ROW_LENGTH, static_cast<GLint>(frame.planeStrides[p]));
      glTexSubImage3D(GL_TEXTURE_2D_ARRAY, 0, 0, 0, layer, w, h, 1, GL_RED, GL_UNSIGNED_BYTE,
                      frame.planes[p]);
    }
    mLayerIsYuv[static_cast<std::size_t>(layer)] = 1;
  } else {
    if (frame.strideBytes % 4 != 0) return false;
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

  std::vector<InstanceData> data(tiles.size());
  for (std::size_t i = 0; i < tiles.size(); ++i) {
    const auto& t = tiles[i];
    data[i] = {{t.rect.x, t.rect.y, t.rect.w, t.rect.h},
               static_cast<float>(t.layer),
               static_cast<float>(mLayerIsYuv[static_cast<std::size_t>(t.layer)])};
  }
  glBindBuffer(GL_ARRAY_BUFFER, mInstances.id());
  const auto bytes = data.size() * sizeof(InstanceData);
  if (bytes > mInstanceCapacity) {
    glBufferData(GL_ARRAY_BUFFER, static_cast<GLsizeiptr>(bytes), data.data(), GL_DYNAMIC_DRAW);
    mInstanceCapacity = bytes;
  } else {
    glBufferSubData(GL_ARRAY_BUFFER, 0, static_cast<GLsizeiptr>(bytes), data.data());
  }
  glUseProgram(mProgram.id());
  glUniform2f(mCanvasSizeUniform, static_cast<float>(mCanvas.width),
              static_cast<float>(mCanvas.height));
  glActiveTexture(GL_TEXTURE0);
  glBindTexture(GL_TEXTURE_2D_ARRAY, mTileArray.id());
  for (int p = 0; p < 3; ++p) {
    glActiveTexture(GL_TEXTURE1 + p);
    glBindTexture(GL_TEXTURE_2D_ARRAY, mPlaneArrays[p].id());
  }
  glActiveTexture(GL_TEXTURE0);
  glBindVertexArray(mVertexArray.id());
  glDrawArraysInstanced(GL_TRIANGLE_STRIP, 0, 4, static_cast<GLsizei>(tiles.size()));
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
