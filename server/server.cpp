#include "server/server.hpp"

#include <glib-unix.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>

#include "core/config.hpp"
#include "core/files.hpp"
#include "core/frame_convert.hpp"
#include "core/log.hpp"
#include "core/time.hpp"
#include "platform/main_loop.hpp"
#include "platform/pipeline.hpp"
#include "platform/qr.hpp"
#include "platform/system.hpp"
#include "platform/tls.hpp"
#include "render/scenes.hpp"
#include "render/shader_preview.hpp"

#ifndef TESSERA_DATA_DIR
#define TESSERA_DATA_DIR "."
#endif

namespace tessera::server {
namespace {
constexpr const char* kModule = "server";
// How long a snapshot keeps the canvas read back as RGBA after it.
constexpr std::chrono::milliseconds kRgbaAfterSnapshot{5000};

// Frames each feed keeps for the playout: max_delay_ms of a 30 fps phone and a margin (a feed
// sending faster is drawn late beyond what the ring holds). Sync off: the newest frame only.
std::size_t ringFramesFor(const core::SyncConfig& sync) {
  if (!sync.enabled) return 2;
  return static_cast<std::size_t>(std::ceil(sync.maxDelayMs / 1000.0 * 30)) + 6;
}

control::FeedSyncInfo syncInfo(const core::SyncStatus& s) {
  control::FeedSyncInfo info;
  info.state = core::toString(s.state);
  info.clock = core::toString(s.clock);
  info.latencyMs = s.latencyMsP50;
  info.latencyMsP95 = s.latencyMsP95;
  info.clockOffsetMs = s.clockOffsetMs;
  info.cueOffsetMs = s.cueOffsetMs;
  info.offsetMs = s.configOffsetMs;
  return info;
}

// Hosts of a listen address ("0.0.0.0:8080" -> "0.0.0.0"; IPv6 without brackets).
bool isWildcardHost(const std::string& host) {
  return host == "0.0.0.0" || host == "::";
}
bool isLoopbackHost(const std::string& host) {
  return host.rfind("127.", 0) == 0 || host == "::1";
}

// Where phones on the network reach this server: the listen address, or this machine's LAN
// address when listening on every interface. IPv6 comes bracketed, ready for a URL.
std::string reachableHost(const std::string& listen) {
  const auto address = core::parseListenAddress(listen);
  if (!address || isWildcardHost(address->host)) return platform::lanAddress();
  const bool v6 = address->host.find(':') != std::string::npos;
  return v6 ? "[" + address->host + "]" : address->host;
}
}  // namespace

std::filesystem::path defaultDataDir() {
  if (const char* env = std::getenv("TESSERA_DATA_DIR"); env && *env) return env;
  return TESSERA_DATA_DIR;
}

Server::Server(core::Config config, ServerOptions options)
    : mConfig(std::move(config)),
      mOptions(std::move(options)),
      mLoop(g_main_loop_new(nullptr, FALSE)) {
  mScene = mConfig.scenes.empty() ? "grid" : mConfig.scenes.front().name;
}

Server::~Server() {
  shutdown();
}

bool Server::startStages() {
  const auto fd = platform::raiseFileDescriptorLimit();
  // GStreamer needs about 7 descriptors per pulled feed: 256 feeds pass the common 1024.
  if (fd.after > fd.before) {
    core::logInfo(kModule, "open-file limit raised from {} to {} (GStreamer needs ~7 per feed)",
                  fd.before, fd.after);
  } else {
    core::logInfo(kModule, "open-file limit is {} (already the hard limit; ~7 per pulled feed)",
                  fd.after);
  }
  if (mOptions.mallocArenas > 0) {
    core::logInfo(kModule,
                  "malloc: up to {} arenas, one per thread, so a starved feed thread holding a "
                  "malloc lock cannot stop the canvas (MALLOC_ARENA_MAX sets the number)",
                  mOptions.mallocArenas);
  }
  if (fd.after < static_cast<unsigned long>(mConfig.ingest.maxFeeds) * 8 +
                     static_cast<unsigned long>(mConfig.http.maxConnections)) {
    core::logWarn(kModule,
                  "open-file limit {} may not hold max_feeds = {} and max_connections = {}",
                  fd.after, mConfig.ingest.maxFeeds, mConfig.http.maxConnections);
  }
  if (mConfig.ingest.feedPriority == core::FeedPriority::kIdle) {
    core::logInfo(
        kModule,
        "feeds decode in the idle scheduling class from 3 s after their first frame (pulled "
        "and synthetic: their streaming thread; WHIP: the jitter buffer's output): when the CPU "
        "is short they skip frames (skipped_frames per feed), the canvas keeps its "
        "rate ([ingest] feed_priority = \"low\" is kinder to other programs)");
  } else {
    core::logInfo(kModule,
                  "feeds (pulled, synthetic and WHIP) decode at nice 19 ([ingest] feed_priority = "
                  "\"low\"): when the CPU is short they skip frames first");
  }

  std::string missing;
  if (!platform::GstRuntime::haveElements(
          {"videotestsrc", "uridecodebin", "videoconvert", "videoscale", "appsink", "appsrc",
           "x264enc", "h264parse", "hlssink2"},
          &missing)) {
    core::logError(kModule, "GStreamer elements missing: {} (run `make deps`)", missing);
    return false;
  }

  mIngest = std::make_unique<ingest::IngestManager>(mConfig.ingest, mConfig.canvas.fps,
                                                    ringFramesFor(mConfig.sync));

  std::string error;
  // Local workers run this same executable (`tessera worker`).
  mMessaging = std::make_unique<analysis::MessagingContext>();
  mAnalysis = std::make_unique<analysis::AnalysisStage>(*mMessaging, mConfig.analysis,
                                                        "/proc/self/exe", mIngest->table());
  if (!mAnalysis->start(&error)) {
    core::logError(kModule, "analysis: {}", error);
    return false;
  }
  if (!startOutputs(&error)) {
    core::logError(kModule, "outputs: {}", error);
    return false;
  }

  render::RenderSettings rs;
  rs.canvas = {mConfig.canvas.width, mConfig.canvas.height};
  rs.fps = mConfig.canvas.fps;
  rs.tile = {mConfig.ingest.tileWidth, mConfig.ingest.tileHeight};
  rs.maxFeeds = mConfig.ingest.maxFeeds;
  rs.title = "tessera: " + mConfig.installation.name;
  rs.shaderDir = mOptions.dataDir / "shaders";
  std::vector<core::ConfigProblem> sceneProblems;
  rs.scenes = render::loadScenes(mConfig.scenes, rs.canvas, mConfig.file.string(), &sceneProblems);
  rs.sceneConfigs = mConfig.scenes;
  rs.playout.enabled = mConfig.sync.enabled;
  rs.playout.fixedDelayMs = mConfig.sync.delayMs;
  rs.playout.maxDelayMs = mConfig.sync.maxDelayMs;
  rs.reactionOverlay = mConfig.reactions.overlay;
  for (const auto& p : sceneProblems) core::logError(kModule, "{}", p.str());
  if (!sceneProblems.empty()) return false;
  if (!startWindows(rs.canvas, &error)) {
    core::logError(kModule, "windows: {}", error);
    return false;
  }
  // The encoders take I420 converted on the GPU; RGBA is read back every frame only for windows.
  if (mOutputs) rs.i420Sizes = mOutputs->encodedSizes();
  rs.i420Conversion = mConfig.output.i420Conversion;
  rs.rgbaEveryFrame = mWindows != nullptr;
  mRender = std::make_unique<render::RenderLoop>(rs, mIngest->table(), this,
                                                 mAnalysis ? &mAnalysis->scores() : nullptr);
  if (mConfig.reactions.enabled) mRender->setReactionTally(&mReactions);
  if (!mRender->start(&error)) {
    core::logError(kModule, "render: {}", error);
    return false;
  }
  if (mOutputs) {
    mOutputs->setRgbaInput(!mRender->convertsOnGpu());
    if (!mOutputs->start(&error)) {
      core::logError(kModule, "outputs: {}", error);
      return false;
    }
  }

  control::HttpSettings http;
  http.listen = mOptions.httpListen.value_or(mConfig.http.listen);
  http.adminToken = mConfig.http.adminToken;
  http.viewerToken = mConfig.http.viewerToken;
  http.webDir = mOptions.dataDir / "web";
  http.connections.maxConnections = static_cast<std::size_t>(mConfig.http.maxConnections);
  http.connections.maxConnectionsPerAddress =
      static_cast<std::size_t>(mConfig.http.maxConnectionsPerAddress);
  if (const auto* files = std::get_if<core::TlsFiles>(&mConfig.http.tls)) {
    http.tls = platform::TlsPaths{files->cert, files->key};
  } else if (const auto* mode = std::get_if<std::string>(&mConfig.http.tls);
             mode && *mode == "auto") {
    // The certificate names the host phones use: public_url's ("https://gallery.example:8443/x"
    // -> "gallery.example", checked by the config parser), else the join URL's address.
    std::string host = mConfig.http.publicUrl ? core::urlHost(*mConfig.http.publicUrl).value_or("")
                                              : reachableHost(http.listen);
    if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
    const auto dir = platform::defaultCertificateDirectory(mConfig.installation.name);
    http.tls = platform::ensureSelfSignedCertificate(dir, host, &error);
    if (!http.tls) {
      core::logError(kModule, "http: tls = \"auto\": {}", error);
      return false;
    }
    core::logInfo(kModule, "http: self-signed certificate {}", http.tls->cert.string());
  }
  const auto& whip = mConfig.ingest.whip;
  if (whip.enabled) {
    mWhip = std::make_unique<ingest::WhipManager>(
        whip, core::SizePx{mConfig.ingest.tileWidth, mConfig.ingest.tileHeight}, *mIngest);
    mWhip->warmUp();
  }
  http.whipToken = whip.token;
  http.iceServers = whip.iceServers;
  http.whipPostsPerMinute = whip.postsPerMinute;
  http.reactionsEnabled = mConfig.reactions.enabled;
  http.reactionsPerAddressPerMinute = mConfig.reactions.perAddressPerMinute;
  http.installationName = mConfig.installation.name;
  http.consent = whip.consent;
  http.tileWidth = mConfig.ingest.tileWidth;
  http.tileHeight = mConfig.ingest.tileHeight;
  http.fps = std::min(mConfig.canvas.fps, 30);
  mModeration = std::make_unique<Moderator>(
      whip, *mIngest, mWhip.get(),
      core::SendLimits{{mConfig.ingest.tileWidth, mConfig.ingest.tileHeight}, mConfig.canvas.fps});
  mHttp = std::make_unique<control::HttpServer>(http, *this, mWhip ? this : nullptr);
  mHttp->setModerationService(mModeration.get());
  mCue = std::make_unique<CueRunner>(mIngest->table(), *mRender);
  mHttp->setCueService(mCue.get());
  mHttp->setReactionTally(&mReactions);
  if (mOutputs && mOutputs->whep()) mHttp->setWhepService(this);
  if (!mHttp->start(&error)) {
    core::logError(kModule, "http: {}", error);
    return false;
  }
  // The public join URL (printed, and in the QR code): [http] public_url, else this machine's
  // address on the LAN; the token rides along so a scan is all a phone needs.
  std::string base = mConfig.http.publicUrl.value_or("");
  if (base.empty()) {
    base = fmt::format("{}://{}:{}", mHttp->scheme(), reachableHost(http.listen), mHttp->port());
  }
  while (!base.empty() && base.back() == '/') base.pop_back();
  mJoinUrl = base + "/join" + (whip.token ? "?t=" + *whip.token : "");
  mHttp->setJoinUrl(mJoinUrl);
  if (mConfig.output.qr && mWhip) {
    platform::QrImage qr = platform::makeQr(mJoinUrl, 1);  // the GPU scales it, unfiltered
    mRender->setOverlay(core::VideoFrame::fromPixels(qr.width, qr.width, std::move(qr.rgba)));
  }

  if (mConfig.osc.enabled) {
    mOsc = std::make_unique<control::OscServer>(mConfig.osc, *this, mCue.get(),
                                                mConfig.reactions.enabled ? &mReactions : nullptr);
    // /tessera/feed/ID/hide and /show: the same moderation as the HTTP API, logged as "osc".
    mOsc->setFeedVisibility([this](core::FeedId id, bool hide, const std::string& source) {
      const auto r = mModeration->moderate(
          id, hide ? core::ModerationAction::kHide : core::ModerationAction::kShow,
          {"osc", source});
      return control::FeedVisibilityReply{r.status == control::ModerationReply::Status::kDone,
                                          r.detail};
    });
    if (!mOsc->start(&error)) {
      core::logError(kModule, "osc: {}", error);
      return false;
    }
  }

  mIngest->startConfiguredFeeds();
  return true;
}

// Browsers share a camera only with an HTTPS page or one on the phone itself (localhost): plain
// HTTP on an address other phones reach is a join page that cannot film. A proxy in front that
// speaks HTTPS ([http] public_url = "https://...") is fine.
void Server::warnIfPhonesCannotFilm(const std::string& listen) const {
  if (!mWhip || std::string_view(mHttp->scheme()) == "https") return;
  if (mConfig.http.publicUrl && mConfig.http.publicUrl->rfind("https://", 0) == 0) return;
  const auto address = core::parseListenAddress(listen);
  if (address && isLoopbackHost(address->host)) return;
  core::logWarn(kModule,
                "http: phones on the network cannot use their cameras: this server speaks plain "
                "HTTP on {} and phone browsers only share a camera with an HTTPS page. Set "
                "[http] tls = \"auto\" (a self-signed certificate; phones show a warning to "
                "accept once) or tls = {{ cert = \"...\", key = \"...\" }}, or listen on "
                "127.0.0.1 for this machine only (docs/installation-format.md, \"HTTPS for "
                "phones\")",
                listen);
}

int Server::run() {
  core::logInfo(kModule, "installation \"{}\" from {}", mConfig.installation.name,
                mConfig.file.string());
  if (!startStages()) {
    shutdown();
    return 1;
  }
  if (mHttp) {
    const std::string host = mOptions.httpListen.value_or(mConfig.http.listen);
    // The viewer link is for this machine: a wildcard address becomes its loopback.
    const std::string shown = host.rfind("0.0.0.0:", 0) == 0 ? "127.0.0.1"
                              : host.rfind("[::]:", 0) == 0  ? "[::1]"
                                                             : host.substr(0, host.rfind(':'));
    // A private channel's link carries its token, as the join link carries the join token.
    const auto& viewerToken = mConfig.http.viewerToken;
    core::logInfo(kModule, "viewer: {}://{}:{}/{}", mHttp->scheme(), shown, mHttp->port(),
                  viewerToken ? "?t=" + *viewerToken : "");
    if (mWhip) {
      core::logInfo(kModule, "join: {}  (QR code at /join/qr.png)", mJoinUrl);
      // A technician at the terminal scans it with a phone; a log file gets the URL alone.
      if (isatty(STDERR_FILENO)) {
        std::fputs(platform::qrTerminalText(platform::makeQr(mJoinUrl, 1)).c_str(), stderr);
      }
    }
    warnIfPhonesCannotFilm(host);
  }

  auto quit = +[](gpointer loop) -> gboolean {
    g_main_loop_quit(static_cast<GMainLoop*>(loop));
    return G_SOURCE_CONTINUE;
  };
  const guint sigint = g_unix_signal_add(SIGINT, quit, mLoop.get());
  const guint sigterm = g_unix_signal_add(SIGTERM, quit, mLoop.get());
  platform::Timer duration;
  if (mOptions.durationSeconds) {
    duration = platform::Timer(
        std::chrono::milliseconds(static_cast<long>(*mOptions.durationSeconds * 1000)), [this] {
          core::logInfo(kModule, "duration reached");
          g_main_loop_quit(mLoop.get());
        });
  }
  platform::Timer status(
      std::chrono::seconds(10), [this] { logStatus(); }, true);
  // A participant whose tile (re)appears is asked for a keyframe, so the tile never waits for
  // the phone's next periodic one (a scene switch, a re-layout that brings it back).
  platform::Timer tiles(
      std::chrono::milliseconds(100), [this] { requestKeyframesForNewTiles(); }, true);
  // A feed that goes late or unsynced (or back) is logged when it happens.
  platform::Timer sync(
      std::chrono::seconds(1), [this] { logSyncChanges(); }, true);

  g_main_loop_run(mLoop.get());

  g_source_remove(sigint);
  g_source_remove(sigterm);
  core::logInfo(kModule, "shutting down");
  shutdown();
  core::logInfo(kModule, "stopped cleanly (peak RSS {} MiB)", platform::peakRssKib() / 1024);
  // An output that failed while the rest ran on is a runtime failure all the same.
  if (hlsFailed()) {
    core::logError(kModule, "exit 1: the HLS output failed during the run (see above)");
    return 1;
  }
  return 0;
}

void Server::shutdown() {
  if (auto why = renderStall()) {
    // Joining a render thread stuck inside a draw would wait for ever: finish what was
    // recorded and leave without it.
    core::logError(kModule, "{}: finishing the outputs and exiting without it", *why);
    if (mOutputs) mOutputs->finish();
    std::_Exit(1);
  }
  mOsc.reset();  // no command reaches the stages while they stop
  // Order matters: the render thread stops pushing before the outputs end their streams.
  if (mRender) mRender->stop();
  if (mWindows) mWindows->stop();
  if (mOutputs) mOutputs->finish();
  if (mStateDir) {
    // Nothing recorded is lost: the HLS output stays where it was written; the rest goes.
    // With a replay, the replay is the recording and the live segments go.
    if (mOutputs && mOutputs->hlsRecorded() && !mOutputs->replayDirectory()) {
      mStateDir->keep("hls");
      core::logInfo(kModule, "hls: kept the recording in {} (remove it when no longer needed)",
                    mOutputs->hlsDirectory()->string());
    }
    mStateDir.reset();
  }
  mModeration.reset();  // stops listening to mWhip
  mWhip.reset();        // answers any offer still pending, while the HTTP server exists
  mHttp.reset();
  mCue.reset();                      // an open cue stops recording frames
  if (mAnalysis) mAnalysis->stop();  // workers stopped, I/O thread joined, before feeds go
  if (mIngest) mIngest->removeAll();
}

bool Server::hlsFailed() const {
  return mOutputs && (mOutputs->hlsEverFailed() || mOutputs->anyEncoderFailed());
}

std::vector<control::OutputInfo> Server::outputs() {
  std::vector<control::OutputInfo> out;
  if (!mOutputs) return out;
  for (const auto& s : mOutputs->statuses()) {
    out.push_back({s.kind, s.uri, s.state, s.bitrateKbps, s.restarts, s.lastError, s.frames,
                   s.dropped, s.bytes, s.diskBytes, std::nullopt});
  }
  if (const auto* whep = mOutputs->whep()) {
    const auto w = whep->stats();
    control::OutputInfo info;
    info.kind = "whep";
    info.uri = "/whep";
    info.state = mOutputs->anyEncoderFailed() ? "off" : "live";
    info.frames = w.frames;
    info.dropped = w.dropped;
    info.viewers = w.viewers;
    out.push_back(std::move(info));
  }
  return out;
}

std::string Server::whepMetrics() const {
  const auto w = mOutputs->whep()->stats();
  return fmt::format(
      "# HELP tessera_whep_viewers WHEP viewers now (negotiating or connected).\n"
      "# TYPE tessera_whep_viewers gauge\ntessera_whep_viewers {}\n"
      "# HELP tessera_whep_viewers_connected WHEP viewers whose connection is up.\n"
      "# TYPE tessera_whep_viewers_connected gauge\ntessera_whep_viewers_connected {}\n"
      "# HELP tessera_whep_sessions_total WHEP offers answered.\n"
      "# TYPE tessera_whep_sessions_total counter\ntessera_whep_sessions_total {}\n"
      "# HELP tessera_whep_refused_total WHEP offers refused with 503 (max_viewers).\n"
      "# TYPE tessera_whep_refused_total counter\ntessera_whep_refused_total {}\n"
      "# HELP tessera_whep_frames_total Encoded frames handed to WHEP viewers (all viewers).\n"
      "# TYPE tessera_whep_frames_total counter\ntessera_whep_frames_total {}\n"
      "# HELP tessera_whep_keyframe_requests_total Keyframes viewers asked the encoder for.\n"
      "# TYPE tessera_whep_keyframe_requests_total counter\n"
      "tessera_whep_keyframe_requests_total {}\n",
      w.viewers, w.connected, w.sessions, w.refused, w.frames, w.keyframeRequests);
}

std::string Server::outputMetrics() const {
  const auto& e = mOutputs->encoder();
  std::string m = fmt::format(
      "# HELP tessera_output_encoders Video encoders running (one per rendition, shared by every "
      "output).\n# TYPE tessera_output_encoders gauge\ntessera_output_encoders {}\n"
      "# HELP tessera_hls_frames_total Frames handed to the encoder.\n"
      "# TYPE tessera_hls_frames_total counter\ntessera_hls_frames_total {}\n"
      "# HELP tessera_hls_dropped_frames_total Frames the encoder could not take.\n"
      "# TYPE tessera_hls_dropped_frames_total counter\ntessera_hls_dropped_frames_total {}\n",
      mOutputs->encoderCount(), e.pushed(), e.dropped());
  const auto statuses = mOutputs->statuses();
  const auto series = [&](const char* name, const char* help, const char* type, auto value) {
    m += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
    for (std::size_t i = 0; i < statuses.size(); ++i) {
      m += fmt::format("{}{{output=\"{}\",kind=\"{}\"}} {}\n", name, i, statuses[i].kind,
                       value(statuses[i]));
    }
  };
  series("tessera_output_up", "1 while the output is live.", "gauge",
         [](const restream::OutputStatus& s) { return s.state == "live" ? 1 : 0; });
  series("tessera_output_bytes_total", "Bytes the output delivered.", "counter",
         [](const restream::OutputStatus& s) { return s.bytes; });
  series("tessera_output_dropped_frames_total",
         "Encoded frames the output dropped (down, behind, or waiting for a keyframe).", "counter",
         [](const restream::OutputStatus& s) { return s.dropped; });
  series("tessera_output_restarts_total", "Times the output was rebuilt after a failure.",
         "counter", [](const restream::OutputStatus& s) { return s.restarts; });
  return m;
}

std::optional<std::filesystem::path> Server::replayDirectory(std::string* error) const {
  std::filesystem::path dir = mConfig.output.replayDir;
  if (dir.empty()) {
    // The installation's state directory: $XDG_STATE_HOME/tessera/NAME (else
    // ~/.local/state/tessera/NAME), kept from run to run.
    const char* state = std::getenv("XDG_STATE_HOME");
    const char* home = std::getenv("HOME");
    const std::filesystem::path base = state && *state ? std::filesystem::path(state)
                                       : home && *home
                                           ? std::filesystem::path(home) / ".local/state"
                                           : std::filesystem::path("/var/lib");
    dir = base / "tessera" / core::safeFileName(mConfig.installation.name) / "replay";
  }
  std::error_code ec;
  if (std::filesystem::create_directories(dir, ec)) {
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace, ec);
  }
  if (!std::filesystem::is_directory(dir, ec)) {
    *error = "replay: cannot make the directory " + dir.string() +
             (ec ? ": " + ec.message() : std::string());
    return std::nullopt;
  }
  return dir;
}

bool Server::startOutputs(std::string* error) {
  const auto& out = mConfig.output;
  if (!out.hls && out.pushes.empty() && out.replayHours <= 0 && !out.whepOn()) return true;
  std::string missing;
  for (const auto& target : out.pushes) {
    const bool srt = target.kind == core::PushKind::kSrt;
    if (!platform::GstRuntime::haveElements(
            srt ? std::initializer_list<const char*>{"mpegtsmux", "srtsink"}
                : std::initializer_list<const char*>{"flvmux", "rtmp2sink"},
            &missing)) {
      *error = fmt::format("{}: GStreamer elements missing: {} (run `make deps`)", target.masked,
                           missing);
      return false;
    }
  }
  if (out.whepOn() &&
      !platform::GstRuntime::haveElements({"webrtcbin", "rtph264pay", "nicesink"}, &missing)) {
    *error = fmt::format("whep: GStreamer elements missing: {} (run `make deps`)", missing);
    return false;
  }
  restream::OutputStageSettings settings;
  settings.encoder.canvas = {mConfig.canvas.width, mConfig.canvas.height};
  settings.encoder.fps = mConfig.canvas.fps;
  settings.encoder.bitrateKbps = out.bitrateKbps;
  settings.encoder.keyframeSeconds = out.hlsSegmentSeconds;
  settings.pushes = out.pushes;
  settings.renditions = out.renditions;
  if (out.hls) {
    // The name is free text: only its safe characters reach the path; mkdtemp makes the rest
    // unguessable and the directory private.
    std::error_code ec;
    const auto base = std::filesystem::temp_directory_path(ec);
    const auto prefix = fmt::format("tessera-{}-", core::safeFileName(mConfig.installation.name));
    if (const int stale = platform::StateDirectory::removeStale(ec ? "/tmp" : base, prefix)) {
      core::logInfo(kModule, "removed {} state directories that earlier runs left when they died",
                    stale);
    }
    if (auto made = platform::StateDirectory::create(ec ? std::filesystem::path("/tmp") : base,
                                                     prefix, error)) {
      mStateDir.emplace(std::move(*made));
    }
    const auto dir = mStateDir ? mStateDir->makeSubdirectory("hls", error) : std::nullopt;
    if (!dir) {
      *error = "hls: " + *error;
      return false;
    }
    settings.hls = restream::HlsSettings{
        mConfig.canvas.fps, out.hlsSegmentSeconds, out.hlsPlaylistLength, *dir, {}};
  }
  if (out.replayHours > 0) {
    auto dir = replayDirectory(error);
    if (!dir) return false;
    settings.replay =
        restream::ReplaySettings{mConfig.canvas.fps, out.hlsSegmentSeconds, out.replayHours,
                                 static_cast<std::uint64_t>(out.replayMaxMb) << 20, *dir};
  }
  if (out.whepOn()) {
    const auto& whip = mConfig.ingest.whip;  // viewers gather ICE as participants do
    restream::WhepSettings whep;
    whep.maxViewers = out.maxViewers;
    whep.fps = mConfig.canvas.fps;
    whep.ice = {whip.iceAddresses, whip.iceServers, whip.udpPortMin, whip.udpPortMax};
    settings.whep = whep;
  }
  // Started once the render thread has said whether it converts the canvas on the GPU.
  mOutputs = std::make_unique<restream::OutputStage>(std::move(settings));
  return true;
}

void Server::requestKeyframesForNewTiles() {
  if (!mWhip || !mRender) return;
  auto layout = mRender->layout().peek();
  if (!layout || layout == mLastLayout) return;
  std::unordered_set<core::FeedId> shown;
  for (const auto& tile : layout->tiles) shown.insert(tile.feed);
  for (const auto& feed : shown) {
    if (!mShownFeeds.contains(feed)) mWhip->requestKeyframe(feed);
  }
  mShownFeeds = std::move(shown);
  mLastLayout = std::move(layout);
}

std::optional<std::string> Server::renderStall() const {
  // A tick takes a frame period plus its work; seconds without one mean the render thread is
  // stuck, and on a CPU rasteriser only an artist's shader can hold it that long.
  constexpr double kStalledS = 3;
  const double stuck = mRender ? mRender->secondsSinceTick() : 0;
  if (stuck < kStalledS) return std::nullopt;
  return fmt::format(
      "render: no canvas frame for {:.0f} s in scene \"{}\" (a shader far too slow, or in an "
      "endless loop? "
      "try it with `tessera shader render`; only a restart frees the render thread)",
      stuck, mScene);
}

void Server::logStatus() {
  if (auto why = renderStall()) core::logError(kModule, "{}", *why);
  const auto h = health();
  const auto r = mRender->stats();
  core::logInfo(kModule,
                "status: {} feeds ({} live), {} analysis workers, {:.1f} fps, {} late, work "
                "{:.1f} ms/frame{}{}",
                h.feeds, h.liveFeeds, h.workers, r.fps, r.late, r.workMsAvg,
                mOutputs ? fmt::format(", hls {} frames ({} dropped)", mOutputs->encoder().pushed(),
                                       mOutputs->encoder().dropped())
                         : std::string(),
                windowStatus());
}

std::string Server::windowStatus() const {
  if (!mWindows) return {};
  const auto w = mWindows->stats();
  return fmt::format(", {} windows: {:.1f} presents/s, {:.1f} ms each, {} frames replaced",
                     w.windows, w.presentsPerS, w.presentMsAvg, w.replaced);
}

void Server::onCanvasFrame(const render::CanvasFrames& frames, const render::CanvasTick& tick) {
  if (mOutputs && !frames.i420.empty()) {
    mOutputs->push(frames.i420, tick.sinceStart);
  } else if (mOutputs && frames.rgba) {
    mOutputs->push(std::span(&frames.rgba, 1), tick.sinceStart);  // converted by the encoders
  }
  if (mWindows && frames.rgba) mWindows->show(frames.rgba);
}

bool Server::startWindows(core::SizePx canvas, std::string* error) {
  if (mOptions.headless) return true;
  std::vector<core::WindowConfig> windows = mConfig.output.windows;
  // `window = true` alone: one window with every default (fullscreen on display 0).
  if (windows.empty() && mConfig.output.window) windows.emplace_back();
  if (windows.empty()) return true;
  mWindows = std::make_unique<render::WindowPresenter>("tessera: " + mConfig.installation.name,
                                                       std::move(windows), canvas);
  return mWindows->start(error);
}

control::HealthInfo Server::health() {
  control::HealthInfo h;
  h.rendering =
      mRender && (mRender->canvas().peek() != nullptr || mRender->canvasI420().peek() != nullptr);
  if (auto table = mIngest ? mIngest->table().peek() : nullptr) {
    h.feeds = table->feeds.size();
    for (const auto& c : table->feeds) {
      if (c->status().state == core::FeedState::kLive) ++h.liveFeeds;
    }
  }
  h.workers = mAnalysis ? mAnalysis->liveWorkers() : 0;
  if (auto why = mAnalysis ? mAnalysis->degradedReason() : std::nullopt) {
    h.degraded.push_back(std::move(*why));
  }
  if (auto why = renderStall()) h.degraded.push_back(std::move(*why));
  const render::RenderStats stats = mRender ? mRender->stats() : render::RenderStats{};
  h.fps = stats.fps;
  h.scene = mScene;
  h.installation = mConfig.installation.name;
  h.uptimeSeconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - mStarted).count();
  if (auto status = mRender ? mRender->shaderStatus().peek() : nullptr) {
    for (const auto& s : status->shaders) h.shaderErrors += s.error.empty() ? 0 : 1;
  }
  h.syncEnabled = mConfig.sync.enabled;
  h.syncDelayMs = stats.syncDelayMs;
  return h;
}

std::vector<control::ShaderInfo> Server::shaders() {
  std::vector<control::ShaderInfo> out;
  auto status = mRender ? mRender->shaderStatus().peek() : nullptr;
  if (!status) return out;
  for (const render::ShaderState& s : status->shaders) {
    control::ShaderInfo info;
    info.scene = s.sceneName;
    info.role = s.layout ? "layout" : "filter";
    info.index = s.index;
    info.name = s.file.stem().string();
    info.file = s.file.filename().string();
    info.running = s.running;
    // The API is not admin-only: name files, not where the server keeps them.
    info.error = s.error;
    const std::string dir = s.file.parent_path().string() + "/";
    for (auto at = info.error.find(dir); at != std::string::npos; at = info.error.find(dir, at)) {
      info.error.erase(at, dir.size());
    }

    info.loads = s.loads;
    for (std::size_t i = 0; i < s.inputs.size(); ++i) {
      const render::isf::Input& in = s.inputs[i];
      const int n = render::isf::componentCount(in.type);
      auto numbers = [n](const render::isf::Value& v) {
        return std::vector<double>(v.begin(), v.begin() + n);
      };
      control::ShaderParamInfo p;
      p.name = in.name;
      p.label = in.label;
      p.type = render::isf::toString(in.type);
      if (n > 0) {
        p.value = numbers(s.values[i]);
        p.defaultValue = numbers(in.defaultValue);
        if (in.min) p.min = numbers(*in.min);
        if (in.max) p.max = numbers(*in.max);
      }
      p.values = in.values;
      p.labels = in.labels;
      info.params.push_back(std::move(p));
    }
    out.push_back(std::move(info));
  }
  return out;
}

control::ParamResult Server::setParams(const std::optional<std::string>& scene,
                                       const std::optional<std::string>& shader,
                                       const std::vector<control::ParamValue>& values) {
  control::ParamResult r;
  auto fail = [&](int status, std::string detail) {
    r.status = status;
    r.detail = std::move(detail);
    return r;
  };
  r.scene = scene.value_or(mScene);
  auto status = mRender ? mRender->shaderStatus().peek() : nullptr;
  const auto found = findScene(r.scene);
  if (!found) return fail(404, fmt::format("no scene \"{}\"", r.scene));
  const std::size_t sceneIndex = *found;
  // The scene's shaders, in slot order (the layout shader first).
  std::vector<const render::ShaderState*> slots;
  if (status) {
    for (const auto& s : status->shaders) {
      if (s.scene == sceneIndex) slots.push_back(&s);
    }
  }
  if (slots.empty()) return fail(404, fmt::format("scene \"{}\" has no shaders", r.scene));
  std::vector<std::size_t> chosen;
  for (std::size_t i = 0; i < slots.size(); ++i) {
    const auto& f = slots[i]->file;
    if (!shader || *shader == f.stem().string() || *shader == f.filename().string()) {
      chosen.push_back(i);
    }
  }
  if (chosen.empty()) {
    std::string known;
    for (const auto* s : slots) known += (known.empty() ? "" : ", ") + s->file.stem().string();
    return fail(404, fmt::format("scene \"{}\" has no shader \"{}\" (its shaders: {})", r.scene,
                                 *shader, known));
  }
  std::vector<render::ParamChange> changes;
  for (const control::ParamValue& pv : values) {
    bool found = false;
    for (std::size_t slot : chosen) {
      const render::ShaderState& s = *slots[slot];
      for (const render::isf::Input& in : s.inputs) {
        if (in.name != pv.name) continue;
        found = true;
        std::string error;
        const auto v = render::makeValue(in, pv.numbers, pv.text, &error);
        if (!v) {
          return fail(422, fmt::format("{}: {}", s.file.filename().string(), error));
        }
        changes.push_back({sceneIndex, slot, pv.name, *v});
      }
    }
    if (!found) {
      return fail(404, fmt::format("no shader input \"{}\" in scene \"{}\"{}", pv.name, r.scene,
                                   shader ? " shader \"" + *shader + "\"" : std::string()));
    }
  }
  for (std::size_t slot : chosen) {
    const bool changed = std::any_of(changes.begin(), changes.end(),
                                     [&](const render::ParamChange& c) { return c.slot == slot; });
    if (changed) r.shaders.push_back(slots[slot]->file.stem().string());
  }
  if (!mRender->changeParams(std::move(changes))) {
    return fail(422, "too many parameter changes pending; try again");
  }
  return r;
}

std::pair<std::chrono::nanoseconds, std::chrono::nanoseconds> Server::playoutDelays() const {
  const double delayMs =
      mConfig.sync.enabled && mRender ? mRender->stats().syncDelayMs : mConfig.sync.maxDelayMs;
  return {core::fromMs(delayMs), core::fromMs(mConfig.sync.maxDelayMs)};
}

void Server::logSyncChanges() {
  auto table = mIngest ? mIngest->table().peek() : nullptr;
  if (!table || !mConfig.sync.enabled) return;
  const auto [delay, maxDelay] = playoutDelays();
  const double delayMs = core::toMs(delay);
  // A feed's new state is logged once it has held for two checks (no flapping at a threshold);
  // a crowd changing at once is logged as a count after the first few.
  constexpr int kNamed = 5;
  int logged = 0, more = 0;
  std::unordered_map<core::FeedId, SyncLogState> next;
  for (const auto& c : table->feeds) {
    if (!c->hasFrame()) continue;
    const core::SyncStatus s = c->syncStatus(delay, maxDelay);
    SyncLogState state = mSyncStates.contains(c->id()) ? mSyncStates[c->id()]
                                                       : SyncLogState{core::SyncState::kAligned,
                                                                      core::SyncState::kAligned, 0};
    state.seen = s.state == state.candidate ? state.seen + 1 : 1;
    state.candidate = s.state;
    if (state.seen >= 2 && state.candidate != state.logged) {
      state.logged = state.candidate;
      if (logged++ < kNamed) {
        core::log(
            s.state == core::SyncState::kAligned ? core::LogLevel::kInfo : core::LogLevel::kWarn,
            "sync",
            "feed {}: {} (clock {}, latency p50 {:.0f} ms, playout delay {:.0f} ms, "
            "max {:.0f})",
            c->id().value, core::toString(s.state), core::toString(s.clock), s.latencyMsP50,
            delayMs, mConfig.sync.maxDelayMs);
      } else {
        ++more;
      }
    }
    next[c->id()] = state;
  }
  if (more > 0) core::logWarn("sync", "... and {} more feeds changed sync state", more);
  mSyncStates = std::move(next);
}

std::vector<control::FeedInfo> Server::feeds() {
  std::vector<control::FeedInfo> out;
  auto table = mIngest ? mIngest->table().peek() : nullptr;
  if (!table) return out;
  auto layout = mRender ? mRender->layout().peek() : nullptr;
  const auto scores = mAnalysis ? mAnalysis->scores().peek() : nullptr;
  const auto now = std::chrono::steady_clock::now();
  const auto [delay, maxDelay] = playoutDelays();
  out.reserve(table->feeds.size());
  for (const auto& c : table->feeds) {
    const auto s = c->status();
    control::FeedInfo f;
    f.id = c->id();
    f.source = c->source();
    f.uri = c->uri();
    f.state = s.state;
    f.width = s.sourceWidth;
    f.height = s.sourceHeight;
    f.scaledWidth = s.scaledWidth;
    f.scaledHeight = s.scaledHeight;
    f.fps = s.fps;
    f.frames = s.frames;
    f.dropped = s.dropped;
    f.skipped = s.skipped;
    f.restarts = s.restarts;
    f.lastError = s.lastError;
    f.protocol = s.protocol;
    f.firstFrameMs = s.firstFrameMs;
    f.bitrateKbps = s.bitrateKbps;
    f.sync = syncInfo(c->syncStatus(delay, maxDelay));
    if (!mConfig.sync.enabled) f.sync.state = "unsynced";  // drawn newest-first, as asked
    if (const core::Scores* found = scores ? scores->find(f.id) : nullptr) {
      f.scores = *found;
      f.scores->ageMs = found->ageMsAt(now);
    }
    if (mModeration) {
      const auto m = mModeration->feedModeration(f.id);
      f.waiting = m.waiting;
      f.hidden = m.hidden;
    }
    if (layout && !f.waiting && !f.hidden) {
      // A photomosaic shows a feed in several cells: report the largest, the first on a tie.
      for (const auto& p : layout->tiles) {
        if (p.feed == f.id && (!f.tile || p.rect.w * p.rect.h > f.tile->w * f.tile->h)) {
          f.tile = p.rect;
        }
      }
    }
    out.push_back(std::move(f));
  }
  return out;
}

core::FrameRef Server::feedFrame(core::FeedId id) {
  auto table = mIngest ? mIngest->table().peek() : nullptr;
  if (!table) return nullptr;
  for (const auto& c : table->feeds) {
    if (c->id() == id) return c->newest();
  }
  return nullptr;
}

// A snapshot (GET /api/v1/canvas.png). With encoders the canvas is read back as I420 only; a
// snapshot asks for RGBA readbacks for a while (later snapshots are likely: tests, a poster
// refreshed) and, until one arrives, converts the latest I420 frame on the CPU (~10 ms at
// 1080p, once per frame asked for; chroma at half resolution, colours within a few levels).
core::FrameRef Server::canvas() {
  if (!mRender) return nullptr;
  auto rgba = mRender->canvas().peek();
  auto yuv = mRender->canvasI420().peek();
  if (!yuv) return rgba;
  mRender->requestRgba(kRgbaAfterSnapshot);
  if (rgba && rgba->sequence >= yuv->sequence) return rgba;
  if (mSnapshot && mSnapshot->sequence == yuv->sequence) return mSnapshot;
  mSnapshot = core::rgbaFromI420(*yuv, mConfig.canvas.width, mConfig.canvas.height);
  ++mSnapshotConversions;
  return mSnapshot ? mSnapshot : rgba;
}

std::optional<std::filesystem::path> Server::replayDirectory() {
  if (!mOutputs || !mOutputs->replayDirectory()) return std::nullopt;
  return *mOutputs->replayDirectory();
}

std::optional<std::filesystem::path> Server::hlsDirectory() {
  if (!mOutputs || !mOutputs->hlsDirectory()) return std::nullopt;
  return *mOutputs->hlsDirectory();
}

std::vector<std::string> Server::sceneNames() {
  std::vector<std::string> names;
  for (const auto& s : mConfig.scenes) names.push_back(s.name);
  return names;
}

std::optional<std::size_t> Server::findScene(const std::string& name) const {
  for (std::size_t i = 0; i < mConfig.scenes.size(); ++i) {
    if (mConfig.scenes[i].name == name) return i;
  }
  return std::nullopt;
}

bool Server::switchScene(const std::string& name) {
  const auto i = findScene(name);
  if (!i) return false;
  const auto& s = mConfig.scenes[*i];
  mScene = name;
  if (mRender) mRender->setScene(*i);  // the render thread cross-fades to it
  core::logInfo(kModule, "scene: switched to \"{}\" (layout {}, fade {:.2f} s)", name,
                core::toString(s.layout), s.fadeSeconds);
  return true;
}

void Server::whipOffer(const std::string& sdp, const core::ParticipantKey& who,
                       std::function<void(const control::WhipAnswer&)> done) {
  mWhip->offer(sdp, [this, who, done = std::move(done)](const ingest::WhipOfferResult& r) {
    if (r.status == 201 && mModeration) mModeration->participantJoined(r.sessionId, r.feed, who);
    control::WhipAnswer a;
    a.status = r.status;
    a.detail = r.detail;
    a.sessionId = r.sessionId;
    a.etag = r.etag;
    a.sdp = r.answerSdp;
    a.retryAfterSeconds = r.retryAfterSeconds;
    done(a);
  });
}

void Server::whepOffer(const std::string& sdp,
                       std::function<void(const control::WhepAnswer&)> done) {
  mOutputs->whep()->negotiate(sdp, [done = std::move(done)](const restream::WhepResult& r) {
    done({r.status, r.detail, r.id, r.sdp, r.retryAfterSeconds});
  });
}

bool Server::whepDelete(const std::string& sessionId) {
  return mOutputs->whep()->remove(sessionId, "the viewer left (DELETE)");
}

bool Server::whipDelete(const std::string& sessionId) {
  return mWhip->remove(sessionId, "the participant left");
}

control::WhipClockReply Server::whipClock(const std::string& sessionId,
                                          const std::optional<core::ExchangeSample>& completed,
                                          std::int64_t nowUnixNs) {
  control::WhipClockReply reply;
  const auto outcome = mWhip->clockExchange(sessionId, completed, nowUnixNs);
  if (!outcome) {
    reply.status = control::WhipClockReply::Status::kNotFound;
    return reply;
  }
  if (outcome->status == ingest::ClockExchangeOutcome::Status::kRateLimited) {
    reply.status = control::WhipClockReply::Status::kRateLimited;
  }
  reply.roundAccepted = outcome->roundAccepted;
  reply.offsetMs = outcome->offsetMs;
  reply.next = outcome->next;
  reply.retryAfter = outcome->retryAfter;
  return reply;
}

control::WhipPatchResult Server::whipPatch(const std::string& sessionId, const std::string& ifMatch,
                                           const std::string& fragment, std::string* problem) {
  switch (mWhip->patch(sessionId, ifMatch, fragment, problem)) {
    case ingest::WhipPatchOutcome::kApplied:
      return control::WhipPatchResult::kApplied;
    case ingest::WhipPatchOutcome::kNotFound:
      return control::WhipPatchResult::kNotFound;
    case ingest::WhipPatchOutcome::kPreconditionFailed:
      return control::WhipPatchResult::kPreconditionFailed;
    case ingest::WhipPatchOutcome::kUnprocessable:
      return control::WhipPatchResult::kUnprocessable;
    case ingest::WhipPatchOutcome::kBadRequest:
      return control::WhipPatchResult::kBadRequest;
  }
  return control::WhipPatchResult::kNotFound;
}

std::string Server::metrics() {
  const auto h = health();
  const auto r = mRender ? mRender->stats() : render::RenderStats{};
  std::string m;
  auto gauge = [&](const char* name, const char* help, double v, const char* type = "gauge") {
    m += fmt::format("# HELP {0} {1}\n# TYPE {0} {2}\n{0} {3}\n", name, help, type, v);
  };
  gauge("tessera_feeds", "Feeds known to the server.", static_cast<double>(h.feeds));
  gauge("tessera_feeds_live", "Feeds delivering frames.", static_cast<double>(h.liveFeeds));
  gauge("tessera_render_fps", "Canvas frames per second, last second.", r.fps);
  gauge("tessera_render_frames_total", "Canvas frames handed out.", static_cast<double>(r.frames),
        "counter");
  gauge("tessera_render_redraws_total", "Canvas frames actually drawn.",
        static_cast<double>(r.redraws), "counter");
  gauge("tessera_render_late_ticks_total",
        "Render ticks missed (the canvas ran more than a frame late; outputs keep wall time).",
        static_cast<double>(r.late), "counter");
  gauge("tessera_render_tile_uploads_total", "Tile textures uploaded.",
        static_cast<double>(r.uploads), "counter");
  gauge("tessera_render_feed_busy_total",
        "Feed picks the render thread skipped (never waited) because a feed thread held the feed.",
        static_cast<double>(r.busyFeeds), "counter");
  gauge("tessera_render_rgba_readbacks_total",
        "Canvas frames read back as RGBA (windows, snapshots; every frame without an encoder).",
        static_cast<double>(r.rgbaReadbacks), "counter");
  gauge("tessera_render_i420_readbacks_total",
        "Canvas frames converted to I420 on the GPU and read back, per encoder size.",
        static_cast<double>(r.i420Readbacks), "counter");
  gauge("tessera_canvas_snapshot_conversions_total",
        "canvas.png frames converted from the I420 readback on the CPU.",
        static_cast<double>(mSnapshotConversions), "counter");
  gauge("tessera_render_work_ms", "Render-thread work per frame, last second.", r.workMsAvg);
  gauge("tessera_render_upload_ms", "Tile uploads per frame, last second.", r.uploadMsAvg);
  gauge("tessera_render_draw_ms", "Draw and readback start per frame, last second.", r.drawMsAvg);
  gauge("tessera_render_readback_ms", "Readback copy per frame, last second.", r.readbackMsAvg);
  gauge("tessera_render_handoff_ms", "Encoder hand-off per frame, last second.", r.handoffMsAvg);
  gauge("tessera_render_shader_ms", "Artists' shaders per frame (part of draw), last second.",
        r.shaderMsAvg);
  gauge("tessera_render_shader_scale",
        "Share of the canvas's width and height the scene's shaders draw at.", r.shaderScale);
  gauge("tessera_render_scene_ms", "Scene planning per frame, last second.", r.sceneMsAvg);
  const auto w = mWindows ? mWindows->stats() : render::WindowStats{};
  gauge("tessera_windows", "Gallery windows on a display.", static_cast<double>(w.windows));
  gauge("tessera_window_presents_total", "Canvas frames shown in the gallery windows.",
        static_cast<double>(w.presents), "counter");
  gauge("tessera_window_replaced_frames_total",
        "Canvas frames a newer one replaced before the windows showed them.",
        static_cast<double>(w.replaced), "counter");
  gauge("tessera_window_present_ms",
        "Upload, draw and swap of every window per canvas frame, last second.", w.presentMsAvg);
  gauge("tessera_sync_delay_ms", "The playout delay: every tile shows the instant now - delay.",
        r.syncDelayMs);
  gauge("tessera_sync_target_delay_ms", "Where the auto playout delay is heading.", r.syncTargetMs);
  gauge("tessera_sync_spread_ms",
        "Capture-time spread of the aligned tiles drawn in one canvas frame, p95 over the last "
        "second.",
        r.spreadMsP95);
  gauge("tessera_sync_spread_p50_ms", "The same spread, p50.", r.spreadMsP50);
  gauge("tessera_sync_spread_max_ms", "The same spread, largest in the last second.",
        r.spreadMsMax);
  gauge("tessera_sync_error_ms",
        "How far the aligned tiles' capture times are from the instant drawn (now - delay), "
        "largest of a canvas frame, p95 over the last second.",
        r.errorMsP95);
  gauge("tessera_sync_aligned_feeds", "Feeds drawn by capture time in the last canvas frame.",
        static_cast<double>(r.alignedFeeds));
  gauge("tessera_sync_newest_feeds",
        "Feeds drawn with their newest frame (unsynced, late or sync off) in the last frame.",
        static_cast<double>(r.newestFeeds));

  if (mOutputs) m += outputMetrics();
  if (mOutputs && mOutputs->whep()) m += whepMetrics();
  if (mAnalysis) m += mAnalysis->metricsText();
  if (mOsc) m += mOsc->metrics();
  gauge("tessera_http_requests_total", "HTTP requests served.",
        static_cast<double>(mHttp ? mHttp->requests() : 0), "counter");
  gauge("tessera_process_peak_rss_bytes", "Peak resident set size.",
        static_cast<double>(platform::peakRssKib()) * 1024);
  m += "# HELP tessera_feed_frames_total Frames delivered per feed.\n"
       "# TYPE tessera_feed_frames_total counter\n";
  const auto list = feeds();
  for (const auto& f : list) {
    m += fmt::format("tessera_feed_frames_total{{feed=\"{}\",source=\"{}\"}} {}\n", f.id.value,
                     core::toString(f.source), f.frames);
  }
  m += "# HELP tessera_feed_skipped_frames_total Frames a feed skipped late (a busy machine: feed "
       "threads give way to the canvas).\n"
       "# TYPE tessera_feed_skipped_frames_total counter\n";
  for (const auto& f : list) {
    m +=
        fmt::format("tessera_feed_skipped_frames_total{{feed=\"{}\"}} {}\n", f.id.value, f.skipped);
  }
  m += "# HELP tessera_feed_bitrate_kbps Compressed video bitrate per pulled feed.\n"
       "# TYPE tessera_feed_bitrate_kbps gauge\n";
  for (const auto& f : list) {
    if (f.source != core::FeedSource::kPull) continue;
    m += fmt::format("tessera_feed_bitrate_kbps{{feed=\"{}\",protocol=\"{}\"}} {:.1f}\n",
                     f.id.value, f.protocol, f.bitrateKbps);
  }
  m += "# HELP tessera_feed_latency_ms Capture-to-arrival latency per feed, p50.\n"
       "# TYPE tessera_feed_latency_ms gauge\n";
  for (const auto& f : list) {
    m += fmt::format("tessera_feed_latency_ms{{feed=\"{}\",sync=\"{}\"}} {:.1f}\n", f.id.value,
                     f.sync.state, f.sync.latencyMs);
  }
  return m;
}

}  // namespace tessera::server
