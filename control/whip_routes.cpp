// WHIP (RFC 9725) and join-page routes of the HTTP server.
#include <libsoup/soup.h>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "control/clock_request.hpp"
#include "control/detail/responses.hpp"
#include "control/detail/token.hpp"
#include "control/http_server.hpp"
#include "core/log.hpp"
#include "platform/png.hpp"
#include "platform/qr.hpp"

namespace tessera::control {
namespace {

constexpr const char* kModule = "http";
using detail::requestHeader;
using detail::respondProblem;
using detail::setHeader;

// Every WHIP response may be read by a client on another origin (a broadcasting tool's page).
void addCors(SoupServerMessage* msg) {
  setHeader(msg, "Access-Control-Allow-Origin", "*");
  setHeader(msg, "Access-Control-Expose-Headers",
            "Location, ETag, Link, Accept-Patch, Retry-After");
}

// "turn:user:pass@host:3478" -> <turn:host:3478>; rel="ice-server"; username=...; credential=...
std::string iceServerLink(const std::string& url) {
  const auto at = url.find('@');
  if (at == std::string::npos) return fmt::format("<{}>; rel=\"ice-server\"", url);
  const auto scheme = url.find(':');
  const std::string credentials = url.substr(scheme + 1, at - scheme - 1);
  const auto colon = credentials.find(':');
  return fmt::format(
      "<{}:{}>; rel=\"ice-server\"; username=\"{}\"; credential=\"{}\"; "
      "credential-type=\"password\"",
      url.substr(0, scheme), url.substr(at + 1), credentials.substr(0, colon),
      colon == std::string::npos ? "" : credentials.substr(colon + 1));
}

// Who is joining, for bans: ?participant= (the join page's id from its localStorage; ignored
// unless it is 8-64 characters of [A-Za-z0-9_-]) and the client's address.
core::ParticipantKey participantKey(SoupServerMessage* msg) {
  core::ParticipantKey who;
  const char* host = soup_server_message_get_remote_host(msg);
  who.address = host ? host : "";
  GUri* uri = soup_server_message_get_uri(msg);
  const char* query = uri ? g_uri_get_query(uri) : nullptr;
  if (!query) return who;
  GHashTable* form = soup_form_decode(query);
  if (const auto* id = static_cast<const char*>(g_hash_table_lookup(form, "participant"));
      id && core::validParticipantId(id)) {
    who.participant = id;
  }
  g_hash_table_unref(form);
  return who;
}

}  // namespace

bool HttpServer::checkWhipToken(SoupServerMessage* msg) {
  if (!mSettings.whipToken) return true;
  const std::string auth = requestHeader(msg, "Authorization");
  if (detail::bearerMatches(auth.c_str(), *mSettings.whipToken)) return true;
  setHeader(msg, "WWW-Authenticate", "Bearer");
  respondProblem(msg, 401, "Unauthorized",
                 auth.empty() ? "missing Authorization: Bearer <token> (the join link has it)"
                              : "wrong token: use the link or QR code shown in the gallery");
  return false;
}

bool HttpServer::allowWhipPost(SoupServerMessage* msg) {
  const char* host = soup_server_message_get_remote_host(msg);
  const std::string client = host ? host : "?";
  const auto decision = mWhipRate.admit(client, std::chrono::steady_clock::now());
  if (decision) return true;
  const auto wait = decision.retryAfter.count();
  setHeader(msg, "Retry-After", std::to_string(wait));
  if (decision.verdict == detail::AddressRateLimit::Verdict::kTooManyAddresses) {
    // Every remembered address joined within the minute: a flood from many addresses.
    core::logWarn(kModule, "whip: {} addresses joined within a minute; refusing {}",
                  mWhipRate.addresses(), client);
    respondProblem(msg, 429, "Too Many Requests",
                   "too many participants are joining; retry in a minute");
  } else {
    respondProblem(msg, 429, "Too Many Requests",
                   fmt::format("at most {} joins a minute from one address; retry in {} s",
                               mSettings.whipPostsPerMinute, wait));
  }
  return false;
}

void HttpServer::serveWhipEndpoint(SoupServerMessage* msg, const std::string& method) {
  addCors(msg);
  if (method == "OPTIONS") {
    setHeader(msg, "Accept-Post", "application/sdp");
    setHeader(msg, "Allow", "POST, OPTIONS");
    setHeader(msg, "Access-Control-Allow-Methods", "POST, OPTIONS, PATCH, DELETE");
    setHeader(msg, "Access-Control-Allow-Headers", "Authorization, Content-Type, If-Match");
    for (const auto& server : mSettings.iceServers) {
      soup_message_headers_append(soup_server_message_get_response_headers(msg), "Link",
                                  iceServerLink(server).c_str());
    }
    soup_server_message_set_status(msg, 204, nullptr);
    return;
  }
  if (method != "POST") {
    setHeader(msg, "Allow", "POST, OPTIONS");
    respondProblem(msg, 405, "Method Not Allowed", method + " is not allowed on /whip");
    return;
  }
  serveWhipPost(msg);
}

void HttpServer::serveWhipPost(SoupServerMessage* msg) {
  // The token and the rate limit were checked before the body was read (screening.cpp).
  const auto offer = detail::readSdpOffer(msg, mSettings.whipMaxBodyBytes);
  if (!offer) return;
  const core::ParticipantKey who = participantKey(msg);
  if (mModeration && mModeration->joinRefused(who)) {
    core::logInfo(kModule, "whip: refused a banned participant from {}", who.address);
    respondProblem(msg, 403, "Forbidden", "the artist has removed you from this painting");
    return;
  }
  const detail::HeldMessage held = detail::holdForAnswer(msg);
  const char* host = soup_server_message_get_remote_host(msg);
  const std::string client = host ? host : "?";
  mWhip->whipOffer(*offer, who, [held, client](const WhipAnswer& answer) {
    SoupServerMessage* msg = held->get();
    if (answer.status == 201) {
      setHeader(msg, "Location", "/whip/" + answer.sessionId);
      setHeader(msg, "ETag", answer.etag);
      setHeader(msg, "Accept-Patch", "application/trickle-ice-sdpfrag");
      detail::respond(msg, 201, "application/sdp", answer.sdp);
    } else {
      detail::refuseOffer(msg, "whip", client, answer.status, answer.detail,
                          answer.retryAfterSeconds);
    }
    soup_server_message_unpause(msg);
  });
}

void HttpServer::serveWhipSession(SoupServerMessage* msg, const std::string& method,
                                  const std::string& id) {
  constexpr std::string_view kClock = "/clock";
  if (id.size() > kClock.size() && id.ends_with(kClock)) {
    serveWhipClock(msg, method, id.substr(0, id.size() - kClock.size()));
    return;
  }
  constexpr std::string_view kStatus = "/status";
  if (id.size() > kStatus.size() && id.ends_with(kStatus)) {
    serveWhipStatus(msg, method, id.substr(0, id.size() - kStatus.size()));
    return;
  }
  addCors(msg);
  const char* allow = "PATCH, DELETE, OPTIONS";
  if (method == "OPTIONS") {
    setHeader(msg, "Allow", allow);
    setHeader(msg, "Accept-Patch", "application/trickle-ice-sdpfrag");
    setHeader(msg, "Access-Control-Allow-Methods", allow);
    setHeader(msg, "Access-Control-Allow-Headers", "Authorization, Content-Type, If-Match");
    soup_server_message_set_status(msg, 204, nullptr);
    return;
  }
  if (method != "PATCH" && method != "DELETE") {
    setHeader(msg, "Allow", allow);
    respondProblem(msg, 405, "Method Not Allowed", method + " is not allowed on a WHIP session");
    return;
  }
  if (!checkWhipToken(msg)) return;
  if (method == "DELETE") {
    if (mWhip->whipDelete(id)) {
      soup_server_message_set_status(msg, 200, nullptr);
    } else {
      respondProblem(msg, 404, "Not Found", "no WHIP session " + id);
    }
    return;
  }
  const std::string type = detail::requestMediaType(msg);
  if (type != "application/trickle-ice-sdpfrag") {
    setHeader(msg, "Accept-Patch", "application/trickle-ice-sdpfrag");
    respondProblem(msg, 415, "Unsupported Media Type",
                   "PATCH takes application/trickle-ice-sdpfrag");
    return;
  }
  std::string problem;
  switch (
      mWhip->whipPatch(id, requestHeader(msg, "If-Match"), detail::requestBody(msg), &problem)) {
    case WhipPatchResult::kApplied:
      soup_server_message_set_status(msg, 204, nullptr);
      break;
    case WhipPatchResult::kNotFound:
      respondProblem(msg, 404, "Not Found", "no WHIP session " + id);
      break;
    case WhipPatchResult::kPreconditionFailed:
      respondProblem(msg, 412, "Precondition Failed", "If-Match does not match the session's ETag");
      break;
    case WhipPatchResult::kUnprocessable:
      respondProblem(msg, 422, "Unprocessable Content",
                     "ICE restarts are not supported: start a new session (POST /whip)");
      break;
    case WhipPatchResult::kBadRequest:
      respondProblem(msg, 400, "Bad Request", "the trickle-ICE fragment is refused: " + problem);
      break;
  }
}

// The join page's "watch" link. A private channel's link (with its ?t=) goes only to a page that
// presents the join token: with open join anyone could read it here, so that page gets none.
std::optional<std::string> HttpServer::joinViewerLink(SoupServerMessage* msg) const {
  if (!mSettings.viewerToken) return "/";
  if (!mSettings.whipToken) return std::nullopt;
  const std::string auth = requestHeader(msg, "Authorization");
  if (!detail::bearerMatches(auth.c_str(), *mSettings.whipToken)) return std::nullopt;
  return "/?t=" + *mSettings.viewerToken;
}

void HttpServer::serveJoinInfo(SoupServerMessage* msg) {
  const std::optional<std::string> viewer = joinViewerLink(msg);
  detail::respondJson(msg, 200,
                      nlohmann::json{{"name", mSettings.installationName},
                                     {"consent", mSettings.consent},
                                     {"whip", mWhip ? "/whip" : ""},
                                     {"token_required", mSettings.whipToken.has_value()},
                                     {"viewer", viewer ? nlohmann::json(*viewer) : nullptr},
                                     {"width", mSettings.tileWidth},
                                     {"height", mSettings.tileHeight},
                                     {"fps", mSettings.fps}});
}

void HttpServer::serveJoinQr(SoupServerMessage* msg) {
  if (mJoinUrl.empty()) {
    respondProblem(msg, 404, "Not Found", "no public join URL is known ([http] public_url)");
    return;
  }
  if (mQrPng.empty()) {
    const platform::QrImage qr = platform::makeQr(mJoinUrl, 8);
    mQrPng = platform::encodePng(qr.rgba.data(), qr.width, qr.width,
                                 static_cast<std::size_t>(qr.width) * 4);
  }
  setHeader(msg, "Cache-Control", "no-cache");
  soup_server_message_set_status(msg, 200, nullptr);
  soup_server_message_set_response(msg, "image/png", SOUP_MEMORY_COPY,
                                   reinterpret_cast<const char*>(mQrPng.data()), mQrPng.size());
}

}  // namespace tessera::control
