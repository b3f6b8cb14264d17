#include "platform/warp_pass.hpp"

namespace tessera::platform {
namespace {

constexpr const char* kVertex = R"(#version 330 core
void main() {
  // One triangle covering the viewport.
  vec2 p = vec2(float((gl_VertexID << 1) & 2), float(gl_VertexID & 2));
  gl_Position = vec4(p * 2.0 - 1.0, 0.0, 1.0);
}
)";

// Mirrors core::pictureFromFragment, core::blendFactor and core::blendFactorAt.
constexpr const char* kFragment = R"(#version 330 core
uniform sampler2D uCanvas;
uniform mat3 uUvFromFrag;  // gl_FragCoord -> picture (u, v), v down
uniform vec4 uRegion;      // the region in texture coordinates: x, y, w, h
uniform vec2 uPicture;     // the picture's size in pixels, for the blend's widths
uniform vec4 uBlend;       // left, right, top, bottom ramp widths in picture pixels
uniform float uInvGamma;
out vec4 fragColour;

float ramp(float distancePx, float widthPx) {
  if (widthPx <= 0.0) return 1.0;
  float t = clamp(distancePx / widthPx, 0.0, 1.0);
  return t * t * (3.0 - 2.0 * t);
}

void main() {
  vec3 p = uUvFromFrag * vec3(gl_FragCoord.xy, 1.0);
  vec2 uv = p.xy / p.z;
  if (p.z <= 0.0 || any(lessThan(uv, vec2(0.0))) || any(greaterThan(uv, vec2(1.0)))) {
    fragColour = vec4(0.0, 0.0, 0.0, 1.0);
    return;
  }
  vec3 colour = texture(uCanvas, uRegion.xy + uv * uRegion.zw).rgb;
  vec2 px = uv * uPicture;
  float light = ramp(px.x, uBlend.x) * ramp(uPicture.x - px.x, uBlend.y) *
                ramp(px.y, uBlend.z) * ramp(uPicture.y - px.y, uBlend.w);
  fragColour = vec4(colour * pow(light, uInvGamma), 1.0);
}
)";

}  // namespace

std::unique_ptr<WarpPass> WarpPass::create(std::string* error) {
  std::string log;
  auto program = buildProgram(kVertex, kFragment, &log);
  if (!program) {
    if (error) *error = "window shader: " + log;
    return nullptr;
  }
  std::unique_ptr<WarpPass> pass(new WarpPass());
  pass->mProgram = std::move(*program);
  pass->mVertexArray = makeVertexArray();
  const GLuint id = pass->mProgram.id();
  pass->mUvFromFrag = glGetUniformLocation(id, "uUvFromFrag");
  pass->mRegion = glGetUniformLocation(id, "uRegion");
  pass->mPicture = glGetUniformLocation(id, "uPicture");
  pass->mBlend = glGetUniformLocation(id, "uBlend");
  pass->mInvGamma = glGetUniformLocation(id, "uInvGamma");
  glUseProgram(id);
  glUniform1i(glGetUniformLocation(id, "uCanvas"), 0);
  glUseProgram(0);
  // The canvas's own filtering and wrapping are the renderer's: a sampler overrides them here.
  pass->mSampler = makeSampler();
  const GLuint sampler = pass->mSampler.id();
  glSamplerParameteri(sampler, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
  glSamplerParameteri(sampler, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
  glSamplerParameteri(sampler, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
  glSamplerParameteri(sampler, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
  return pass;
}

void WarpPass::draw(GLuint canvasTexture, const WarpView& v) const {
  GLfloat m[9];
  for (int i = 0; i < 9; ++i) m[i] = static_cast<GLfloat>(v.pictureFromFragment.m[i]);
  const float cw = static_cast<float>(v.canvas.width), ch = static_cast<float>(v.canvas.height);
  glDisable(GL_BLEND);
  glUseProgram(mProgram.id());
  glUniformMatrix3fv(mUvFromFrag, 1, GL_TRUE, m);  // row-major in core::Mat3
  glUniform4f(mRegion, v.region.x / cw, v.region.y / ch, v.region.w / cw, v.region.h / ch);
  glUniform2f(mPicture, static_cast<float>(v.picture.width), static_cast<float>(v.picture.height));
  glUniform4f(mBlend, static_cast<float>(v.blend.left), static_cast<float>(v.blend.right),
              static_cast<float>(v.blend.top), static_cast<float>(v.blend.bottom));
  glUniform1f(mInvGamma, static_cast<float>(1.0 / v.blend.gamma));
  glActiveTexture(GL_TEXTURE0);
  glBindTexture(GL_TEXTURE_2D, canvasTexture);
  glBindSampler(0, mSampler.id());
  glBindVertexArray(mVertexArray.id());
  glDrawArrays(GL_TRIANGLES, 0, 3);
  glBindVertexArray(0);
  glBindSampler(0, 0);
  glUseProgram(0);
}

}  // namespace tessera::platform
