#include "platform/gl.hpp"

#include <vector>

namespace tessera::platform {

GlTexture makeTexture() {
  GLuint id = 0;
  glGenTextures(1, &id);
  return GlTexture::wrap(id);
}
GlBuffer makeBuffer() {
  GLuint id = 0;
  glGenBuffers(1, &id);
  return GlBuffer::wrap(id);
}
GlFramebuffer makeFramebuffer() {
  GLuint id = 0;
  glGenFramebuffers(1, &id);
  return GlFramebuffer::wrap(id);
}
GlVertexArray makeVertexArray() {
  GLuint id = 0;
  glGenVertexArrays(1, &id);
  return GlVertexArray::wrap(id);
}
GlSampler makeSampler() {
  GLuint id = 0;
  glGenSamplers(1, &id);
  return GlSampler::wrap(id);
}

std::optional<GlTarget> makeTarget(int width, int height, GLenum internalFormat, GLint filter) {
  GlTarget t{makeTexture(), makeFramebuffer()};
  glBindTexture(GL_TEXTURE_2D, t.texture.id());
  glTexStorage2D(GL_TEXTURE_2D, 1, internalFormat, width, height);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, filter);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, filter);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
  glBindFramebuffer(GL_FRAMEBUFFER, t.framebuffer.id());
  glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, t.texture.id(), 0);
  const bool complete = glCheckFramebufferStatus(GL_FRAMEBUFFER) == GL_FRAMEBUFFER_COMPLETE;
  if (complete) {
    glClearColor(0, 0, 0, 0);
    glClear(GL_COLOR_BUFFER_BIT);
  }
  glBindFramebuffer(GL_FRAMEBUFFER, 0);
  if (!complete) return std::nullopt;
  return t;
}

void blit(GLuint from, GLuint to, int width, int height, bool flipRows) {
  blitScaled(from, to, width, height, width, height, flipRows);
}

void blitScaled(GLuint from, GLuint to, int fromWidth, int fromHeight, int toWidth, int toHeight,
                bool flipRows) {
  glBindFramebuffer(GL_READ_FRAMEBUFFER, from);
  glBindFramebuffer(GL_DRAW_FRAMEBUFFER, to);
  const bool same = fromWidth == toWidth && fromHeight == toHeight;
  glBlitFramebuffer(0, 0, fromWidth, fromHeight, 0, flipRows ? toHeight : 0, toWidth,
                    flipRows ? 0 : toHeight, GL_COLOR_BUFFER_BIT, same ? GL_NEAREST : GL_LINEAR);
  glBindFramebuffer(GL_FRAMEBUFFER, 0);
}

namespace {

std::optional<GlShader> compile(GLenum stage, const std::string& source, std::string* log) {
  auto shader = GlShader::wrap(glCreateShader(stage));
  const char* src = source.c_str();
  glShaderSource(shader.id(), 1, &src, nullptr);
  glCompileShader(shader.id());
  GLint ok = 0;
  glGetShaderiv(shader.id(), GL_COMPILE_STATUS, &ok);
  if (!ok) {
    GLint len = 0;
    glGetShaderiv(shader.id(), GL_INFO_LOG_LENGTH, &len);
    std::vector<char> buf(static_cast<size_t>(len) + 1);
    glGetShaderInfoLog(shader.id(), len, nullptr, buf.data());
    if (log) {
      *log = std::string(stage == GL_VERTEX_SHADER ? "vertex shader: " : "fragment shader: ") +
             buf.data();
    }
    return std::nullopt;
  }
  return shader;
}

}  // namespace

std::optional<GlProgram> buildProgram(const std::string& vertexSource,
                                      const std::string& fragmentSource, std::string* log) {
  auto vs = compile(GL_VERTEX_SHADER, vertexSource, log);
  if (!vs) return std::nullopt;
  auto fs = compile(GL_FRAGMENT_SHADER, fragmentSource, log);
  if (!fs) return std::nullopt;
  auto program = GlProgram::wrap(glCreateProgram());
  glAttachShader(program.id(), vs->id());
  glAttachShader(program.id(), fs->id());
  glLinkProgram(program.id());
  GLint ok = 0;
  glGetProgramiv(program.id(), GL_LINK_STATUS, &ok);
  if (!ok) {
    GLint len = 0;
    glGetProgramiv(program.id(), GL_INFO_LOG_LENGTH, &len);
    std::vector<char> buf(static_cast<size_t>(len) + 1);
    glGetProgramInfoLog(program.id(), len, nullptr, buf.data());
    if (log) *log = std::string("link: ") + buf.data();
    return std::nullopt;
  }
  return program;
}

std::string glErrorString() {
  switch (glGetError()) {
    case GL_NO_ERROR:
      return {};
    case GL_INVALID_ENUM:
      return "GL_INVALID_ENUM";
    case GL_INVALID_VALUE:
      return "GL_INVALID_VALUE";
    case GL_INVALID_OPERATION:
      return "GL_INVALID_OPERATION";
    case GL_OUT_OF_MEMORY:
      return "GL_OUT_OF_MEMORY";
    case GL_INVALID_FRAMEBUFFER_OPERATION:
      return "GL_INVALID_FRAMEBUFFER_OPERATION";
    default:
      return "GL error";
  }
}

}  // namespace tessera::platform
