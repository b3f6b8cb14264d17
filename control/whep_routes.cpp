// WHEP (draft-ietf-wish-whep) routes of the HTTP server: WebRTC viewers of the canvas. The
// private channel's token was checked when the headers arrived (screening.cpp).
#include <libsoup/soup.h>

#include <fmt/format.h>

#include "control/detail/responses.hpp"
#include "control/http_server.hpp"
#include "core/log.hpp"

namespace tessera::control {
namespace {

constexpr const char* kModule = "http";
using detail::requestHeader;
using detail::respondProblem;
using detail::setHeader;

// A player on another origin (a broadcaster's page) may read the answer and its Location.
void addCors(SoupServerMessage* msg) {
  setHeader(msg, "Access-Control-Allow-Origin", "*");
  setHeader(msg, "Access-Control-Expose-Headers", "Location, Retry-After");
}

const char* title(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 406:
      return "Not Acceptable";
    case 503:
      return "Service Unavailable";
    default:
      return "Internal Server Error";
  }
}

}  // namespace

void HttpServer::serveWhepEndpoint(SoupServerMessage* msg, const std::string& method) {
  addCors(msg);
  if (method == "OPTIONS") {
    setHeader(msg, "Accept-Post", "application/sdp");
    setHeader(msg, "Allow", "POST, OPTIONS");
    setHeader(msg, "Access-Control-Allow-Methods", "POST, DELETE, OPTIONS");
    setHeader(msg, "Access-Control-Allow-Headers", "Authorization, Content-Type");
    soup_server_message_set_status(msg, 204, nullptr);
    return;
  }
  if (method != "POST") {
    setHeader(msg, "Allow", "POST, OPTIONS");
    respondProblem(msg, 405, "Method Not Allowed", method + " is not allowed on /whep");
    return;
  }
  const std::string type = detail::requestMediaType(msg);
  if (type != "application/sdp") {
    setHeader(msg, "Accept-Post", "application/sdp");
    respondProblem(msg, 415, "Unsupported Media Type",
                   "the offer must be sent as application/sdp, not " +
                       (type.empty() ? std::string("(none)") : type));
    return;
  }
  const std::string offer = detail::requestBody(msg);
  if (offer.size() > mSettings.whipMaxBodyBytes) {  // a chunked body has no Content-Length
    respondProblem(
        msg, 413, "Content Too Large",
        fmt::format("an SDP offer may have at most {} bytes", mSettings.whipMaxBodyBytes));
    return;
  }
  soup_server_message_pause(msg);
  auto held = std::make_shared<platform::GObjectPtr<SoupServerMessage>>(
      platform::GObjectPtr<SoupServerMessage>::retain(msg));
  const char* host = soup_server_message_get_remote_host(msg);
  const std::string client = host ? host : "?";
  mWhep->whepOffer(offer, [held, client](const WhepAnswer& answer) {
    SoupServerMessage* msg = held->get();
    if (answer.status == 201) {
      setHeader(msg, "Location", "/whep/" + answer.sessionId);
      detail::respond(msg, 201, "application/sdp", answer.sdp);
    } else {
      if (answer.retryAfterSeconds > 0) {
        setHeader(msg, "Retry-After", std::to_string(answer.retryAfterSeconds));
      }
      core::logInfo(kModule, "whep: refused an offer from {}: {} {}", client, answer.status,
                    answer.detail);
      respondProblem(msg, answer.status, title(answer.status), answer.detail);
    }
    soup_server_message_unpause(msg);
  });
}

void HttpServer::serveWhepSession(SoupServerMessage* msg, const std::string& method,
                                  const std::string& id) {
  addCors(msg);
  const char* allow = "DELETE, OPTIONS";
  if (method == "OPTIONS") {
    setHeader(msg, "Allow", allow);
    setHeader(msg, "Access-Control-Allow-Methods", allow);
    setHeader(msg, "Access-Control-Allow-Headers", "Authorization, Content-Type");
    soup_server_message_set_status(msg, 204, nullptr);
    return;
  }
  if (method != "DELETE") {
    // PATCH (trickle ICE) is optional in WHEP: the server's candidates are in its answer and
    // the player sends its own in the offer.
    setHeader(msg, "Allow", allow);
    respondProblem(msg, 405, "Method Not Allowed",
                   method +
                       " is not allowed on a WHEP session (no trickle ICE: put the "
                       "candidates in the offer)");
    return;
  }
  if (mWhep->whepDelete(id)) {
    soup_server_message_set_status(msg, 200, nullptr);
  } else {
    respondProblem(msg, 404, "Not Found", "no WHEP session " + id);
  }
}

bool HttpServer::allowWhepPost(SoupServerMessage* msg) {
  const char* host = soup_server_message_get_remote_host(msg);
  const auto decision = mWhepRate.admit(host ? host : "?", std::chrono::steady_clock::now());
  if (decision) return true;
  setHeader(msg, "Retry-After", std::to_string(decision.retryAfter.count()));
  respondProblem(msg, 429, "Too Many Requests",
                 decision.verdict == detail::AddressRateLimit::Verdict::kTooManyAddresses
                     ? std::string("too many viewers are connecting; retry in a minute")
                     : fmt::format("at most {} WHEP offers a minute from one address",
                                   mSettings.whepPostsPerMinute));
  return false;
}

}  // namespace tessera::control
