// The join page's clock exchange: POST /whip/{id}/clock (docs/http-api.md). The page holds the
// session URL, whose 128-bit id is the credential; the body is bounded before it is read.
#include <libsoup/soup.h>

#include <fmt/format.h>

#include <cmath>
#include <variant>

#include <nlohmann/json.hpp>

#include "control/clock_request.hpp"
#include "control/detail/responses.hpp"
#include "control/http_server.hpp"
#include "core/time.hpp"

namespace tessera::control {
namespace {

using detail::respondProblem;
using detail::setHeader;

std::int64_t serverUnixNs() {
  return core::toUnixNs(core::Clock::now());
}

// Unix ms with microseconds: what the page's performance clock resolves.
double toUnixMs(std::int64_t ns) {
  return std::round(static_cast<double>(ns) / 1e3) / 1e3;
}

bool isJson(SoupServerMessage* msg) {
  std::string type = detail::requestHeader(msg, "Content-Type");
  type = type.substr(0, type.find(';'));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  return g_ascii_strcasecmp(type.c_str(), "application/json") == 0;
}

const char* titleOf(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 413:
      return "Content Too Large";
    default:
      return "Unprocessable Content";
  }
}

}  // namespace

void HttpServer::serveWhipClock(SoupServerMessage* msg, const std::string& method,
                                const std::string& id) {
  const std::int64_t t1 = serverUnixNs();  // as early as the request reaches us
  setHeader(msg, "Access-Control-Allow-Origin", "*");
  if (method == "OPTIONS") {
    setHeader(msg, "Allow", "POST, OPTIONS");
    setHeader(msg, "Access-Control-Allow-Methods", "POST, OPTIONS");
    setHeader(msg, "Access-Control-Allow-Headers", "Content-Type");
    soup_server_message_set_status(msg, 204, nullptr);
    return;
  }
  if (method != "POST") {
    setHeader(msg, "Allow", "POST, OPTIONS");
    respondProblem(msg, 405, "Method Not Allowed", method + " is not allowed on a session's clock");
    return;
  }
  if (soup_server_message_get_status(msg) == 413) return;  // refused by the early handler
  if (!isJson(msg)) {
    respondProblem(msg, 415, "Unsupported Media Type", "the clock exchange takes application/json");
    return;
  }
  auto parsed = parseClockRequest(detail::requestBody(msg), t1);
  if (const auto* error = std::get_if<ClockRequestError>(&parsed)) {
    respondProblem(msg, error->status, titleOf(error->status), error->detail);
    return;
  }
  const auto& request = std::get<ClockRequest>(parsed);
  const WhipClockReply reply = mWhip->whipClock(id, request.prev, t1);
  if (reply.status == WhipClockReply::Status::kNotFound) {
    respondProblem(msg, 404, "Not Found", "no WHIP session at this URL");
    return;
  }
  if (reply.status == WhipClockReply::Status::kRateLimited) {
    setHeader(msg, "Retry-After", std::to_string(reply.retryAfter.count()));
    respondProblem(msg, 429, "Too Many Requests",
                   fmt::format("too many clock requests; retry in {} s", reply.retryAfter.count()));
    return;
  }
  // Only what the page needs: each byte is paid every round (headers already cost ~800).
  nlohmann::json body = {
      {"t1", toUnixMs(t1)},
      {"accepted", reply.roundAccepted},
      {"next_ms", reply.next.count()},
      {"offset_ms", reply.offsetMs ? nlohmann::json(std::round(*reply.offsetMs * 1000) / 1000)
                                   : nlohmann::json(nullptr)}};
  body["t2"] = toUnixMs(serverUnixNs());  // as late as possible before the answer leaves
  detail::respond(msg, 200, "application/json", body.dump());
}

}  // namespace tessera::control
