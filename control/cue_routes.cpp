// POST /api/v1/cue (admin) and GET /api/v1/cue (docs/http-api.md, "Cue").
#include <fmt/format.h>
#include <libsoup/soup.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "control/detail/responses.hpp"
#include "control/http_server.hpp"

namespace tessera::control {
namespace {

using detail::respondJson;
using detail::respondProblem;
using json = nlohmann::json;

json cueJson(const CueInfo& cue) {
  auto ms = [](const std::optional<double>& v) {
    return v ? json(std::round(*v * 10) / 10) : json(nullptr);
  };
  json feeds = json::array();
  for (const CueFeedInfo& f : cue.feeds) {
    feeds.push_back({{"id", f.id.value}, {"step_ms", ms(f.stepMs)}, {"offset_ms", ms(f.offsetMs)}});
  }
  return {{"id", cue.id},
          {"state", cue.done ? "done" : "waiting"},
          {"flash", cue.flash},
          {"feeds", std::move(feeds)}};
}

}  // namespace

void HttpServer::handleCueEarly(SoupServer*, SoupServerMessage* msg, const char*, GHashTable*,
                                void*) {
  // Refuse an oversized body before it is read into memory.
  const goffset length =
      soup_message_headers_get_content_length(soup_server_message_get_request_headers(msg));
  if (length > static_cast<goffset>(kMaxCueBodyBytes)) {
    respondProblem(msg, 413, "Content Too Large",
                   fmt::format("the body is {} bytes; a cue request may have at most {}", length,
                               kMaxCueBodyBytes));
  }
}

void HttpServer::serveCue(SoupServerMessage* msg, const std::string& method) {
  if (!mCue) {
    respondProblem(msg, 404, "Not Found", "cues are not available in this server");
    return;
  }
  if (method == "GET" || method == "HEAD") {
    const auto cue = mCue->lastCue();
    if (!cue) {
      respondProblem(msg, 404, "Not Found", "no cue yet: POST /api/v1/cue {\"flash\": BOOL}");
      return;
    }
    respondJson(msg, 200, cueJson(*cue));
    return;
  }
  if (method != "POST") {
    detail::setHeader(msg, "Allow", "GET, HEAD, POST");
    respondProblem(msg, 405, "Method Not Allowed", method + " is not allowed on /api/v1/cue");
    return;
  }
  if (!checkAdmin(msg)) return;
  const std::string text = detail::requestBody(msg);
  if (text.size() > kMaxCueBodyBytes) {  // a chunked body has no Content-Length
    respondProblem(msg, 413, "Content Too Large",
                   fmt::format("a cue request may have at most {} bytes", kMaxCueBodyBytes));
    return;
  }
  constexpr const char* kShape = "expected a JSON object {\"flash\": true | false}";
  const json request = json::parse(text, nullptr, false);
  if (request.is_discarded() || !request.is_object()) {
    respondProblem(msg, 400, "Bad Request", kShape);
    return;
  }
  for (const auto& [key, value] : request.items()) {
    if (key != "flash" || !value.is_boolean()) {
      respondProblem(msg, 422, "Unprocessable Content",
                     fmt::format("\"{}\": {}, got {}", key, kShape, value.dump()));
      return;
    }
  }
  if (!request.contains("flash")) {
    respondProblem(msg, 422, "Unprocessable Content", std::string("missing \"flash\": ") + kShape);
    return;
  }
  const auto cue = mCue->startCue(request["flash"].get<bool>());
  if (!cue) {
    respondProblem(msg, 409, "Conflict",
                   "a cue is still open: GET /api/v1/cue says when it is done");
    return;
  }
  detail::setHeader(msg, "Location", "/api/v1/cue");
  respondJson(msg, 202, cueJson(*cue));
}

}  // namespace tessera::control
