// The gallery windows ([[output.windows]]): SDL2 windows, each with its own GL context in one
// share group (the canvas texture is shared), each showing its region of the canvas through a
// WarpPass (corner-pin, edge blend). A context per window, not one context moved from window to
// window: Mesa's software rasteriser re-made the buffers at every switch (224 ms a frame for two
// 1280x720 windows under Xvfb, against 15 ms with a context each).
//
// Fullscreen is a borderless window at the display's bounds (what kiosk machines without a
// window manager need: there, desktop fullscreen asks a window manager that is not there), and
// desktop fullscreen on top of it for window managers that keep panels above other windows.
// Windows follow their displays: a display unplugged hides its window; when it is plugged in
// again (found by name: SDL's indices shift), the window goes back onto it.
//
// Thread: the presenter thread (render::WindowPresenter), which owns the windows and the context.
#include <SDL2/SDL.h>

#include <algorithm>
#include <vector>

#include "core/log.hpp"
#include "platform/detail/display_match.hpp"
#include "platform/gl_surface.hpp"
#include "platform/warp_pass.hpp"

namespace tessera::platform {
namespace {

constexpr const char* kModule = "window";
// Events handled per poll at most (one tick's worth; the rest wait for the next tick).
constexpr int kMaxEventsPerPoll = 256;

struct WindowDeleter {
  void operator()(SDL_Window* w) const { SDL_DestroyWindow(w); }
};
using WindowPtr = std::unique_ptr<SDL_Window, WindowDeleter>;

struct ContextDeleter {
  void operator()(void* c) const { SDL_GL_DeleteContext(c); }
};
using ContextPtr = std::unique_ptr<void, ContextDeleter>;

// SDL's video subsystem for the surface's life, with the hints a gallery needs.
class SdlVideo {
 public:
  static std::unique_ptr<SdlVideo> init(std::string* error) {
    // The server handles SIGINT/SIGTERM; SDL must not turn them into SDL_QUIT.
    SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1");
    // Several fullscreen windows: focus moving to one must not minimise the others.
    SDL_SetHint(SDL_HINT_VIDEO_MINIMIZE_ON_FOCUS_LOSS, "0");
    // Gallery screens never blank (SDL's default, said out loud).
    SDL_SetHint(SDL_HINT_VIDEO_ALLOW_SCREENSAVER, "0");
    if (SDL_InitSubSystem(SDL_INIT_VIDEO) != 0) {
      if (error) *error = std::string("SDL: ") + SDL_GetError();
      return nullptr;
    }
    return std::unique_ptr<SdlVideo>(new SdlVideo());
  }
  ~SdlVideo() { SDL_QuitSubSystem(SDL_INIT_VIDEO); }
  SdlVideo(const SdlVideo&) = delete;
  SdlVideo& operator=(const SdlVideo&) = delete;

 private:
  SdlVideo() = default;
};

// One [[output.windows]] entry and its SDL window.
struct GalleryWindow {
  std::size_t index = 0;
  core::WindowConfig config;
  core::Rect region;  // canvas pixels
  WindowPtr window;
  ContextPtr context;              // after `window`: destroyed before it
  std::unique_ptr<WarpPass> warp;  // its context's; destroyed with that context current
  std::string displayName;         // the display it was placed on, when that name is unambiguous
  bool visible = false;
  core::SizePx drawable{};       // the size `view` was computed for
  std::optional<WarpView> view;  // null: not computed yet, or a quad that cannot be drawn
};

core::SizePx sizeOf(const core::Rect& r) {
  return {static_cast<int>(r.w), static_cast<int>(r.h)};
}

// The names of the displays connected now, in SDL's order.
std::vector<std::string> displayNames() {
  std::vector<std::string> names;
  for (int i = 0; i < SDL_GetNumVideoDisplays(); ++i) {
    const char* name = SDL_GetDisplayName(i);
    names.emplace_back(name ? name : "");
  }
  return names;
}

// Where the window goes on a display with these bounds.
SDL_Rect windowRect(const GalleryWindow& w, const SDL_Rect& bounds) {
  if (w.config.fullscreen) return bounds;
  const core::SizePx size = w.config.size.value_or(sizeOf(w.region));
  SDL_Rect r{bounds.x + (bounds.w - size.width) / 2, bounds.y + (bounds.h - size.height) / 2,
             size.width, size.height};
  if (w.config.position) {
    r.x = bounds.x + static_cast<int>(w.config.position->x);
    r.y = bounds.y + static_cast<int>(w.config.position->y);
  }
  return r;
}

class SdlWindowSurface final : public GlSurface {
 public:
  SdlWindowSurface(std::unique_ptr<SdlVideo> video, std::vector<GalleryWindow> windows)
      : mVideo(std::move(video)),
        mWindows(std::move(windows)),
        mDisplays(SDL_GetNumVideoDisplays()) {
    for (GalleryWindow& w : mWindows) place(w);
    makeCurrent(mWindows.front());
  }
  ~SdlWindowSurface() override {
    for (GalleryWindow& w : mWindows) {
      makeCurrent(w);
      w.warp.reset();  // its GL names go while its context is current
    }
    SDL_GL_MakeCurrent(nullptr, nullptr);
  }

  void present(GLuint canvasTexture, core::SizePx canvas) override {
    for (GalleryWindow& w : mWindows) {
      if (!w.visible) continue;
      makeCurrent(w);
      int dw = 0, dh = 0;
      SDL_GL_GetDrawableSize(w.window.get(), &dw, &dh);
      if (dw <= 0 || dh <= 0) continue;
      if (w.drawable != core::SizePx{dw, dh}) updateView(w, {dw, dh}, canvas);
      if (!w.view) continue;
      glBindFramebuffer(GL_FRAMEBUFFER, 0);
      glViewport(0, 0, dw, dh);
      w.warp->draw(canvasTexture, *w.view);  // every pixel: black outside the quad
      SDL_GL_SwapWindow(w.window.get());
    }
  }

  void pollEvents() override {
    SDL_Event e;
    bool displaysChanged = false;
    for (int n = 0; n < kMaxEventsPerPoll && SDL_PollEvent(&e); ++n) {
      if (e.type == SDL_DISPLAYEVENT) displaysChanged = true;
      if (e.type == SDL_QUIT && !mToldAboutClose) {
        core::logInfo(kModule, "a close request was ignored: SIGINT/SIGTERM end the show");
        mToldAboutClose = true;
      }
      // Keys, the mouse, close buttons: nothing else ends or changes the show.
      if (e.type == SDL_KEYDOWN && !e.key.repeat) {
        core::logDebug(kModule, "key {} ignored", SDL_GetKeyName(e.key.keysym.sym));
      }
    }
    const int displays = SDL_GetNumVideoDisplays();
    if (displays != mDisplays) displaysChanged = true;
    if (!displaysChanged) return;
    core::logInfo(kModule, "displays changed: {} connected", displays);
    mDisplays = displays;
    for (GalleryWindow& w : mWindows) place(w);
    makeCurrent(mWindows.front());
  }

  std::size_t visibleWindows() const override {
    return static_cast<std::size_t>(
        std::count_if(mWindows.begin(), mWindows.end(), [](const auto& w) { return w.visible; }));
  }

  std::string description() const override {
    return fmt::format("SDL2 windows ({}): {}", mWindows.size(), glRendererDescription());
  }

 private:
  static void makeCurrent(GalleryWindow& w) { SDL_GL_MakeCurrent(w.window.get(), w.context.get()); }

  // Puts the window on its display (or hides it while that display is gone).
  void place(GalleryWindow& w) {
    const std::vector<std::string> names = displayNames();
    const int display = detail::matchDisplay(names, w.displayName, w.config.display);
    SDL_Window* window = w.window.get();
    if (display < 0) {
      if (w.visible || w.displayName.empty()) {
        core::logWarn(
            kModule, "window {}: display {} is not connected; hidden until it is", w.index,
            w.displayName.empty() ? std::to_string(w.config.display) : "\"" + w.displayName + "\"");
      }
      SDL_HideWindow(window);
      w.visible = false;
      return;
    }
    SDL_Rect bounds{};
    SDL_GetDisplayBounds(display, &bounds);
    const SDL_Rect r = windowRect(w, bounds);
    if (w.config.fullscreen) SDL_SetWindowFullscreen(window, 0);
    SDL_SetWindowPosition(window, r.x, r.y);
    SDL_SetWindowSize(window, r.w, r.h);
    SDL_ShowWindow(window);
    // Without a window manager this does nothing; the borderless window already covers the
    // display. With one, it keeps panels and docks off the picture.
    if (w.config.fullscreen) SDL_SetWindowFullscreen(window, SDL_WINDOW_FULLSCREEN_DESKTOP);
    SDL_RaiseWindow(window);
    w.displayName = detail::uniqueDisplayName(names, display);
    w.visible = true;
    w.drawable = {};  // the view is computed again at the next present
    core::logInfo(kModule, "window {}: display {} ({}) {}x{} at {},{}{}, canvas region {},{} {}x{}",
                  w.index, display, SDL_GetDisplayName(display) ? SDL_GetDisplayName(display) : "?",
                  r.w, r.h, r.x, r.y, w.config.fullscreen ? ", fullscreen" : "", w.region.x,
                  w.region.y, w.region.w, w.region.h);
  }

  // The warp for the window's drawable: the configured corners (scaled from window to drawable
  // pixels on high-DPI screens) or the region letterboxed.
  void updateView(GalleryWindow& w, core::SizePx drawable, core::SizePx canvas) {
    w.drawable = drawable;
    int ww = 0, wh = 0;
    SDL_GetWindowSize(w.window.get(), &ww, &wh);
    const double sx = ww > 0 ? static_cast<double>(drawable.width) / ww : 1.0;
    const double sy = wh > 0 ? static_cast<double>(drawable.height) / wh : 1.0;
    core::Quad corners = core::fitQuad(sizeOf(w.region), drawable);
    core::SizePx picture{static_cast<int>(corners[1].x - corners[0].x),
                         static_cast<int>(corners[3].y - corners[0].y)};
    if (w.config.corners) {
      corners = *w.config.corners;
      for (core::PointD& p : corners) p = {p.x * sx, p.y * sy};
      picture = drawable;
    }
    const auto m = core::pictureFromFragment(corners, drawable.height);
    if (!m) {
      core::logWarn(kModule, "window {}: its corners make no picture at {}x{}; showing nothing",
                    w.index, drawable.width, drawable.height);
      w.view.reset();
      return;
    }
    w.view = WarpView{w.region, canvas, *m, picture, w.config.blend};
  }

  // Declared in the order they are made; destroyed the other way round.
  std::unique_ptr<SdlVideo> mVideo;
  std::vector<GalleryWindow> mWindows;
  int mDisplays = 0;
  bool mToldAboutClose = false;
};

std::string titleOf(const std::string& title, std::size_t index, std::size_t count) {
  return count == 1 ? title : fmt::format("{} [window {}]", title, index);
}

}  // namespace

std::unique_ptr<GlSurface> createWindowSurface(const std::string& title,
                                               const std::vector<core::WindowConfig>& windows,
                                               core::SizePx canvas, std::string* error) {
  if (windows.empty()) {
    if (error) *error = "no windows to open";
    return nullptr;
  }
  auto video = SdlVideo::init(error);
  if (!video) return nullptr;
  SDL_GL_SetAttribute(SDL_GL_CONTEXT_MAJOR_VERSION, 3);
  SDL_GL_SetAttribute(SDL_GL_CONTEXT_MINOR_VERSION, 3);
  SDL_GL_SetAttribute(SDL_GL_CONTEXT_PROFILE_MASK, SDL_GL_CONTEXT_PROFILE_CORE);
  SDL_GL_SetAttribute(SDL_GL_DOUBLEBUFFER, 1);
  SDL_ShowCursor(SDL_DISABLE);
  const int displays = SDL_GetNumVideoDisplays();
  std::vector<GalleryWindow> list;
  for (std::size_t i = 0; i < windows.size(); ++i) {
    GalleryWindow w;
    w.index = i;
    w.config = windows[i];
    w.region = w.config.region.value_or(
        core::Rect{0, 0, static_cast<float>(canvas.width), static_cast<float>(canvas.height)});
    // Made hidden on its display (or the first while it is missing); place() shows it.
    SDL_Rect bounds{0, 0, canvas.width, canvas.height};
    SDL_GetDisplayBounds(w.config.display < displays ? w.config.display : 0, &bounds);
    const SDL_Rect r = windowRect(w, bounds);
    Uint32 flags = SDL_WINDOW_OPENGL | SDL_WINDOW_HIDDEN;
    if (w.config.fullscreen) flags |= SDL_WINDOW_BORDERLESS;
    w.window.reset(
        SDL_CreateWindow(titleOf(title, i, windows.size()).c_str(), r.x, r.y, r.w, r.h, flags));
    if (!w.window) {
      if (error) *error = fmt::format("SDL window {}: {}", i, SDL_GetError());
      return nullptr;
    }
    list.push_back(std::move(w));
  }
  for (GalleryWindow& w : list) {
    // The later contexts share the first one's objects (the canvas texture).
    if (&w != &list.front()) {
      SDL_GL_MakeCurrent(list.front().window.get(), list.front().context.get());
    }
    SDL_GL_SetAttribute(SDL_GL_SHARE_WITH_CURRENT_CONTEXT, &w != &list.front() ? 1 : 0);
    w.context.reset(SDL_GL_CreateContext(w.window.get()));  // and current
    if (!w.context) {
      if (error) *error = fmt::format("SDL GL context for window {}: {}", w.index, SDL_GetError());
      return nullptr;
    }
    // Swaps wait for the screen's refresh (no tearing): only the presenter thread waits, never
    // the canvas.
    if (SDL_GL_SetSwapInterval(1) != 0) SDL_GL_SetSwapInterval(0);
    w.warp = WarpPass::create(error);
    if (!w.warp) return nullptr;
  }
  SDL_GL_SetAttribute(SDL_GL_SHARE_WITH_CURRENT_CONTEXT, 0);
  return std::make_unique<SdlWindowSurface>(std::move(video), std::move(list));
}

}  // namespace tessera::platform
