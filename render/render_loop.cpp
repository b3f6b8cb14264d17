#include "render/render_loop.hpp"

#include <pthread.h>

#include <algorithm>
#include <future>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/log.hpp"
#include "platform/gl_surface.hpp"
#include "platform/system.hpp"
#include "render/crowd.hpp"
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
  // -1 when the feed has no layer.
  int find(core::FeedId id) const {
    const auto it = mUsed.find(id);
    return it == mUsed.end() ? -1 : it->second;
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

// shader_scale = "auto": a scene's shaders draw at a lower resolution (scaled up after) while
// the render thread's work per frame stays over 90 % of the frame period (2 seconds running),
// and a step back up once the work that step would add (the shaders' cost grows with their
// area) still fits in 75 % (3 seconds running). The first 2 seconds of a scene (its fade, the
// driver compiling its shaders) do not count. A GPU never needs it; a CPU rasteriser keeps the
// canvas on time.
class ShaderScaler {
 public:
  static constexpr float kStep = 0.85f;
  static constexpr float kMin = 0.5f;
  float scale() const { return mScale; }
  // Once a second, with that second's mean render work and shader time per frame.
  void update(double workMs, double shaderMs, double periodMs, const std::string& scene) {
    if (mWarmUp > 0) {
      --mWarmUp;
      return;
    }
    const float before = mScale;
    const float up = std::min(1.0f, mScale / kStep);
    const double workAfterUp = workMs + shaderMs * ((up * up) / (mScale * mScale) - 1);
    if (workMs > 0.9 * periodMs) {
      mUnder = 0;
      if (++mOver >= 2 && mScale > kMin) {
        mScale = std::max(kMin, mScale * kStep);
        mOver = 0;
      }
    } else if (mScale < 1 && workAfterUp < 0.75 * periodMs) {
      mOver = 0;
      if (++mUnder >= 3) {
        mScale = up;
        mUnder = 0;
      }
    } else {
      mOver = mUnder = 0;
    }
    if (mScale != before) {
      core::logInfo(kModule,
                    "scene \"{}\": shaders now draw at {:.0f} % of the canvas (render work "
                    "{:.1f} ms a frame of {:.1f})",
                    scene, mScale * 100, workMs, periodMs);
    }
  }

 private:
  float mScale = 1;
  int mWarmUp = 2;
  int mOver = 0;
  int mUnder = 0;
};

// The brush's layout (one dab per feed) is published this often: it moves every frame.
constexpr double kBrushLayoutPeriodS = 0.25;

std::vector<compositor::SceneSpec> scenesOrDefault(std::vector<compositor::SceneSpec> scenes) {
  if (scenes.empty()) scenes.emplace_back();  // a grid
  return scenes;
}

}  // namespace

RenderLoop::RenderLoop(RenderSettings settings, core::LatestMailbox<core::FeedTable>& feeds,
                       CanvasListener* listener, core::LatestMailbox<core::ScoreTable>* scores)
    : mSettings(std::move(settings)),
      mFeeds(feeds),
      mListener(listener),
      mPool(core::BufferPool::create(static_cast<std::size_t>(mSettings.canvas.width) *
                                     mSettings.canvas.height * 4)),
      mScores(scores ? scores : &mOwnScores) {
  mSettings.scenes = scenesOrDefault(std::move(mSettings.scenes));
}

void RenderLoop::setScene(std::size_t index) {
  if (index < mSettings.scenes.size()) mSceneRequests.put(std::make_shared<std::size_t>(index));
}

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

bool RenderLoop::changeParams(std::vector<ParamChange> changes) {
  std::lock_guard lock(mParamMutex);
  if (mPendingParams.size() + changes.size() > kMaxPendingParams) return false;
  for (auto& c : changes) mPendingParams.push_back(std::move(c));
  return true;
}

double RenderLoop::secondsSinceTick() const {
  const std::int64_t at = mTickStartNs.load(std::memory_order_relaxed);
  if (at == 0) return 0;
  const std::int64_t now = Clock::now().time_since_epoch() / std::chrono::nanoseconds(1);
  return static_cast<double>(now - at) / 1e9;
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
  // The scenes' shaders: all loaded now, so errors show at start and switching is instant.
  std::vector<std::unique_ptr<SceneShaders>> sceneShaders;
  std::unique_ptr<ChainTargets> chainTargets;
  std::unique_ptr<CrowdData> crowdData;
  std::uint64_t shaderStatusVersion = 0;
  for (std::size_t i = 0; i < mSettings.scenes.size(); ++i) {
    if (i < mSettings.sceneConfigs.size()) {
      sceneShaders.push_back(std::make_unique<SceneShaders>(
          i, mSettings.sceneConfigs[i], isf::CrowdLimits{mSettings.maxFeeds},
          mSettings.shaderDir / "stained_glass.fs"));

      sceneShaders.back()->load();
    } else {
      sceneShaders.push_back(nullptr);
    }
    if (sceneShaders.back() && !sceneShaders.back()->empty() && !chainTargets) {
      chainTargets = std::make_unique<ChainTargets>(mSettings.canvas);
      crowdData = std::make_unique<CrowdData>(mSettings.maxFeeds);
    }
  }
  auto publishShaderStatus = [&] {
    auto status = std::make_shared<ShaderStatus>();
    status->version = ++shaderStatusVersion;
    for (const auto& s : sceneShaders) {
      if (s) s->appendStatus(status->shaders);
    }
    mShaderStatus.put(std::move(status));
  };
  publishShaderStatus();
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
  const auto startedAt = Clock::now();
  LayerSlots slots(mSettings.maxFeeds);
  std::shared_ptr<const core::FeedTable> table;
  std::vector<core::FeedId> visible;
  std::vector<std::shared_ptr<core::FeedChannel>> visibleChannels;
  std::vector<TileInstance> instances;
  std::vector<TileInstance> changed;
  std::vector<std::uint8_t> uploaded(static_cast<std::size_t>(mSettings.maxFeeds), 0);
  bool releaseLayers = false;  // feeds left the table: free their layers once not drawn
  std::unordered_set<core::FeedId> inTable;
  std::vector<std::uint8_t> layerDrawn(static_cast<std::size_t>(mSettings.maxFeeds), 0);
  core::FrameRef lastCanvas;
  std::vector<CrowdFeed> crowd;
  std::vector<std::pair<core::FeedId, core::Rect>> tileRects;  // sorted by feed
  auto lastShaderPoll = Clock::now();
  double lastShaderTimeS = -1;
  int shaderFrame = 0;
  bool tilesWereNeeded = true;
  ShaderScaler autoScale;  // the active scene's shaders draw smaller while the canvas runs late
  std::vector<ParamChange> params;
  std::uint64_t index = 0;
  bool fullRedraw = true;
  bool windowOpen = true;

  // The active scene, and the cross-fade into it.
  std::size_t sceneIndex = 0;
  auto planner = std::make_unique<compositor::ScenePlanner>(mSettings.scenes[0], mSettings.canvas,
                                                            mSettings.tile);
  double fadeStartS = 0, fadeS = 0;
  bool fading = false;
  double lastLayoutS = -1;

  // Per-second statistics.
  auto windowStart = Clock::now();
  std::uint64_t windowFrames = 0;
  double windowWork = 0;
  double windowPhase[4] = {0, 0, 0, 0};  // upload, draw, readback, hand-off
  double windowShader = 0;
  RenderStats totals;
  auto msSince = [](Clock::time_point t) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
  };

  auto deadline = Clock::now();
  while (!mStop) {
    const auto tickStart = Clock::now();
    mTickStartNs.store(tickStart.time_since_epoch() / std::chrono::nanoseconds(1),
                       std::memory_order_relaxed);
    const double nowS = std::chrono::duration<double>(tickStart - startedAt).count();
    if (windowOpen && !surface->pollEvents()) {
      windowOpen = false;
      if (mListener) mListener->onWindowClosed();
    }

    // 1. Feeds: pick up the latest table; a feed is shown once it has delivered a frame.
    if (auto t = mFeeds.peek(); t != table) {
      table = t;
      releaseLayers = true;
      inTable.clear();
      if (table) {
        for (const auto& c : table->feeds) inTable.insert(c->id());
      }
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

    // 2. Scene: a switch keeps the outgoing scene's last frame and fades from it.
    if (auto request = mSceneRequests.takeNew(); request && *request != sceneIndex) {
      sceneIndex = *request;
      const compositor::SceneSpec& spec = mSettings.scenes[sceneIndex];
      planner = std::make_unique<compositor::ScenePlanner>(spec, mSettings.canvas, mSettings.tile);
      renderer->snapshot();
      if (spec.kind == core::LayoutKind::kBrush) renderer->clearPaint();
      fadeStartS = nowS;
      fadeS = spec.fadeSeconds;
      autoScale = ShaderScaler{};
      lastLayoutS = -1;
      core::logInfo(kModule, "scene \"{}\" ({}), cross-fade {:.2f} s", spec.name,
                    core::toString(spec.kind), fadeS);
    }
    // Shaders: files saved since the last look are swapped in; API parameter changes applied.
    SceneShaders* shaders = sceneShaders[sceneIndex].get();
    if (shaders && shaders->empty()) shaders = nullptr;
    if (tickStart - lastShaderPoll >= mSettings.shaderPollPeriod) {
      lastShaderPoll = tickStart;
      bool changed = false;
      for (auto& s : sceneShaders) changed = (s && s->reloadChanged()) || changed;
      if (changed) publishShaderStatus();
    }
    {
      std::lock_guard lock(mParamMutex);
      params.swap(mPendingParams);
    }
    if (!params.empty()) {
      for (const ParamChange& p : params) {
        std::string error;
        if (p.scene >= sceneShaders.size() || !sceneShaders[p.scene] ||
            !sceneShaders[p.scene]->setValue(p.slot, p.name, p.value, &error)) {
          core::logWarn(kModule, "shader parameter {}: {}", p.name, error);
        }
      }
      params.clear();
      publishShaderStatus();
    }

    const auto scores = mScores->peek();
    const compositor::SceneFrame frame = planner->update(visible, scores.get(), nowS);
    if (frame.layoutChanged || lastLayoutS < 0 ||
        (frame.paint && nowS - lastLayoutS >= kBrushLayoutPeriodS)) {
      mLayout.put(std::make_shared<compositor::Layout>(planner->target()));
      lastLayoutS = nowS;
    }
    const bool wasFading = fading;
    fading = fadeS > 0 && nowS - fadeStartS < fadeS;
    // The canvas shows the outgoing scene (or the last fade frame): draw all of it again.
    if (wasFading || (fading && !wasFading)) fullRedraw = true;

    // 3. Uploads: only tiles with a new frame. Unless the layout changed or tiles move, only the
    // tiles showing those feeds are drawn again: the canvas framebuffer keeps the rest.
    auto phase = Clock::now();
    std::fill(uploaded.begin(), uploaded.end(), 0);
    for (std::size_t i = 0; i < visibleChannels.size(); ++i) {
      const int layer = slots.layerFor(visible[i]);
      if (layer < 0) continue;
      const core::PlayoutPick pick = visibleChannels[i]->pick(
          tickStart, std::chrono::milliseconds(0), std::chrono::milliseconds(1000), false);
      if (auto f = pick.frame) {
        if (renderer->upload(layer, *f)) {
          ++totals.uploads;
          uploaded[static_cast<std::size_t>(layer)] = 1;
        }
      }
    }
    instances.clear();
    changed.clear();
    for (const compositor::Placement& p : frame.tiles) {
      const int layer = slots.find(p.feed);
      if (layer < 0) continue;  // a feed that left: its picture is gone
      const TileInstance tile{p.rect, layer, p.source, p.tint, p.alpha, p.rotationRad, p.z};
      instances.push_back(tile);
      if (uploaded[static_cast<std::size_t>(layer)]) changed.push_back(tile);
    }
    if (releaseLayers) {
      // Layers of feeds that left stay while a tile still fades out with their last picture.
      std::fill(layerDrawn.begin(), layerDrawn.end(), 0);
      for (const TileInstance& t : instances) layerDrawn[static_cast<std::size_t>(t.layer)] = 1;
      bool stillShown = false;
      slots.keepOnly([&](core::FeedId id) {
        const bool present = inTable.contains(id);
        const int layer = slots.find(id);
        const bool drawn = layer >= 0 && layerDrawn[static_cast<std::size_t>(layer)];
        stillShown = stillShown || (!present && drawn);
        return present || drawn;
      });
      releaseLayers = stillShown;
    }
    windowPhase[0] += msSince(phase);

    // 4. Draw only when something changed; the readback trails by a frame.
    phase = Clock::now();
    auto buffer = mPool->acquire();
    bool haveFrame = false;
    bool drew = true;
    // A scene with shaders draws every frame (they move with TIME) from its tiles, which stay
    // in their own framebuffer (partial redraws go on), or without tiles when a layout shader
    // draws everything.
    renderer->setPostProcessing(shaders != nullptr);
    const bool tilesNeeded = !shaders || shaders->needsTiles();
    if (tilesNeeded && !tilesWereNeeded) fullRedraw = true;  // the tiles were not kept up
    tilesWereNeeded = tilesNeeded;
    if (frame.paint) {
      renderer->paint(instances, frame.fade);
    } else if (!tilesNeeded) {
      drew = false;
    } else if (fullRedraw || frame.redrawAll || fading) {
      renderer->draw(instances, true);
    } else if (!changed.empty()) {
      renderer->draw(changed, false);
    } else {
      drew = false;
    }
    fullRedraw = false;
    if (shaders) {
      const auto shaderStart = Clock::now();
      crowd.clear();
      tileRects.clear();
      for (const compositor::Placement& p : frame.tiles) tileRects.emplace_back(p.feed, p.rect);
      // A feed in several cells (photomosaic) is given its top-left one.
      std::sort(tileRects.begin(), tileRects.end(), [](const auto& a, const auto& b) {
        return std::tie(a.first, a.second.y, a.second.x) <
               std::tie(b.first, b.second.y, b.second.x);
      });
      for (const core::FeedId id : visible) {
        const int layer = slots.find(id);
        if (layer < 0) continue;
        CrowdFeed f;
        f.id = id;
        f.layer = layer;
        f.yuv = renderer->layerIsYuv(layer);
        const auto it =
            std::lower_bound(tileRects.begin(), tileRects.end(), id,
                             [](const auto& entry, core::FeedId key) { return entry.first < key; });
        if (it != tileRects.end() && it->first == id) f.rect = it->second;
        f.scores = scores ? scores->find(id) : nullptr;
        crowd.push_back(f);
      }
      crowdData->update(crowd, mSettings.canvas);
      ShaderClock clock;
      clock.timeS = nowS;
      clock.deltaS = lastShaderTimeS < 0 ? 0.0 : nowS - lastShaderTimeS;
      clock.frameIndex = shaderFrame++;
      clock.date = ShaderClock::dateNow();
      lastShaderTimeS = nowS;
      shaders->render(renderer->tilesFramebuffer(), renderer->framebuffer(), mSettings.canvas,
                      *chainTargets, clock,
                      crowdData->binding(renderer->tileArray(), renderer->planeArray(0),
                                         renderer->planeArray(1), renderer->planeArray(2)),
                      shaders->fixedScale().value_or(autoScale.scale()));
      drew = true;
      windowShader += msSince(shaderStart);
    }
    if (fading) {
      const float u = compositor::easeInOut(static_cast<float>((nowS - fadeStartS) / fadeS));
      renderer->overlaySnapshot(1 - u);
      drew = true;
    }
    if (auto overlay = mOverlay.takeNew()) {
      // The QR code in the bottom-right corner, a fifth of the canvas high.
      const float side = std::max(64.0f, std::round(mSettings.canvas.height * 0.2f));
      const float margin = std::round(mSettings.canvas.height * 0.02f);
      renderer->setOverlay(*overlay, {mSettings.canvas.width - side - margin,
                                      mSettings.canvas.height - side - margin, side, side});
      drew = true;
    }
    if (drew) {
      renderer->drawOverlay();  // on top of whatever was drawn
      renderer->startReadback();
      ++totals.redraws;
    }
    windowPhase[1] += msSince(phase);
    phase = Clock::now();
    haveFrame = renderer->finishReadback(buffer->data(), !drew);
    windowPhase[2] += msSince(phase);
    phase = Clock::now();
    if (windowOpen && mSettings.window) surface->present(renderer->framebuffer(), mSettings.canvas);
    if (haveFrame) {
      auto canvasFrame = std::make_shared<core::VideoFrame>();
      canvasFrame->width = mSettings.canvas.width;
      canvasFrame->height = mSettings.canvas.height;
      canvasFrame->strideBytes = static_cast<std::size_t>(canvasFrame->width) * 4;
      canvasFrame->data = buffer->data();
      canvasFrame->sequence = index + 1;
      canvasFrame->arrival = Clock::now();
      canvasFrame->storage = std::move(buffer);
      lastCanvas = std::move(canvasFrame);
      mCanvas.put(lastCanvas);
    }
    if (lastCanvas && mListener) mListener->onCanvasFrame(lastCanvas, index);
    windowPhase[3] += msSince(phase);
    if (lastCanvas) {
      ++index;
      ++totals.frames;
      ++windowFrames;
    }

    // 5. Statistics, once a second.
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
      mStats.shaderMsAvg = windowShader / ticks;
      windowShader = 0;
      if (shaders && !shaders->fixedScale()) {
        autoScale.update(mStats.workMsAvg, mStats.shaderMsAvg, 1000.0 / mSettings.fps,
                         mSettings.scenes[sceneIndex].name);
      }
      mStats.shaderScale = shaders ? shaders->fixedScale().value_or(autoScale.scale()) : 1.0f;
      std::fill(std::begin(windowPhase), std::end(windowPhase), 0.0);
      mStats.frames = totals.frames;
      mStats.redraws = totals.redraws;
      mStats.uploads = totals.uploads;
      mStats.late = totals.late;
      mStats.tiles = instances.size();
      mStats.scene = sceneIndex;
      mStats.crossFading = fading;
      windowStart = now;
      windowFrames = 0;
      windowWork = 0;
    }

    // 6. Pace: steady deadlines; when more than a frame behind, count it and start again.
    deadline += period;
    if (now > deadline + period) {
      ++totals.late;
      deadline = now;
    }
    std::this_thread::sleep_until(deadline);
  }
  mTickStartNs.store(0, std::memory_order_relaxed);
  core::logInfo(kModule, "stopped after {} frames ({} redrawn, {} late)", totals.frames,
                totals.redraws, totals.late);
}

}  // namespace tessera::render
