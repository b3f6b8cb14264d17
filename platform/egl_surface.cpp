#include <EGL/egl.h>
#include <EGL/eglext.h>

#include "platform/gl_surface.hpp"

namespace tessera::platform {
namespace {

class EglHeadlessSurface final : public GlSurface {
 public:
  EglHeadlessSurface(EGLDisplay display, EGLContext context)
      : mDisplay(display), mContext(context) {}
  ~EglHeadlessSurface() override {
    eglMakeCurrent(mDisplay, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
    eglDestroyContext(mDisplay, mContext);
    eglTerminate(mDisplay);
  }
  void present(GLuint, core::SizePx) override {}
  void pollEvents() override {}
  std::size_t visibleWindows() const override { return 0; }
  std::string description() const override { return "headless EGL: " + glRendererDescription(); }

 private:
  EGLDisplay mDisplay;
  EGLContext mContext;
};

EGLDisplay openDisplay() {
  auto getPlatformDisplay = reinterpret_cast<PFNEGLGETPLATFORMDISPLAYEXTPROC>(
      eglGetProcAddress("eglGetPlatformDisplayEXT"));
  if (getPlatformDisplay) {
    // Surfaceless first (no X or GBM device needed), then a render node, then the default.
    EGLDisplay d = getPlatformDisplay(EGL_PLATFORM_SURFACELESS_MESA, EGL_DEFAULT_DISPLAY, nullptr);
    if (d != EGL_NO_DISPLAY && eglInitialize(d, nullptr, nullptr)) return d;
  }
  EGLDisplay d = eglGetDisplay(EGL_DEFAULT_DISPLAY);
  if (d != EGL_NO_DISPLAY && eglInitialize(d, nullptr, nullptr)) return d;
  return EGL_NO_DISPLAY;
}

}  // namespace

std::unique_ptr<GlSurface> createHeadlessSurface(std::string* error) {
  EGLDisplay display = openDisplay();
  if (display == EGL_NO_DISPLAY) {
    if (error) *error = "EGL: no display could be initialised";
    return nullptr;
  }
  if (!eglBindAPI(EGL_OPENGL_API)) {
    if (error) *error = "EGL: OpenGL API not available";
    eglTerminate(display);
    return nullptr;
  }
  const EGLint configAttribs[] = {EGL_RENDERABLE_TYPE, EGL_OPENGL_BIT, EGL_NONE};
  EGLConfig config = nullptr;
  EGLint count = 0;
  eglChooseConfig(display, configAttribs, &config, 1, &count);
  const EGLint contextAttribs[] = {EGL_CONTEXT_MAJOR_VERSION,
                                   3,
                                   EGL_CONTEXT_MINOR_VERSION,
                                   3,
                                   EGL_CONTEXT_OPENGL_PROFILE_MASK,
                                   EGL_CONTEXT_OPENGL_CORE_PROFILE_BIT,
                                   EGL_NONE};
  EGLContext context = eglCreateContext(display, count > 0 ? config : EGL_NO_CONFIG_KHR,
                                        EGL_NO_CONTEXT, contextAttribs);
  if (context == EGL_NO_CONTEXT) {
    if (error) *error = "EGL: could not create an OpenGL 3.3 core context";
    eglTerminate(display);
    return nullptr;
  }
  if (!eglMakeCurrent(display, EGL_NO_SURFACE, EGL_NO_SURFACE, context)) {
    if (error) *error = "EGL: surfaceless make-current failed (EGL_KHR_surfaceless_context?)";
    eglDestroyContext(display, context);
    eglTerminate(display);
    return nullptr;
  }
  return std::make_unique<EglHeadlessSurface>(display, context);
}

std::string glRendererDescription() {
  auto str = [](GLenum e) {
    const auto* s = reinterpret_cast<const char*>(glGetString(e));
    return std::string(s ? s : "?");
  };
  return str(GL_RENDERER) + " / OpenGL " + str(GL_VERSION);
}

}  // namespace tessera::platform
