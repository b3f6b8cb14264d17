#include "control/http_server.hpp"

#include <libsoup/soup.h>

#include <algorithm>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "control/detail/connection_listener.hpp"
#include "control/detail/responses.hpp"
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
    : mSettings(std::move(settings)), mModel(model), mWhip(whip) {}

HttpServer::~HttpServer() {
  mListener.reset();  // no new connection for a server being taken down
  if (mServer) soup_server_disconnect(mServer.get());
}

bool HttpServer::start(std::string* error) {
  const auto colon = mSettings.listen.rfind(':');
  if (colon == std::string::npos) {
    if (error) *error = "listen address \"" + mSettings.listen + "\" is not HOST:PORT";
    return false;
  }
  std::string host = mSettings.listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  int port = 0;
  try {
    port = std::stoi(mSettings.listen.substr(colon + 1));
  } catch (...) {
    port = -1;
  }
  if (port < 0 || port > 65535) {
    if (error) *error = "listen address \"" + mSettings.listen + "\" has no valid port";
    return false;
  }
  auto address = platform::GObjectPtr<GSocketAddress>::adopt(
      g_inet_socket_address_new_from_string(host.c_str(), static_cast<guint>(port)));
  if (!address) {
    if (error) *error = "listen address \"" + host + "\" is not an IP address";
    return false;
  }
  mServer = platform::GObjectPtr<SoupServer>::adopt(static_cast<SoupServer*>(
      g_object_new(SOUP_TYPE_SERVER, "server-header", "tessera", nullptr)));
  soup_server_add_handler(mServer.get(), nullptr, &HttpServer::handle, this, nullptr);
  // libsoup keeps a path's early and normal callbacks together: /whip needs both, or its
  // entry (which also matches /whip/...) would have no normal handler.
  soup_server_add_early_handler(mServer.get(), "/whip", &HttpServer::handleEarly, this, nullptr);
  soup_server_add_handler(mServer.get(), "/whip", &HttpServer::handle, this, nullptr);
  soup_server_add_early_handler(mServer.get(), "/api/v1/cue", &HttpServer::handleCueEarly, this,
                                nullptr);
  soup_server_add_handler(mServer.get(), "/api/v1/cue", &HttpServer::handle, this, nullptr);
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
  // Connections are accepted here, not by soup_server_listen (see detail/connection_listener).
  std::string listenError;
  mListener =
      detail::ConnectionListener::listen(mServer.get(), address.get(), cert.get(), &listenError);
  if (!mListener) {
    if (error) *error = "cannot listen on " + mSettings.listen + ": " + listenError;
    mServer.reset();
    return false;
  }
  mPort = mListener->port();
  core::logInfo(kModule, "listening on {}://{}:{}", scheme(), host, mPort);
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
  } else if (path == "/api/v1/cue") {
    serveCue(msg, method);
  } else if (path == "/metrics") {
    if (onlyGet()) {
      respond(msg, 200, "text/plain; version=0.0.4; charset=utf-8", mModel.metrics());
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
                 {"fps", std::round(f.fps * 10) / 10},
                 {"scores", scoresJson(f.scores)},
                 {"tile", f.tile ? rectJson(*f.tile) : json(nullptr)},
                 {"frames", f.frames},
                 {"dropped_frames", f.dropped},
                 {"restarts", f.restarts},
                 {"sync", syncJson(f.sync)}};
    if (f.source == core::FeedSource::kPull) item["uri"] = f.uri;
    if (!f.lastError.empty()) item["last_error"] = f.lastError;
    list.push_back(std::move(item));
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
  const auto dir = mModel.hlsDirectory();
  if (!dir) {
    respondProblem(msg, 404, "Not Found", "HLS output is off ([output] hls = false)");
    return;
  }
  if (!safeName(name)) {
    respondProblem(msg, 404, "Not Found", "no HLS file " + name);
    return;
  }
  serveFile(msg, *dir / name, nullptr, name.ends_with(".m3u8"));
}

bool HttpServer::checkAdmin(SoupServerMessage* msg) {
  if (!mSettings.adminToken) {
    respondProblem(msg, 403, "Forbidden",
                   "the admin API is off: set [http] admin_token in the installation file");
    return false;
  }
  const char* auth =
      soup_message_headers_get_one(soup_server_message_get_request_headers(msg), "Authorization");
  const std::string expected = "Bearer " + *mSettings.adminToken;
  if (!auth || expected != auth) {
    soup_message_headers_replace(soup_server_message_get_response_headers(msg), "WWW-Authenticate",
                                 "Bearer");
    respondProblem(msg, 401, "Unauthorized",
                   auth ? "wrong admin token" : "missing Authorization: Bearer <admin_token>");
    return false;
  }
  return true;
}

void HttpServer::serveScene(SoupServerMessage* msg) {
  if (!checkAdmin(msg)) return;
  const std::string text = detail::requestBody(msg);
  const json request = json::parse(text, nullptr, false);
  if (request.is_discarded() || !request.is_object() || !request.contains("name") ||
      !request["name"].is_string()) {
    respondProblem(msg, 400, "Bad Request", "expected a JSON object {\"name\": \"<scene>\"}");
    return;
  }
  const std::string name = request["name"];
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
  if (!checkAdmin(msg)) return;
  constexpr const char* kShape =
      "expected a JSON object {\"scene\": SCENE (optional), \"shader\": NAME (optional), "
      "\"values\": {INPUT: VALUE, ...}}";
  const json request = json::parse(detail::requestBody(msg), nullptr, false);
  if (request.is_discarded() || !request.is_object() || !request.contains("values") ||
      !request["values"].is_object() || request["values"].empty()) {
    respondProblem(msg, 400, "Bad Request", kShape);
    return;
  }
  std::optional<std::string> scene, shader;
  for (const auto& [key, value] : request.items()) {
    if (key == "values") continue;
    if ((key != "scene" && key != "shader") || !value.is_string()) {
      respondProblem(msg, 400, "Bad Request", fmt::format("unexpected \"{}\": {}", key, kShape));
      return;
    }
    (key == "scene" ? scene : shader) = value.get<std::string>();
  }
  std::vector<ParamValue> values;
  for (const auto& [name, v] : request["values"].items()) {
    ParamValue p;
    p.name = name;
    if (v.is_boolean()) {
      p.numbers = {v.get<bool>() ? 1.0 : 0.0};
    } else if (v.is_number()) {
      p.numbers = {v.get<double>()};
    } else if (v.is_string()) {
      p.text = v.get<std::string>();
    } else if (v.is_array() && !v.empty() && v.size() <= 4 &&
               std::all_of(v.begin(), v.end(), [](const json& e) { return e.is_number(); })) {
      for (const json& e : v) p.numbers.push_back(e.get<double>());
    } else {
      respondProblem(msg, 422, "Unprocessable Content",
                     fmt::format("values.{}: expected a number, a boolean, a string or an array "
                                 "of 1-4 numbers, got {}",
                                 name, v.dump()));
      return;
    }
    values.push_back(std::move(p));
  }
  const ParamResult r = mModel.setParams(scene, shader, values);
  if (r.status != 200) {
    respondProblem(msg, r.status, r.status == 404 ? "Not Found" : "Unprocessable Content",
                   r.detail);
    return;
  }
  respondJson(msg, 200,
              json{{"scene", r.scene}, {"shaders", r.shaders}, {"values", request["values"]}});
}

}  // namespace tessera::control
