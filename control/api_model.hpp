// What the HTTP API reads and asks of the running installation, as plain values. The server
// implements it; tests can implement it with fixed data.
//
// Thread: every call comes from the main-loop thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/frame.hpp"
#include "core/scores.hpp"
#include "core/types.hpp"

namespace tessera::control {

// A feed's place in the time model (docs/architecture.md, "Time").
struct FeedSyncInfo {
  std::string state = "unsynced";  // "aligned" | "late" | "unsynced"
  std::string clock = "none";  // how its clock is tied to the server's (see core::ClockEstimate)
  double latencyMs = 0;        // capture to arrival, p50
  double latencyMsP95 = 0;
  std::optional<double> clockOffsetMs;
  std::optional<double> cueOffsetMs;
  double offsetMs = 0;  // [[ingest.pull]] offset_ms
};

struct FeedInfo {
  core::FeedId id;
  core::FeedSource source = core::FeedSource::kSynthetic;
  std::string uri;  // pull only, secrets masked
  // Pull only: "rtsp", "rtmp", "srt", "hls", "dash", "mjpeg", "http", "v4l2", "udp", "file".
  std::string protocol;
  std::optional<double> firstFrameMs;  // pull only: (re)connection to first frame
  double bitrateKbps = 0;              // pull only: compressed video into the decoder
  core::FeedState state = core::FeedState::kConnecting;
  int width = 0;  // as decoded from the source
  int height = 0;
  int scaledWidth = 0;  // as scaled for the canvas (the tile's drawn size, at most the tile)
  int scaledHeight = 0;
  double fps = 0;
  std::optional<core::Scores> scores;
  std::optional<core::Rect> tile;  // canvas pixels, none when not on the canvas
  std::uint64_t frames = 0;
  std::uint64_t dropped = 0;
  std::uint64_t skipped = 0;  // skipped late, before the ring (a busy machine)
  int restarts = 0;
  std::string lastError;
  FeedSyncInfo sync;
  bool waiting = false;  // waits for the operator's approval: no tile
  bool hidden = false;   // hidden by the operator: no tile, still streaming
};

// One output of the canvas (HLS, an RTMP or SRT push), as GET /api/v1/outputs shows it.
struct OutputInfo {
  std::string kind;   // "hls" | "replay" | "rtmp" | "rtmps" | "srt" | "whep"
  std::string uri;    // secrets masked
  std::string state;  // "live" | "retrying" | "off"
  double bitrateKbps = 0;
  int restarts = 0;
  std::string lastError;
  std::uint64_t frames = 0;
  std::uint64_t dropped = 0;
  std::uint64_t bytes = 0;
  std::optional<std::uint64_t> diskBytes;  // the replay's files
  std::optional<int> viewers;              // WHEP: sessions now
};

struct HealthInfo {
  bool rendering = false;  // a canvas frame exists
  std::size_t feeds = 0;
  std::size_t liveFeeds = 0;
  int workers = 0;  // live analysis workers
  // Why the installation runs degraded ("analysis: no live worker ..."); empty when it does not.
  std::vector<std::string> degraded;
  double fps = 0;
  std::string scene;
  std::string installation;
  double uptimeSeconds = 0;
  std::size_t shaderErrors = 0;  // shader files whose last load failed
  bool syncEnabled = true;
  double syncDelayMs = 0;  // the playout delay now
};

// One input of an artist's shader, as the admin page lists it. Numbers of the input's type:
// bool/event/long/float one, point2D two, color four (RGBA 0-1); empty when absent.
struct ShaderParamInfo {
  std::string name;
  std::string label;
  std::string type;  // ISF spelling: "float", "point2D", "color", "image", ...
  std::vector<double> value, defaultValue, min, max;
  std::vector<int> values;          // long: the choices
  std::vector<std::string> labels;  // long: their labels
};

struct ShaderInfo {
  std::string scene;
  std::string role;       // "layout" or "filter"
  std::size_t index = 0;  // filter: its place in the scene's chain
  std::string name;       // the file's name without extension
  std::string file;       // the file's name
  bool running = false;   // a program is on screen (the last good one)
  std::string error;      // the last load's compile log in the artist's lines; empty when fine
  std::uint64_t loads = 0;
  std::vector<ShaderParamInfo> params;
};

// A value sent for a shader input: numbers (true/false as 1/0), or text (a long's LABEL,
// a colour "#rrggbb").
struct ParamValue {
  std::string name;
  std::vector<double> numbers;
  std::optional<std::string> text;
};

struct ParamResult {
  int status = 200;    // 200, or 404 (unknown scene, shader or input) / 422 (bad value)
  std::string detail;  // what was wrong
  std::string scene;   // where the values went
  std::vector<std::string> shaders;
};

class ApiModel {
 public:
  virtual ~ApiModel() = default;
  virtual HealthInfo health() = 0;
  virtual std::vector<FeedInfo> feeds() = 0;
  virtual core::FrameRef canvas() = 0;
  // A feed's newest frame (the admin page's thumbnails); null when unknown or before the first.
  virtual core::FrameRef feedFrame(core::FeedId) { return nullptr; }
  virtual std::optional<std::filesystem::path> hlsDirectory() = 0;
  virtual std::vector<OutputInfo> outputs() = 0;
  // Where the replay (replay.m3u8, replay-*.ts) is kept; none when off.
  virtual std::optional<std::filesystem::path> replayDirectory() = 0;
  virtual std::vector<std::string> sceneNames() = 0;
  // Prometheus text exposition lines, without the HTTP framing.
  virtual std::string metrics() = 0;
  virtual bool switchScene(const std::string& name) = 0;
  virtual std::vector<ShaderInfo> shaders() = 0;
  // Sets inputs of the shaders of `scene` (the current scene when absent): of the one named
  // `shader` (file name with or without extension), or of every shader there with that input.
  virtual ParamResult setParams(const std::optional<std::string>& scene,
                                const std::optional<std::string>& shader,
                                const std::vector<ParamValue>& values) = 0;
};

}  // namespace tessera::control
