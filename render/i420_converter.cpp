#include "render/i420_converter.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>
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
    if (!readFile(path, out)) {
      if (error) *error = "cannot read " + path.string();
      return nullptr;
    }
  }
  std::unique_ptr<I420Converter> c(
      new I420Converter(size, core::i420Layout(size.width, size.height)));
  const bool texel = canvas == size;
  for (int i = 0; i < 2; ++i) {
    std::string defines = i == 0 && texel ? "#define I420_TEXEL 1\n" : "";
    const auto eol = fs.find('\n');
    std::string log;
    auto program =
        platform::buildProgram(vs, fs.substr(0, eol + 1) + defines + fs.substr(eol + 1), &log);
    if (!program) {
      if (error) *error = "shaders/i420: " + log;
      return nullptr;
    }
    Program& p = c->mPrograms[i];
    p.program = std::move(*program);
    const GLuint id = p.program.id();
    glUseProgram(id);
    glUniform1i(glGetUniformLocation(id, "uCanvas"), 0);
    glUniform2f(glGetUniformLocation(id, "uSize"), static_cast<float>(size.width),
                static_cast<float>(size.height));
    glUniform1f(glGetUniformLocation(id, "uRowBytes"), static_cast<float>(c->mLayout.strides[0]));
    p.offset = glGetUniformLocation(id, "uOffset");
    p.stride = glGetUniformLocation(id, "uStride");
    p.bytes = glGetUniformLocation(id, "uBytes");
    p.scale = glGetUniformLocation(id, "uScale");
    p.coefficients = glGetUniformLocation(id, "uCoefficients");
  }
  glUseProgram(0);
  c->planSetUp();

  c->mSampler = platform::makeSampler();
  glSamplerParameteri(c->mSampler.id(), GL_TEXTURE_MIN_FILTER, GL_LINEAR);
  glSamplerParameteri(c->mSampler.id(), GL_TEXTURE_MAG_FILTER, GL_LINEAR);
  glSamplerParameteri(c->mSampler.id(), GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
  glSamplerParameteri(c->mSampler.id(), GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
  auto target =
      platform::makeTarget(static_cast<int>(c->mLayout.strides[0]), c->mRows, GL_R8, GL_NEAREST);
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

// Each plane's place in the target and its row of the limited-range matrix (codes / 255).
void I420Converter::planSetUp() {
  const bool bt709 = mMatrix == core::YuvMatrix::kBt709;
  const float kr = bt709 ? 0.2126f : 0.299f, kb = bt709 ? 0.0722f : 0.114f, kg = 1 - kr - kb;
  const float y = 219.0f / 255, c = 224.0f / 255;
  const float cb = c / (2 * (1 - kb)), cr = c / (2 * (1 - kr));
  const float coefficients[3][4] = {
      {y * kr, y * kg, y * kb, 16.0f / 255},
      {-cb * kr, -cb * kg, cb * (1 - kb), 128.0f / 255},
      {cr * (1 - kr), -cr * kg, -cr * kb, 128.0f / 255},
  };
  const std::size_t rowBytes = mLayout.strides[0];
  const std::size_t ends[3] = {mLayout.offsets[1], mLayout.offsets[2], mLayout.bytes};
  for (int p = 0; p < 3; ++p) {
    Plane& plane = mPlanes[p];
    plane.offset = static_cast<float>(mLayout.offsets[p]);
    plane.stride = static_cast<float>(mLayout.strides[p]);
    plane.bytes = static_cast<float>(ends[p] - mLayout.offsets[p]);
    plane.scale = p == 0 ? 1.0f : 2.0f;
    std::copy(std::begin(coefficients[p]), std::end(coefficients[p]), plane.coefficients);
    plane.firstRow = static_cast<int>(mLayout.offsets[p] / rowBytes);
    plane.rows = static_cast<int>((ends[p] + rowBytes - 1) / rowBytes) - plane.firstRow;
  }
}

void I420Converter::convert(GLuint canvas) {
  glBindFramebuffer(GL_FRAMEBUFFER, mFramebuffer.id());
  glViewport(0, 0, static_cast<GLsizei>(mLayout.strides[0]), mRows);
  glDisable(GL_BLEND);
  glEnable(GL_SCISSOR_TEST);
  glActiveTexture(GL_TEXTURE0);
  glBindTexture(GL_TEXTURE_2D, canvas);
  glBindSampler(0, mSampler.id());
  glBindVertexArray(mEmptyVertexArray.id());
  for (int i = 0; i < 3; ++i) {
    const Plane& plane = mPlanes[i];
    const Program& p = mPrograms[i == 0 ? 0 : 1];
    glUseProgram(p.program.id());
    glScissor(0, plane.firstRow, static_cast<GLsizei>(mLayout.strides[0]), plane.rows);
    glUniform1f(p.offset, plane.offset);
    glUniform1f(p.stride, plane.stride);
    glUniform1f(p.bytes, plane.bytes);
    glUniform1f(p.scale, plane.scale);
    glUniform4fv(p.coefficients, 1, plane.coefficients);
    glDrawArrays(GL_TRIANGLE_STRIP, 0, 4);
  }
  glBindVertexArray(0);
  glBindSampler(0, 0);
  glDisable(GL_SCISSOR_TEST);
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
