#include "render/render_thread.hpp"

#include <algorithm>
#include <cmath>
#include <thread>
#include <tuple>
#include <unordered_set>

#include "core/log.hpp"
#include "core/percentile.hpp"

namespace tessera::render {
namespace {

constexpr const char* kModule = "render";
using Clock = core::Clock;

// The brush's layout (one dab per feed) is published this often: it moves every frame.
constexpr double kBrushLayoutPeriodS = 0.25;
// How often the feeds' latencies are gathered for the auto playout delay.
constexpr auto kLatencyPollPeriod = std::chrono::milliseconds(250);

core::PlayoutSettings playoutOf(const RenderSettings& s) {
  core::PlayoutSettings p = s.playout;
  p.fps = s.fps;
  return p;
}

// llvmpipe and the like: a shader's every texel read is CPU work, and converting there costs
// several times what videoconvert does (docs/performance.md, issue 13 item 3).
bool isSoftwareRasteriser(const std::string& description) {
  for (const char* name : {"llvmpipe", "softpipe", "swrast", "SwiftShader"}) {
    if (description.find(name) != std::string::npos) return true;
  }
  return false;
}

double percentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  return core::nearestRank(values, p);
}

}  // namespace

RenderThread::RenderThread(RenderLoop& loop)
    : mLoop(loop),
      mSettings(loop.mSettings),
      mPlayout(playoutOf(loop.mSettings)),
      mFeeds(loop.mSettings.maxFeeds) {}

RenderThread::~RenderThread() = default;

bool RenderThread::setUp(std::string* error) {
  // Headless always: the gallery windows have their own thread and context (WindowPresenter).
  mSurface = platform::createHeadlessSurface(error);
  if (mSurface) {
    mRenderer = TileRenderer::create(mSettings.canvas, mSettings.tile, mSettings.maxFeeds,
                                     mSettings.shaderDir, error);
  }
  if (!mRenderer) return false;
  const bool software = isSoftwareRasteriser(mSurface->description());
  const auto mode = mSettings.i420Conversion;
  mLoop.mConvertsOnGpu =
      !mSettings.i420Sizes.empty() &&
      (mode == core::I420Conversion::kGpu || (mode == core::I420Conversion::kAuto && !software));
  if (!mSettings.i420Sizes.empty()) {
    core::logInfo(kModule, "the encoders get the canvas as {}",
                  mLoop.mConvertsOnGpu
                      ? "I420 converted on the GPU"
                      : "RGBA, converted in their pipelines (i420_conversion = \"cpu\", or "
                        "\"auto\" on a software rasteriser)");
  }
  for (const core::SizePx size : mSettings.i420Sizes) {
    if (!mLoop.mConvertsOnGpu) break;
    mI420.push_back(I420Converter::create(mSettings.canvas, size, mSettings.shaderDir, error));
    if (!mI420.back()) return false;
  }
  mLastI420.resize(mI420.size());
  if (mLoop.mReactionTally && mSettings.reactionOverlay) {
    mReactionOverlay = ReactionOverlay::create(mSettings.canvas, mSettings.shaderDir, error);
    if (!mReactionOverlay) return false;
    mSprites.reserve(core::kMaxReactionBursts);
  }
  // The scenes' shaders: all loaded now, so errors show at start and switching is instant.
  for (std::size_t i = 0; i < mSettings.scenes.size(); ++i) {
    std::unique_ptr<SceneShaders> shaders;
    if (i < mSettings.sceneConfigs.size()) {
      shaders = std::make_unique<SceneShaders>(i, mSettings.sceneConfigs[i],
                                               isf::CrowdLimits{mSettings.maxFeeds},
                                               mSettings.shaderDir / "stained_glass.fs");
      shaders->load();
    }
    if (shaders && !shaders->empty() && !mChainTargets) {
      mChainTargets = std::make_unique<ChainTargets>(mSettings.canvas);
      mCrowdData = std::make_unique<CrowdData>(mSettings.maxFeeds);
    }
    mSceneShaders.push_back(std::move(shaders));
  }
  publishShaderStatus();
  mPlanner = std::make_unique<compositor::ScenePlanner>(mSettings.scenes[0], mSettings.canvas,
                                                        mSettings.tile);
  mDescription = mSurface->description();
  return true;
}

void RenderThread::run() {
  const auto period = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(1.0 / mSettings.fps));
  mStartedAt = Clock::now();
  mPacer = std::make_unique<FramePacer>(period, mStartedAt);
  mTick = mPacer->current();
  mWindowStart = mLastShaderPoll = mLastAdvance = mStartedAt;
  while (!mLoop.mStop) tick();
  core::logInfo(kModule, "stopped after {} frames ({} redrawn, {} ticks missed)", mTotals.frames,
                mTotals.redraws, mPacer->missed());
}

void RenderThread::tick() {
  mTickStart = Clock::now();
  mTickS = std::chrono::duration<double>(mTick.time - mStartedAt).count();
  mLoop.mTickStartNs.store(mTickStart.time_since_epoch() / std::chrono::nanoseconds(1),
                           std::memory_order_relaxed);
  chooseFeedFrames();
  applyRequests();
  planScene();
  drawCanvas();
  readBackAndHandOff();
  updateStatistics();
  pace();
}

double RenderThread::msSince(Clock::time_point t) const {
  return core::toMs(Clock::now() - t);
}

// 1. Every feed's frame for the instant tick - playout delay; new pictures uploaded.
void RenderThread::chooseFeedFrames() {
  const auto start = Clock::now();
  mFeeds.setTable(mLoop.mFeeds.peek());
  updatePlayoutDelay();
  mPlayoutFrame = mFeeds.chooseAndUpload(mTick.time, mPlayout, *mRenderer);
  mTotals.uploads += mPlayoutFrame.uploads;
  mTotals.busyFeeds += mPlayoutFrame.busy;
  if (mPlayoutFrame.aligned > 1) mWindowSpreads.push_back(mPlayoutFrame.spreadMs);
  if (mPlayoutFrame.aligned > 0) mWindowErrors.push_back(mPlayoutFrame.errorMs);
  mWindowPhase[kFeeds] += msSince(start);
}

void RenderThread::updatePlayoutDelay() {
  const auto now = mTick.time;
  if (now - mLastLatencyPoll >= kLatencyPollPeriod && mFeeds.table()) {
    mLastLatencyPoll = now;
    std::vector<double> needs;
    for (const auto& c : mFeeds.table()->feeds) {
      // A feed busy right now counts with its last known need: leaving it out could drop
      // the auto delay for a poll when it is the latest feed.
      std::optional<double> ms;
      if (c->tryPlayoutNeedMs(&ms)) {
        mLastNeedMs[c->id()] = ms;
      } else if (const auto it = mLastNeedMs.find(c->id()); it != mLastNeedMs.end()) {
        ms = it->second;
      }
      if (ms) needs.push_back(*ms);
    }
    if (mLastNeedMs.size() > 2 * mFeeds.table()->feeds.size() + 64) mLastNeedMs.clear();
    mPlayout.setNeeds(std::move(needs));
  }
  mPlayout.advance(std::chrono::duration<double>(now - mLastAdvance).count());
  mLastAdvance = now;
}

// 2. Scene switches, shader files saved since the last look, API parameters, a flash.
void RenderThread::applyRequests() {
  if (auto request = mLoop.mSceneRequests.takeNew(); request && *request != mSceneIndex) {
    switchScene(*request);
  }
  mShaders = mSceneShaders[mSceneIndex].get();
  if (mShaders && mShaders->empty()) mShaders = nullptr;
  applyShaderChanges();
  if (auto flash = mLoop.mFlashRequests.takeNew()) {
    mFlashUntil = mTick.time + *flash;
    mFlashing = false;  // the first white frame is this tick's
  }
}

void RenderThread::switchScene(std::size_t index) {
  mSceneIndex = index;
  const compositor::SceneSpec& spec = mSettings.scenes[mSceneIndex];
  mPlanner = std::make_unique<compositor::ScenePlanner>(spec, mSettings.canvas, mSettings.tile);
  mRenderer->snapshot();  // the outgoing scene's last frame, faded out over the new one
  if (spec.kind == core::LayoutKind::kBrush) mRenderer->clearPaint();
  mFadeStartS = mTickS;
  mFadeS = spec.fadeSeconds;
  mAutoScale = ShaderScaler{};
  mLastLayoutS = -1;
  core::logInfo(kModule, "scene \"{}\" ({}), cross-fade {:.2f} s", spec.name,
                core::toString(spec.kind), mFadeS);
}

void RenderThread::applyShaderChanges() {
  if (mTickStart - mLastShaderPoll >= mSettings.shaderPollPeriod) {
    mLastShaderPoll = mTickStart;
    bool changed = false;
    for (auto& s : mSceneShaders) changed = (s && s->reloadChanged()) || changed;
    if (changed) publishShaderStatus();
  }
  {
    std::lock_guard lock(mLoop.mParamMutex);
    mParams.swap(mLoop.mPendingParams);
  }
  if (mParams.empty()) return;
  for (const ParamChange& p : mParams) {
    std::string error;
    if (p.scene >= mSceneShaders.size() || !mSceneShaders[p.scene] ||
        !mSceneShaders[p.scene]->setValue(p.slot, p.name, p.value, &error)) {
      core::logWarn(kModule, "shader parameter {}: {}", p.name, error);
    }
  }
  mParams.clear();
  publishShaderStatus();
}

void RenderThread::publishShaderStatus() {
  auto status = std::make_shared<ShaderStatus>();
  status->version = ++mShaderStatusVersion;
  for (const auto& s : mSceneShaders) {
    if (s) s->appendStatus(status->shaders);
  }
  mLoop.mShaderStatus.put(std::move(status));
}

// 3. The scene's planner lays out the visible feeds; the layout is published when it changes.
void RenderThread::planScene() {
  const auto start = Clock::now();
  const double nowS = mTickS;
  const auto scores = mLoop.mScores->peek();
  mFrame = mPlanner->update(mFeeds.visible(), scores.get(), nowS);
  if (mFrame.layoutChanged || mLastLayoutS < 0 ||
      (mFrame.paint && nowS - mLastLayoutS >= kBrushLayoutPeriodS)) {
    mLoop.mLayout.put(std::make_shared<compositor::Layout>(mPlanner->target()));
    mLastLayoutS = nowS;
  }
  // Brush scenes paint every feed in turn and shaders may read any feed (FEED_PIXEL): there,
  // every feed with a picture is drawn. Elsewhere the layout says, when it or the feeds change.
  const bool everyFeedDrawn = mFrame.paint || mShaders != nullptr;
  if (everyFeedDrawn || mFrame.layoutChanged || mFeeds.table() != mShownFor ||
      mFeeds.visible().size() != mShownVisible) {
    markShownFeeds(everyFeedDrawn);
  }
  const bool wasFading = mFading;
  mFading = mFadeS > 0 && nowS - mFadeStartS < mFadeS;
  // The canvas shows the outgoing scene (or the last fade frame): draw all of it again.
  if (wasFading || mFading) mFullRedraw = true;
  // Tiles to draw: all of them, and those whose feed has a new picture.
  mInstances.clear();
  mChanged.clear();
  for (const compositor::Placement& p : mFrame.tiles) {
    const int layer = mFeeds.layerOf(p.feed);
    if (layer < 0) continue;  // a feed that left: its picture is gone
    const TileInstance tile{p.rect, layer, p.source, p.tint, p.alpha, p.rotationRad, p.z};
    mInstances.push_back(tile);
    if (mFeeds.uploaded(layer)) mChanged.push_back(tile);
  }
  mFeeds.releaseUnused(mInstances);
  mWindowPhase[kScene] += msSince(start);
}

// Tells each feed with a picture whether the scene draws it: one it does not is decoded at its
// keyframes only. Feeds without a picture yet keep decoding everything (they are on their way in).
// Each shown feed also learns the size it is drawn at (its phone sends no more than that).
void RenderThread::markShownFeeds(bool everyFeedDrawn) {
  mShownFor = mFeeds.table();
  mShownVisible = mFeeds.visible().size();
  if (!mShownFor) return;
  collectShownSizes(everyFeedDrawn);
  for (const auto& channel : mShownFor->feeds) {
    // Held back by the operator (waiting, hidden): not drawn, whatever the scene.
    if (!channel->onCanvas()) {
      channel->setShown(false);
      continue;
    }
    const auto drawn = mShownSizes.find(channel->id());
    const bool hasPicture = layerHeld(channel->id());
    channel->setShown(!hasPicture || drawn != mShownSizes.end());
    if (drawn != mShownSizes.end()) channel->setDrawnSize(drawn->second);
  }
}

// The whole picture's size where each feed is drawn largest: a tile showing the part `source`
// of the picture needs the whole at tile / source. 0x0: any size (every feed drawn), and in a
// spotlight sized by faces or sharpness: those scores depend on the picture's size, so feeds
// compared with each other are analysed at one size, the tile's.
void RenderThread::collectShownSizes(bool everyFeedDrawn) {
  mShownSizes.clear();
  if (everyFeedDrawn) {
    for (core::FeedId id : mFeeds.visible()) mShownSizes[id] = core::SizePx{};
    return;
  }
  const compositor::SceneSpec& spec = mSettings.scenes[mSceneIndex];
  const bool sizeFree = spec.kind == core::LayoutKind::kSpotlight &&
                        (spec.spotlight.score == compositor::SpotlightScore::kFaces ||
                         spec.spotlight.score == compositor::SpotlightScore::kSharpness);
  for (const compositor::Placement& p : mPlanner->target().tiles) {
    if (sizeFree) {
      mShownSizes[p.feed] = core::SizePx{};
      continue;
    }
    const auto need = [](float tile, float part) {
      return static_cast<int>(std::ceil(tile / std::max(part, 0.01f)));
    };
    core::SizePx& size = mShownSizes[p.feed];
    size.width = std::max(size.width, need(p.rect.w, p.source.w));
    size.height = std::max(size.height, need(p.rect.h, p.source.h));
  }
}

// 4. Only what changed is drawn; shaders, the fade, reactions, a flash and the QR code go on top.
void RenderThread::drawCanvas() {
  const auto start = Clock::now();
  const bool rgbaWasWanted = mRgbaWanted;
  mRgbaWanted = rgbaWanted();
  planReactions();
  // A scene with shaders draws every frame (they move with TIME) from its tiles, which stay
  // in their own framebuffer (partial redraws go on). So do reactions' bursts while they last.
  const bool bursts = !mSprites.empty();
  mRenderer->setPostProcessing(mShaders != nullptr || bursts);
  drawTiles();
  if (mShaders) {
    runShaders();
  } else if (bursts) {
    mRenderer->copyTilesToCanvas();
    mDrew = true;
  }
  if (mFading) {
    const float u = compositor::easeInOut(static_cast<float>((mTickS - mFadeStartS) / mFadeS));
    mRenderer->overlaySnapshot(1 - u);
    mDrew = true;
  }
  drawReactions();
  drawFlash();
  drawQrOverlay();
  if (mDrew) {
    mRenderer->drawOverlay();  // on top of whatever was drawn
    startReadbacks();
    ++mTotals.redraws;
  } else if (mRgbaWanted && !rgbaWasWanted) {
    mRenderer->startReadback();  // RGBA asked for: the canvas as it stands, now
  }
  mWindowPhase[kDraw] += msSince(start);
}

// RGBA is read back every frame only when something needs it each frame: no encoder (the
// canvas mailbox is the only output), a gallery window; else while a snapshot asked for it.
bool RenderThread::rgbaWanted() const {
  if (mI420.empty() || mSettings.rgbaEveryFrame) return true;
  const auto now =
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch());
  return now.count() < mLoop.mRgbaUntilNs.load();
}

void RenderThread::startReadbacks() {
  if (mRgbaWanted) mRenderer->startReadback();
  for (auto& converter : mI420) {
    converter->convert(mRenderer->canvasTexture());
    converter->startReadback();
  }
}

void RenderThread::drawTiles() {
  const bool tilesNeeded = !mShaders || mShaders->needsTiles();
  if (tilesNeeded && !mTilesWereNeeded) mFullRedraw = true;  // the tiles were not kept up
  mTilesWereNeeded = tilesNeeded;
  mDrew = true;
  if (mFrame.paint) {
    mRenderer->paint(mInstances, mFrame.fade);
  } else if (!tilesNeeded) {
    mDrew = false;
  } else if (mFullRedraw || mFrame.redrawAll || mFading) {
    mRenderer->draw(mInstances, true);
  } else if (!mChanged.empty()) {
    mRenderer->draw(mChanged, false);
  } else {
    mDrew = false;
  }
  mFullRedraw = false;
}

void RenderThread::runShaders() {
  const auto start = Clock::now();
  mCrowd.clear();
  mTileRects.clear();
  for (const compositor::Placement& p : mFrame.tiles) mTileRects.emplace_back(p.feed, p.rect);
  // A feed in several cells (photomosaic) is given its top-left one.
  std::sort(mTileRects.begin(), mTileRects.end(), [](const auto& a, const auto& b) {
    return std::tie(a.first, a.second.y, a.second.x) < std::tie(b.first, b.second.y, b.second.x);
  });
  const auto scores = mLoop.mScores->peek();
  for (const core::FeedId id : mFeeds.visible()) {
    const int layer = mFeeds.layerOf(id);
    if (layer < 0) continue;
    CrowdFeed f;
    f.id = id;
    f.layer = layer;
    f.yuv = mRenderer->layerIsYuv(layer);
    f.scale = mRenderer->layerScale(layer);
    const auto it =
        std::lower_bound(mTileRects.begin(), mTileRects.end(), id,
                         [](const auto& entry, core::FeedId key) { return entry.first < key; });
    if (it != mTileRects.end() && it->first == id) f.rect = it->second;
    f.scores = scores ? scores->find(id) : nullptr;
    mCrowd.push_back(f);
  }
  mCrowdData->update(mCrowd, mSettings.canvas);
  const double nowS = mTickS;
  ShaderClock clock;
  clock.timeS = nowS;
  clock.deltaS = mLastShaderTimeS < 0 ? 0.0 : nowS - mLastShaderTimeS;
  clock.frameIndex = mShaderFrame++;
  clock.date = ShaderClock::dateNow();
  mLastShaderTimeS = nowS;
  CrowdBinding crowd = mCrowdData->binding(mRenderer->tileArray(), mRenderer->planeArray(0),
                                           mRenderer->planeArray(1), mRenderer->planeArray(2));
  crowd.reactions = mReactionRate;
  mShaders->render(mRenderer->tilesFramebuffer(), mRenderer->framebuffer(), mSettings.canvas,
                   *mChainTargets, clock, crowd,
                   mShaders->fixedScale().value_or(mAutoScale.scale()));
  mDrew = true;
  mWindowPhase[kShaders] += msSince(start);
}

// Viewers' reactions at this tick: the smoothed rate (CROWD_REACTIONS) and, with the overlay,
// the bursts still alive.
void RenderThread::planReactions() {
  mSprites.clear();
  if (!mLoop.mReactionTally) return;
  const auto reactions = mLoop.mReactionTally->snapshot();
  mReactionRate = static_cast<float>(reactions->ratePerS(mTick.time));
  if (mReactionOverlay && reactions->burstsAlive(mTick.time)) {
    planReactionSprites(*reactions, mTick.time, mSettings.canvas, mSprites);
  }
}

// One instanced draw over the scene while bursts are alive; once the last has gone the canvas
// is read back once more, without it.
void RenderThread::drawReactions() {
  const bool shown = !mSprites.empty();
  if (shown) mReactionOverlay->draw(mRenderer->framebuffer(), mSprites);
  if (shown || mSpritesShown) mDrew = true;
  mSpritesShown = shown;
}

void RenderThread::drawFlash() {
  if (mTick.time >= mFlashUntil) {
    if (mFlashing) {
      mFlashing = false;
      mFullRedraw = true;  // the white covered the tiles the partial redraws keep
    }
    return;
  }
  if (!mFlashing) {
    mFlashing = true;
    mLoop.mFlashes.put(std::make_shared<Clock::time_point>(mTick.time));
    core::logInfo(kModule, "flash: canvas white from tick {}", mTick.index);
  }
  mRenderer->fill(1, 1, 1);
  mDrew = true;
}

void RenderThread::drawQrOverlay() {
  auto overlay = mLoop.mOverlay.takeNew();
  if (!overlay) return;
  // The QR code in the bottom-right corner, a fifth of the canvas high.
  const float side = std::max(64.0f, std::round(mSettings.canvas.height * 0.2f));
  const float margin = std::round(mSettings.canvas.height * 0.02f);
  mRenderer->setOverlay(*overlay, {mSettings.canvas.width - side - margin,
                                   mSettings.canvas.height - side - margin, side, side});
  mDrew = true;
}

// 5. The readback trails by a frame; the canvas goes to the mailbox and the listener (the
// encoder, the gallery windows).
void RenderThread::readBackAndHandOff() {
  auto start = Clock::now();
  const bool allowNewest = !mDrew;
  // RGBA no longer wanted: its last read is taken now (one wait for the GPU), never left in the
  // ring to come out, stale, when RGBA is next asked for.
  readRgba(allowNewest || !mRgbaWanted);
  readI420(allowNewest);
  mWindowPhase[kReadback] += msSince(start);
  start = Clock::now();
  const bool any = mLastCanvas || (!mLastI420.empty() && mLastI420.front());
  if (any && mLoop.mListener) {
    mLoop.mListener->onCanvasFrame(CanvasFrames{mRgbaWanted ? mLastCanvas : nullptr, mLastI420},
                                   mTick);
  }
  if (any) {
    ++mTotals.frames;
    ++mWindowFrames;
  }
  mWindowPhase[kHandoff] += msSince(start);
}

void RenderThread::readRgba(bool allowNewest) {
  if (mRenderer->pendingReadbacks() == 0) return;
  auto buffer = mLoop.mPool->acquire();
  if (!mRenderer->finishReadback(buffer->data(), allowNewest)) return;
  auto canvas = std::make_shared<core::VideoFrame>();
  canvas->width = mSettings.canvas.width;
  canvas->height = mSettings.canvas.height;
  canvas->strideBytes = static_cast<std::size_t>(canvas->width) * 4;
  canvas->data = buffer->data();
  canvas->planes[0] = canvas->data;
  canvas->planeStrides[0] = canvas->strideBytes;
  canvas->sequence = mTick.index + 1;
  canvas->arrival = Clock::now();
  canvas->capture = mTick.time;
  canvas->storage = std::move(buffer);
  mLastCanvas = std::move(canvas);
  mLoop.mCanvas.put(mLastCanvas);
  ++mTotals.rgbaReadbacks;
}

void RenderThread::readI420(bool allowNewest) {
  for (std::size_t i = 0; i < mI420.size(); ++i) {
    auto buffer = mLoop.mI420Pools[i]->acquire();
    if (!mI420[i]->finishReadback(buffer->data(), allowNewest)) continue;
    const I420Converter& c = *mI420[i];
    auto frame = std::make_shared<core::VideoFrame>();
    frame->width = c.size().width;
    frame->height = c.size().height;
    frame->format = core::PixelFormat::kI420;
    frame->matrix = c.matrix();
    for (int p = 0; p < 3; ++p) {
      frame->planes[p] = buffer->data() + c.layout().offsets[p];
      frame->planeStrides[p] = c.layout().strides[p];
    }
    frame->data = frame->planes[0];
    frame->strideBytes = frame->planeStrides[0];
    frame->sequence = mTick.index + 1;
    frame->arrival = Clock::now();
    frame->capture = mTick.time;
    frame->storage = std::move(buffer);
    mLastI420[i] = std::move(frame);
    ++mTotals.i420Readbacks;
    if (i == 0) mLoop.mCanvasI420.put(mLastI420[i]);
  }
}

// 6. Statistics, once a second.
void RenderThread::updateStatistics() {
  const auto now = Clock::now();
  mWindowWork += core::toMs(now - mTickStart);
  if (now - mWindowStart < std::chrono::seconds(1)) return;
  const double secs = std::chrono::duration<double>(now - mWindowStart).count();
  const double ticks = mWindowFrames ? static_cast<double>(mWindowFrames) : 1.0;
  std::lock_guard lock(mLoop.mStatsMutex);
  RenderStats& s = mLoop.mStats;
  s.fps = static_cast<double>(mWindowFrames) / secs;
  s.workMsAvg = mWindowWork / ticks;
  s.uploadMsAvg = mWindowPhase[kFeeds] / ticks;
  s.sceneMsAvg = mWindowPhase[kScene] / ticks;
  s.drawMsAvg = mWindowPhase[kDraw] / ticks;
  s.readbackMsAvg = mWindowPhase[kReadback] / ticks;
  s.handoffMsAvg = mWindowPhase[kHandoff] / ticks;
  s.shaderMsAvg = mWindowPhase[kShaders] / ticks;
  if (mShaders && !mShaders->fixedScale()) {
    mAutoScale.update(s.workMsAvg, s.shaderMsAvg, 1000.0 / mSettings.fps,
                      mSettings.scenes[mSceneIndex].name);
  }
  s.shaderScale = mShaders ? mShaders->fixedScale().value_or(mAutoScale.scale()) : 1.0f;
  s.frames = mTotals.frames;
  s.redraws = mTotals.redraws;
  s.uploads = mTotals.uploads;
  s.rgbaReadbacks = mTotals.rgbaReadbacks;
  s.i420Readbacks = mTotals.i420Readbacks;
  s.busyFeeds = mTotals.busyFeeds;
  s.late = mPacer->missed();
  s.tiles = mInstances.size();
  s.scene = mSceneIndex;
  s.crossFading = mFading;
  s.syncDelayMs = mPlayout.delayMs();
  s.syncTargetMs = mPlayout.targetMs();
  s.spreadMsP50 = percentile(mWindowSpreads, 0.5);
  s.spreadMsP95 = percentile(mWindowSpreads, 0.95);
  s.spreadMsMax = percentile(mWindowSpreads, 1.0);
  s.errorMsP95 = percentile(mWindowErrors, 0.95);
  s.alignedFeeds = mPlayoutFrame.aligned;
  s.newestFeeds = mPlayoutFrame.newest;
  mWindowPhase.fill(0);
  mWindowSpreads.clear();
  mWindowErrors.clear();
  mWindowStart = now;
  mWindowFrames = 0;
  mWindowWork = 0;
}

// 7. Sleep until the next tick of the render clock (or skip the ones already missed).
void RenderThread::pace() {
  mTick = mPacer->advance(Clock::now());
  std::this_thread::sleep_until(mTick.time);
}

}  // namespace tessera::render
