#include <SDL2/SDL.h>

#include "platform/gl_surface.hpp"

namespace tessera::platform {
namespace {

class SdlWindowSurface final : public GlSurface {
 public:
  SdlWindowSurface(SDL_Window* window, SDL_GLContext context)
      : mWindow(window), mContext(context) {}
  ~SdlWindowSurface() override {
    SDL_GL_DeleteContext(mContext);
    SDL_DestroyWindow(mWindow);
    SDL_QuitSubSystem(SDL_INIT_VIDEO);
  }

  void present(GLuint framebuffer, core::SizePx canvas) override {
    int w = 0, h = 0;
    SDL_GL_GetDrawableSize(mWindow, &w, &h);
    // Letterbox the canvas into the window; flip so canvas row 0 (GL row 0) shows at the top.
    const float scale =
        std::min(static_cast<float>(w) / canvas.width, static_cast<float>(h) / canvas.height);
    const int dw = static_cast<int>(canvas.width * scale);
    const int dh = static_cast<int>(canvas.height * scale);
    const int dx = (w - dw) / 2;
    const int dy = (h - dh) / 2;
    glBindFramebuffer(GL_DRAW_FRAMEBUFFER, 0);
    glViewport(0, 0, w, h);
    glClearColor(0, 0, 0, 1);
    glClear(GL_COLOR_BUFFER_BIT);
    glBindFramebuffer(GL_READ_FRAMEBUFFER, framebuffer);
    glBlitFramebuffer(0, 0, canvas.width, canvas.height, dx, dy + dh, dx + dw, dy,
                      GL_COLOR_BUFFER_BIT, GL_LINEAR);
    SDL_GL_SwapWindow(mWindow);
  }

  bool pollEvents() override {
    SDL_Event e;
    while (SDL_PollEvent(&e)) {
      if (e.type == SDL_QUIT) return false;
      if (e.type == SDL_KEYDOWN && e.key.keysym.sym == SDLK_ESCAPE) return false;
    }
    return true;
  }

  std::string description() const override { return "SDL2 window: " + glRendererDescription(); }

 private:
  SDL_Window* mWindow;
  SDL_GLContext mContext;
};

}  // namespace

std::unique_ptr<GlSurface> createWindowSurface(const std::string& title, core::SizePx size,
                                               bool fullscreen, std::string* error) {
  if (SDL_InitSubSystem(SDL_INIT_VIDEO) != 0) {
    if (error) *error = std::string("SDL: ") + SDL_GetError();
    return nullptr;
  }
  SDL_GL_SetAttribute(SDL_GL_CONTEXT_MAJOR_VERSION, 3);
  SDL_GL_SetAttribute(SDL_GL_CONTEXT_MINOR_VERSION, 3);
  SDL_GL_SetAttribute(SDL_GL_CONTEXT_PROFILE_MASK, SDL_GL_CONTEXT_PROFILE_CORE);
  SDL_GL_SetAttribute(SDL_GL_DOUBLEBUFFER, 1);
  Uint32 flags = SDL_WINDOW_OPENGL | SDL_WINDOW_RESIZABLE;
  if (fullscreen) flags |= SDL_WINDOW_FULLSCREEN_DESKTOP;
  SDL_Window* window = SDL_CreateWindow(title.c_str(), SDL_WINDOWPOS_CENTERED,
                                        SDL_WINDOWPOS_CENTERED, size.width, size.height, flags);
  if (!window) {
    if (error) *error = std::string("SDL window: ") + SDL_GetError();
    SDL_QuitSubSystem(SDL_INIT_VIDEO);
    return nullptr;
  }
  SDL_GLContext context = SDL_GL_CreateContext(window);
  if (!context) {
    if (error) *error = std::string("SDL GL context: ") + SDL_GetError();
    SDL_DestroyWindow(window);
    SDL_QuitSubSystem(SDL_INIT_VIDEO);
    return nullptr;
  }
  SDL_GL_SetSwapInterval(0);  // the render loop paces itself; vsync would couple it to one screen
  return std::make_unique<SdlWindowSurface>(window, context);
}

}  // namespace tessera::platform
