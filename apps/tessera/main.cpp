// tessera: the one executable. Subcommands parse their arguments here and hand over to the
// libraries; exit codes are 0 ok, 1 runtime failure, 2 bad usage or invalid installation file.
#include <cerrno>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <zmq.h>
#include <opencv2/core/version.hpp>

#include "analysis/messaging.hpp"
#include "analysis/worker.hpp"
#include "core/config.hpp"
#include "core/log.hpp"
#include "platform/gl_surface.hpp"
#include "platform/pipeline.hpp"
#include "platform/png.hpp"
#include "platform/system.hpp"
#include "platform/tls_trust.hpp"
#include "render/scenes.hpp"
#include "render/shader_preview.hpp"
#include "server/server.hpp"

namespace {

using namespace tessera;

constexpr int kOk = 0;
constexpr int kFailure = 1;
constexpr int kUsage = 2;
// An arena per thread for `run`: 256 WHIP participants bring ~2,300 threads.
constexpr int kMallocArenas = 4096;

constexpr const char* kMainHelp = R"(tessera - live crowd cameras painted into one canvas

usage: tessera <command> [options]

commands:
  run FILE.toml      run an installation until SIGINT/SIGTERM (or --duration)
  check FILE.toml    validate an installation file; exit 0 or 2
  worker             an analysis worker process
  shader render      render a shader headless to a PNG
  version            print versions of tessera and its libraries

`tessera <command> --help` describes each command.
)";

constexpr const char* kRunHelp =
    R"(usage: tessera run FILE.toml [--duration S] [--http ADDR:PORT] [--headless] [--log-level L]

Runs the installation until SIGINT/SIGTERM (clean shutdown: outputs finalised) or for S seconds.
  --duration S      stop after S seconds
  --http ADDR:PORT  listen here instead of [http] listen
  --headless        never open a window, whatever [output] window says
  --log-level L     debug | info | warn | error (default info)
)";

constexpr const char* kCheckHelp = R"(usage: tessera check FILE.toml

Validates the installation file and every shader and asset it names. Prints each problem as
FILE:LINE: KEY: MESSAGE and exits 2 when there is one, 0 when the file is good.
)";

struct Args {
  std::vector<std::string> items;
  std::size_t pos = 0;
  bool done() const { return pos >= items.size(); }
  const std::string& next() { return items[pos++]; }
};

bool wantsHelp(const std::vector<std::string>& args) {
  for (const auto& a : args) {
    if (a == "--help" || a == "-h") return true;
  }
  return false;
}

int usageError(const std::string& message, const char* help) {
  std::fprintf(stderr, "tessera: %s\n\n%s", message.c_str(), help);
  return kUsage;
}

std::optional<core::Config> loadOrReport(const std::string& file) {
  try {
    return core::loadConfig(file);
  } catch (const core::ConfigError& e) {
    for (const auto& p : e.problems()) std::fprintf(stderr, "%s\n", p.str().c_str());
    return std::nullopt;
  }
}

// The parser checked each [[ingest.pull]] tls_ca_file's PEM armour; the TLS library reads the
// certificates. Prints each problem (FILE:0: KEY: MESSAGE).
bool pullCaFilesOk(const core::Config& config) {
  bool ok = true;
  for (std::size_t i = 0; i < config.ingest.pulls.size(); ++i) {
    const auto& caFile = config.ingest.pulls[i].tlsCaFile;
    if (caFile.empty()) continue;
    if (auto problem = platform::tlsCertificatesProblem(caFile)) {
      std::fprintf(stderr, "%s:0: ingest.pull[%zu].tls_ca_file: %s\n", config.file.c_str(), i,
                   problem->c_str());
      ok = false;
    }
  }
  return ok;
}

// Loads every scene's target image; prints each problem (FILE:LINE: KEY: MESSAGE).
bool sceneAssetsOk(const core::Config& config) {
  std::vector<core::ConfigProblem> problems;
  render::loadScenes(config.scenes, {config.canvas.width, config.canvas.height},
                     config.file.string(), &problems);
  for (const auto& p : problems) std::fprintf(stderr, "%s\n", p.str().c_str());
  return problems.empty();
}

int cmdCheck(Args args) {
  if (wantsHelp(args.items)) return std::printf("%s", kCheckHelp), kOk;
  if (args.items.size() != 1) return usageError("check takes one FILE.toml", kCheckHelp);
  auto config = loadOrReport(args.items[0]);
  if (!config) return kUsage;
  // Assets the file relies on beyond the parser's own checks: the shaders and scene targets.
  const auto shaders = server::defaultDataDir() / "shaders";
  int problems = 0;
  if (!sceneAssetsOk(*config)) ++problems;
  std::string note;
  for (const auto& p : render::checkShaders(*config, &note)) {
    std::fprintf(stderr, "%s\n", p.str().c_str());
    ++problems;
  }
  if (!note.empty()) std::fprintf(stderr, "%s: note: %s\n", args.items[0].c_str(), note.c_str());

  if (!pullCaFilesOk(*config)) ++problems;
  for (const char* name : {"tiles.vert", "tiles.frag", "canvas.vert", "canvas.frag"}) {
    if (!std::filesystem::exists(shaders / name)) {
      std::fprintf(stderr, "%s:0: (shaders): missing %s\n", args.items[0].c_str(),
                   (shaders / name).c_str());
      ++problems;
    }
  }
  if (problems) return kUsage;
  std::printf("%s: ok (installation \"%s\", %dx%d@%d, %zu scene(s), %d synthetic, %zu pulled)\n",
              args.items[0].c_str(), config->installation.name.c_str(), config->canvas.width,
              config->canvas.height, config->canvas.fps, config->scenes.size(),
              config->ingest.synthetic.count, config->ingest.pulls.size());
  return kOk;
}

int cmdRun(Args args, int mallocArenas) {
  if (wantsHelp(args.items)) return std::printf("%s", kRunHelp), kOk;
  std::optional<std::string> file;
  server::ServerOptions options;
  options.mallocArenas = mallocArenas;
  while (!args.done()) {
    const std::string a = args.next();
    auto value = [&](const char* flag) -> std::optional<std::string> {
      if (args.done()) return std::nullopt;
      (void)flag;
      return args.next();
    };
    if (a == "--duration") {
      auto v = value("--duration");
      char* end = nullptr;
      const double s = v ? std::strtod(v->c_str(), &end) : -1;
      if (!v || *end != '\0' || s <= 0) {
        return usageError("--duration takes a positive number of seconds", kRunHelp);
      }
      options.durationSeconds = s;
    } else if (a == "--http") {
      auto v = value("--http");
      // The rule [http] listen follows: what run would fail to bind is a usage error here.
      if (!v || !core::parseListenAddress(*v)) {
        return usageError("--http takes IP:PORT (an IPv4 address or a bracketed IPv6 one)",
                          kRunHelp);
      }
      options.httpListen = *v;
    } else if (a == "--headless") {
      options.headless = true;
    } else if (a == "--log-level") {
      auto v = value("--log-level");
      auto level = v ? core::parseLogLevel(*v) : std::nullopt;
      if (!level) return usageError("--log-level takes debug, info, warn or error", kRunHelp);
      core::setLogLevel(*level);
    } else if (!a.empty() && a[0] == '-') {
      return usageError("unknown option " + a, kRunHelp);
    } else if (!file) {
      file = a;
    } else {
      return usageError("run takes one FILE.toml", kRunHelp);
    }
  }
  if (!file) return usageError("run needs an installation file", kRunHelp);
  auto config = loadOrReport(*file);
  if (!config || !sceneAssetsOk(*config) || !pullCaFilesOk(*config)) return kUsage;
  options.dataDir = server::defaultDataDir();
  platform::GstRuntime gst;
  server::Server server(std::move(*config), std::move(options));
  return server.run();
}

constexpr const char* kWorkerHelp =
    R"(usage: tessera worker --connect ENDPOINT [--server-key KEY] [--name NAME]
                      [--cascade FILE | --no-faces] [--log-level L]
       tessera worker --keygen

An analysis worker: connects to a tessera server, scores the frames it is sent (colour,
brightness, motion, sharpness, palette, faces) and returns the scores. The server starts its
local workers itself; run this on other machines to add more (the server's [analysis] endpoint).
  --connect ENDPOINT  the server's endpoint, e.g. tcp://gallery.local:5555
  --server-key KEY    the server's CURVE public key (the server logs it): turns CURVE on; the
                      worker's own secret key is read from $TESSERA_WORKER_SECRET_KEY, and its
                      public key must be in the server's curve_client_keys
  --name NAME         how the server's log and metrics name this worker (default: HOST pid PID)
  --cascade FILE      Haar cascade for faces (default: opencv-data's frontal-face cascade)
  --no-faces          never detect faces
  --keygen            print a new CURVE key pair (public, then secret) and exit
  --log-level L       debug | info | warn | error (default info)
Stops cleanly on SIGINT/SIGTERM. Exit codes: 0 stopped, 1 cannot connect, 2 bad usage.
)";

int cmdWorker(Args args) {
  if (wantsHelp(args.items)) return std::printf("%s", kWorkerHelp), kOk;
  analysis::WorkerOptions options;
  bool keygen = false;
  while (!args.done()) {
    const std::string a = args.next();
    auto value = [&]() -> std::optional<std::string> {
      if (args.done()) return std::nullopt;
      return args.next();
    };
    if (a == "--connect" || a == "--server-key" || a == "--name" || a == "--cascade" ||
        a == "--log-level") {
      auto v = value();
      if (!v || v->empty()) return usageError(a + " takes a value", kWorkerHelp);
      if (a == "--connect") options.endpoint = *v;
      if (a == "--server-key") options.serverKey = *v;
      if (a == "--name") options.name = *v;
      if (a == "--cascade") options.faceCascade = *v;
      if (a == "--log-level") {
        auto level = core::parseLogLevel(*v);
        if (!level) return usageError("--log-level takes debug, info, warn or error", kWorkerHelp);
        core::setLogLevel(*level);
      }
    } else if (a == "--no-faces") {
      options.faceCascade.reset();
    } else if (a == "--keygen") {
      keygen = true;
    } else {
      return usageError("unknown option " + a, kWorkerHelp);
    }
  }
  if (keygen) {
    const auto keys = analysis::generateCurveKeyPair();
    std::printf("public %s\nsecret %s\n", keys.publicKey.c_str(), keys.secretKey.c_str());
    return kOk;
  }
  if (options.endpoint.empty()) return usageError("worker needs --connect ENDPOINT", kWorkerHelp);
  if (options.serverKey) {
    if (options.serverKey->size() != 40) {
      return usageError("--server-key takes the server's Z85 public key (40 characters)",
                        kWorkerHelp);
    }
    const char* secret = std::getenv("TESSERA_WORKER_SECRET_KEY");
    if (!secret || !analysis::curvePublicKey(secret)) {
      return usageError(
          "--server-key needs this worker's Z85 secret key in $TESSERA_WORKER_SECRET_KEY "
          "(`tessera worker --keygen` makes a pair)",
          kWorkerHelp);
    }
    options.secretKey = secret;
  }
  return analysis::runWorkerProcess(std::move(options));
}

int cmdVersion() {
  platform::GstRuntime gst;
  int zmajor = 0, zminor = 0, zpatch = 0;
  zmq_version(&zmajor, &zminor, &zpatch);
  std::string error;
  std::string gl = "unavailable";
  if (auto surface = platform::createHeadlessSurface(&error)) {
    gl = platform::glRendererDescription();
  } else {
    gl += " (" + error + ")";
  }
  std::printf("tessera %s\n", TESSERA_VERSION);
  std::printf("GStreamer %s\n", platform::GstRuntime::version().c_str() + 10);
  std::printf("OpenCV %s\n", CV_VERSION);
  std::printf("ZeroMQ %d.%d.%d\n", zmajor, zminor, zpatch);
  std::printf("GL %s\n", gl.c_str());
  return kOk;
}

constexpr const char* kShaderHelp =
    R"(usage: tessera shader render SHADER --out OUT.png [--size WxH] [--time S] [--frames N]
                             [--fps F] [--set NAME=VALUE]... [--image NAME=FILE]... [--feeds N]
                             [--reactions R]

Renders an ISF (.fs, with a companion .vs when there is one) or ShaderToy shader headless to a
PNG. On a compile error prints the compiler's log with the shader's own line numbers and exits 2.
  --out OUT.png     where to write the picture (required)
  --size WxH        picture size (default 640x360)
  --time S          TIME of the first frame, seconds (default 0)
  --frames N        frames to draw, TIME advancing by 1/fps (default 1); the last one is written
                    (persistent buffers and feedback need several)
  --fps F           frame rate for --frames (default 60)
  --set NAME=VALUE  an input's value: bool true|false, long an integer or a LABEL, float a number,
                    point2D X,Y, color R,G,B[,A] (0-1) or #RRGGBB[AA]; may repeat
  --image NAME=FILE a PNG for an image input (ShaderToy: iChannel0..3); may repeat
  --timeout S       give up after S seconds (default 60): a shader stuck in an endless loop
                    would otherwise hold a CPU rasteriser for ever; exit 2
  --feeds N         N synthetic participants for the crowd inputs (FEED_*, CROWD_*; default 0);
                    a filter's inputImage is then their grid unless --image gives one
  --reactions R     CROWD_REACTIONS, viewers' reactions per second (default 0)

Exit codes: 0 written, 1 runtime failure (no GL, cannot write), 2 bad usage or shader error.
)";

std::optional<std::pair<std::string, std::string>> splitAssignment(const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) return std::nullopt;
  return std::pair{text.substr(0, eq), text.substr(eq + 1)};
}

int cmdShader(Args args) {
  if (wantsHelp(args.items)) return std::printf("%s", kShaderHelp), kOk;
  if (args.done() || args.next() != "render") {
    return usageError("the shader command is `tessera shader render SHADER --out OUT.png`",
                      kShaderHelp);
  }
  render::PreviewOptions options;
  std::optional<std::string> shader, out;
  double timeoutS = 60;
  while (!args.done()) {
    const std::string a = args.next();
    std::optional<std::string> v;
    if (a.rfind("--", 0) == 0 && a != "--help") {
      if (args.done()) return usageError(a + " takes a value", kShaderHelp);
      v = args.next();
    }
    auto positive = [&](double lo) -> std::optional<double> {
      char* end = nullptr;
      const double x = std::strtod(v->c_str(), &end);
      if (v->empty() || *end != '\0' || !(x >= lo) || !std::isfinite(x)) return std::nullopt;
      return x;
    };
    if (a == "--out") {
      out = *v;
    } else if (a == "--size") {
      int w = 0, h = 0;
      char extra = 0;
      if (std::sscanf(v->c_str(), "%dx%d%c", &w, &h, &extra) != 2 || w < 1 || h < 1) {
        return usageError("--size takes WxH, e.g. 1920x1080", kShaderHelp);
      }
      options.size = {w, h};
    } else if (a == "--time") {
      auto t = positive(-1e9);
      if (!t) return usageError("--time takes a number of seconds", kShaderHelp);
      options.timeS = *t;
    } else if (a == "--frames") {
      auto n = positive(1);
      if (!n || *n > 100000 || *n != std::floor(*n)) {
        return usageError("--frames takes a whole number from 1 to 100000", kShaderHelp);
      }
      options.frames = static_cast<int>(*n);
    } else if (a == "--fps") {
      auto f = positive(0.001);
      if (!f) return usageError("--fps takes a positive number", kShaderHelp);
      options.fps = *f;
    } else if (a == "--timeout") {
      auto s = positive(0.1);
      if (!s || *s > 86400) return usageError("--timeout takes seconds, 0.1 to 86400", kShaderHelp);
      timeoutS = *s;
    } else if (a == "--feeds") {
      auto n = positive(0);
      if (!n || *n > 1024 || *n != std::floor(*n)) {
        return usageError("--feeds takes a whole number from 0 to 1024", kShaderHelp);
      }
      options.feeds = static_cast<int>(*n);
      options.maxFeeds = std::max(256, options.feeds);
    } else if (a == "--reactions") {
      auto r = positive(0);
      if (!r || *r > 1e6)
        return usageError("--reactions takes a number from 0 to 1e6", kShaderHelp);
      options.reactionsPerS = *r;
    } else if (a == "--set" || a == "--image") {
      auto kv = splitAssignment(*v);
      if (!kv) return usageError(a + " takes NAME=VALUE", kShaderHelp);
      if (a == "--set") {
        options.values.push_back(*kv);
      } else {
        options.images.emplace_back(kv->first, kv->second);
      }
    } else if (!a.empty() && a[0] == '-') {
      return usageError("unknown option " + a, kShaderHelp);
    } else if (!shader) {
      shader = a;
    } else {
      return usageError("shader render takes one SHADER", kShaderHelp);
    }
  }
  if (!shader) return usageError("shader render needs a SHADER file", kShaderHelp);
  if (!out) return usageError("shader render needs --out OUT.png", kShaderHelp);
  options.shader = *shader;
  // Nothing interrupts a draw on a CPU rasteriser: a watchdog ends the process instead.
  std::mutex mutex;
  std::condition_variable finished;
  bool done = false;
  std::thread watchdog([&] {
    std::unique_lock lock(mutex);
    const auto limit = std::chrono::duration<double>(timeoutS);
    if (!finished.wait_for(lock, limit, [&] { return done; })) {
      std::fprintf(stderr,
                   "%s: error: no picture after %.1f s: the shader is far too slow or stuck in an "
                   "endless loop (--timeout)\n",
                   shader->c_str(), timeoutS);
      std::_Exit(kUsage);
    }
  });
  const render::PreviewOutcome r = render::renderPreview(options);
  {
    std::lock_guard lock(mutex);
    done = true;
  }
  finished.notify_one();
  watchdog.join();
  using Status = render::PreviewOutcome::Status;
  if (r.status != Status::kOk) {
    std::fprintf(stderr, "%s\n", r.message.c_str());
    return r.status == Status::kFailure ? kFailure : kUsage;
  }
  const auto png = platform::encodePng(r.image.rgba.data(), r.image.width, r.image.height,
                                       static_cast<std::size_t>(r.image.width) * 4);
  std::FILE* f = std::fopen(out->c_str(), "wb");
  bool written = f && std::fwrite(png.data(), 1, png.size(), f) == png.size();
  if (f && std::fclose(f) != 0) written = false;
  if (!written) {
    std::fprintf(stderr, "tessera: cannot write %s: %s\n", out->c_str(), std::strerror(errno));
    return kFailure;
  }
  return kOk;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> all(argv + 1, argv + argc);
  if (all.empty() || all[0] == "--help" || all[0] == "-h" || all[0] == "help") {
    std::printf("%s", kMainHelp);
    return all.empty() ? kUsage : kOk;
  }
  const std::string command = all[0];
  Args rest{std::vector<std::string>(all.begin() + 1, all.end())};
  if (command == "run") {
    // Before any thread exists (platform/system.hpp): idle-class feed threads must not share
    // malloc locks with the canvas.
    const int arenas = tessera::platform::useMallocArenaPerThread(kMallocArenas);
    return cmdRun(rest, arenas);
  }
  if (command == "check") return cmdCheck(rest);
  if (command == "version" || command == "--version") return cmdVersion();
  if (command == "worker") return cmdWorker(rest);
  if (command == "shader") return cmdShader(rest);
  return usageError("unknown command \"" + command + "\"", kMainHelp);
}
