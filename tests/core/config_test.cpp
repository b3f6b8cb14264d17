#include "core/config.hpp"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "core/files.hpp"

namespace fs = std::filesystem;
using namespace tessera::core;

namespace {

// Parses `text` as "t.toml" and returns every problem line, or an empty list when it parses.
std::vector<std::string> problemsOf(std::string_view text, const fs::path& file = "t.toml") {
  try {
    parseConfig(text, file);
  } catch (const ConfigError& e) {
    std::vector<std::string> lines;
    for (const ConfigProblem& p : e.problems()) lines.push_back(p.str());
    return lines;
  }
  return {};
}

// A scratch directory for tests that need real files; removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    static int counter = 0;
    mPath =
        fs::temp_directory_path() / fmt::format("tessera-config-test-{}-{}", ::getpid(), counter++);
    fs::create_directories(mPath);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(mPath, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const fs::path& path() const { return mPath; }
  fs::path write(const fs::path& relative, std::string_view text) const {
    const fs::path p = mPath / relative;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }

 private:
  fs::path mPath;
};

struct ValidCase {
  const char* name;
  std::string toml;
  std::function<void(const Config&)> check;
};

// Valid snippets and what they must produce; every other field keeps its default (checked in
// "defaults" below).
const std::vector<ValidCase> kValid = {
    {"empty file: every default", "",
     [](const Config& c) {
       CHECK(c.file == fs::path("t.toml"));
       CHECK(c.installation.name == "tessera");
       CHECK(c.canvas.width == 1280);
       CHECK(c.canvas.height == 720);
       CHECK(c.canvas.fps == 30);
       CHECK(c.http.listen == "0.0.0.0:8080");
       REQUIRE(std::holds_alternative<std::string>(c.http.tls));
       CHECK(std::get<std::string>(c.http.tls) == "off");
       CHECK_FALSE(c.http.adminToken);
       CHECK_FALSE(c.http.viewerToken);
       CHECK_FALSE(c.http.publicUrl);
       CHECK(c.ingest.maxFeeds == 256);
       CHECK(c.ingest.tileWidth == 160);
       CHECK(c.ingest.scaleToDrawn);
       CHECK(c.ingest.tileHeight == 120);
       CHECK(c.ingest.synthetic.count == 0);
       CHECK(c.ingest.whip.enabled);
       CHECK_FALSE(c.ingest.whip.token);
       CHECK(c.ingest.pulls.empty());
       CHECK(c.analysis.workers == -1);
       CHECK(c.analysis.rateHz == 5.0);
       CHECK(c.analysis.facesHz == 0.2);
       CHECK_FALSE(c.analysis.endpoint);
       REQUIRE(c.scenes.size() == 1);
       CHECK(c.scenes[0].name == "grid");
       CHECK(c.scenes[0].layout == LayoutKind::kGrid);
       CHECK_FALSE(c.scenes[0].target);
       CHECK(c.scenes[0].columns == 32);
       CHECK(c.scenes[0].rows == 18);
       CHECK(c.scenes[0].tint == 0.3);
       CHECK_FALSE(c.output.window);
       CHECK(c.output.hls);
       CHECK(c.output.bitrateKbps == 4000);
       CHECK(c.output.hlsSegmentSeconds == 2);
       CHECK(c.output.hlsPlaylistLength == 6);
     }},
    {"installation.name", "[installation]\nname = \"lobby\"\n",
     [](const Config& c) { CHECK(c.installation.name == "lobby"); }},
    {"canvas", "[canvas]\nwidth = 1920\nheight = 1080\nfps = 60\n",
     [](const Config& c) {
       CHECK(c.canvas.width == 1920);
       CHECK(c.canvas.height == 1080);
       CHECK(c.canvas.fps == 60);
     }},
    {"canvas limits", "[canvas]\nwidth = 16\nheight = 7680\nfps = 120\n",
     [](const Config& c) {
       CHECK(c.canvas.width == 16);
       CHECK(c.canvas.height == 7680);
       CHECK(c.canvas.fps == 120);
     }},
    {"http strings",
     "[http]\nlisten = \"127.0.0.1:0\"\nadmin_token = \"s3cret\"\n"
     "public_url = \"https://wall.example.org\"\n",
     [](const Config& c) {
       CHECK(c.http.listen == "127.0.0.1:0");
       CHECK(c.http.adminToken == "s3cret");
       CHECK(c.http.publicUrl == "https://wall.example.org");
     }},
    {"http viewer_token: URL-safe characters, up to 256", "[http]\nviewer_token = \"Az09-._~\"\n",
     [](const Config& c) { CHECK(c.http.viewerToken == "Az09-._~"); }},
    {"http viewer_token of 256 characters",
     "[http]\nviewer_token = \"" + std::string(256, 'v') + "\"\n",
     [](const Config& c) { CHECK(c.http.viewerToken == std::string(256, 'v')); }},
    {"http connection caps: defaults", "",
     [](const Config& c) {
       CHECK(c.http.maxConnections == 512);
       CHECK(c.http.maxConnectionsPerAddress == 32);
     }},
    {"http connection caps for a venue behind one NAT address",
     "[http]\nmax_connections = 2048\nmax_connections_per_address = 1024\n",
     [](const Config& c) {
       CHECK(c.http.maxConnections == 2048);
       CHECK(c.http.maxConnectionsPerAddress == 1024);
     }},
    {"http listen on IPv6", "[http]\nlisten = \"[::]:8443\"\n",
     [](const Config& c) { CHECK(c.http.listen == "[::]:8443"); }},
    {"tls auto", "[http]\ntls = \"auto\"\n",
     [](const Config& c) {
       REQUIRE(std::holds_alternative<std::string>(c.http.tls));
       CHECK(std::get<std::string>(c.http.tls) == "auto");
     }},
    {"ingest",
     "[ingest]\nmax_feeds = 4096\ntile_width = 8\ntile_height = 1920\nscale_to_drawn = false\n"
     "[ingest.synthetic]\ncount = 4096\n"
     "[ingest.whip]\nenabled = false\ntoken = \"join-me\"\n",
     [](const Config& c) {
       CHECK(c.ingest.maxFeeds == 4096);
       CHECK(c.ingest.tileWidth == 8);
       CHECK(c.ingest.tileHeight == 1920);
       CHECK_FALSE(c.ingest.scaleToDrawn);
       CHECK(c.ingest.synthetic.count == 4096);
       CHECK_FALSE(c.ingest.whip.enabled);
       CHECK(c.ingest.whip.token == "join-me");
     }},
    {"pulls, in order, loop defaults to true",
     "[[ingest.pull]]\nuri = \"file:///clips/a.mp4\"\n"
     "[[ingest.pull]]\nuri = \"rtsp://cam.local/stream\"\nloop = false\n",
     [](const Config& c) {
       REQUIRE(c.ingest.pulls.size() == 2);
       CHECK(c.ingest.pulls[0].uri == "file:///clips/a.mp4");
       CHECK(c.ingest.pulls[0].loop);
       CHECK(c.ingest.pulls[1].uri == "rtsp://cam.local/stream");
       CHECK_FALSE(c.ingest.pulls[1].loop);
     }},
    {"workers auto", "[analysis]\nworkers = \"auto\"\n",
     [](const Config& c) { CHECK(c.analysis.workers == -1); }},
    {"workers 3", "[analysis]\nworkers = 3\n",
     [](const Config& c) { CHECK(c.analysis.workers == 3); }},
    {"workers 0 turns analysis off", "[analysis]\nworkers = 0\n",
     [](const Config& c) { CHECK(c.analysis.workers == 0); }},
    {"rate_hz as an integer", "[analysis]\nrate_hz = 30\n",
     [](const Config& c) { CHECK(c.analysis.rateHz == 30.0); }},
    {"rate_hz as a float", "[analysis]\nrate_hz = 0.5\n",
     [](const Config& c) { CHECK(c.analysis.rateHz == 0.5); }},
    {"faces_hz, and a loopback endpoint with CURVE keys",
     "[analysis]\nfaces_hz = 0.2\nendpoint = \"tcp://127.0.0.1:5555\"\n"
     "curve_secret_key = \"D(mGeLc56$x6m/]{:dN)^vqPB6mrX}WsZ9/U[q58\"\ncurve_client_keys = "
     "[\"ciy.pI[MsnN2SCjK-.T+FE:Df+]3D>O:2*Lyt/4o\"]\n",
     [](const Config& c) {
       CHECK(c.analysis.facesHz == 0.2);
       CHECK(c.analysis.endpoint == "tcp://127.0.0.1:5555");
       CHECK(c.analysis.curveSecretKey);
       CHECK(c.analysis.curveClientKeys.size() == 1);
     }},
    {"faces_hz 0 turns faces off, endpoint port * is any free port",
     "[analysis]\nfaces_hz = 0\nendpoint = \"tcp://localhost:*\"\n"
     "curve_secret_key = \"D(mGeLc56$x6m/]{:dN)^vqPB6mrX}WsZ9/U[q58\"\ncurve_client_keys = "
     "[\"ciy.pI[MsnN2SCjK-.T+FE:Df+]3D>O:2*Lyt/4o\"]\n",
     [](const Config& c) {
       CHECK(c.analysis.facesHz == 0.0);
       CHECK(c.analysis.endpoint == "tcp://localhost:*");
     }},
    {"a public endpoint with CURVE keys",
     "[analysis]\nendpoint = \"tcp://0.0.0.0:5555\"\n"
     "curve_secret_key = \"D(mGeLc56$x6m/]{:dN)^vqPB6mrX}WsZ9/U[q58\"\ncurve_client_keys = "
     "[\"ciy.pI[MsnN2SCjK-.T+FE:Df+]3D>O:2*Lyt/4o\"]\n",
     [](const Config& c) {
       CHECK(c.analysis.endpoint == "tcp://0.0.0.0:5555");
       CHECK(c.analysis.curveSecretKey == "D(mGeLc56$x6m/]{:dN)^vqPB6mrX}WsZ9/U[q58");
       CHECK(c.analysis.curveClientKeys ==
             std::vector<std::string>{"ciy.pI[MsnN2SCjK-.T+FE:Df+]3D>O:2*Lyt/4o"});
     }},
    {"scenes replace the default scene",
     "[[scenes]]\nname = \"calm\"\nlayout = \"spotlight\"\ncolumns = 1\nrows = 256\ntint = 0\n"
     "[[scenes]]\nname = \"paint\"\nlayout = \"brush\"\ntint = 1.0\n"
     "[[scenes]]\nname = \"fx\"\nlayout = \"shader\"\n"
     "[[scenes]]\nname = \"plain\"\n",
     [](const Config& c) {
       REQUIRE(c.scenes.size() == 4);
       CHECK(c.scenes[0].name == "calm");
       CHECK(c.scenes[0].layout == LayoutKind::kSpotlight);
       CHECK(c.scenes[0].columns == 1);
       CHECK(c.scenes[0].rows == 256);
       CHECK(c.scenes[0].tint == 0.0);
       CHECK(c.scenes[1].layout == LayoutKind::kBrush);
       CHECK(c.scenes[1].tint == 1.0);
       CHECK(c.scenes[2].layout == LayoutKind::kShader);
       CHECK_FALSE(c.scenes[2].shader);  // the renderer's default (stained glass)
       CHECK(c.scenes[3].name == "plain");
       CHECK(c.scenes[3].layout == LayoutKind::kGrid);
     }},
    {"scenes as an inline array", "scenes = [{ name = \"a\" }, { name = \"b\" }]\n",
     [](const Config& c) {
       REQUIRE(c.scenes.size() == 2);
       CHECK(c.scenes[1].name == "b");
     }},
    {"empty arrays: no pulls, the default scene", "scenes = []\n[ingest]\npull = []\n",
     [](const Config& c) {
       CHECK(c.ingest.pulls.empty());
       REQUIRE(c.scenes.size() == 1);
       CHECK(c.scenes[0].name == "grid");
     }},
    {"output",
     "[output]\nwindow = true\nhls = false\nbitrate_kbps = 100000\nhls_segment_seconds = 10\n"
     "hls_playlist_length = 60\n",
     [](const Config& c) {
       CHECK(c.output.window);
       CHECK_FALSE(c.output.hls);
       CHECK(c.output.bitrateKbps == 100000);
       CHECK(c.output.hlsSegmentSeconds == 10);
       CHECK(c.output.hlsPlaylistLength == 60);
     }},
    {"output lower limits",
     "[output]\nbitrate_kbps = 100\nhls_segment_seconds = 1\n"
     "hls_playlist_length = 2\n",
     [](const Config& c) {
       CHECK(c.output.bitrateKbps == 100);
       CHECK(c.output.hlsSegmentSeconds == 1);
       CHECK(c.output.hlsPlaylistLength == 2);
     }},
};

struct InvalidCase {
  const char* name;
  std::string toml;
  std::vector<std::string> expected;  // every problem, in file order
};

const std::vector<InvalidCase> kInvalid = {
    // Unknown keys and tables, with a suggestion when one is close.
    // [http] viewer_token rides in links and a cookie; the message never repeats the secret.
    {"viewer_token empty",
     "[http]\nviewer_token = \"\"\n",
     {"t.toml:2: http.viewer_token: expected a non-empty string"}},
    {"viewer_token not a string",
     "[http]\nviewer_token = 42\n",
     {"t.toml:2: http.viewer_token: expected a string, got integer 42"}},
    {"viewer_token with a space",
     "[http]\nlisten = \"127.0.0.1:0\"\nviewer_token = \"se cret\"\n",
     {"t.toml:3: http.viewer_token: expected only letters, digits, '-', '.', '_' and '~' (it "
      "rides in links and a cookie), got character 0x20 at position 3"}},
    {"viewer_token with '&'",
     "[http]\nviewer_token = \"a&b\"\n",
     {"t.toml:2: http.viewer_token: expected only letters, digits, '-', '.', '_' and '~' (it "
      "rides in links and a cookie), got character '&' at position 2"}},
    {"viewer_token too long",
     "[http]\nviewer_token = \"" + std::string(257, 'v') + "\"\n",
     {"t.toml:2: http.viewer_token: expected at most 256 characters, got 257"}},
    {"unknown key with suggestion",
     "[canvas]\nwidht = 1280\n",
     {R"(t.toml:2: canvas.widht: unknown key (did you mean "width"?))"}},
    {"unknown key, suggestion by deletion",
     "[output]\nhlss = true\n",
     {R"(t.toml:2: output.hlss: unknown key (did you mean "hls"?))"}},
    {"unknown key without suggestion",
     "[canvas]\ncolour = \"red\"\n",
     {"t.toml:2: canvas.colour: unknown key"}},
    {"unknown top-level key", "title = \"x\"\n", {"t.toml:1: title: unknown key"}},
    {"unknown table",
     "[cnavas]\nwidth = 1280\n",
     {R"(t.toml:1: cnavas: unknown table (did you mean "canvas"?))"}},
    {"unknown nested table",
     "[ingest.synthtic]\ncount = 3\n",
     {R"(t.toml:1: ingest.synthtic: unknown table (did you mean "synthetic"?))"}},
    {"unknown array of tables",
     "[[scene]]\nname = \"a\"\n",
     {R"(t.toml:1: scene: unknown table (did you mean "scenes"?))"}},
    {"unknown key in a scene",
     "[[scenes]]\nname = \"a\"\ncolumsn = 4\n",
     {R"(t.toml:3: scenes[0].columsn: unknown key (did you mean "columns"?))"}},
    {"unknown key in a pull",
     "[[ingest.pull]]\nurl = \"rtsp://x/y\"\n",
     {"t.toml:1: ingest.pull[0].uri: missing required key",
      R"(t.toml:2: ingest.pull[0].url: unknown key (did you mean "uri"?))"}},

    // Wrong types.
    {"string for an integer",
     "[canvas]\nwidth = \"wide\"\n",
     {R"(t.toml:2: canvas.width: expected an integer, got string "wide")"}},
    {"float for an integer",
     "[canvas]\nfps = 29.97\n",
     {"t.toml:2: canvas.fps: expected an integer, got float 29.97"}},
    {"whole float for an integer",
     "[canvas]\nfps = 30.0\n",
     {"t.toml:2: canvas.fps: expected an integer, got float 30.0"}},
    {"string for a boolean",
     "[output]\nhls = \"yes\"\n",
     {R"(t.toml:2: output.hls: expected a boolean (true or false), got string "yes")"}},
    {"integer for a string",
     "[installation]\nname = 7\n",
     {"t.toml:2: installation.name: expected a string, got integer 7"}},
    {"empty string",
     "[installation]\nname = \"\"\n",
     {"t.toml:2: installation.name: expected a non-empty string"}},
    {"value for a table", "canvas = 5\n", {"t.toml:1: canvas: expected a table, got integer 5"}},
    {"string for a number",
     "[analysis]\nrate_hz = \"fast\"\n",
     {R"(t.toml:2: analysis.rate_hz: expected a number, got string "fast")"}},
    {"string for scenes",
     "scenes = \"grid\"\n",
     {R"(t.toml:1: scenes: expected an array of tables ([[scenes]]), got string "grid")"}},
    {"array of integers for scenes",
     "scenes = [1, 2]\n",
     {"t.toml:1: scenes: expected an array of tables ([[scenes]]), got array"}},
    {"table for pulls",
     "[ingest.pull]\nuri = \"rtsp://x/y\"\n",
     {"t.toml:1: ingest.pull: expected an array of tables ([[ingest.pull]]), got table"}},
    {"quotes in a value are escaped",
     "[canvas]\nwidth = 'say \"hi\"'\n",
     {R"(t.toml:2: canvas.width: expected an integer, got string "say \"hi\"")"}},

    // Enumerations.
    {"bad layout",
     "[[scenes]]\nname = \"a\"\nlayout = \"grdi\"\n",
     {R"(t.toml:3: scenes[0].layout: unknown value "grdi" (expected one of: grid, photomosaic, spotlight, brush, shader))"}},
    {"bad feed priority",
     "[ingest]\nfeed_priority = \"high\"\n",
     {R"(t.toml:2: ingest.feed_priority: unknown value "high" (expected one of: idle, low))"}},
    {"bad i420 conversion",
     "[output]\ni420_conversion = \"shader\"\n",
     {R"(t.toml:2: output.i420_conversion: unknown value "shader" (expected one of: auto, gpu, cpu))"}},
    {"bad tls string",
     "[http]\ntls = \"on\"\n",
     {R"(t.toml:2: http.tls: unknown value "on" (expected one of: "off", "auto" or a table { cert = "...", key = "..." }))"}},
    {"bad tls type",
     "[http]\ntls = false\n",
     {R"(t.toml:2: http.tls: expected "off", "auto" or a table { cert = "...", key = "..." }, got boolean false)"}},
    {"tls table without key",
     "[http]\ntls = { cert = \"/no/such/c.pem\" }\n",
     {"t.toml:2: http.tls.key: missing required key",
      "t.toml:2: http.tls.cert: /no/such/c.pem: No such file or directory"}},
    {"tls table with unknown key",
     "[http]\ntls = { cert = \"/no/c.pem\", key = \"/dev/zero\", chain = \"x.pem\" }\n",
     {"t.toml:2: http.tls.chain: unknown key",
      "t.toml:2: http.tls.cert: /no/c.pem: No such file or directory",
      "t.toml:2: http.tls.key: /dev/zero is a device, not a regular file"}},
    {"workers many",
     "[analysis]\nworkers = \"many\"\n",
     {R"(t.toml:2: analysis.workers: expected "auto" or an integer in 0..1024, got string "many")"}},
    {"workers negative",
     "[analysis]\nworkers = -1\n",
     {R"(t.toml:2: analysis.workers: expected "auto" or an integer in 0..1024, got -1)"}},
    {"faces_hz negative",
     "[analysis]\nfaces_hz = -1\n",
     {"t.toml:2: analysis.faces_hz: expected a number >= 0 and <= 30, got -1"}},
    {"a public endpoint without CURVE keys",
     "[analysis]\nendpoint = \"tcp://0.0.0.0:5555\"\n",
     {R"(t.toml:2: analysis.endpoint: workers connecting to "0.0.0.0" must authenticate (loopback too: any local process can reach it); set curve_secret_key and curve_client_keys)"}},
    {"a loopback endpoint without CURVE keys",
     "[analysis]\nendpoint = \"tcp://127.0.0.1:5555\"\n",
     {R"(t.toml:2: analysis.endpoint: workers connecting to "127.0.0.1" must authenticate (loopback too: any local process can reach it); set curve_secret_key and curve_client_keys)"}},
    {"an endpoint that is not tcp",
     "[analysis]\nendpoint = \"ipc:///tmp/w\"\n",
     {R"(t.toml:2: analysis.endpoint: expected "tcp://HOST:PORT" (PORT 1..65535 or *), got "ipc:///tmp/w")"}},
    {"an endpoint port out of range",
     "[analysis]\nendpoint = \"tcp://127.0.0.1:70000\"\n",
     {R"(t.toml:2: analysis.endpoint: expected "tcp://HOST:PORT" (PORT 1..65535 or *), got "tcp://127.0.0.1:70000")"}},
    {"a CURVE secret key that is not Z85 (and is not echoed)",
     "[analysis]\nendpoint = \"tcp://0.0.0.0:5555\"\ncurve_secret_key = \"hunter2\"\n"
     "curve_client_keys = [\"ciy.pI[MsnN2SCjK-.T+FE:Df+]3D>O:2*Lyt/4o\"]\n",
     {"t.toml:3: analysis.curve_secret_key: expected a Z85 CURVE key (40 characters; `tessera "
      "worker --keygen` makes one)"}},
    {"a CURVE client key that is not Z85",
     "[analysis]\nendpoint = \"tcp://0.0.0.0:5555\"\ncurve_secret_key = "
     "\"D(mGeLc56$x6m/]{:dN)^vqPB6mrX}WsZ9/U[q58\"\n"
     "curve_client_keys = [\"nope\"]\n",
     {R"(t.toml:4: analysis.curve_client_keys[0]: expected a Z85 CURVE public key (40 characters), got "nope")"}},
    {"a CURVE secret key without client keys",
     "[analysis]\nendpoint = \"tcp://127.0.0.1:5555\"\ncurve_secret_key = "
     "\"D(mGeLc56$x6m/]{:dN)^vqPB6mrX}WsZ9/U[q58\"\n",
     {"t.toml:1: analysis.curve_client_keys: missing required key (CURVE needs the server's secret "
      "key and the workers' public keys)"}},
    {"CURVE keys without an endpoint",
     "[analysis]\ncurve_secret_key = "
     "\"D(mGeLc56$x6m/]{:dN)^vqPB6mrX}WsZ9/U[q58\"\ncurve_client_keys = "
     "[\"ciy.pI[MsnN2SCjK-.T+FE:Df+]3D>O:2*Lyt/4o\"]\n",
     {"t.toml:2: analysis.curve_secret_key: only used with analysis.endpoint (local workers need "
      "no keys)"}},

    // Ranges.
    {"canvas too small",
     "[canvas]\nwidth = 8\n",
     {"t.toml:2: canvas.width: expected an integer in 16..7680, got 8"}},
    {"canvas too large",
     "[canvas]\nheight = 7682\n",
     {"t.toml:2: canvas.height: expected an integer in 16..7680, got 7682"}},
    {"odd canvas width",
     "[canvas]\nwidth = 1281\n",
     {"t.toml:2: canvas.width: expected an even number, got 1281"}},
    {"odd canvas height",
     "[canvas]\nheight = 721\n",
     {"t.toml:2: canvas.height: expected an even number, got 721"}},
    {"fps 0",
     "[canvas]\nfps = 0\n",
     {"t.toml:2: canvas.fps: expected an integer in 1..120, got 0"}},
    {"fps 121",
     "[canvas]\nfps = 121\n",
     {"t.toml:2: canvas.fps: expected an integer in 1..120, got 121"}},
    {"integer beyond int",
     "[canvas]\nwidth = 4294967296\n",
     {"t.toml:2: canvas.width: expected an integer in 16..7680, got 4294967296"}},
    {"max_feeds 0",
     "[ingest]\nmax_feeds = 0\n",
     {"t.toml:2: ingest.max_feeds: expected an integer in 1..4096, got 0"}},
    {"max_feeds 4097",
     "[ingest]\nmax_feeds = 4097\n",
     {"t.toml:2: ingest.max_feeds: expected an integer in 1..4096, got 4097"}},
    {"tile too small",
     "[ingest]\ntile_width = 6\n",
     {"t.toml:2: ingest.tile_width: expected an integer in 8..1920, got 6"}},
    {"odd tile height",
     "[ingest]\ntile_height = 121\n",
     {"t.toml:2: ingest.tile_height: expected an even number, got 121"}},
    {"synthetic count negative",
     "[ingest.synthetic]\ncount = -1\n",
     {"t.toml:2: ingest.synthetic.count: expected an integer in 0..4096, got -1"}},
    {"synthetic count too many",
     "[ingest.synthetic]\ncount = 4097\n",
     {"t.toml:2: ingest.synthetic.count: expected an integer in 0..4096, got 4097"}},
    {"rate_hz 0",
     "[analysis]\nrate_hz = 0\n",
     {"t.toml:2: analysis.rate_hz: expected a number > 0 and <= 30, got 0"}},
    {"rate_hz 30.5",
     "[analysis]\nrate_hz = 30.5\n",
     {"t.toml:2: analysis.rate_hz: expected a number > 0 and <= 30, got 30.5"}},
    {"rate_hz nan",
     "[analysis]\nrate_hz = nan\n",
     {"t.toml:2: analysis.rate_hz: expected a number > 0 and <= 30, got nan"}},
    {"scene cells and tint",
     "[[scenes]]\nname = \"a\"\ncolumns = 0\nrows = 257\ntint = 1.5\n",
     {"t.toml:3: scenes[0].columns: expected an integer in 1..256, got 0",
      "t.toml:4: scenes[0].rows: expected an integer in 1..256, got 257",
      "t.toml:5: scenes[0].tint: expected a number in 0..1, got 1.5"}},
    {"negative tint",
     "[[scenes]]\nname = \"a\"\ntint = -0.25\n",
     {"t.toml:3: scenes[0].tint: expected a number in 0..1, got -0.25"}},
    {"output ranges",
     "[output]\nbitrate_kbps = 99\nhls_segment_seconds = 11\nhls_playlist_length = 1\n",
     {"t.toml:2: output.bitrate_kbps: expected an integer in 100..100000, got 99",
      "t.toml:3: output.hls_segment_seconds: expected an integer in 1..10, got 11",
      "t.toml:4: output.hls_playlist_length: expected an integer in 2..60, got 1"}},
    {"listen without port",
     "[http]\nlisten = \"8080\"\n",
     {R"(t.toml:2: http.listen: expected "IP:PORT" (an IPv4 address or a bracketed IPv6 one, not a host name; PORT 0..65535), got "8080")"}},
    {"listen on a host name (run cannot bind it: nothing is resolved)",
     "[http]\nlisten = \"localhost:8080\"\n",
     {R"(t.toml:2: http.listen: expected "IP:PORT" (an IPv4 address or a bracketed IPv6 one, not a host name; PORT 0..65535), got "localhost:8080")"}},
    {"listen on a malformed IPv6 address",
     "[http]\nlisten = \"[::g]:8080\"\n",
     {R"(t.toml:2: http.listen: expected "IP:PORT" (an IPv4 address or a bracketed IPv6 one, not a host name; PORT 0..65535), got "[::g]:8080")"}},
    {"listen with bad port",
     "[http]\nlisten = \"0.0.0.0:99999\"\n",
     {R"(t.toml:2: http.listen: expected "IP:PORT" (an IPv4 address or a bracketed IPv6 one, not a host name; PORT 0..65535), got "0.0.0.0:99999")"}},
    {"an empty key is named as TOML writes it",
     "[http]\n\"\" = 1\n",
     {R"(t.toml:2: http."": unknown key)"}},
    {"http connection caps out of range",
     "[http]\nmax_connections = 8\nmax_connections_per_address = 0\n",
     {"t.toml:2: http.max_connections: expected an integer in 16..16384, got 8",
      "t.toml:3: http.max_connections_per_address: expected an integer in 1..16384, got 0"}},
    {"http per-address cap above the total",
     "[http]\nmax_connections = 64\nmax_connections_per_address = 65\n",
     {"t.toml:3: http.max_connections_per_address: 65 is more than max_connections (64)"}},
    {"public_url without scheme",
     "[http]\npublic_url = \"wall.example.org\"\n",
     {R"(t.toml:2: http.public_url: expected a URL like "https://host:port" (host: letters, digits, '-' and '.', or an IP address), got "wall.example.org")"}},
    {"public_url with a host that would add certificate names",
     "[http]\npublic_url = \"https://a,DNS:evil.example\"\n",
     {R"(t.toml:2: http.public_url: expected a URL like "https://host:port" (host: letters, digits, '-' and '.', or an IP address), got "https://a,DNS:evil.example")"}},
    {"installation name with a control character",
     "[installation]\nname = \"a\\nb\"\n",
     {R"(t.toml:2: installation.name: expected no control characters, got "a\nb")"}},
    {"installation name too long",
     "[installation]\nname = \"" + std::string(129, 'x') + "\"\n",
     {"t.toml:2: installation.name: 129 bytes is longer than the 128 allowed"}},
    {"more synthetic feeds than max_feeds (run refuses the rest)",
     "[ingest]\nmax_feeds = 4\n[ingest.synthetic]\ncount = 10\n",
     {"t.toml:4: ingest.synthetic.count: 10 synthetic and 0 pulled feeds are more than "
      "max_feeds (4)"}},
    {"synthetic and pulled feeds together above max_feeds",
     "[ingest]\nmax_feeds = 2\n[ingest.synthetic]\ncount = 2\n[[ingest.pull]]\n"
     "uri = \"file:///x.mp4\"\n",
     {"t.toml:4: ingest.synthetic.count: 2 synthetic and 1 pulled feeds are more than "
      "max_feeds (2)"}},
    {"a table nested 50,000 deep (the TOML parser frees tables recursively)",
     "[" +
         [] {
           std::string k = "a";
           for (int i = 0; i < 50000; ++i) k += ".a";
           return k;
         }() +
         "]\nx = 1\n",
     {"t.toml:1: (syntax): tables and arrays nested more than 32 deep"}},
    {"inline tables nested deep after a few lines",
     "[canvas]\nfps = 30\nx = " + std::string(40, '{') + "}\n",
     {"t.toml:3: (syntax): tables and arrays nested more than 32 deep"}},
    {"dotted keys inside nested inline tables add up",
     "x = " +
         [] {
           std::string t;
           for (int i = 0; i < 8; ++i) t += "{a.a.a.a.a = ";
           return t + "1" + std::string(8, '}');
         }() +
         "\n",
     {"t.toml:1: (syntax): tables and arrays nested more than 32 deep"}},
    {"shader params must be finite",
     "[[scenes]]\nname = \"g\"\nparams = { a = inf, b = [1, nan] }\n",
     {"t.toml:3: scenes[0].params.a: expected a finite number, got float inf",
      "t.toml:3: scenes[0].params.b: expected finite numbers (no inf or nan)"}},
    {"scene target that is a device",
     "[[scenes]]\nname = \"p\"\nlayout = \"photomosaic\"\ntarget = \"/dev/zero\"\n",
     {"t.toml:4: scenes[0].target: expected an image file: /dev/zero is a device, not a regular "
      "file"}},
    {"pull uri without scheme",
     "[[ingest.pull]]\nuri = \"clips/a.mp4\"\n",
     {R"(t.toml:2: ingest.pull[0].uri: expected a URI such as "rtsp://camera/stream" or "file:///abs/clip.mp4")"}},
    {"pull uri empty",
     "[[ingest.pull]]\nuri = \"\"\n",
     {"t.toml:2: ingest.pull[0].uri: expected a non-empty string"}},
    {"pull loop not a boolean",
     "[[ingest.pull]]\nuri = \"rtsp://x/y\"\nloop = 1\n",
     {"t.toml:3: ingest.pull[0].loop: expected a boolean (true or false), got integer 1"}},

    // Scenes.
    {"scene without name",
     "[[scenes]]\nlayout = \"grid\"\n",
     {"t.toml:1: scenes[0].name: missing required key"}},
    {"duplicate scene name",
     "[[scenes]]\nname = \"a\"\n\n[[scenes]]\nname = \"b\"\n\n[[scenes]]\nname = \"a\"\n",
     {R"(t.toml:8: scenes[2].name: duplicate scene name "a" (already used by scenes[0]))"}},
    {"photomosaic without target",
     "[[scenes]]\nname = \"p\"\nlayout = \"photomosaic\"\n",
     {R"(t.toml:1: scenes[0].target: missing required key (layout "photomosaic" needs a target image))"}},
    {"shader with another layout",
     "[[scenes]]\nname = \"s\"\nlayout = \"grid\"\nshader = \"x.fs\"\n",
     {R"(t.toml:4: scenes[0].shader: only used with layout = "shader" (other layouts take `filters`))"}},
    {"filters not strings",
     "[[scenes]]\nname = \"s\"\nfilters = [1]\n",
     {"t.toml:3: scenes[0].filters[0]: expected a non-empty string, got integer 1"}},
    {"shader_scale out of range or not auto",
     "[[scenes]]\nname = \"a\"\nshader_scale = 0.1\n[[scenes]]\nname = \"b\"\nshader_scale = "
     "\"fast\"\n",
     {"t.toml:3: scenes[0].shader_scale: expected a number in 0.25..1 (or \"auto\"), got 0.1",
      "t.toml:6: scenes[1].shader_scale: expected \"auto\" or a number in 0.25..1, got \"fast\""}},
    {"[sync] values out of range, not auto, or a delay beyond the max",
     "[sync]\nenabled = 1\ndelay_ms = \"soon\"\nmax_delay_ms = -5\n",
     {"t.toml:2: sync.enabled: expected a boolean (true or false), got integer 1",
      "t.toml:3: sync.delay_ms: expected \"auto\" or a number of milliseconds in 0..10000, got "
      "\"soon\"",
      "t.toml:4: sync.max_delay_ms: expected a number in 0..10000, got -5"}},
    {"[sync] delay_ms above max_delay_ms, unknown key",
     "[sync]\ndelay_ms = 1500\nmax_delay_ms = 1000\nlatency = 3\n",
     {"t.toml:2: sync.delay_ms: expected at most max_delay_ms (1000), got 1500",
      "t.toml:4: sync.latency: unknown key"}},
    {"[reactions] wrong types, a rate out of range, a misspelt key",
     "[reactions]\nenabled = \"yes\"\noverlay = 0\nper_address_per_minute = 0\n"
     "per_adress_per_minute = 5\n",
     {"t.toml:2: reactions.enabled: expected a boolean (true or false), got string \"yes\"",
      "t.toml:3: reactions.overlay: expected a boolean (true or false), got integer 0",
      "t.toml:4: reactions.per_address_per_minute: expected an integer in 1..300, got 0",
      "t.toml:5: reactions.per_adress_per_minute: unknown key (did you mean "
      "\"per_address_per_minute\"?)"}},
    {"[reactions] rate too high, an unknown table",
     "[reactions]\nper_address_per_minute = 301\n\n[reactions.burst]\n",
     {"t.toml:2: reactions.per_address_per_minute: expected an integer in 1..300, got 301",
      "t.toml:4: reactions.burst: unknown table"}},
    {"[reaction] misspelt table",
     "[reaction]\nenabled = false\n",
     {R"(t.toml:1: reaction: unknown table (did you mean "reactions"?))"}},
    {"[osc] bad listen, send, rate and allow",
     "[osc]\nlisten = \"localhost:9000\"\nsend = [\"127.0.0.1:0\", 9001]\nrate_hz = 0\n"
     "allow = [\"10.0.0.0/8\"]\nsned = []\n",
     {"t.toml:2: osc.listen: expected \"IP:PORT\" (an IPv4 address or a bracketed IPv6 one, not a "
      "host name; PORT 0..65535), got \"localhost:9000\"",
      "t.toml:3: osc.send[1]: expected a non-empty string, got integer 9001",
      "t.toml:4: osc.rate_hz: expected a number of bundles per second in 0.1..100, got 0",
      "t.toml:5: osc.allow[0]: expected an IP address such as \"127.0.0.1\" or \"::1\" (no host "
      "names, no ranges), got \"10.0.0.0/8\"",
      R"(t.toml:6: osc.sned: unknown key (did you mean "send"?))"}},
    {"[osc] a send target without a port, too many targets",
     "[osc]\nsend = [\"127.0.0.1:0\"]\n",
     {"t.toml:2: osc.send[0]: expected \"IP:PORT\" (an IPv4 address or a bracketed IPv6 one, not a "
      "host name; PORT 1..65535), got \"127.0.0.1:0\""}},
    {"pull offset_ms out of range",
     "[[ingest.pull]]\nuri = \"rtsp://cam/1\"\noffset_ms = 20000\n",
     {"t.toml:3: ingest.pull[0].offset_ms: expected a number in -10000..10000, got 20000"}},
    {"params of the wrong shape",
     "[[scenes]]\nname = \"s\"\nparams = { a = [1], b = { c = 1 }, d = [1, \"x\"] }\n",
     {"t.toml:3: scenes[0].params.a: expected a number, a boolean, a string (a LABEL, \"#rrggbb\") "
      "or an array of 2-4 numbers, got array",
      "t.toml:3: scenes[0].params.b: expected a number, a boolean, a string (a LABEL, \"#rrggbb\") "
      "or an array of 2-4 numbers, got table",
      "t.toml:3: scenes[0].params.d: expected a number, a boolean, a string (a LABEL, \"#rrggbb\") "
      "or an array of 2-4 numbers, got array"}},

    // Syntax errors: one per file, since the parser cannot go on.
    {"syntax error: missing value",
     "[canvas]\nwidth = 1280\nheight =\n",
     {R"(t.toml:3: (syntax): Error while parsing key-value pair: expected value, saw '\n')"}},
    {"syntax error: key defined twice",
     "[canvas]\nwidth = 1280\n\nwidth = 1920\n",
     {"t.toml:4: (syntax): Error while parsing key-value pair: cannot redefine existing "
      "integer 'width'"}},
    {"syntax error: table defined twice",
     "[canvas]\n[output]\n[canvas]\n",
     {"t.toml:3: (syntax): Error while parsing table header: cannot redefine existing table "
      "'canvas'"}},

    // Every problem in the file, in file order, not just the first.
    {"multiple problems together",
     "[installation]\n"            // 1
     "nmae = \"demo\"\n"           // 2
     "\n"                          // 3
     "[canvas]\n"                  // 4
     "width = \"wide\"\n"          // 5
     "height = 721\n"              // 6
     "fps = 500\n"                 // 7
     "\n"                          // 8
     "[analysis]\n"                // 9
     "workers = \"many\"\n"        // 10
     "\n"                          // 11
     "[[scenes]]\n"                // 12
     "name = \"grid\"\n"           // 13
     "layout = \"grdi\"\n"         // 14
     "\n"                          // 15
     "[[scenes]]\n"                // 16
     "name = \"grid\"\n"           // 17
     "layout = \"photomosaic\"\n"  // 18
     "\n"                          // 19
     "[outptu]\n"                  // 20
     "hls = true\n",               // 21
     {R"(t.toml:2: installation.nmae: unknown key (did you mean "name"?))",
      R"(t.toml:5: canvas.width: expected an integer, got string "wide")",
      "t.toml:6: canvas.height: expected an even number, got 721",
      "t.toml:7: canvas.fps: expected an integer in 1..120, got 500",
      R"(t.toml:10: analysis.workers: expected "auto" or an integer in 0..1024, got string "many")",
      R"(t.toml:14: scenes[0].layout: unknown value "grdi" (expected one of: grid, photomosaic, spotlight, brush, shader))",
      R"(t.toml:16: scenes[1].target: missing required key (layout "photomosaic" needs a target image))",
      R"(t.toml:17: scenes[1].name: duplicate scene name "grid" (already used by scenes[0]))",
      R"(t.toml:20: outptu: unknown table (did you mean "output"?))"}},
};

}  // namespace

TEST_CASE("valid installation files", "[core][config]") {
  for (const ValidCase& c : kValid) {
    DYNAMIC_SECTION(c.name) {
      INFO(c.toml);
      REQUIRE(problemsOf(c.toml).empty());
      c.check(parseConfig(c.toml, "t.toml"));
    }
  }
}

TEST_CASE("invalid installation files name file, line and key", "[core][config]") {
  for (const InvalidCase& c : kInvalid) {
    DYNAMIC_SECTION(c.name) {
      INFO(c.toml);
      CHECK(problemsOf(c.toml) == c.expected);
    }
  }
}

TEST_CASE("ConfigError::what() lists every problem, one per line", "[core][config]") {
  const char* text = "[canvas]\nwidth = 1281\nfsp = 30\n";
  try {
    parseConfig(text, "dir/x.toml");
    FAIL("expected ConfigError");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()) ==
          "dir/x.toml:2: canvas.width: expected an even number, got 1281\n"
          "dir/x.toml:3: canvas.fsp: unknown key (did you mean \"fps\"?)");
    REQUIRE(e.problems().size() == 2);
    CHECK(e.problems()[0].file == "dir/x.toml");
    CHECK(e.problems()[0].line == 2);
    CHECK(e.problems()[0].key == "canvas.width");
    CHECK(e.problems()[1].message == "unknown key (did you mean \"fps\"?)");
  }
}

TEST_CASE("ConfigProblem::str formats FILE:LINE: KEY: MESSAGE", "[core][config]") {
  const ConfigProblem p{"demo.toml", 7, "canvas.width", "expected an integer, got string \"wide\""};
  CHECK(p.str() == "demo.toml:7: canvas.width: expected an integer, got string \"wide\"");
}

TEST_CASE("toString(LayoutKind)", "[core][config]") {
  CHECK(std::string(toString(LayoutKind::kGrid)) == "grid");
  CHECK(std::string(toString(LayoutKind::kPhotomosaic)) == "photomosaic");
  CHECK(std::string(toString(LayoutKind::kSpotlight)) == "spotlight");
  CHECK(std::string(toString(LayoutKind::kBrush)) == "brush");
  CHECK(std::string(toString(LayoutKind::kShader)) == "shader");
}

TEST_CASE("scene targets are resolved against the installation file", "[core][config]") {
  TempDir dir;
  dir.write("targets/portrait.png", "not really a png; only existence is checked");
  dir.write("tls/cert.pem", "only existence is checked");
  dir.write("tls/key.pem", "only existence is checked");
  const fs::path file = dir.write("wall/../inst.toml",
                                  "[[scenes]]\n"
                                  "name = \"portrait\"\n"
                                  "layout = \"photomosaic\"\n"
                                  "target = \"targets/portrait.png\"\n"
                                  "columns = 64\n"
                                  "rows = 36\n"
                                  "tint = 0.5\n"
                                  "\n"
                                  "[http]\n"
                                  "tls = { cert = \"tls/cert.pem\", key = \"tls/key.pem\" }\n");

  const Config config = loadConfig(file);
  CHECK(config.file == file);
  REQUIRE(config.scenes.size() == 1);
  const SceneConfig& scene = config.scenes[0];
  CHECK(scene.name == "portrait");
  CHECK(scene.layout == LayoutKind::kPhotomosaic);
  REQUIRE(scene.target);
  CHECK(*scene.target == dir.path() / "targets/portrait.png");
  CHECK(fs::exists(*scene.target));
  CHECK(scene.columns == 64);
  CHECK(scene.rows == 36);
  CHECK(scene.tint == 0.5);
  REQUIRE(std::holds_alternative<TlsFiles>(config.http.tls));
  CHECK(std::get<TlsFiles>(config.http.tls).cert == dir.path() / "tls/cert.pem");
  CHECK(std::get<TlsFiles>(config.http.tls).key == dir.path() / "tls/key.pem");
}

TEST_CASE("scene shaders, filters and params", "[core][config][scenes]") {
  TempDir dir;
  dir.write("shaders/glass.fs", "only existence is checked here");
  dir.write("kaleido.fs", "");
  const fs::path file = dir.write("inst.toml",
                                  "[[scenes]]\n"
                                  "name = \"glass\"\n"
                                  "layout = \"shader\"\n"
                                  "shader = \"shaders/glass.fs\"\n"
                                  "filters = [\"kaleido.fs\", \"shaders/glass.fs\"]\n"
                                  "params = { cells = 12, on = true, tint = [1, 0.5, 0], "
                                  "mode = \"Sunlit\" }\n"
                                  "[[scenes]]\n"
                                  "name = \"missing\"\n"
                                  "filters = [\"nope.fs\"]\n");
  try {
    loadConfig(file);
    FAIL("expected ConfigError");
  } catch (const ConfigError& e) {
    REQUIRE(e.problems().size() == 1);
    CHECK(e.problems()[0].str() ==
          fmt::format("{}:9: scenes[1].filters[0]: shader not found: \"nope.fs\" (looked for "
                      "{}/nope.fs)",
                      file.string(), dir.path().string()));
  }
  dir.write("nope.fs", "");
  const Config config = loadConfig(file);
  const SceneConfig& s = config.scenes[0];
  REQUIRE(s.shader);
  CHECK(*s.shader == dir.path() / "shaders/glass.fs");
  REQUIRE(s.filters.size() == 2);
  CHECK(s.filters[0] == dir.path() / "kaleido.fs");
  REQUIRE(s.params.size() == 4);
  // toml++ keeps a table's keys sorted.
  CHECK(s.params[0].name == "cells");
  CHECK(s.params[0].numbers == std::vector<double>{12});
  CHECK(s.params[0].line == 6);
  CHECK(s.params[1].name == "mode");
  CHECK(s.params[1].text == "Sunlit");
  CHECK(s.params[2].name == "on");
  CHECK(s.params[2].numbers == std::vector<double>{1});
  CHECK(s.params[3].name == "tint");
  CHECK(s.params[3].numbers == std::vector<double>{1, 0.5, 0});
  CHECK_FALSE(s.shaderScale);  // "auto"
}

TEST_CASE("[sync]: defaults, auto, a fixed delay, and a pull's offset", "[core][config][sync]") {
  TempDir dir;
  const Config defaults = loadConfig(dir.write("a.toml", "[installation]\nname = \"a\"\n"));
  CHECK(defaults.sync.enabled);
  CHECK_FALSE(defaults.sync.delayMs);
  CHECK(defaults.sync.maxDelayMs == 1000);
  const Config fixed = loadConfig(dir.write(
      "b.toml",
      "[sync]\nenabled = true\ndelay_ms = 250\nmax_delay_ms = 600\n[[ingest.pull]]\nuri = "
      "\"rtsp://cam/1\"\noffset_ms = -120.5\n"));
  CHECK(fixed.sync.delayMs == 250.0);
  CHECK(fixed.sync.maxDelayMs == 600);
  REQUIRE(fixed.ingest.pulls.size() == 1);
  CHECK(fixed.ingest.pulls[0].offsetMs == -120.5);
  const Config autoDelay = loadConfig(dir.write("c.toml", "[sync]\ndelay_ms = \"auto\"\n"));
  CHECK_FALSE(autoDelay.sync.delayMs);
  const Config off = loadConfig(dir.write("d.toml", "[sync]\nenabled = false\n"));
  CHECK_FALSE(off.sync.enabled);
}

TEST_CASE("[reactions]: defaults and values", "[core][config][reactions]") {
  struct Row {
    const char* toml;
    bool enabled, overlay;
    int perMinute;
  };
  const std::vector<Row> rows = {
      {"", true, true, 60},
      {"[reactions]\n", true, true, 60},
      {"[reactions]\nenabled = false\n", false, true, 60},
      {"[reactions]\noverlay = false\nper_address_per_minute = 5\n", true, false, 5},
      {"[reactions]\nper_address_per_minute = 300\n", true, true, 300},
      {"[reactions]\nper_address_per_minute = 1\n", true, true, 1},
  };
  for (const Row& r : rows) {
    INFO(r.toml);
    REQUIRE(problemsOf(r.toml).empty());
    const Config c = parseConfig(r.toml, "t.toml");
    CHECK(c.reactions.enabled == r.enabled);
    CHECK(c.reactions.overlay == r.overlay);
    CHECK(c.reactions.perAddressPerMinute == r.perMinute);
  }
}

TEST_CASE("[ingest] feed_priority: idle by default, or low", "[core][config]") {
  using tessera::core::FeedPriority;
  CHECK(parseConfig("", "t.toml").ingest.feedPriority == FeedPriority::kIdle);
  CHECK(parseConfig("[ingest]\nfeed_priority = \"idle\"\n", "t.toml").ingest.feedPriority ==
        FeedPriority::kIdle);
  CHECK(parseConfig("[ingest]\nfeed_priority = \"low\"\n", "t.toml").ingest.feedPriority ==
        FeedPriority::kLow);
}

TEST_CASE("[output] i420_conversion: auto by default, or gpu, or cpu", "[core][config]") {
  using tessera::core::I420Conversion;
  CHECK(parseConfig("", "t.toml").output.i420Conversion == I420Conversion::kAuto);
  CHECK(parseConfig("[output]\ni420_conversion = \"gpu\"\n", "t.toml").output.i420Conversion ==
        I420Conversion::kGpu);
  CHECK(parseConfig("[output]\ni420_conversion = \"cpu\"\n", "t.toml").output.i420Conversion ==
        I420Conversion::kCpu);
}

TEST_CASE("shader_scale: auto or a fixed share", "[core][config][scenes]") {
  TempDir dir;
  const Config config = loadConfig(
      dir.write("inst.toml",
                "[[scenes]]\nname = \"a\"\nshader_scale = \"auto\"\n[[scenes]]\nname = \"b\"\n"
                "shader_scale = 0.75\n[[scenes]]\nname = \"c\"\nshader_scale = 1\n"));
  CHECK_FALSE(config.scenes[0].shaderScale);
  CHECK(config.scenes[1].shaderScale == 0.75);
  CHECK(config.scenes[2].shaderScale == 1.0);
}

TEST_CASE("a missing scene target is reported with where it was looked for", "[core][config]") {
  TempDir dir;
  const fs::path file = dir.write("inst.toml",
                                  "[[scenes]]\n"
                                  "name = \"portrait\"\n"
                                  "layout = \"photomosaic\"\n"
                                  "target = \"targets/nope.png\"\n"
                                  "[[scenes]]\n"
                                  "name = \"dir\"\n"
                                  "target = \".\"\n");
  try {
    loadConfig(file);
    FAIL("expected ConfigError");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()) ==
          fmt::format("{0}:4: scenes[0].target: file not found: \"targets/nope.png\" (looked for "
                      "{1}/targets/nope.png)\n"
                      "{0}:7: scenes[1].target: expected an image file, got a directory: {1}/",
                      file.string(), dir.path().string()));
  }
}

TEST_CASE("loadConfig on a missing file names the file", "[core][config]") {
  try {
    loadConfig("no-such-dir/missing.toml");
    FAIL("expected ConfigError");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()) ==
          "no-such-dir/missing.toml:0: (file): cannot open: No such file or directory");
    REQUIRE(e.problems().size() == 1);
    CHECK(e.problems()[0].line == 0);
    CHECK(e.problems()[0].key == "(file)");
  }
}

TEST_CASE("loadConfig on a directory names the file", "[core][config]") {
  TempDir dir;
  try {
    loadConfig(dir.path());
    FAIL("expected ConfigError");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()) ==
          dir.path().string() + ":0: (file): is a directory, not an installation file");
  }
}

TEST_CASE("loadConfig reports problems with the path as given", "[core][config]") {
  TempDir dir;
  const fs::path file = dir.write("bad.toml", "[canvas]\nwidth = \"wide\"\n");
  try {
    loadConfig(file);
    FAIL("expected ConfigError");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()) ==
          file.string() + ":2: canvas.width: expected an integer, got string \"wide\"");
  }
}

TEST_CASE("installations/demo.toml parses", "[core][config]") {
  const fs::path file = fs::path(TESSERA_SOURCE_DIR) / "installations/demo.toml";
  const Config c = loadConfig(file);
  CHECK(c.installation.name == "demo");
  CHECK(c.canvas.width == 1280);
  CHECK(c.canvas.height == 720);
  CHECK(c.canvas.fps == 30);
  CHECK(c.http.listen == "0.0.0.0:8080");
  REQUIRE(std::holds_alternative<std::string>(c.http.tls));
  CHECK(std::get<std::string>(c.http.tls) == "auto");  // phones film only over HTTPS
  CHECK(c.http.adminToken == "change-me");             // README's scene switch
  CHECK(c.ingest.maxFeeds == 256);
  CHECK(c.ingest.tileWidth == 160);
  CHECK(c.ingest.tileHeight == 120);
  CHECK(c.ingest.synthetic.count == 48);
  CHECK(c.ingest.whip.enabled);
  CHECK(c.analysis.workers == -1);
  CHECK(c.analysis.rateHz == 5.0);
  REQUIRE(c.scenes.size() == 2);
  CHECK(c.scenes[0].name == "grid");
  CHECK(c.scenes[0].layout == LayoutKind::kGrid);
  CHECK(c.scenes[1].name == "spotlight");
  CHECK(c.scenes[1].layout == LayoutKind::kSpotlight);
  CHECK_FALSE(c.output.window);
  CHECK(c.output.hls);
  CHECK(c.output.qr);  // phones scan the join link from the screen
}

TEST_CASE("every problem names the file and a real line", "[core][config]") {
  for (const InvalidCase& c : kInvalid) {
    try {
      parseConfig(c.toml, "t.toml");
      FAIL(c.name);
    } catch (const ConfigError& e) {
      INFO(c.name);
      REQUIRE_FALSE(e.problems().empty());
      for (const ConfigProblem& p : e.problems()) {
        CHECK(p.file == "t.toml");
        CHECK(p.line >= 1);
        CHECK_FALSE(p.key.empty());
        CHECK_FALSE(p.message.empty());
      }
    }
  }
}

TEST_CASE("scene parameters of the layouts: defaults and values", "[core][config][scenes]") {
  const Config defaults = parseConfig("[[scenes]]\nname = \"g\"\n", "t.toml");
  const SceneConfig& d = defaults.scenes.at(0);
  CHECK(d.line == 1);
  CHECK(d.fadeSeconds == 1.0);
  CHECK(d.glideSeconds == 0.6);
  CHECK(d.hysteresis == 6.0);
  CHECK(d.reuse == 3.0);
  CHECK(d.score == SceneScore::kMotion);
  CHECK(d.emphasis == 3.0);
  CHECK_FALSE(d.pinned);
  CHECK(d.pinnedShare == 0.4);
  CHECK(d.strokes == 600);
  CHECK(d.strokeSize == 28.0);
  CHECK(d.strokeFadeSeconds == 4.0);
  CHECK(d.flowSpeed == 90.0);
  CHECK(d.flowScale == 320.0);

  const Config c = parseConfig(
      "[[scenes]]\nname = \"a\"\n"
      "[[scenes]]\n"  // line 3
      "name = \"focus\"\nlayout = \"spotlight\"\nfade_seconds = 2.5\nglide_seconds = 0\n"
      "score = \"faces\"\nemphasis = 8\npinned = 12\npinned_share = 0.6\n"
      "[[scenes]]\nname = \"paint\"\nlayout = \"brush\"\nstrokes = 900\nstroke_size = 40\n"
      "stroke_fade_seconds = 10\nflow_speed = 200\nflow_scale = 500\nhysteresis = 0\nreuse = 1\n",
      "t.toml");
  REQUIRE(c.scenes.size() == 3);
  const SceneConfig& s = c.scenes[1];
  CHECK(s.line == 3);
  CHECK(s.fadeSeconds == 2.5);
  CHECK(s.glideSeconds == 0.0);
  CHECK(s.score == SceneScore::kFaces);
  CHECK(s.emphasis == 8.0);
  CHECK(s.pinned == 12u);
  CHECK(s.pinnedShare == 0.6);
  const SceneConfig& b = c.scenes[2];
  CHECK(b.strokes == 900);
  CHECK(b.strokeSize == 40.0);
  CHECK(b.strokeFadeSeconds == 10.0);
  CHECK(b.flowSpeed == 200.0);
  CHECK(b.flowScale == 500.0);
  CHECK(b.hysteresis == 0.0);
  CHECK(b.reuse == 1.0);
  CHECK(std::string(toString(SceneScore::kSharpness)) == "sharpness");
}

TEST_CASE("bad scene parameters name file, line and key", "[core][config][scenes]") {
  struct Case {
    const char* toml;
    std::vector<std::string> expected;
  };
  const std::vector<Case> cases = {
      {"[[scenes]]\nname = \"a\"\nfade_seconds = -1\nglide_seconds = 61\n",
       {"t.toml:3: scenes[0].fade_seconds: expected a number in 0..60, got -1",
        "t.toml:4: scenes[0].glide_seconds: expected a number in 0..60, got 61"}},
      {"[[scenes]]\nname = \"a\"\nscore = \"smiles\"\n",
       {R"(t.toml:3: scenes[0].score: unknown value "smiles" (expected one of: motion, faces, brightness, sharpness, none))"}},
      {"[[scenes]]\nname = \"a\"\npinned = 0\npinned_share = 1\nemphasis = \"big\"\n",
       {"t.toml:3: scenes[0].pinned: expected an integer in 1..2147483647, got 0",
        "t.toml:4: scenes[0].pinned_share: expected a number > 0 and < 1, got 1",
        R"(t.toml:5: scenes[0].emphasis: expected a number, got string "big")"}},
      {"[[scenes]]\nname = \"a\"\nstrokes = 0\nstroke_size = 0.5\nstroke_fade_seconds = 0\n"
       "flow_speed = -3\nflow_scale = 0\nhysteresis = 101\n",
       {"t.toml:3: scenes[0].strokes: expected an integer in 1..8192, got 0",
        "t.toml:4: scenes[0].stroke_size: expected a number in 1..1000, got 0.5",
        "t.toml:5: scenes[0].stroke_fade_seconds: expected a number > 0 and <= 600, got 0",
        "t.toml:6: scenes[0].flow_speed: expected a number in 0..10000, got -3",
        "t.toml:7: scenes[0].flow_scale: expected a number in 1..100000, got 0",
        "t.toml:8: scenes[0].hysteresis: expected a number in 0..100, got 101"}},
      {"[[scenes]]\nname = \"a\"\nreuse = 0.5\n",
       {"t.toml:3: scenes[0].reuse: expected a number in 1..100, got 0.5"}},
      {"[[scenes]]\nname = \"a\"\nstrkes = 3\n",
       {R"(t.toml:3: scenes[0].strkes: unknown key (did you mean "strokes"?))"}},
  };
  for (const auto& c : cases) {
    INFO(c.toml);
    CHECK(problemsOf(c.toml) == c.expected);
  }
}

TEST_CASE("a photomosaic has at most 4096 cells", "[core][config][scenes]") {
  TempDir dir;
  dir.write("t.png", "existence is all the parser checks");
  const auto file = dir.write("i.toml",
                              "[[scenes]]\nname = \"p\"\nlayout = \"photomosaic\"\n"
                              "target = \"t.png\"\ncolumns = 100\nrows = 50\n");
  try {
    loadConfig(file);
    FAIL("expected ConfigError");
  } catch (const ConfigError& e) {
    REQUIRE(e.problems().size() == 1);
    CHECK(e.problems()[0].line == 5);
    CHECK(e.problems()[0].key == "scenes[0].columns");
    CHECK_THAT(e.problems()[0].message, Catch::Contains("100 x 50 = 5000 cells"));
  }
  // The same grid is fine for a layout that does not match cells live.
  CHECK(problemsOf("[[scenes]]\nname = \"g\"\ncolumns = 100\nrows = 50\n").empty());
}

TEST_CASE("readRegularFile refuses devices, pipes, directories and files over the bound",
          "[core][files]") {
  TempDir dir;
  const fs::path small = dir.write("small.txt", "twelve bytes");
  std::string error;
  CHECK(readRegularFile(small, 12, &error) == std::optional<std::string>("twelve bytes"));
  CHECK_FALSE(readRegularFile(small, 11, &error));
  CHECK(error == small.string() + " is 12 bytes, more than the 11 allowed");
  // /dev/zero would be read until memory runs out; a FIFO with no writer would block for ever.
  CHECK_FALSE(readRegularFile("/dev/zero", 1 << 20, &error));
  CHECK(error == "/dev/zero is a device, not a regular file");
  const fs::path fifo = dir.path() / "fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  CHECK_FALSE(readRegularFile(fifo, 1 << 20, &error));
  CHECK(error == fifo.string() + " is a pipe, not a regular file");
  CHECK(regularFileProblem(fifo, 1 << 20) == fifo.string() + " is a pipe, not a regular file");
  CHECK_FALSE(readRegularFile(dir.path(), 1 << 20, &error));
  CHECK(error == dir.path().string() + " is a directory, not a regular file");
  CHECK(regularFileProblem(small, 12) == std::nullopt);
}

TEST_CASE("loadConfig reads only a regular installation file", "[core][config][files]") {
  try {
    loadConfig("/dev/zero");
    FAIL("expected ConfigError");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()) ==
          "/dev/zero:0: (file): cannot open: is a device, not a regular file");
  }
}

TEST_CASE("safeFileName keeps only letters, digits, '-' and '_'", "[core][files]") {
  const std::pair<const char*, const char*> table[] = {
      {"demo", "demo"},
      {"%n%n%n%n", "_n_n_n_n"},
      {"100% sure", "100__sure"},
      {"a\" ! fakesink name=x", "a____fakesink_name_x"},
      {"../../..", "tessera"},
      {"", "tessera"},
      {"/", "tessera"},
      {"caf\xc3\xa9", "caf__"},
      {"0123456789012345678901234567890123456789", "01234567890123456789012345678901"},
  };
  for (const auto& [in, out] : table) {
    INFO(in);
    CHECK(safeFileName(in) == out);
  }
}

TEST_CASE("parseListenAddress takes IP:PORT only", "[core][config]") {
  CHECK(parseListenAddress("127.0.0.1:8080")->host == "127.0.0.1");
  CHECK(parseListenAddress("127.0.0.1:8080")->port == 8080);
  CHECK(parseListenAddress("[::1]:0")->host == "::1");
  for (const char* bad : {"localhost:8080", "8080", ":80", "1.2.3:80", "1.2.3.4:", "1.2.3.4:65536",
                          "[::1:80", "::1:80", "1.2.3.4:-1", "1.2.3.4: 80"}) {
    INFO(bad);
    CHECK_FALSE(parseListenAddress(bad));
  }
}

TEST_CASE("[osc]: off by default, addresses and rate", "[core][config][osc]") {
  CHECK_FALSE(parseConfig("", "t.toml").osc.enabled);
  const Config c = parseConfig(
      "[osc]\nlisten = \"0.0.0.0:9000\"\nsend = [\"127.0.0.1:9001\", \"[::1]:9002\"]\n"
      "rate_hz = 2.5\nallow = [\"127.0.0.1\", \"::1\"]\n",
      "t.toml");
  CHECK(c.osc.enabled);
  REQUIRE(c.osc.listen);
  CHECK(c.osc.listen->host == "0.0.0.0");
  CHECK(c.osc.listen->port == 9000);
  REQUIRE(c.osc.send.size() == 2);
  CHECK(c.osc.send[1].host == "::1");
  CHECK(c.osc.send[1].port == 9002);
  CHECK(c.osc.rateHz == 2.5);
  CHECK(c.osc.allow == std::vector<std::string>{"127.0.0.1", "::1"});
  const Config sendOnly = parseConfig("[osc]\nsend = [\"127.0.0.1:9001\"]\n", "t.toml");
  CHECK_FALSE(sendOnly.osc.listen);
  CHECK(sendOnly.osc.rateHz == 10);

  std::string many = "[osc]\nsend = [";
  for (std::size_t i = 0; i <= kMaxOscTargets; ++i)
    many += fmt::format("\"127.0.0.1:{}\",", 9000 + i);
  many += "]\n";
  const auto problems = problemsOf(many);
  REQUIRE(problems.size() == 1);
  CHECK(problems[0] == fmt::format("t.toml:2: osc.send: at most {} targets, got {}", kMaxOscTargets,
                                   kMaxOscTargets + 1));
}

TEST_CASE("[[output.windows]]: defaults and values", "[core][config][windows]") {
  Config c = parseConfig("[output]\nwindow = true\n", "t.toml");
  CHECK(c.output.window);
  CHECK(c.output.windows.empty());
  c = parseConfig(R"(
[canvas]
width = 1920
height = 1080
[[output.windows]]
[[output.windows]]
display = 1
region = [960, 0, 960, 1080]
corners = [[10, 5], [1900, 0], [1920, 1080], [0, 1070.5]]
blend = { left = 120, gamma = 2.4 }
[[output.windows]]
fullscreen = false
position = [100, 50]
size = [640, 360]
)",
                  "t.toml");
  REQUIRE(c.output.windows.size() == 3);
  const WindowConfig& a = c.output.windows[0];
  CHECK(a.display == 0);
  CHECK(a.fullscreen);
  CHECK_FALSE(a.region);
  CHECK_FALSE(a.corners);
  CHECK_FALSE(a.blend.any());
  CHECK(a.blend.gamma == 2.2);
  const WindowConfig& b = c.output.windows[1];
  CHECK(b.display == 1);
  CHECK(b.region == Rect{960, 0, 960, 1080});
  REQUIRE(b.corners);
  CHECK((*b.corners)[3].y == 1070.5);
  CHECK(b.blend.left == 120);
  CHECK(b.blend.right == 0);
  CHECK(b.blend.gamma == 2.4);
  const WindowConfig& w = c.output.windows[2];
  CHECK_FALSE(w.fullscreen);
  REQUIRE(w.position);
  CHECK(w.position->x == 100);
  CHECK(w.size == SizePx{640, 360});
}

TEST_CASE("bad [[output.windows]] name the key and the window's index", "[core][config][windows]") {
  struct Case {
    const char* toml;
    std::vector<std::string> expected;
  };
  const std::vector<Case> cases = {
      {"[canvas]\nwidth = 640\nheight = 360\n[[output.windows]]\n[[output.windows]]\n"
       "region = [600, 0, 100, 360]\ndisplay = 16\n",
       {"t.toml:6: output.windows[1].region: expected [x, y, w, h] inside the 640x360 canvas (w, "
        "h at least 1), got [600, 0, 100, 360]",
        "t.toml:7: output.windows[1].display: expected an integer in 0..15, got 16"}},
      {"[[output.windows]]\nregion = [0, 0, 10]\n",
       {"t.toml:2: output.windows[0].region: expected [x, y, w, h] (4 integers), got array"}},
      {"[[output.windows]]\nregion = [0, 0, 10.5, 10]\n",
       {"t.toml:2: output.windows[0].region[2]: expected an integer, got float 10.5"}},
      {"[[output.windows]]\ncorners = [[0, 0], [100, 0], [100, nan], [0, 100]]\n",
       {"t.toml:2: output.windows[0].corners[2][1]: expected a finite number within +-1000000, "
        "got nan"}},
      {"[[output.windows]]\ncorners = [[0, 0], [100, 0], [0, 100], [100, 100]]\n",
       {"t.toml:2: output.windows[0].corners: expected a convex quadrilateral (four [x, y] points "
        "in window pixels: top-left, top-right, bottom-right, bottom-left), got a crossed, dented "
        "or flat one"}},
      {"[[output.windows]]\ncorners = [[0, 0], [100, 0]]\n",
       {"t.toml:2: output.windows[0].corners: expected four [x, y] points in window pixels: "
        "top-left, top-right, bottom-right, bottom-left, got array"}},
      {"[[output.windows]]\nblend = { left = -1, gamma = 0.5, middle = 3 }\n",
       {"t.toml:2: output.windows[0].blend.middle: unknown key",
        "t.toml:2: output.windows[0].blend.left: expected a number in 0..16384 (pixels), got -1",
        "t.toml:2: output.windows[0].blend.gamma: expected a number in 1..4, got 0.5"}},
      {"[[output.windows]]\nposition = [0, 0]\n",
       {"t.toml:2: output.windows[0].position: only for fullscreen = false (a fullscreen window "
        "covers its display)"}},
      {"[[output.windows]]\nfullscreen = false\nsize = [8, 8]\ndisplays = 1\n",
       {"t.toml:3: output.windows[0].size: expected [w, h] in 16..16384 pixels",
        R"(t.toml:4: output.windows[0].displays: unknown key (did you mean "display"?))"}},
      {"[output]\nwindows = 3\n",
       {"t.toml:2: output.windows: expected an array of tables ([[output.windows]]), got integer "
        "3"}},
  };
  for (const auto& c : cases) {
    INFO(c.toml);
    CHECK(problemsOf(c.toml) == c.expected);
  }
}

TEST_CASE("[[ingest.pull]] tls_ca_file and tls_verify", "[core][config][pull]") {
  TempDir dir;
  dir.write("ca/venue.pem",
            "-----BEGIN CERTIFICATE-----\nMIIBlTCCATugAwIBAgIU\n-----END CERTIFICATE-----\n");
  dir.write("ca/key.pem",
            "-----BEGIN CERTIFICATE-----\nMIIBlTCCATugAwIBAgIU\n"
            "-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\nMIGH\n"
            "-----END PRIVATE KEY-----\n");
  dir.write("ca/empty.pem", "");
  const auto file = [&](std::string_view text) { return dir.write("inst.toml", text); };

  const Config good =
      loadConfig(file("[[ingest.pull]]\nuri = \"rtsps://cam:8322/s\"\n"
                      "tls_ca_file = \"ca/venue.pem\"\n"
                      "[[ingest.pull]]\nuri = \"https://relay/live.m3u8\"\n"
                      "tls_verify = false\n"
                      "[[ingest.pull]]\nuri = \"rtmps://relay2/live/key\"\n"));
  REQUIRE(good.ingest.pulls.size() == 3);
  CHECK(good.ingest.pulls[0].tlsCaFile == dir.path() / "ca/venue.pem");
  CHECK(good.ingest.pulls[0].tlsVerify);
  CHECK(good.ingest.pulls[1].tlsCaFile.empty());
  CHECK_FALSE(good.ingest.pulls[1].tlsVerify);
  CHECK(good.ingest.pulls[2].tlsCaFile.empty());  // the system store
  CHECK(good.ingest.pulls[2].tlsVerify);

  const std::string inst = (dir.path() / "inst.toml").string();
  const std::string ca = (dir.path() / "ca").string();
  const std::pair<std::string, std::string> bad[] = {
      {"[[ingest.pull]]\nuri = \"rtsp://cam/s\"\ntls_ca_file = \"ca/venue.pem\"\n",
       ":3: ingest.pull[0].tls_ca_file: only TLS sources check a certificate (rtsps://, "
       "rtmps://, https://)"},
      {"[[ingest.pull]]\nuri = \"http://cam/video\"\ntls_verify = false\n",
       ":3: ingest.pull[0].tls_verify: only TLS sources check a certificate (rtsps://, "
       "rtmps://, https://)"},
      {"[[ingest.pull]]\nuri = \"https://cam/v\"\ntls_ca_file = \"ca/none.pem\"\n",
       ":3: ingest.pull[0].tls_ca_file: " + ca + "/none.pem: No such file or directory"},
      {"[[ingest.pull]]\nuri = \"https://cam/v\"\ntls_ca_file = \"ca/empty.pem\"\n",
       ":3: ingest.pull[0].tls_ca_file: " + ca +
           "/empty.pem: no PEM certificate (\"-----BEGIN CERTIFICATE-----\") in it"},
      {"[[ingest.pull]]\nuri = \"https://cam/v\"\ntls_ca_file = \"ca/key.pem\"\n",
       ":3: ingest.pull[0].tls_ca_file: " + ca +
           "/key.pem: it holds a private key: give only the CA's certificate (and keep the key "
           "secret)"},
      {"[[ingest.pull]]\nuri = \"https://cam/v\"\ntls_ca_file = \"ca/venue.pem\"\n"
       "tls_verify = false\n",
       ":4: ingest.pull[0].tls_verify: tls_verify = false accepts any certificate, so "
       "tls_ca_file would be ignored: keep one of them"},
      {"[[ingest.pull]]\nuri = \"https://cam/v\"\ntls_verify = \"no\"\n",
       ":3: ingest.pull[0].tls_verify: expected a boolean (true or false), got string \"no\""},
      {"[[ingest.pull]]\nuri = \"https://cam:8443/a.m3u8\"\ntls_ca_file = \"ca/venue.pem\"\n"
       "[[ingest.pull]]\nuri = \"https://Cam:8443/b.m3u8\"\n",
       ":5: ingest.pull[1].uri: Cam:8443 is also pulled by ingest.pull[0] with other TLS "
       "settings (tls_ca_file, tls_verify): a server is trusted one way"},
  };
  for (const auto& [text, expected] : bad) {
    INFO(text);
    const auto problems = problemsOf(text, file(text));
    REQUIRE(problems.size() == 1);
    CHECK(problems[0] == inst + expected);
  }
}
