// OpenGL 3.3 core access and move-only RAII objects for GL names.
//
// Thread: every object here belongs to the thread whose context is current (the render thread).
#pragma once

#define GL_GLEXT_PROTOTYPES 1
#include <GL/gl.h>
#include <GL/glext.h>

#include <optional>
#include <string>
#include <utility>

namespace tessera::platform {

template <void (*Delete)(GLuint)>
class GlName {
 public:
  GlName() = default;
  static GlName wrap(GLuint id) {
    GlName n;
    n.mId = id;
    return n;
  }
  GlName(GlName&& o) noexcept : mId(std::exchange(o.mId, 0)) {}
  GlName& operator=(GlName&& o) noexcept {
    if (this != &o) {
      reset();
      mId = std::exchange(o.mId, 0);
    }
    return *this;
  }
  GlName(const GlName&) = delete;
  GlName& operator=(const GlName&) = delete;
  ~GlName() { reset(); }

  GLuint id() const { return mId; }
  GLuint release() { return std::exchange(mId, 0); }
  void reset() {
    if (mId) Delete(std::exchange(mId, 0));
  }
  explicit operator bool() const { return mId != 0; }

 private:
  GLuint mId = 0;
};

namespace detail {
inline void deleteTexture(GLuint id) {
  glDeleteTextures(1, &id);
}
inline void deleteBuffer(GLuint id) {
  glDeleteBuffers(1, &id);
}
inline void deleteFramebuffer(GLuint id) {
  glDeleteFramebuffers(1, &id);
}
inline void deleteVertexArray(GLuint id) {
  glDeleteVertexArrays(1, &id);
}
inline void deleteProgram(GLuint id) {
  glDeleteProgram(id);
}
inline void deleteShader(GLuint id) {
  glDeleteShader(id);
}
inline void deleteSampler(GLuint id) {
  glDeleteSamplers(1, &id);
}
}  // namespace detail

using GlTexture = GlName<detail::deleteTexture>;
using GlBuffer = GlName<detail::deleteBuffer>;
using GlFramebuffer = GlName<detail::deleteFramebuffer>;
using GlVertexArray = GlName<detail::deleteVertexArray>;
using GlProgram = GlName<detail::deleteProgram>;
using GlShader = GlName<detail::deleteShader>;
using GlSampler = GlName<detail::deleteSampler>;

GlTexture makeTexture();
GlBuffer makeBuffer();
GlFramebuffer makeFramebuffer();
GlVertexArray makeVertexArray();
GlSampler makeSampler();

// A 2D texture and a framebuffer drawing into it, cleared to transparent black; sampled with
// `filter`, clamped at the edges. Null when the format cannot be drawn into here.
struct GlTarget {
  GlTexture texture;
  GlFramebuffer framebuffer;
};
std::optional<GlTarget> makeTarget(int width, int height, GLenum internalFormat = GL_RGBA8,
                                   GLint filter = GL_LINEAR);

// Copies a width x height picture between framebuffers, upside down with `flipRows`.
void blit(GLuint from, GLuint to, int width, int height, bool flipRows = false);
// The same, scaled (filtered) from fromWidth x fromHeight to toWidth x toHeight.
void blitScaled(GLuint from, GLuint to, int fromWidth, int fromHeight, int toWidth, int toHeight,
                bool flipRows);

// Compiles and links a vertex + fragment program. On failure returns nullopt and puts the
// compiler's log (with the stage that failed) into `log`.
std::optional<GlProgram> buildProgram(const std::string& vertexSource,
                                      const std::string& fragmentSource, std::string* log);

// "GL_INVALID_OPERATION" etc. for glGetError(); empty when there is no error.
std::string glErrorString();

}  // namespace tessera::platform
