// Where the render thread's GL context comes from: a headless EGL context or an SDL2 window,
// chosen at start-up behind this one interface (the renderer never includes SDL or EGL).
//
// Thread: created, used and destroyed on the render thread only.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/types.hpp"
#include "platform/gl.hpp"

namespace tessera::platform {

class GlSurface {
 public:
  virtual ~GlSurface() = default;
  // Shows the canvas, held in `canvasTexture` (canvas row 0 at texture t = 0), in every window;
  // a headless surface does nothing.
  virtual void present(GLuint canvasTexture, core::SizePx canvas) = 0;
  // Handles window and display events: windows follow their displays. No event (a key, a
  // window's close button) ends the show: SIGINT/SIGTERM do.
  virtual void pollEvents() = 0;
  // Windows open on a display now (0 headless).
  virtual std::size_t visibleWindows() const = 0;
  virtual std::string description() const = 0;
};

// A surfaceless EGL context with OpenGL 3.3 core (Mesa llvmpipe here, a GPU in production).
std::unique_ptr<GlSurface> createHeadlessSurface(std::string* error);
// SDL2 windows with OpenGL 3.3 core contexts in one share group (the first current on the
// calling thread, which must make every later call), one per `windows` entry ([[output.windows]]:
// display, fullscreen, region of a `canvas`-sized canvas, corner-pin, edge blend). The cursor
// is hidden over them. Null (with `error`) when no window or context can be had.
std::unique_ptr<GlSurface> createWindowSurface(const std::string& title,
                                               const std::vector<core::WindowConfig>& windows,
                                               core::SizePx canvas, std::string* error);

// "Mesa/llvmpipe (LLVM 15.0.6, 256 bits) 4.5 (Core Profile) Mesa 22.3.6", for logs and `version`.
std::string glRendererDescription();

}  // namespace tessera::platform
