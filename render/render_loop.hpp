// The render thread: it alone owns the GL context. Each tick it picks up the feed table, re-lays
// out when feeds come or go, uploads only the tiles that have a new frame, redraws only when
// something changed, and hands a canvas frame to the listener at a steady rate.
//
// Threads: start()/stop()/stats() from the main-loop thread; everything GL on the render thread.
// The listener is called on the render thread and must not block.
#pragma once

#include <atomic>
#include <filesystem>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "compositor/layout.hpp"
#include "core/buffer_pool.hpp"
#include "core/frame.hpp"
#include "core/mailbox.hpp"
#include "ingest/feed_channel.hpp"

namespace tessera::render {

struct RenderSettings {
  core::SizePx canvas{1280, 720};
  int fps = 30;
  core::SizePx tile{160, 120};
  int maxFeeds = 256;
  bool window = false;
  std::string title = "tessera";
  std::filesystem::path shaderDir;
};

struct RenderStats {
  double fps = 0;             // canvas frames handed out per second, over the last second
  std::uint64_t frames = 0;   // canvas frames handed out
  std::uint64_t redraws = 0;  // frames actually drawn (the rest repeat an unchanged canvas)
  std::uint64_t uploads = 0;  // tile uploads
  std::uint64_t late = 0;     // ticks that started more than a frame late
  double workMsAvg = 0;       // render-thread work per tick, over the last second
  double uploadMsAvg = 0;     // of which: tile uploads
  double drawMsAvg = 0;       //           draw + starting the readback
  double readbackMsAvg = 0;   //           finishing the readback (copy out)
  double handoffMsAvg = 0;    //           listeners (encoder push)
  std::size_t tiles = 0;
  std::string renderer;
};

class CanvasListener {
 public:
  virtual ~CanvasListener() = default;
  // Render thread. `index` counts canvas frames from 0 at a steady `fps`.
  virtual void onCanvasFrame(const core::FrameRef& frame, std::uint64_t index) = 0;
  virtual void onWindowClosed() {}
};

class RenderLoop {
 public:
  RenderLoop(RenderSettings settings, core::LatestMailbox<ingest::FeedTable>& feeds,
             CanvasListener* listener);
  ~RenderLoop();
  RenderLoop(const RenderLoop&) = delete;
  RenderLoop& operator=(const RenderLoop&) = delete;

  // Starts the thread and waits until GL is set up; false (with `error`) when it could not be.
  bool start(std::string* error);
  void stop();

  core::LatestMailbox<core::VideoFrame>& canvas() { return mCanvas; }
  core::LatestMailbox<compositor::Layout>& layout() { return mLayout; }
  RenderStats stats() const;

 private:
  void run(std::promise<std::string>* ready);

  const RenderSettings mSettings;
  core::LatestMailbox<ingest::FeedTable>& mFeeds;
  CanvasListener* const mListener;
  std::shared_ptr<core::BufferPool> mPool;
  core::LatestMailbox<core::VideoFrame> mCanvas;
  core::LatestMailbox<compositor::Layout> mLayout;
  std::atomic<bool> mStop{false};
  std::thread mThread;
  mutable std::mutex mStatsMutex;
  RenderStats mStats;
};

}  // namespace tessera::render
