// The gallery windows' own thread. It owns the SDL windows and their GL context (apart from the
// render thread's, which never waits for a screen) and shows the newest canvas frame the render
// thread hands it: uploaded once into a texture, then drawn into every window with its region,
// corner-pin and edge blend (platform::WarpPass), and swapped with vsync. A swap that blocks
// (a screen's refresh, a busy X server) holds up this thread only; the canvas and the encoder
// keep their clock, and frames that arrive meanwhile replace each other (counted).
//
// Threads: start()/stop()/stats() from the main thread; show() from the render thread (a lock
// held for a pointer swap, never for presenting); everything SDL and GL on the presenter thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/config.hpp"
#include "core/frame.hpp"
#include "core/time.hpp"
#include "core/types.hpp"

namespace tessera::render {

struct WindowStats {
  std::size_t windows = 0;     // on a display now
  std::uint64_t presents = 0;  // canvas frames shown (in every window at once)
  std::uint64_t replaced = 0;  // canvas frames replaced by a newer one before they were shown
  double presentMsAvg = 0;     // upload, draw and swap of every window, over the last second
  double presentsPerS = 0;     // over the last second
};

class WindowPresenter {
 public:
  WindowPresenter(std::string title, std::vector<core::WindowConfig> windows, core::SizePx canvas);
  ~WindowPresenter();
  WindowPresenter(const WindowPresenter&) = delete;
  WindowPresenter& operator=(const WindowPresenter&) = delete;

  // Opens the windows on the presenter thread; false (with `error`) when they cannot be opened.
  bool start(std::string* error);
  void stop();
  // Render thread: the canvas frame of this tick (the same frame again while it is unchanged).
  void show(core::FrameRef frame);
  WindowStats stats() const;

 private:
  class Thread;
  void run(std::promise<std::string>* ready);

  const std::string mTitle;
  const std::vector<core::WindowConfig> mWindows;
  const core::SizePx mCanvas;
  std::mutex mMutex;
  std::condition_variable mWake;
  core::FrameRef mPending;             // guarded by mMutex
  std::uint64_t mPendingSequence = 0;  // guarded: the last frame handed over
  std::uint64_t mReplaced = 0;         // guarded
  bool mStop = false;                  // guarded
  std::thread mThread;
  mutable std::mutex mStatsMutex;
  WindowStats mStats;  // guarded by mStatsMutex
};

}  // namespace tessera::render
