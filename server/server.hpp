// One running installation: builds the stages from the config, wires them together, runs the
// GLib main loop until a signal or the duration ends it, and shuts down in order
// (render thread, then outputs so they finalise, then feeds).
//
// Thread: constructed and run on the main thread, which runs the GLib main loop. The render
// thread calls onCanvasFrame (which hands frames to the outputs and the gallery windows).
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "analysis/analysis_stage.hpp"
#include "analysis/messaging.hpp"
#include "control/api_model.hpp"
#include "control/http_server.hpp"
#include "control/osc_server.hpp"
#include "control/whep_service.hpp"
#include "control/whip_service.hpp"
#include "core/config.hpp"
#include "core/reactions.hpp"
#include "ingest/ingest_manager.hpp"
#include "ingest/whip_manager.hpp"
#include "platform/state_directory.hpp"
#include "render/render_loop.hpp"
#include "render/window_presenter.hpp"
#include "restream/output_stage.hpp"
#include "server/cue_runner.hpp"
#include "server/moderator.hpp"

#include <glib.h>

namespace tessera::server {

struct ServerOptions {
  std::optional<std::string> httpListen;  // --http overrides [http] listen
  bool headless = false;                  // --headless: never open a window
  std::optional<double> durationSeconds;  // --duration
  std::filesystem::path dataDir;          // holds shaders/ and web/
  int mallocArenas = 0;  // what platform::useMallocArenaPerThread put in force (0: glibc's default)
};

// Where shaders/ and web/ are: $TESSERA_DATA_DIR, else the source tree this was built from.
std::filesystem::path defaultDataDir();

class Server final : public control::ApiModel,
                     public control::WhipService,
                     public control::WhepService,
                     public render::CanvasListener {
 public:
  Server(core::Config config, ServerOptions options);
  ~Server() override;

  // Runs until stopped; the process exit code (0 clean, 1 runtime failure).
  int run();

  // ApiModel (main-loop thread).
  control::HealthInfo health() override;
  std::vector<control::FeedInfo> feeds() override;
  core::FrameRef canvas() override;
  core::FrameRef feedFrame(core::FeedId id) override;
  std::optional<std::filesystem::path> hlsDirectory() override;
  std::vector<control::OutputInfo> outputs() override;
  std::optional<std::filesystem::path> replayDirectory() override;
  std::vector<std::string> sceneNames() override;
  std::string metrics() override;
  bool switchScene(const std::string& name) override;
  std::vector<control::ShaderInfo> shaders() override;
  control::ParamResult setParams(const std::optional<std::string>& scene,
                                 const std::optional<std::string>& shader,
                                 const std::vector<control::ParamValue>& values) override;

  // WhipService (main-loop thread).
  void whipOffer(const std::string& sdp, const core::ParticipantKey& who,
                 std::function<void(const control::WhipAnswer&)> done) override;
  bool whipDelete(const std::string& sessionId) override;
  control::WhipClockReply whipClock(const std::string& sessionId,
                                    const std::optional<core::ExchangeSample>& completed,
                                    std::int64_t nowUnixNs) override;
  control::WhipPatchResult whipPatch(const std::string& sessionId, const std::string& ifMatch,
                                     const std::string& fragment, std::string* problem) override;

  // WhepService (main-loop thread).
  void whepOffer(const std::string& sdp,
                 std::function<void(const control::WhepAnswer&)> done) override;
  bool whepDelete(const std::string& sessionId) override;

  // CanvasListener (render thread).
  void onCanvasFrame(const render::CanvasFrames& frames, const render::CanvasTick& tick) override;
  bool startWindows(core::SizePx canvas, std::string* error);
  std::string windowStatus() const;

 private:
  bool startOutputs(std::string* error);
  std::optional<std::filesystem::path> replayDirectory(std::string* error) const;
  bool hlsFailed() const;
  std::string outputMetrics() const;
  std::string whepMetrics() const;
  std::optional<std::size_t> findScene(const std::string& name) const;
  // Why the canvas has stopped (the render thread has not ticked for seconds), if it has.
  std::optional<std::string> renderStall() const;
  bool startStages();
  void warnIfPhonesCannotFilm(const std::string& listen) const;
  void shutdown();
  void logStatus();
  void requestKeyframesForNewTiles();
  // The playout delay now (max_delay_ms with sync off: nothing counts as late) and max delay.
  std::pair<std::chrono::nanoseconds, std::chrono::nanoseconds> playoutDelays() const;
  void logSyncChanges();

  const core::Config mConfig;
  const ServerOptions mOptions;
  const std::chrono::steady_clock::time_point mStarted = std::chrono::steady_clock::now();
  struct LoopUnref {
    void operator()(GMainLoop* l) const { g_main_loop_unref(l); }
  };
  std::unique_ptr<GMainLoop, LoopUnref> mLoop;
  std::unique_ptr<ingest::IngestManager> mIngest;
  // The process's one ZeroMQ context, and the analysis stage that uses it (it reads mIngest's
  // feed table, so it is declared after it and goes before it).
  std::unique_ptr<analysis::MessagingContext> mMessaging;
  std::unique_ptr<analysis::AnalysisStage> mAnalysis;
  // This run's private files ($TMPDIR/tessera-NAME-XXXXXX, 0700): removed at shutdown except a
  // finalised HLS recording, which is kept (and its place logged).
  std::optional<platform::StateDirectory> mStateDir;
  // Before mRender: the render thread pushes to it.
  std::unique_ptr<restream::OutputStage> mOutputs;
  core::FrameRef mSnapshot;  // canvas(): the last I420 frame converted to RGBA (main loop)
  std::uint64_t mSnapshotConversions = 0;  // main loop
  // Viewers' reactions: counted by mHttp, read by the render thread; outlives both.
  core::ReactionTally mReactions;
  // The gallery windows ([[output.windows]]): the render thread hands them each canvas frame.
  std::unique_ptr<render::WindowPresenter> mWindows;
  std::unique_ptr<render::RenderLoop> mRender;
  std::unique_ptr<ingest::WhipManager> mWhip;  // WHIP sessions; before mHttp goes
  std::unique_ptr<Moderator> mModeration;      // hide/show/kick/ban/approve; before mWhip goes
  std::unique_ptr<CueRunner> mCue;             // reads mRender and the feeds; mHttp serves it
  std::unique_ptr<control::HttpServer> mHttp;
  std::unique_ptr<control::OscServer> mOsc;  // [osc]: commands in, the crowd out (main loop)
  std::string mScene;
  std::string mJoinUrl;
  std::shared_ptr<const compositor::Layout> mLastLayout;  // last layout seen (main thread)
  std::unordered_set<core::FeedId> mShownFeeds;           // the feeds with a tile in it
  struct SyncLogState {
    core::SyncState logged;     // what the log last said (feeds start aligned, unlogged)
    core::SyncState candidate;  // the state seen in the last checks
    int seen = 0;               // how many checks in a row
  };
  std::unordered_map<core::FeedId, SyncLogState> mSyncStates;  // main-loop thread
};

}  // namespace tessera::server
