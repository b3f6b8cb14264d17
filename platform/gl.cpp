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
