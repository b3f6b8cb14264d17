#include "render/render_loop.hpp"

#include <pthread.h>

#include <algorithm>
#include <future>
#include <unordered_map>
#include <vector>

#include "core/log.hpp"
#include "platform/gl_surface.hpp"
#include "platform/system.hpp"
#include "render/tile_renderer.hpp"

namespace tessera::render {
namespace {

constexpr const char* kModule = "render";
using Clock = std::chrono::steady_clock;

// Gives each feed a layer in the tile array for as long as it is in the table.
class LayerSlots {
 public:
  explicit LayerSlots(int layers) {
    for (int i = layers - 1; i >= 0; --i) mFree.push_back(i);
  }
  // -1 when the array is full.
  int layerFor(core::FeedId id) {
    if (auto it = mUsed.find(id); it != mUsed.end()) return it->second;
    if (mFree.empty()) return -1;
    const int layer = mFree.back();
    mFree.pop_back();
    mUsed.emplace(id, layer);
    return layer;
  }
  // Frees the layers of feeds no longer in `present`.
  template <typename Pred>
  void keepOnly(Pred present) {
    for (auto it = mUsed.begin(); it != mUsed.end();) {
      if (!present(it->first)) {
        mFree.push_back(it->second);
        it = mUsed.erase(it);
      } else {
        ++it;
      }
    }
  }

 private:
  std::vector<int> mFree;
  std::unordered_map<core::FeedId, int> mUsed;
};

}  // namespace

RenderLoop::RenderLoop(RenderSettings settings, core::LatestMailbox<ingest::FeedTable>& feeds,
                       CanvasListener* listener)
    : mSettings(std::move(settings)),
      mFeeds(feeds),
      mListener(listener),
      mPool(core::BufferPool::create(static_cast<std::size_t>(mSettings.canvas.width) *
                                     mSettings.canvas.height * 4)) {}

RenderLoop::~RenderLoop() {
  stop();
}

bool RenderLoop::start(std::string* error) {
  std::promise<std::string> ready;
  auto result = ready.get_future();
  mStop = false;
  mThread = std::thread([this, &ready] { run(&ready); });
  std::string failure = result.get();
  if (!failure.empty()) {
    mThread.join();
    if (error) *error = failure;
    return false;
  }
  return true;
}

void RenderLoop::stop() {
  mStop = true;
  if (mThread.joinable()) mThread.join();
}

RenderStats RenderLoop::stats() const {
  std::lock_guard lock(mStatsMutex);
  return mStats;
}

void RenderLoop::run(std::promise<std::string>* ready) {
  pthread_setname_np(pthread_self(), "tessera-render");
  // The render thread and the GL driver's worker threads (llvmpipe's rasterizers, created with
  // the context below, inherit this) come before the feeds' streaming threads.
  if (!platform::setCurrentThreadNice(-5)) {
    core::logDebug(kModule, "could not raise the render thread's priority (needs CAP_SYS_NICE)");
  }
  std::string error;
  std::unique_ptr<platform::GlSurface> surface =
      mSettings.window
          ? platform::createWindowSurface(mSettings.title, mSettings.canvas, false, &error)
          : platform::createHeadlessSurface(&error);
  std::unique_ptr<TileRenderer> renderer;
  if (surface) {
    renderer = TileRenderer::create(mSettings.canvas, mSettings.tile, mSettings.maxFeeds,
                                    mSettings.shaderDir, &error);
  }
  if (!renderer) {
    renderer.reset();
    surface.reset();
    ready->set_value(error.empty() ? "render set-up failed" : error);
    return;
  }
  const std::string description = surface->description();
  core::logInfo(kModule, "canvas {}x{} at {} fps on {}", mSettings.canvas.width,
                mSettings.canvas.height, mSettings.fps, description);
  {
    std::lock_guard lock(mStatsMutex);
    mStats.renderer = description;
  }
  ready->set_value({});  // `ready` dies with start(); do not touch it again

  const auto period = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(1.0 / mSettings.fps));
  LayerSlots slots(mSettings.maxFeeds);
  std::shared_ptr<const ingest::FeedTable> table;
  std::vector<core::FeedId> visible, lastVisible;
  std::vector<std::shared_ptr<ingest::FeedChannel>> visibleChannels;
  std::vector<TileInstance> instances;
  compositor::Layout layout;
  core::FrameRef lastCanvas;
  std::uint64_t index = 0;
  std::vector<TileInstance> changed;
  bool fullRedraw = true;
  bool windowOpen = true;

  // Per-second statistics.
  auto windowStart = Clock::now();
  std::uint64_t windowFrames = 0;
  double windowWork = 0;
  double windowPhase[4] = {0, 0, 0, 0};  // upload, draw, readback, hand-off
  RenderStats totals;
  auto msSince = [](Clock::time_point t) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
  };

  auto deadline = Clock::now();
  while (!mStop) {
    const auto tickStart = Clock::now();
    if (windowOpen && !surface->pollEvents()) {
      windowOpen = false;
      if (mListener) mListener->onWindowClosed();
    }

    // 1. Feeds: pick up the latest table; a feed is shown once it has delivered a frame.
    if (auto t = mFeeds.peek(); t != table) {
      table = t;
      slots.keepOnly([&](core::FeedId id) {
        return std::any_of(table->feeds.begin(), table->feeds.end(),
                           [&](const auto& c) { return c->id() == id; });
      });
    }
    visible.clear();
    visibleChannels.clear();
    if (table) {
      for (const auto& c : table->feeds) {
        if (c->hasFrame()) {
          visible.push_back(c->id());
          visibleChannels.push_back(c);
        }
      }
    }
    if (visible != lastVisible) {
      layout = compositor::gridLayout(visible, mSettings.canvas, mSettings.tile);
      mLayout.put(std::make_shared<compositor::Layout>(layout));
      lastVisible = visible;
      fullRedraw = true;
    }

    // 2. Uploads: only tiles with a new frame. Unless the layout changed, only those tiles are
    // drawn again: the canvas framebuffer keeps the rest.
    auto phase = Clock::now();
    instances.clear();
    changed.clear();
    for (std::size_t i = 0; i < visibleChannels.size(); ++i) {
      const int layer = slots.layerFor(visible[i]);
      if (layer < 0) continue;
      const TileInstance tile{layout.tiles[i].rect, layer};
      if (auto frame = visibleChannels[i]->frames().takeNew()) {
        if (renderer->upload(layer, *frame)) {
          ++totals.uploads;
          changed.push_back(tile);
        }
      }
      instances.push_back(tile);
    }

    windowPhase[0] += msSince(phase);

    // 3. Draw only when something changed; the readback trails by a frame.
    phase = Clock::now();
    auto buffer = mPool->acquire();
    bool haveFrame = false;
    const bool drew = fullRedraw || !changed.empty();
    if (drew) {
      renderer->draw(fullRedraw ? instances : changed, fullRedraw);
      renderer->startReadback();
      ++totals.redraws;
      fullRedraw = false;
    }
    windowPhase[1] += msSince(phase);
    phase = Clock::now();
    haveFrame = renderer->finishReadback(buffer->data(), !drew);
    windowPhase[2] += msSince(phase);
    phase = Clock::now();
    if (windowOpen && mSettings.window) surface->present(renderer->framebuffer(), mSettings.canvas);
    if (haveFrame) {
      auto frame = std::make_shared<core::VideoFrame>();
      frame->width = mSettings.canvas.width;
      frame->height = mSettings.canvas.height;
      frame->strideBytes = static_cast<std::size_t>(frame->width) * 4;
      frame->data = buffer->data();
      frame->sequence = index + 1;
      frame->arrival = Clock::now();
      frame->storage = std::move(buffer);
      lastCanvas = std::move(frame);
      mCanvas.put(lastCanvas);
    }
    if (lastCanvas && mListener) mListener->onCanvasFrame(lastCanvas, index);
    windowPhase[3] += msSince(phase);
    if (lastCanvas) {
      ++index;
      ++totals.frames;
      ++windowFrames;
    }

    // 4. Statistics, once a second.
    const auto now = Clock::now();
    windowWork += std::chrono::duration<double, std::milli>(now - tickStart).count();
    if (now - windowStart >= std::chrono::seconds(1)) {
      const double secs = std::chrono::duration<double>(now - windowStart).count();
      std::lock_guard lock(mStatsMutex);
      mStats.fps = windowFrames / secs;
      const double ticks = windowFrames ? static_cast<double>(windowFrames) : 1.0;
      mStats.workMsAvg = windowWork / ticks;
      mStats.uploadMsAvg = windowPhase[0] / ticks;
      mStats.drawMsAvg = windowPhase[1] / ticks;
      mStats.readbackMsAvg = windowPhase[2] / ticks;
      mStats.handoffMsAvg = windowPhase[3] / ticks;
      std::fill(std::begin(windowPhase), std::end(windowPhase), 0.0);
      mStats.frames = totals.frames;
      mStats.redraws = totals.redraws;
      mStats.uploads = totals.uploads;
      mStats.late = totals.late;
      mStats.tiles = instances.size();
      windowStart = now;
      windowFrames = 0;
      windowWork = 0;
    }

    // 5. Pace: steady deadlines; when more than a frame behind, count it and start again.
    deadline += period;
    if (now > deadline + period) {
      ++totals.late;
      deadline = now;
    }
    std::this_thread::sleep_until(deadline);
  }
  core::logInfo(kModule, "stopped after {} frames ({} redrawn, {} late)", totals.frames,
                totals.redraws, totals.late);
}

}  // namespace tessera::render
