#include "render/i420_converter.hpp"

#include <utility>

#include "render/shader_source.hpp"

namespace tessera::render {

I420Converter::I420Converter(core::SizePx size, core::I420Layout layout)
    : mSize(size), mLayout(layout), mMatrix(core::yuvMatrixFor(size.height)), mRing(layout.bytes) {}

std::unique_ptr<I420Converter> I420Converter::create(core::SizePx canvas, core::SizePx size,
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
    if (!readShaderFile(path, out)) {
      if (error) *error = "cannot read " + path.string();
      return nullptr;
    }
  }
  std::unique_ptr<I420Converter> c(
      new I420Converter(size, core::i420Layout(size.width, size.height)));
  const std::string lumaDefines = canvas == size ? "#define I420_TEXEL 1\n" : "";
  for (auto [program, defines] : {std::pair{&c->mLuma, lumaDefines},
                                  std::pair{&c->mChroma, std::string("#define I420_CHROMA 1\n")}}) {
    std::string log;
    auto built = platform::buildProgram(vs, withDefines(fs, defines), &log);
    if (!built) {
      if (error) *error = "shaders/i420: " + log;
      return nullptr;
    }
    *program = std::move(*built);
    c->setMatrix(program->id());
  }
  c->mSampler = platform::makeSampler();
  glSamplerParameteri(c->mSampler.id(), GL_TEXTURE_MIN_FILTER, GL_LINEAR);
  glSamplerParameteri(c->mSampler.id(), GL_TEXTURE_MAG_FILTER, GL_LINEAR);
  glSamplerParameteri(c->mSampler.id(), GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
  glSamplerParameteri(c->mSampler.id(), GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
  if (!c->makeTargets()) {
    if (error) *error = "the I420 framebuffers are incomplete";
    return nullptr;
  }
  c->mEmptyVertexArray = platform::makeVertexArray();
  if (auto e = platform::glErrorString(); !e.empty()) {
    if (error) *error = "I420 set-up failed: " + e;
    return nullptr;
  }
  return c;
}

// The limited-range matrix's rows (codes / 255) and the encoded size.
void I420Converter::setMatrix(GLuint program) const {
  const bool bt709 = mMatrix == core::YuvMatrix::kBt709;
  const float kr = bt709 ? 0.2126f : 0.299f, kb = bt709 ? 0.0722f : 0.114f, kg = 1 - kr - kb;
  const float y = 219.0f / 255, c = 224.0f / 255;
  const float cb = c / (2 * (1 - kb)), cr = c / (2 * (1 - kr));
  const float rows[9] = {y * kr,        y * kg,        y * kb,   -cb * kr, -cb * kg,
                         cb * (1 - kb), cr * (1 - kr), -cr * kg, -cr * kb};
  glUseProgram(program);
  glUniform1i(glGetUniformLocation(program, "uCanvas"), 0);
  glUniform2f(glGetUniformLocation(program, "uSize"), static_cast<float>(mSize.width),
              static_cast<float>(mSize.height));
  glUniform3fv(glGetUniformLocation(program, "uRows"), 3, rows);
  glUniform3f(glGetUniformLocation(program, "uOffsets"), 16.0f / 255, 128.0f / 255, 128.0f / 255);
  glUseProgram(0);
}

bool I420Converter::makeTargets() {
  const int cw = mSize.width / 2, ch = mSize.height / 2;
  const int widths[3] = {mSize.width, cw, cw}, heights[3] = {mSize.height, ch, ch};
  for (int p = 0; p < 3; ++p) {
    mPlanes[p] = platform::makeTexture();
    glBindTexture(GL_TEXTURE_2D, mPlanes[p].id());
    glTexStorage2D(GL_TEXTURE_2D, 1, GL_R8, widths[p], heights[p]);
  }
  glBindTexture(GL_TEXTURE_2D, 0);
  mLumaFramebuffer = platform::makeFramebuffer();
  glBindFramebuffer(GL_FRAMEBUFFER, mLumaFramebuffer.id());
  glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, mPlanes[0].id(), 0);
  bool ok = glCheckFramebufferStatus(GL_FRAMEBUFFER) == GL_FRAMEBUFFER_COMPLETE;
  mChromaFramebuffer = platform::makeFramebuffer();
  glBindFramebuffer(GL_FRAMEBUFFER, mChromaFramebuffer.id());
  glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, mPlanes[1].id(), 0);
  glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT1, GL_TEXTURE_2D, mPlanes[2].id(), 0);
  const GLenum both[2] = {GL_COLOR_ATTACHMENT0, GL_COLOR_ATTACHMENT1};
  glDrawBuffers(2, both);
  ok = ok && glCheckFramebufferStatus(GL_FRAMEBUFFER) == GL_FRAMEBUFFER_COMPLETE;
  glBindFramebuffer(GL_FRAMEBUFFER, 0);
  return ok;
}

// Read with 4-byte row alignment, each plane at its offset: rows land at GStreamer's strides.
std::array<ReadbackRing::Region, 3> I420Converter::regions() const {
  const int cw = mSize.width / 2, ch = mSize.height / 2;
  return {ReadbackRing::Region{mLumaFramebuffer.id(), GL_COLOR_ATTACHMENT0, mSize.width,
                               mSize.height, GL_RED, mLayout.offsets[0]},
          ReadbackRing::Region{mChromaFramebuffer.id(), GL_COLOR_ATTACHMENT0, cw, ch, GL_RED,
                               mLayout.offsets[1]},
          ReadbackRing::Region{mChromaFramebuffer.id(), GL_COLOR_ATTACHMENT1, cw, ch, GL_RED,
                               mLayout.offsets[2]}};
}

void I420Converter::convert(GLuint canvas) {
  glDisable(GL_BLEND);
  glActiveTexture(GL_TEXTURE0);
  glBindTexture(GL_TEXTURE_2D, canvas);
  glBindSampler(0, mSampler.id());
  glBindVertexArray(mEmptyVertexArray.id());
  glBindFramebuffer(GL_FRAMEBUFFER, mLumaFramebuffer.id());
  glViewport(0, 0, mSize.width, mSize.height);
  glUseProgram(mLuma.id());
  glDrawArrays(GL_TRIANGLE_STRIP, 0, 4);
  glBindFramebuffer(GL_FRAMEBUFFER, mChromaFramebuffer.id());
  glViewport(0, 0, mSize.width / 2, mSize.height / 2);
  glUseProgram(mChroma.id());
  glDrawArrays(GL_TRIANGLE_STRIP, 0, 4);
  glBindVertexArray(0);
  glBindSampler(0, 0);
  glBindFramebuffer(GL_FRAMEBUFFER, 0);
}

void I420Converter::startReadback() {
  const auto r = regions();
  mRing.start(r);
}

bool I420Converter::finishReadback(std::uint8_t* dst, bool allowNewest) {
  return mRing.finish(dst, mLayout.bytes, allowNewest);
}

void I420Converter::readNow(std::uint8_t* dst) {
  glPixelStorei(GL_PACK_ALIGNMENT, 4);
  for (const ReadbackRing::Region& r : regions()) {
    glBindFramebuffer(GL_READ_FRAMEBUFFER, r.framebuffer);
    glReadBuffer(r.attachment);
    glReadPixels(0, 0, r.width, r.rows, r.format, GL_UNSIGNED_BYTE, dst + r.offset);
  }
  glReadBuffer(GL_COLOR_ATTACHMENT0);
  glBindFramebuffer(GL_READ_FRAMEBUFFER, 0);
}

}  // namespace tessera::render
