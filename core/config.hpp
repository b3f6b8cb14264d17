// The installation file, parsed once at the edge into typed structs with defaults.
// Modules receive their own struct, never the TOML document.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "core/pull_uri.hpp"
#include "core/push_uri.hpp"
#include "core/screen_warp.hpp"

namespace tessera::core {

// A problem in an installation file; `what()` names file, line and key.
struct ConfigProblem {
  std::string file;
  int line = 0;     // 1-based, 0 when unknown
  std::string key;  // dotted path, e.g. "canvas.width" or "scenes[1].layout"
  std::string message;
  std::string str() const;  // "FILE:LINE: KEY: MESSAGE"
};

class ConfigError : public std::runtime_error {
 public:
  explicit ConfigError(std::vector<ConfigProblem> problems);
  const std::vector<ConfigProblem>& problems() const { return mProblems; }

 private:
  std::vector<ConfigProblem> mProblems;
};

struct InstallationConfig {
  std::string name = "tessera";
};

struct CanvasConfig {
  int width = 1280;
  int height = 720;
  int fps = 30;
};

struct TlsFiles {
  std::filesystem::path cert;
  std::filesystem::path key;
};

struct HttpConfig {
  std::string listen = "0.0.0.0:8080";
  // "off" | "auto" | given files
  std::variant<std::monostate, std::string, TlsFiles> tls = std::string("off");
  std::optional<std::string> adminToken;
  // The private channel: the viewer page, /hls/*, /whep and reactions need it; absent = public.
  std::optional<std::string> viewerToken;
  std::optional<std::string> publicUrl;
  // Open connections at once, and from one client address (phones behind one venue NAT share
  // an address, each holding a status poll: docs/http-api.md, "Limits").
  int maxConnections = 512;
  int maxConnectionsPerAddress = 32;
};

struct SyntheticConfig {
  int count = 0;
};

struct WhipConfig {
  bool enabled = true;
  std::optional<std::string> token;
  // Shown on the join page above the button.
  std::string consent =
      "Your camera becomes a tile in a live artwork shown here and streamed online. Nothing is "
      "recorded unless the installation says so. Leave at any time.";
  std::vector<std::string> iceAddresses;  // gather only on these local addresses; empty = all
  std::vector<std::string> iceServers;    // stun:host:port / turn:user:pass@host:port
  int udpPortMin = 0;                     // 0 = any port
  int udpPortMax = 0;
  int silenceTimeoutSeconds = 10;  // a participant with no media this long is removed
  int postsPerMinute = 30;         // per client address
  bool approval = false;     // new participants wait (no tile) until the operator approves them
  bool banByAddress = true;  // a ban also refuses the banned participant's address
};

struct PullConfig {
  std::string uri;
  PullTarget target;  // `uri` parsed: the source per scheme, secrets masked
  bool loop = true;
  double offsetMs = 0;  // added to this source's capture times (a camera known to run late)
  // connect_timeout_s, stall_timeout_s, latency_ms: the scheme's defaults unless written.
  PullTimeouts timeouts;
  // TLS schemes only (rtsps, rtmps, https): the server's certificate is checked against the
  // certificates of tlsCaFile (a private CA, a camera's self-signed certificate) instead of the
  // system store; tlsVerify = false accepts any certificate (insecure, logged as such).
  std::filesystem::path tlsCaFile;
  bool tlsVerify = true;
};

// How pulled and synthetic feeds' decoding gives way to the canvas when the CPU is short.
enum class FeedPriority {
  kIdle,  // the idle scheduling class: the canvas keeps its rate at any feed count; feeds get
          // little CPU while other programs on the machine are busy too
  kLow,   // nice 19: a little less protection for the canvas, kinder to a shared machine
};

struct IngestConfig {
  int maxFeeds = 256;
  FeedPriority feedPriority = FeedPriority::kIdle;
  int tileWidth = 160;
  int tileHeight = 120;
  // Each feed scaled to the size its tile is drawn at, at most the tile (core/tile_scale.hpp);
  // false keeps every feed at the tile size (analysis, faces included, always at that size).
  bool scaleToDrawn = true;
  SyntheticConfig synthetic;
  WhipConfig whip;
  std::vector<PullConfig> pulls;
};

struct AnalysisConfig {
  int workers = -1;  // -1 = "auto"
  double rateHz = 5;
  double facesHz = 0.2;  // face detections per feed per second; 0 = never
  // ZeroMQ endpoint remote workers connect to ("tcp://0.0.0.0:5555"); none = local workers only.
  std::optional<std::string> endpoint;
  // CURVE (required when `endpoint` is not loopback): the server's secret key and the public
  // keys of the workers let in, all Z85 (40 characters).
  std::optional<std::string> curveSecretKey;
  std::vector<std::string> curveClientKeys;
};

enum class LayoutKind { kGrid, kPhotomosaic, kSpotlight, kBrush, kShader };

// What a spotlight scene sizes tiles by.
enum class SceneScore { kNone, kMotion, kFaces, kBrightness, kSharpness };

struct SceneConfig {
  std::string name;
  LayoutKind layout = LayoutKind::kGrid;
  std::optional<std::filesystem::path> target;  // resolved against the installation file
  int columns = 32;
  int rows = 18;
  double tint = 0.3;
  int line = 0;  // where the scene starts in the file, for problems found later (its target)
  double fadeSeconds = 1.0;   // cross-fade when switched to
  double glideSeconds = 0.6;  // tiles glide to new places
  // photomosaic
  double hysteresis = 6;  // CIE76 delta E a new feed must fit a cell better by
  double reuse = 3;       // feeds appear between 1/reuse and reuse times their fair share
  // spotlight
  SceneScore score = SceneScore::kMotion;
  double emphasis = 3;
  std::optional<std::uint32_t> pinned;  // feed id
  double pinnedShare = 0.4;
  // brush
  int strokes = 600;
  double strokeSize = 28;  // pixels
  double strokeFadeSeconds = 4;
  double flowSpeed = 90;   // pixels per second
  double flowScale = 320;  // pixels
  // shaders (docs/shaders.md): the layout shader (layout = "shader") and filters any scene ends
  // in, resolved against the installation file
  std::optional<std::filesystem::path> shader;
  std::vector<std::filesystem::path> filters;
  // The share of the canvas's width and height the shaders draw at (the result is scaled up):
  // a fixed 0.25..1, or none for "auto" (full size, lowered while the canvas runs late).
  std::optional<double> shaderScale;
  // Initial values of the shaders' inputs, by input name: numbers (bool: 0/1; point2D, color:
  // several), or text (a long's LABEL, a colour "#rrggbb").
  struct Param {
    std::string name;
    std::vector<double> numbers;
    std::optional<std::string> text;
    int line = 0;
  };
  std::vector<Param> params;
};

// [[output.windows]]: one gallery window (docs/installation-format.md, "Gallery screens").
struct WindowConfig {
  int display = 0;              // SDL's display index at start-up (followed by name after a replug)
  bool fullscreen = true;       // a borderless window covering the display
  std::optional<Rect> region;   // the part of the canvas shown (canvas pixels); none: all of it
  std::optional<Quad> corners;  // corner-pin in window pixels; none: the region letterboxed
  EdgeBlend blend;
  // Without fullscreen: the window's place on its display and its size (defaults: centred,
  // the region's size).
  std::optional<PointD> position;
  std::optional<SizePx> size;
};
inline constexpr std::size_t kMaxWindows = 16;
inline constexpr int kMaxDisplayIndex = 15;

// Where the canvas becomes the encoders' I420 ([output] i420_conversion).
enum class I420Conversion {
  kAuto,  // on the GPU, unless GL is a software rasteriser (llvmpipe), where it costs more CPU
  kGpu,   // a shader at each encoder's size, read back as I420
  kCpu,   // the canvas read back as RGBA, converted in each encoder's pipeline (videoconvert)
};

struct OutputConfig {
  bool window = false;  // alone: one [[output.windows]] with every default (display 0)
  std::vector<WindowConfig> windows;  // [[output.windows]]
  bool hls = true;
  int bitrateKbps = 4000;
  int hlsSegmentSeconds = 2;
  int hlsPlaylistLength = 6;
  bool qr = false;                 // the join QR code in the canvas's bottom-right corner
  std::vector<PushTarget> pushes;  // [[output.push]]: RTMP(S) and SRT targets
  // HLS heights, largest first; empty: one stream at the canvas size. With renditions,
  // /hls/index.m3u8 is a master playlist and each height is encoded once.
  std::vector<int> renditions;
  // The replay: an EVENT playlist of the last replay_hours (0: off), in replay_dir (default:
  // the installation's state directory, docs/installation-format.md), at most replay_max_mb.
  double replayHours = 0;
  std::filesystem::path replayDir;  // resolved against the installation file; empty: default
  int replayMaxMb = 20000;
  // WHEP (POST /whep): WebRTC viewers of the encoded canvas, at most maxViewers at once.
  // Unset: on when HLS is (WHEP shares its encoder; without any output nothing is encoded).
  std::optional<bool> whep;
  bool whepOn() const { return whep.value_or(hls); }
  int maxViewers = 100;
  I420Conversion i420Conversion = I420Conversion::kAuto;
};
inline constexpr std::size_t kMaxRenditions = 4;
inline constexpr int kMaxWhepViewers = 1000;  // each viewer has a pipeline and a few threads

// [sync]: the playout (docs/architecture.md, "Time").
struct SyncConfig {
  bool enabled = true;            // false: every tile shows its newest frame
  std::optional<double> delayMs;  // nullopt: "auto"
  double maxDelayMs = 1000;       // later feeds are drawn newest-first and reported late
};

// [reactions]: viewers' reactions (POST /api/v1/reactions, docs/http-api.md).
struct ReactionsConfig {
  bool enabled = true;           // false: the route answers 404, CROWD_REACTIONS stays 0
  bool overlay = true;           // the canvas shows each reaction as a rising, fading shape
  int perAddressPerMinute = 60;  // beyond this, one client address gets 429 + Retry-After
};

struct ListenAddress {
  std::string host;  // numeric IPv4 or IPv6, without brackets
  int port = 0;
};

// [osc]: Open Sound Control in and out (docs/osc.md). No [osc] table: off.
struct OscConfig {
  bool enabled = false;                 // an [osc] table is present
  std::optional<ListenAddress> listen;  // inbound commands (unauthenticated); none: send only
  std::vector<ListenAddress> send;      // where the crowd bundles go
  double rateHz = 10;                   // crowd bundles per second
  std::vector<std::string> allow;       // source IPs taken in; empty: any
};
inline constexpr std::size_t kMaxOscTargets = 16;
inline constexpr std::size_t kMaxOscAllowed = 64;

struct Config {
  std::filesystem::path file;  // the installation file itself
  InstallationConfig installation;
  CanvasConfig canvas;
  HttpConfig http;
  IngestConfig ingest;
  AnalysisConfig analysis;
  std::vector<SceneConfig> scenes;  // never empty after parsing: a default "grid" scene
  OutputConfig output;
  SyncConfig sync;
  ReactionsConfig reactions;
  OscConfig osc;
};

// "IP:PORT" as [http] listen and --http take it: an IPv4 address or a bracketed IPv6 one (no
// host names: nothing is resolved), PORT 0..65535. `host` is without brackets.
std::optional<ListenAddress> parseListenAddress(std::string_view text);

// The host of "scheme://HOST[:PORT][/...]" ([http] public_url) when it is a plain host name
// (letters, digits, '-', '.') or an IP address (IPv6 bracketed, brackets kept), else nullopt:
// it goes into the self-signed certificate's names and the join link.
std::optional<std::string> urlHost(std::string_view url);

// Parses and validates; throws ConfigError listing every problem found. The one validation that
// `tessera check` and `tessera run` share: what one refuses, the other refuses too.
Config loadConfig(const std::filesystem::path& file);
Config parseConfig(std::string_view text, const std::filesystem::path& file);

const char* toString(LayoutKind kind);
const char* toString(SceneScore score);

}  // namespace tessera::core
