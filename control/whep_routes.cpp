// WHEP (draft-ietf-wish-whep) routes of the HTTP server: WebRTC viewers of the canvas. The
// private channel's token was checked when the headers arrived (screening.cpp).
#include <libsoup/soup.h>

#include <fmt/format.h>

#include "control/detail/responses.hpp"
#include "control/http_server.hpp"

namespace tessera::control {
namespace {

using detail::respondProblem;
using detail::setHeader;

// A player on another origin (a broadcaster's page) may read the answer and its Location.
void addCors(SoupServerMessage* msg) {
  setHeader(msg, "Access-Control-Allow-Origin", "*");
  setHeader(msg, "Access-Control-Expose-Headers", "Location, Retry-After");
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
  const auto offer = detail::readSdpOffer(msg, mSettings.whipMaxBodyBytes);
  if (!offer) return;
  const detail::HeldMessage held = detail::holdForAnswer(msg);
  const char* host = soup_server_message_get_remote_host(msg);
  const std::string client = host ? host : "?";
  mWhep->whepOffer(*offer, [held, client](const WhepAnswer& answer) {
    SoupServerMessage* msg = held->get();
    if (answer.status == 201) {
      setHeader(msg, "Location", "/whep/" + answer.sessionId);
      detail::respond(msg, 201, "application/sdp", answer.sdp);
    } else {
      detail::refuseOffer(msg, "whep", client, answer.status, answer.detail,
                          answer.retryAfterSeconds);
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
