// The render thread: it alone owns the GL context. Each tick of the render clock (FramePacer) it
// chooses every feed's frame for the instant now - playout delay and uploads those that changed,
// asks the active scene's planner (compositor::ScenePlanner) what to draw, redraws only what
// changed (everything while tiles glide or a scene cross-fades), runs the scene's shaders, reads
// the canvas back (as I420 for the encoders, converted on the GPU; as RGBA for windows and
// snapshots, only while they want it) and hands it to the listener stamped with its tick
// (render/render_thread.hpp holds the steps).
//
// Threads: start()/stop()/stats()/setScene() from the main-loop thread; everything GL on the
// render thread. The listener is called on the render thread and must not block. Scores arrive
// through a LatestMailbox<ScoreTable> that any thread may fill.
#pragma once

#include <atomic>
#include <filesystem>
#include <future>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "compositor/layout.hpp"
#include "compositor/scene.hpp"
#include "core/buffer_pool.hpp"
#include "core/config.hpp"
#include "core/feed_channel.hpp"
#include "core/frame.hpp"
#include "core/mailbox.hpp"
#include "core/playout.hpp"
#include "core/reactions.hpp"
#include "core/score_table.hpp"
#include "render/frame_pacer.hpp"
#include "render/scene_shaders.hpp"

namespace tessera::render {

struct RenderSettings {
  core::SizePx canvas{1280, 720};
  int fps = 30;
  core::SizePx tile{160, 120};
  int maxFeeds = 256;
  std::string title = "tessera";
  std::filesystem::path shaderDir;
  // The scenes setScene() chooses from; the first is shown at start. Empty: one grid scene.
  std::vector<compositor::SceneSpec> scenes;
  // The scenes as configured, parallel to `scenes`: their shaders (layout shader, filters,
  // params). Empty or shorter: those scenes have none.
  std::vector<core::SceneConfig> sceneConfigs;
  // How often shader files are checked for changes (hot reload).
  std::chrono::milliseconds shaderPollPeriod{250};
  // [sync]: the playout delay every tile is drawn at (fps is taken from `fps`).
  core::PlayoutSettings playout;
  // [reactions] overlay: viewers' reactions drawn as bursts over the scene (setReactionTally).
  bool reactionOverlay = true;
  // The sizes the encoders take the canvas at: each drawn frame is converted to I420 at each
  // on the GPU and read back (CanvasFrames::i420). Empty: none, and the canvas is read back as
  // RGBA every frame.
  std::vector<core::SizePx> i420Sizes;
  // Whether the I420 is made on the GPU (kAuto: unless GL is a software rasteriser, where the
  // encoders' videoconvert costs less CPU). Not on the GPU: i420Sizes are ignored, the canvas is
  // read back as RGBA every frame and CanvasFrames::i420 is empty (convertsOnGpu() says which).
  core::I420Conversion i420Conversion = core::I420Conversion::kAuto;
  // With i420Sizes: RGBA is read back every frame too (a gallery window shows it); otherwise
  // only while RenderLoop::requestRgba asks for it.
  bool rgbaEveryFrame = false;
};

// A change to a shader input asked for through the API, applied on the render thread.
struct ParamChange {
  std::size_t scene = 0;
  std::size_t slot = 0;  // 0 = the layout shader if the scene has one, then its filters
  std::string name;
  isf::Value value{};
};

struct RenderStats {
  double fps = 0;                   // canvas frames handed out per second, over the last second
  std::uint64_t frames = 0;         // canvas frames handed out
  std::uint64_t redraws = 0;        // frames actually drawn (the rest repeat an unchanged canvas)
  std::uint64_t uploads = 0;        // tile uploads
  std::uint64_t rgbaReadbacks = 0;  // canvas frames read back as RGBA
  std::uint64_t i420Readbacks = 0;  // canvas frames read back as I420 (each encoder size counts)
  // Feed picks skipped because a streaming thread held the feed (its last picture was drawn).
  std::uint64_t busyFeeds = 0;
  std::uint64_t late = 0;    // ticks missed (the render clock skipped them)
  double workMsAvg = 0;      // render-thread work per tick, over the last second
  double uploadMsAvg = 0;    // of which: feed frames chosen and uploaded
  double sceneMsAvg = 0;     //           the scene planned (layout, animation)
  double drawMsAvg = 0;      //           draw + starting the readback
  double readbackMsAvg = 0;  //           finishing the readback (copy out)
  double handoffMsAvg = 0;   //           listeners (encoder push)
  double shaderMsAvg = 0;    //           of draw: the scene's shaders
  float shaderScale = 1;     // the share of the canvas's width/height the shaders draw at
  std::size_t tiles = 0;
  std::string renderer;
  std::size_t scene = 0;     // index into RenderSettings::scenes
  bool crossFading = false;  // a scene switch is fading in
  // The playout, over the last second.
  double syncDelayMs = 0;   // the playout delay now
  double syncTargetMs = 0;  // where "auto" is heading
  double spreadMsP50 = 0;   // capture-time spread of the aligned tiles in one canvas frame
  double spreadMsP95 = 0;
  double spreadMsMax = 0;
  double errorMsP95 = 0;         // the largest |capture - target| of a canvas frame, p95
  std::size_t alignedFeeds = 0;  // in the last canvas frame: drawn by capture time
  std::size_t newestFeeds = 0;   //   drawn with their newest frame
};

// One canvas frame as its consumers take it: RGBA at the canvas size (gallery windows,
// snapshots) and I420 at each encoder's size (RenderSettings::i420Sizes).
struct CanvasFrames {
  core::FrameRef rgba;                   // null while nobody wants RGBA
  std::span<const core::FrameRef> i420;  // one per i420Sizes, in order
};

class CanvasListener {
 public:
  virtual ~CanvasListener() = default;
  // Render thread. `tick` is the frame's place on the render clock: outputs stamp the frame
  // with tick.sinceStart, so missed ticks advance the timestamps with wall time.
  virtual void onCanvasFrame(const CanvasFrames& frames, const CanvasTick& tick) = 0;
};

class RenderLoop {
 public:
  // `scores`: where the analysis stage publishes scores; null uses scores() (tests fill it).
  RenderLoop(RenderSettings settings, core::LatestMailbox<core::FeedTable>& feeds,
             CanvasListener* listener, core::LatestMailbox<core::ScoreTable>* scores = nullptr);
  ~RenderLoop();
  RenderLoop(const RenderLoop&) = delete;
  RenderLoop& operator=(const RenderLoop&) = delete;

  // Starts the thread and waits until GL is set up; false (with `error`) when it could not be.
  bool start(std::string* error);
  void stop();

  // Switches to scene `index` of RenderSettings::scenes, cross-fading over its fadeSeconds.
  void setScene(std::size_t index);

  // The latest canvas read back as RGBA (every frame without i420Sizes, else while asked for
  // through requestRgba; it may then be older than canvasI420's).
  core::LatestMailbox<core::VideoFrame>& canvas() { return mCanvas; }
  // The latest canvas as I420 at i420Sizes[0] (none without i420Sizes).
  core::LatestMailbox<core::VideoFrame>& canvasI420() { return mCanvasI420; }
  // After start(): whether CanvasFrames::i420 is filled (see RenderSettings::i420Conversion).
  bool convertsOnGpu() const { return mConvertsOnGpu; }
  // Any thread: the canvas is read back as RGBA too, from the next tick for `duration` (a
  // snapshot was asked for; later ones are likely).
  void requestRgba(std::chrono::milliseconds duration);
  // Before start(): where viewers' reactions are read each tick (CROWD_REACTIONS, the overlay).
  // Null: none. The tally outlives the loop.
  void setReactionTally(const core::ReactionTally* tally) { mReactionTally = tally; }
  // Any thread: an RGBA picture kept on top of the canvas, bottom right (the join QR code).
  void setOverlay(core::FrameRef rgba) { mOverlay.put(std::move(rgba)); }
  // Where the tiles are going: published when the layout changes (brush: a few times a second).
  core::LatestMailbox<compositor::Layout>& layout() { return mLayout; }
  core::LatestMailbox<core::ScoreTable>& scores() { return *mScores; }
  // The shaders' state (files, errors, inputs and values), republished on every change.
  core::LatestMailbox<ShaderStatus>& shaderStatus() { return mShaderStatus; }
  // Any thread: queued for the render thread (at most kMaxPendingParams; false when full).
  static constexpr std::size_t kMaxPendingParams = 1024;
  bool changeParams(std::vector<ParamChange> changes);
  RenderStats stats() const;
  // Any thread: the canvas is drawn white for `duration` from the next tick (the cue's flash,
  // which cameras filming the gallery screen see). flashes() gets the tick time of each flash's
  // first white frame.
  void requestFlash(std::chrono::milliseconds duration);
  core::LatestMailbox<core::Clock::time_point>& flashes() { return mFlashes; }
  // Any thread: seconds since the render thread last began a tick (0 before it starts). A
  // shader stuck in an endless loop on a CPU rasteriser shows here: nothing can interrupt it.
  double secondsSinceTick() const;

 private:
  friend class RenderThread;
  void run(std::promise<std::string>* ready);

  RenderSettings mSettings;  // scenes filled in by the constructor, then never changed
  core::LatestMailbox<core::FeedTable>& mFeeds;
  CanvasListener* const mListener;
  std::shared_ptr<core::BufferPool> mPool;                    // RGBA readbacks
  std::vector<std::shared_ptr<core::BufferPool>> mI420Pools;  // per i420Sizes
  core::LatestMailbox<core::VideoFrame> mCanvas;
  core::LatestMailbox<core::VideoFrame> mCanvasI420;
  // Until when (steady clock, ns) requestRgba asked for RGBA readbacks.
  std::atomic<std::int64_t> mRgbaUntilNs{0};
  bool mConvertsOnGpu = false;  // set by the render thread before start() returns
  core::LatestMailbox<core::VideoFrame> mOverlay;
  core::LatestMailbox<compositor::Layout> mLayout;
  core::LatestMailbox<core::ScoreTable> mOwnScores;
  core::LatestMailbox<core::ScoreTable>* const mScores;
  core::LatestMailbox<std::size_t> mSceneRequests;
  core::LatestMailbox<ShaderStatus> mShaderStatus;
  core::LatestMailbox<std::chrono::milliseconds> mFlashRequests;
  core::LatestMailbox<core::Clock::time_point> mFlashes;
  const core::ReactionTally* mReactionTally = nullptr;
  std::mutex mParamMutex;
  std::vector<ParamChange> mPendingParams;  // guarded by mParamMutex
  std::atomic<bool> mStop{false};
  // When the current tick began (steady clock, ns); 0 while not running.
  std::atomic<std::int64_t> mTickStartNs{0};
  std::thread mThread;
  mutable std::mutex mStatsMutex;
  RenderStats mStats;
};

}  // namespace tessera::render
