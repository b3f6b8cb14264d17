// The render thread's tick as a list of named, timed steps (RenderThread::tick), the way OBS's
// graphics loop reads: the render clock's tick, feed frames chosen and uploaded, requests
// applied, scene planned, canvas drawn (tiles, shaders, fade, flash, overlay), read back and
// handed off, statistics, pacing. Each step is its own function; the state they share is this
// object's, and only the render thread touches it.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "compositor/scene.hpp"
#include "core/playout.hpp"
#include "platform/gl_surface.hpp"
#include "render/crowd.hpp"
#include "render/feed_frames.hpp"
#include "render/frame_pacer.hpp"
#include "render/i420_converter.hpp"
#include "render/reaction_overlay.hpp"
#include "render/render_loop.hpp"
#include "render/shader_scaler.hpp"
#include "render/tile_renderer.hpp"

namespace tessera::render {

class RenderThread {
 public:
  explicit RenderThread(RenderLoop& loop);
  ~RenderThread();
  // GL, the renderer and every scene's shaders; false (with `error`) when GL cannot be had.
  bool setUp(std::string* error);
  const std::string& description() const { return mDescription; }
  // Ticks until the loop is asked to stop.
  void run();

 private:
  enum Phase { kFeeds, kScene, kDraw, kReadback, kHandoff, kShaders, kPhases };

  void tick();
  // The steps of a tick, in order.
  void chooseFeedFrames();
  void applyRequests();
  void planScene();
  void markShownFeeds(bool everyFeedDrawn);
  void collectShownSizes(bool everyFeedDrawn);
  bool layerHeld(core::FeedId id) const { return mFeeds.layerOf(id) >= 0; }
  void drawCanvas();
  void readBackAndHandOff();
  void updateStatistics();
  void pace();

  // Parts of the steps.
  void switchScene(std::size_t index);
  void applyShaderChanges();
  void updatePlayoutDelay();
  void planReactions();
  void drawTiles();
  void runShaders();
  void drawReactions();
  void drawFlash();
  void drawQrOverlay();
  bool rgbaWanted() const;
  void startReadbacks();
  void readRgba(bool allowNewest);
  void readI420(bool allowNewest);
  void publishShaderStatus();
  double msSince(core::Clock::time_point t) const;

  RenderLoop& mLoop;
  const RenderSettings& mSettings;
  std::string mDescription;
  std::unique_ptr<platform::GlSurface> mSurface;
  std::unique_ptr<TileRenderer> mRenderer;
  std::vector<std::unique_ptr<I420Converter>> mI420;  // per RenderSettings::i420Sizes
  std::vector<std::unique_ptr<SceneShaders>> mSceneShaders;
  std::unique_ptr<ChainTargets> mChainTargets;
  std::unique_ptr<CrowdData> mCrowdData;
  std::unique_ptr<ReactionOverlay> mReactionOverlay;  // null with [reactions] overlay = false
  std::uint64_t mShaderStatusVersion = 0;

  // The render clock and the playout.
  std::unique_ptr<FramePacer> mPacer;
  CanvasTick mTick;
  double mTickS = 0;  // the tick's time in seconds since the canvas started (scenes, shaders)
  core::Clock::time_point mStartedAt;
  core::PlayoutDelay mPlayout;
  core::Clock::time_point mLastLatencyPoll{};
  core::Clock::time_point mLastAdvance{};
  FeedFrames mFeeds;
  PlayoutFrameStats mPlayoutFrame;

  // The scene and what it drew.
  std::size_t mSceneIndex = 0;
  std::unique_ptr<compositor::ScenePlanner> mPlanner;
  compositor::SceneFrame mFrame;
  SceneShaders* mShaders = nullptr;  // the active scene's, or null
  std::vector<TileInstance> mInstances;
  std::vector<TileInstance> mChanged;
  std::vector<CrowdFeed> mCrowd;
  std::vector<std::pair<core::FeedId, core::Rect>> mTileRects;  // sorted by feed
  ShaderScaler mAutoScale;
  std::vector<ParamChange> mParams;
  double mFadeStartS = 0, mFadeS = 0;
  bool mFading = false;
  double mLastLayoutS = -1;
  std::shared_ptr<const core::FeedTable> mShownFor;            // the table markShownFeeds last saw
  std::unordered_map<core::FeedId, core::SizePx> mShownSizes;  // drawn size per feed shown
  std::size_t mShownVisible = 0;  // visible feeds when markShownFeeds last ran
  std::unordered_map<core::FeedId, std::optional<double>> mLastNeedMs;  // auto delay polls
  double mLastShaderTimeS = -1;
  int mShaderFrame = 0;
  bool mTilesWereNeeded = true;
  bool mFullRedraw = true;
  bool mDrew = false;
  core::Clock::time_point mLastShaderPoll{};
  core::Clock::time_point mFlashUntil{};
  bool mFlashing = false;
  // Viewers' reactions this tick: CROWD_REACTIONS, and the bursts drawn over the scene.
  float mReactionRate = 0;
  std::vector<ReactionSprite> mSprites;
  bool mSpritesShown = false;             // the last canvas drawn had bursts on it
  core::FrameRef mLastCanvas;             // RGBA
  std::vector<core::FrameRef> mLastI420;  // per i420Sizes
  bool mRgbaWanted = true;                // this tick

  // Statistics.
  core::Clock::time_point mTickStart{};
  core::Clock::time_point mWindowStart{};
  std::uint64_t mWindowFrames = 0;
  double mWindowWork = 0;
  std::array<double, kPhases> mWindowPhase{};
  std::vector<double> mWindowSpreads;
  std::vector<double> mWindowErrors;
  RenderStats mTotals;
};

}  // namespace tessera::render
