// Where the render thread's GL context comes from: a headless EGL context or an SDL2 window,
// chosen at start-up behind this one interface (the renderer never includes SDL or EGL).
//
// Thread: created, used and destroyed on the render thread only.
#pragma once

#include <memory>
#include <string>

#include "core/types.hpp"
#include "platform/gl.hpp"

namespace tessera::platform {

class GlSurface {
 public:
  virtual ~GlSurface() = default;
  // Shows the canvas held in `framebuffer` (canvas rows top-first in GL's bottom-up order, i.e.
  // row 0 = canvas top); a headless surface does nothing.
  virtual void present(GLuint framebuffer, core::SizePx canvas) = 0;
  // Handles window events; false once the user asked to close the window.
  virtual bool pollEvents() = 0;
  virtual std::string description() const = 0;
};

// A surfaceless EGL context with OpenGL 3.3 core (Mesa llvmpipe here, a GPU in production).
std::unique_ptr<GlSurface> createHeadlessSurface(std::string* error);
// An SDL2 window with an OpenGL 3.3 core context, fullscreen-desktop when `fullscreen`.
std::unique_ptr<GlSurface> createWindowSurface(const std::string& title, core::SizePx size,
                                               bool fullscreen, std::string* error);

// "Mesa/llvmpipe (LLVM 15.0.6, 256 bits) 4.5 (Core Profile) Mesa 22.3.6", for logs and `version`.
std::string glRendererDescription();

}  // namespace tessera::platform
