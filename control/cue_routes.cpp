// POST /api/v1/cue (admin) and GET /api/v1/cue (docs/http-api.md, "Cue").
#include <fmt/format.h>
#include <libsoup/soup.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "control/api_requests.hpp"
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
  if (!checkAdmin(msg)) return;  // also checked before the body was read
  const auto parsed = parseCueRequest(detail::requestBody(msg));
  if (const auto* error = std::get_if<RequestError>(&parsed)) {
    respondProblem(msg, error->status,
                   error->status == 400 ? "Bad Request" : "Unprocessable Content", error->detail);
    return;
  }
  const auto cue = mCue->startCue(std::get<CueRequest>(parsed).flash);
  if (!cue) {
    respondProblem(msg, 409, "Conflict",
                   "a cue is still open: GET /api/v1/cue says when it is done");
    return;
  }
  detail::setHeader(msg, "Location", "/api/v1/cue");
  respondJson(msg, 202, cueJson(*cue));
}

}  // namespace tessera::control
