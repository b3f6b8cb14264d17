#include "control/http_server.hpp"

#include <libsoup/soup.h>

#include <algorithm>
#include <cctype>
#include <variant>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "control/admin_events.hpp"
#include "control/api_requests.hpp"
#include "control/clock_request.hpp"
#include "control/detail/responses.hpp"
#include "control/detail/token.hpp"
#include "core/config.hpp"
#include "core/log.hpp"
#include "platform/png.hpp"

namespace tessera::control {
namespace {

constexpr const char* kModule = "http";
using detail::respond;
using detail::respondJson;
using detail::respondProblem;
using nlohmann::json;

json rectJson(const core::Rect& r) {
  return {{"x", r.x}, {"y", r.y}, {"w", r.w}, {"h", r.h}};
}

// Rounded to `decimals` places (dividing, so 0.0384 prints as 0.0384).
double roundTo(double v, int decimals) {
  const double k = std::pow(10.0, decimals);
  return std::round(v * k) / k;
}

json syncJson(const FeedSyncInfo& s) {
  auto ms = [](double v) { return std::round(v * 10) / 10; };
  auto optionalMs = [&](const std::optional<double>& v) {
    return v ? json(ms(*v)) : json(nullptr);
  };
  json j = {{"state", s.state},
            {"clock", s.clock},
            {"latency_ms", ms(s.latencyMs)},
            {"latency_ms_p95", ms(s.latencyMsP95)},
            {"clock_offset_ms", optionalMs(s.clockOffsetMs)},
            {"cue_offset_ms", optionalMs(s.cueOffsetMs)}};
  if (s.offsetMs != 0) j["offset_ms"] = ms(s.offsetMs);
  return j;
}

json scoresJson(const std::optional<core::Scores>& s) {
  if (!s) return json::object();
  json palette = json::array();
  for (const auto& p : s->palette) {
    palette.push_back({{"rgb", {p.rgb[0], p.rgb[1], p.rgb[2]}}, {"weight", roundTo(p.weight, 3)}});
  }
  return {{"mean_rgb",
           {roundTo(s->meanRgb[0], 1), roundTo(s->meanRgb[1], 1), roundTo(s->meanRgb[2], 1)}},
          {"brightness", roundTo(s->brightness, 4)},
          {"motion", roundTo(s->motion, 4)},
          {"sharpness", roundTo(s->sharpness, 1)},
          {"faces", s->faces},
          {"palette", std::move(palette)},
          {"frozen", s->frozen},
          {"black", s->black},
          {"age_ms", s->ageMs}};
}

// Names of files under a served directory: no separators, no dot-files, so no way out of it.
bool safeName(const std::string& name) {
  if (name.empty() || name[0] == '.') return false;
  return name.find('/') == std::string::npos && name.find('\\') == std::string::npos;
}

const char* contentTypeFor(const std::filesystem::path& p) {
  const auto ext = p.extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".png") return "image/png";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".json") return "application/json";
  if (ext == ".m3u8") return "application/vnd.apple.mpegurl";
  if (ext == ".ts") return "video/mp2t";
  if (ext == ".ico") return "image/x-icon";
  return "application/octet-stream";
}

}  // namespace

std::string problemJson(int status, const std::string& title, const std::string& detail) {
  return json{{"type", "about:blank"}, {"title", title}, {"status", status}, {"detail", detail}}
      .dump();
}

HttpServer::HttpServer(HttpSettings settings, ApiModel& model, WhipService* whip)
    : mSettings(std::move(settings)),
      mModel(model),
      mWhip(whip),
      mWhipRate(mSettings.whipPostsPerMinute, std::chrono::minutes(1), kMaxRateLimitedAddresses),
      mReactionRate(mSettings.reactionsPerAddressPerMinute, std::chrono::minutes(1),
                    kMaxRateLimitedAddresses),
      mWhepRate(mSettings.whepPostsPerMinute, std::chrono::minutes(1), kMaxRateLimitedAddresses) {
  mEvents = std::make_unique<AdminEvents>(mModel, [this](SoupServerMessage* msg) {
    if (mConnections) mConnections->setDeadline(msg, std::chrono::milliseconds(0));
  });
  mStatusPolls = std::make_unique<StatusPolls>(
      [this](const std::string& id, bool longPoll) { return whipStatusReply(id, longPoll); });
}

HttpServer::~HttpServer() {
  mStatusPolls.reset();  // answers the held status requests
  mEvents.reset();       // ends the event streams
  mConnections.reset();  // stops accepting
  if (mServer) soup_server_disconnect(mServer.get());
}

bool HttpServer::start(std::string* error) {
  // The same rule as the installation file's [http] listen and --http (checked there first).
  const auto listen = core::parseListenAddress(mSettings.listen);
  auto address = platform::GObjectPtr<GSocketAddress>::adopt(
      listen ? g_inet_socket_address_new_from_string(listen->host.c_str(),
                                                     static_cast<guint>(listen->port))
             : nullptr);
  if (!address) {
    if (error) *error = "listen address \"" + mSettings.listen + "\" is not IP:PORT";
    return false;
  }
  mServer = platform::GObjectPtr<SoupServer>::adopt(static_cast<SoupServer*>(
      g_object_new(SOUP_TYPE_SERVER, "server-header", "tessera", nullptr)));
  // One entry for every path: its early handler screens each request before its body is read.
  soup_server_add_early_handler(mServer.get(), nullptr, &HttpServer::handleEarly, this, nullptr);
  soup_server_add_handler(mServer.get(), nullptr, &HttpServer::handle, this, nullptr);
  g_signal_connect(mServer.get(), "request-started",
                   G_CALLBACK(+[](SoupServer*, SoupServerMessage* msg, void*) {
                     // Every connection ends with its response (detail/connections.hpp).
                     soup_message_headers_replace(soup_server_message_get_response_headers(msg),
                                                  "Connection", "close");
                   }),
                   nullptr);
  g_signal_connect(mServer.get(), "request-read",
                   G_CALLBACK(+[](SoupServer*, SoupServerMessage* msg, void* self) {
                     static_cast<HttpServer*>(self)->mConnections->requestRead(msg);
                   }),
                   this);
  GError* raw = nullptr;
  platform::GObjectPtr<GTlsCertificate> cert;
  if (mSettings.tls) {
    cert = platform::GObjectPtr<GTlsCertificate>::adopt(g_tls_certificate_new_from_files(
        mSettings.tls->cert.c_str(), mSettings.tls->key.c_str(), &raw));
    if (!cert) {
      if (error) {
        *error = "TLS certificate " + mSettings.tls->cert.string() + " / key " +
                 mSettings.tls->key.string() + ": " + (raw ? raw->message : "?");
      }
      if (raw) g_error_free(raw);
      mServer.reset();
      return false;
    }
  }
  mConnections = std::make_unique<detail::Connections>(mServer.get(), mSettings.connections);
  std::string listenError;
  if (!mConnections->listen(address.get(), cert.get(), &listenError)) {
    if (error) *error = "cannot listen on " + mSettings.listen + ": " + listenError;
    mConnections.reset();
    mServer.reset();
    return false;
  }
  mPort = mConnections->port();
  core::logInfo(kModule, "listening on {}://{}:{}", scheme(), listen->host, mPort);
  return true;
}

void HttpServer::handle(SoupServer*, SoupServerMessage* msg, const char* path, GHashTable*,
                        void* self) {
  auto* server = static_cast<HttpServer*>(self);
  ++server->mRequests;
  const std::string method = soup_server_message_get_method(msg);
  try {
    server->route(msg, method, path ? path : "/");
  } catch (const std::exception& e) {
    // Nothing thrown by one request may reach libsoup's C code or stop the server.
    core::logError(kModule, "{} {}: {}", method, path ? path : "", e.what());
    respondProblem(msg, 500, "Internal Server Error", e.what());
  }
}

void HttpServer::route(SoupServerMessage* msg, const std::string& method, const std::string& path) {
  const bool isGet = method == "GET" || method == "HEAD";
  auto onlyGet = [&]() {
    if (isGet) return true;
    soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Allow",
                                 "GET, HEAD");
    respondProblem(msg, 405, "Method Not Allowed", method + " is not allowed on " + path);
    return false;
  };

  if (path == "/healthz") {
    if (onlyGet()) serveHealth(msg);
  } else if (path == "/api/v1/feeds") {
    if (onlyGet()) serveFeeds(msg);
  } else if (path == "/api/v1/outputs") {
    if (onlyGet()) serveOutputs(msg);
  } else if (path == "/api/v1/canvas.png") {
    if (onlyGet()) serveCanvasPng(msg);
  } else if (path == "/api/v1/scene") {
    if (method == "POST") {
      serveScene(msg);
    } else {
      soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Allow", "POST");
      respondProblem(msg, 405, "Method Not Allowed", "use POST {\"name\": SCENE}");
    }
  } else if (path == "/api/v1/params") {
    if (method == "PATCH") {
      servePatchParams(msg);
    } else if (isGet) {
      serveParams(msg);
    } else {
      soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Allow",
                                   "GET, HEAD, PATCH");
      respondProblem(msg, 405, "Method Not Allowed",
                     method + " is not allowed on " + path + " (GET lists, PATCH sets)");
    }
  } else if (path.rfind("/api/v1/feeds/", 0) == 0) {
    serveFeedResource(msg, method, path.substr(14));
  } else if (path == "/api/v1/scenes") {
    if (onlyGet()) serveScenes(msg);
  } else if (path == "/api/v1/moderation") {
    if (onlyGet()) serveModerationLog(msg);
  } else if (path == "/api/v1/events") {
    if (onlyGet()) serveEvents(msg);
  } else if (path == "/admin" || path == "/admin/") {
    if (onlyGet()) serveFile(msg, mSettings.webDir / "admin.html", nullptr, true);
  } else if (path == "/api/v1/cue") {
    serveCue(msg, method);
  } else if (path == "/api/v1/reactions") {
    serveReactions(msg, method);
  } else if (path == "/metrics") {
    if (onlyGet()) {
      const detail::ConnectionStats c = connectionStats();
      respond(msg, 200, "text/plain; version=0.0.4; charset=utf-8",
              mModel.metrics() +
                  fmt::format("# TYPE tessera_http_connections_open gauge\n"
                              "tessera_http_connections_open {}\n"
                              "# TYPE tessera_http_connections_refused_total counter\n"
                              "tessera_http_connections_refused_total {}\n"
                              "# TYPE tessera_http_connections_timed_out_total counter\n"
                              "tessera_http_connections_timed_out_total {}\n"
                              "# TYPE tessera_http_whip_rate_addresses gauge\n"
                              "tessera_http_whip_rate_addresses {}\n",
                              c.open, c.refused, c.timedOut, mWhipRate.addresses()) +
                  reactionMetrics() + adminMetrics());
    }
  } else if (path.rfind("/hls/", 0) == 0) {
    if (onlyGet()) serveHls(msg, path.substr(5));
  } else if (path == "/" || path == "/index.html") {
    if (onlyGet()) serveFile(msg, mSettings.webDir / "index.html", nullptr, true);
  } else if (path == "/join" || path == "/join/") {
    if (onlyGet()) serveFile(msg, mSettings.webDir / "join.html", nullptr, true);
  } else if (path == "/join/qr.png") {
    if (onlyGet()) serveJoinQr(msg);
  } else if (path == "/api/v1/join") {
    if (onlyGet()) serveJoinInfo(msg);
  } else if (mWhep && path == "/whep") {
    serveWhepEndpoint(msg, method);
  } else if (mWhep && path.rfind("/whep/", 0) == 0 && path.size() > 6) {
    serveWhepSession(msg, method, path.substr(6));
  } else if (mWhip && path == "/whip") {
    serveWhipEndpoint(msg, method);
  } else if (mWhip && path.rfind("/whip/", 0) == 0 && path.size() > 6) {
    serveWhipSession(msg, method, path.substr(6));
  } else if (path.rfind("/static/", 0) == 0 && safeName(path.substr(8))) {
    if (onlyGet()) serveFile(msg, mSettings.webDir / "static" / path.substr(8), nullptr, false);
  } else if (path == "/vendor/hls.min.js") {
    if (onlyGet()) {
      serveFile(msg, mSettings.webDir / "node_modules/hls.js/dist/hls.min.js", nullptr, false);
    }
  } else {
    respondProblem(msg, 404, "Not Found", "no resource at " + path);
  }
}

void HttpServer::serveFile(SoupServerMessage* msg, const std::filesystem::path& file,
                           const char* type, bool noCache) {
  gchar* contents = nullptr;
  gsize length = 0;
  if (!g_file_get_contents(file.c_str(), &contents, &length, nullptr)) {
    respondProblem(msg, 404, "Not Found", file.filename().string() + " is not available");
    return;
  }
  auto* headers = soup_server_message_get_response_headers(msg);
  soup_message_headers_replace(headers, "Cache-Control", noCache ? "no-cache" : "max-age=300");
  soup_server_message_set_status(msg, 200, nullptr);
  soup_server_message_set_response(msg, type ? type : contentTypeFor(file), SOUP_MEMORY_TAKE,
                                   contents, length);
}

void HttpServer::serveHealth(SoupServerMessage* msg) {
  const HealthInfo h = mModel.health();
  const char* status = !h.rendering ? "starting" : !h.degraded.empty() ? "degraded" : "ok";
  json body = {{"status", status},
               {"feeds", h.feeds},
               {"live_feeds", h.liveFeeds},
               {"workers", h.workers},
               {"fps", std::round(h.fps * 10) / 10},
               {"scene", h.scene},
               {"installation", h.installation},
               {"uptime_s", std::round(h.uptimeSeconds * 10) / 10},
               {"sync_enabled", h.syncEnabled},
               {"sync_delay_ms", std::round(h.syncDelayMs * 10) / 10}};
  // Degraded still answers 200: the canvas runs (on the last scores known).
  if (!h.degraded.empty()) body["degraded"] = h.degraded;
  if (h.shaderErrors) body["shader_errors"] = h.shaderErrors;
  respondJson(msg, h.rendering ? 200 : 503, body);
}

void HttpServer::serveFeeds(SoupServerMessage* msg) {
  json list = json::array();
  for (const FeedInfo& f : mModel.feeds()) {
    json item = {{"id", f.id.value},
                 {"source", core::toString(f.source)},
                 {"state", core::toString(f.state)},
                 {"width", f.width},
                 {"height", f.height},
                 {"scaled_width", f.scaledWidth},
                 {"scaled_height", f.scaledHeight},
                 {"fps", std::round(f.fps * 10) / 10},
                 {"scores", scoresJson(f.scores)},
                 {"tile", f.tile ? rectJson(*f.tile) : json(nullptr)},
                 {"frames", f.frames},
                 {"dropped_frames", f.dropped},
                 {"skipped_frames", f.skipped},
                 {"restarts", f.restarts},
                 {"sync", syncJson(f.sync)},
                 {"hidden", f.hidden}};
    if (f.waiting) item["state"] = "waiting";
    if (f.source == core::FeedSource::kPull) {
      item["uri"] = f.uri;
      item["protocol"] = f.protocol;
      item["first_frame_ms"] = f.firstFrameMs ? json(std::round(*f.firstFrameMs)) : json(nullptr);
      item["bitrate_kbps"] = std::round(f.bitrateKbps * 10) / 10;
    }
    if (!f.lastError.empty()) item["last_error"] = f.lastError;
    list.push_back(std::move(item));
  }
  respondJson(msg, 200, list);
}

void HttpServer::serveOutputs(SoupServerMessage* msg) {
  json list = json::array();
  for (const OutputInfo& o : mModel.outputs()) {
    list.push_back({{"kind", o.kind},
                    {"uri", o.uri},
                    {"state", o.state},
                    {"bitrate_kbps", std::round(o.bitrateKbps)},
                    {"restarts", o.restarts},
                    {"last_error", o.lastError.empty() ? json(nullptr) : json(o.lastError)},
                    {"frames", o.frames},
                    {"dropped_frames", o.dropped},
                    {"bytes", o.bytes}});
    if (o.diskBytes) list.back()["disk_bytes"] = *o.diskBytes;
    if (o.viewers) list.back()["viewers"] = *o.viewers;
  }
  respondJson(msg, 200, list);
}

void HttpServer::serveCanvasPng(SoupServerMessage* msg) {
  core::FrameRef frame = mModel.canvas();
  if (!frame) {
    respondProblem(msg, 503, "Service Unavailable", "the canvas has not been rendered yet");
    return;
  }
  if (frame->sequence != mPngSequence || mPng.empty()) {
    mPng = platform::encodePng(frame->data, frame->width, frame->height, frame->strideBytes);
    mPngSequence = frame->sequence;
  }
  auto* headers = soup_server_message_get_response_headers(msg);
  soup_message_headers_replace(headers, "Cache-Control", "no-store");
  soup_server_message_set_status(msg, 200, nullptr);
  soup_server_message_set_response(msg, "image/png", SOUP_MEMORY_COPY,
                                   reinterpret_cast<const char*>(mPng.data()), mPng.size());
}

void HttpServer::serveHls(SoupServerMessage* msg, const std::string& name) {
  // The replay's playlist and segments live where the artist said ([output] replay_dir).
  const bool replay = name.starts_with("replay");
  const auto dir = replay ? mModel.replayDirectory() : mModel.hlsDirectory();
  if (replay && !dir) {
    respondProblem(msg, 404, "Not Found", "the replay is off ([output] replay_hours = 0)");
    return;
  }
  if (!dir) {
    respondProblem(msg, 404, "Not Found", "HLS output is off ([output] hls = false)");
    return;
  }
  if (!safeName(name)) {
    respondProblem(msg, 404, "Not Found", "no HLS file " + name);
    return;
  }
  serveFile(msg, *dir / name, nullptr, name.ends_with(".m3u8"));
  if (!mSettings.viewerToken) return;
  // A private channel's playlists and segments are for the token's holder, never a shared cache.
  auto* headers = soup_server_message_get_response_headers(msg);
  if (const char* cache = soup_message_headers_get_one(headers, "Cache-Control")) {
    soup_message_headers_replace(headers, "Cache-Control",
                                 ("private, " + std::string(cache)).c_str());
  }
}

bool HttpServer::checkAdmin(SoupServerMessage* msg) {
  if (!mSettings.adminToken) {
    respondProblem(msg, 403, "Forbidden",
                   "the admin API is off: set [http] admin_token in the installation file");
    return false;
  }
  const char* auth =
      soup_message_headers_get_one(soup_server_message_get_request_headers(msg), "Authorization");
  if (!detail::bearerMatches(auth, *mSettings.adminToken)) {
    soup_message_headers_replace(soup_server_message_get_response_headers(msg), "WWW-Authenticate",
                                 "Bearer");
    respondProblem(msg, 401, "Unauthorized",
                   auth ? "wrong admin token" : "missing Authorization: Bearer <admin_token>");
    return false;
  }
  return true;
}

void HttpServer::serveScene(SoupServerMessage* msg) {
  if (!checkAdmin(msg)) return;  // also checked before the body was read
  const auto parsed = parseSceneRequest(detail::requestBody(msg));
  if (const auto* error = std::get_if<RequestError>(&parsed)) {
    respondProblem(msg, error->status, "Bad Request", error->detail);
    return;
  }
  const std::string& name = std::get<SceneRequest>(parsed).name;
  if (!mModel.switchScene(name)) {
    std::string known;
    for (const auto& n : mModel.sceneNames()) known += (known.empty() ? "" : ", ") + n;
    respondProblem(msg, 404, "Not Found", "no scene \"" + name + "\" (scenes: " + known + ")");
    return;
  }
  respondJson(msg, 200, json{{"scene", name}});
}

void HttpServer::serveParams(SoupServerMessage* msg) {
  json list = json::array();
  for (const ShaderInfo& s : mModel.shaders()) {
    json params = json::array();
    for (const ShaderParamInfo& p : s.params) {
      json item = {{"name", p.name}, {"type", p.type}};
      if (!p.label.empty()) item["label"] = p.label;
      auto put = [&](const char* key, const std::vector<double>& v) {
        if (v.empty()) return;
        item[key] = v.size() == 1 ? json(v[0]) : json(v);
      };
      put("value", p.value);
      put("default", p.defaultValue);
      put("min", p.min);
      put("max", p.max);
      if (!p.values.empty()) item["values"] = p.values;
      if (!p.labels.empty()) item["labels"] = p.labels;
      params.push_back(std::move(item));
    }
    json item = {{"scene", s.scene},     {"role", s.role},   {"name", s.name},  {"file", s.file},
                 {"running", s.running}, {"loads", s.loads}, {"params", params}};
    if (s.role == "filter") item["index"] = s.index;
    item["error"] = s.error.empty() ? json(nullptr) : json(s.error);
    list.push_back(std::move(item));
  }
  respondJson(msg, 200, json{{"scene", mModel.health().scene}, {"shaders", list}});
}

void HttpServer::servePatchParams(SoupServerMessage* msg) {
  if (!checkAdmin(msg)) return;  // also checked before the body was read
  const auto parsed = parseParamsRequest(detail::requestBody(msg));
  if (const auto* error = std::get_if<RequestError>(&parsed)) {
    respondProblem(msg, error->status,
                   error->status == 400 ? "Bad Request" : "Unprocessable Content", error->detail);
    return;
  }
  const ParamsRequest& request = std::get<ParamsRequest>(parsed);
  const ParamResult r = mModel.setParams(request.scene, request.shader, request.values);
  if (r.status != 200) {
    respondProblem(msg, r.status, r.status == 404 ? "Not Found" : "Unprocessable Content",
                   r.detail);
    return;
  }
  respondJson(
      msg, 200,
      json{
          {"scene", r.scene}, {"shaders", r.shaders}, {"values", json::parse(request.valuesJson)}});
}

}  // namespace tessera::control
