#include "render/i420_converter.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <utility>
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

}  // namespace

I420Converter::I420Converter(core::SizePx size, core::I420Layout layout)
    : mSize(size),
      mLayout(layout),
      mMatrix(core::yuvMatrixFor(size.height)),
      mRows(static_cast<int>((layout.bytes + layout.strides[0] - 1) / layout.strides[0])),
      mRing(layout.strides[0] * static_cast<std::size_t>(mRows)) {}

std::unique_ptr<I420Converter> I420Converter::create(core::SizePx size,
                                                     const std::filesystem::path& shaderDir,
                                                     std::string* error) {
  if (size.width <= 0 || size.height <= 0 || size.width % 2 || size.height % 2) {
    if (error)
      *error = "I420 needs an even size, not " + std::to_string(size.width) + "x" +
               std::to_string(size.height);
    return nullptr;
  }
  std::string vs, fs;
  for (const auto& [path, out] :
       {std::pair{shaderDir / "canvas.vert", &vs}, std::pair{shaderDir / "i420.frag", &fs}}) {
    if (!readFile(path, out)) {
      if (error) *error = "cannot read " + path.string();
      return nullptr;
    }
  }
  std::unique_ptr<I420Converter> c(
      new I420Converter(size, core::i420Layout(size.width, size.height)));
  std::string log;
  auto program = platform::buildProgram(vs, fs, &log);
  if (!program) {
    if (error) *error = "shaders/i420: " + log;
    return nullptr;
  }
  c->mProgram = std::move(*program);
  const GLuint id = c->mProgram.id();
  const auto& l = c->mLayout;
  const bool bt709 = c->mMatrix == core::YuvMatrix::kBt709;
  glUseProgram(id);
  glUniform1i(glGetUniformLocation(id, "uCanvas"), 0);
  glUniform2f(glGetUniformLocation(id, "uSize"), static_cast<float>(size.width),
              static_cast<float>(size.height));
  glUniform1i(glGetUniformLocation(id, "uYStride"), static_cast<GLint>(l.strides[0]));
  glUniform1i(glGetUniformLocation(id, "uChromaStride"), static_cast<GLint>(l.strides[1]));
  glUniform1i(glGetUniformLocation(id, "uUOffset"), static_cast<GLint>(l.offsets[1]));
  glUniform1i(glGetUniformLocation(id, "uVOffset"), static_cast<GLint>(l.offsets[2]));
  glUniform2f(glGetUniformLocation(id, "uKrKb"), bt709 ? 0.2126f : 0.299f,
              bt709 ? 0.0722f : 0.114f);
  glUseProgram(0);

  c->mSampler = platform::makeSampler();
  glSamplerParameteri(c->mSampler.id(), GL_TEXTURE_MIN_FILTER, GL_LINEAR);
  glSamplerParameteri(c->mSampler.id(), GL_TEXTURE_MAG_FILTER, GL_LINEAR);
  glSamplerParameteri(c->mSampler.id(), GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
  glSamplerParameteri(c->mSampler.id(), GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
  auto target = platform::makeTarget(static_cast<int>(l.strides[0]), c->mRows, GL_R8, GL_NEAREST);
  if (!target) {
    if (error) *error = "the I420 framebuffer is incomplete";
    return nullptr;
  }
  c->mTexture = std::move(target->texture);
  c->mFramebuffer = std::move(target->framebuffer);
  c->mEmptyVertexArray = platform::makeVertexArray();
  if (auto e = platform::glErrorString(); !e.empty()) {
    if (error) *error = "I420 set-up failed: " + e;
    return nullptr;
  }
  return c;
}

void I420Converter::convert(GLuint canvas) {
  glBindFramebuffer(GL_FRAMEBUFFER, mFramebuffer.id());
  glViewport(0, 0, static_cast<GLsizei>(mLayout.strides[0]), mRows);
  glDisable(GL_BLEND);
  glUseProgram(mProgram.id());
  glActiveTexture(GL_TEXTURE0);
  glBindTexture(GL_TEXTURE_2D, canvas);
  glBindSampler(0, mSampler.id());
  glBindVertexArray(mEmptyVertexArray.id());
  glDrawArrays(GL_TRIANGLE_STRIP, 0, 4);
  glBindVertexArray(0);
  glBindSampler(0, 0);
  glBindFramebuffer(GL_FRAMEBUFFER, 0);
}

void I420Converter::startReadback() {
  mRing.start(mFramebuffer.id(), static_cast<int>(mLayout.strides[0]), mRows, GL_RED);
}

bool I420Converter::finishReadback(std::uint8_t* dst, bool allowNewest) {
  return mRing.finish(dst, mLayout.bytes, allowNewest);
}

void I420Converter::readNow(std::uint8_t* dst) {
  // The last row may hold more than the picture: read the whole rows into a scratch copy.
  std::vector<std::uint8_t> all(mLayout.strides[0] * static_cast<std::size_t>(mRows));
  glBindFramebuffer(GL_READ_FRAMEBUFFER, mFramebuffer.id());
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glReadPixels(0, 0, static_cast<GLsizei>(mLayout.strides[0]), mRows, GL_RED, GL_UNSIGNED_BYTE,
               all.data());
  std::copy(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(mLayout.bytes), dst);
}

}  // namespace tessera::render
