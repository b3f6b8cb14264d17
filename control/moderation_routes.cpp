// The operator's routes (docs/http-api.md, "The operator"): moderation of feeds, their
// thumbnails, the scenes, the moderation log, the admin page's event stream, and the phone's
// view of its own session (GET /whip/{id}/status).
#include <libsoup/soup.h>

#include <charconv>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "control/admin_events.hpp"
#include "control/detail/responses.hpp"
#include "control/detail/thumbnail.hpp"
#include "control/http_server.hpp"
#include "core/log.hpp"
#include "platform/jpeg.hpp"

namespace tessera::control {
namespace {

using detail::respondJson;
using detail::respondProblem;
using detail::setHeader;
using nlohmann::json;

// "42" -> 42: decimal digits only, no sign, within 32 bits.
std::optional<core::FeedId> parseFeedId(std::string_view text) {
  std::uint32_t value = 0;
  if (text.empty() || text.size() > 10 || text[0] < '0' || text[0] > '9') return std::nullopt;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return core::FeedId{value};
}

std::string clientOf(SoupServerMessage* msg) {
  const char* host = soup_server_message_get_remote_host(msg);
  return host ? host : "?";
}

}  // namespace

void HttpServer::setModerationService(ModerationService* moderation) {
  mModeration = moderation;
  mEvents->setModeration(moderation);
}

// /api/v1/feeds/{id} (DELETE: kick), /api/v1/feeds/{id}/{hide,show,ban,approve} (POST),
// /api/v1/feeds/{id}/thumbnail.jpg (GET). The admin token was checked before the body.
void HttpServer::serveFeedResource(SoupServerMessage* msg, const std::string& method,
                                   const std::string& rest) {
  const auto slash = rest.find('/');
  const std::string idText = rest.substr(0, slash);
  const std::string verb = slash == std::string::npos ? "" : rest.substr(slash + 1);
  const auto id = parseFeedId(idText);
  if (!id) {
    respondProblem(msg, 404, "Not Found", "no feed \"" + idText + "\" (ids are numbers)");
    return;
  }
  if (verb == "thumbnail.jpg") {
    if (method == "GET" || method == "HEAD") {
      serveThumbnail(msg, *id);
    } else {
      setHeader(msg, "Allow", "GET, HEAD");
      respondProblem(msg, 405, "Method Not Allowed", method + " is not allowed on a thumbnail");
    }
    return;
  }
  std::optional<core::ModerationAction> action;
  const char* allow = "POST";
  if (verb.empty()) {
    allow = "DELETE";
    if (method == "DELETE") action = core::ModerationAction::kKick;
  } else if (const auto named = core::moderationActionFrom(verb);
             named && *named != core::ModerationAction::kKick) {
    if (method == "POST") action = named;
  } else {
    respondProblem(msg, 404, "Not Found",
                   "no resource at /api/v1/feeds/" + rest +
                       " (POST .../hide, .../show, .../ban, .../approve; DELETE kicks)");
    return;
  }
  if (!action) {
    setHeader(msg, "Allow", allow);
    respondProblem(msg, 405, "Method Not Allowed",
                   method + " is not allowed on /api/v1/feeds/" + rest + " (use " + allow + ")");
    return;
  }
  if (!mModeration) {
    respondProblem(msg, 404, "Not Found", "moderation is not available");
    return;
  }
  const ModerationReply r = mModeration->moderate(*id, *action, {"http", clientOf(msg)});
  switch (r.status) {
    case ModerationReply::Status::kNotFound:
      respondProblem(msg, 404, "Not Found", r.detail);
      return;
    case ModerationReply::Status::kNotAllowed:
      respondProblem(msg, 409, "Conflict", r.detail);
      return;
    case ModerationReply::Status::kDone:
      break;
  }
  mEvents->poke();
  const FeedModerationInfo m = mModeration->feedModeration(*id);
  const bool gone =
      *action == core::ModerationAction::kKick || *action == core::ModerationAction::kBan;
  json body = {{"id", id->value}, {"action", core::toString(*action)}, {"changed", r.changed}};
  if (gone) {
    body["gone"] = true;
  } else {
    body["hidden"] = m.hidden;
    body["waiting"] = m.waiting;
  }
  respondJson(msg, 200, body);
}

void HttpServer::serveThumbnail(SoupServerMessage* msg, core::FeedId id) {
  const core::FrameRef frame = mModel.feedFrame(id);
  if (!frame) {
    respondProblem(msg, 404, "Not Found", "feed " + id.str() + " has no picture (or no such feed)");
    return;
  }
  const auto now = std::chrono::steady_clock::now();
  if (mThumbnails.size() > kMaxThumbnails) mThumbnails.clear();
  Thumbnail& t = mThumbnails[id.value];
  // At most one encode per feed per period, however many pages ask.
  if (t.jpeg.empty() || (t.sequence != frame->sequence && now - t.encodedAt >= kThumbnailPeriod)) {
    const detail::RgbImage small = detail::halfSizeRgb(*frame);
    t.jpeg = platform::encodeJpeg(small.rgb.data(), small.width, small.height,
                                  static_cast<std::size_t>(small.width) * 3, 70);
    t.sequence = frame->sequence;
    t.encodedAt = now;
    ++mThumbnailEncodes;
  }
  if (t.jpeg.empty()) {
    respondProblem(msg, 500, "Internal Server Error", "the thumbnail could not be encoded");
    return;
  }
  setHeader(msg, "Cache-Control", "no-store");
  soup_server_message_set_status(msg, 200, nullptr);
  soup_server_message_set_response(msg, "image/jpeg", SOUP_MEMORY_COPY,
                                   reinterpret_cast<const char*>(t.jpeg.data()), t.jpeg.size());
}

void HttpServer::serveModerationLog(SoupServerMessage* msg) {
  if (!mModeration) {
    respondProblem(msg, 404, "Not Found", "moderation is not available");
    return;
  }
  json actions = json::array();
  for (const auto& r : mModeration->recentActions()) actions.push_back(moderationRecordJson(r));
  respondJson(msg, 200, json{{"bans", mModeration->banCount()}, {"actions", actions}});
}

void HttpServer::serveScenes(SoupServerMessage* msg) {
  const std::string current = mModel.health().scene;
  json list = json::array();
  for (const auto& name : mModel.sceneNames()) {
    list.push_back({{"name", name}, {"current", name == current}});
  }
  respondJson(msg, 200, json{{"current", current}, {"scenes", list}});
}

void HttpServer::serveEvents(SoupServerMessage* msg) {
  if (mEvents->full()) {
    setHeader(msg, "Retry-After", "10");
    respondProblem(
        msg, 503, "Service Unavailable",
        fmt::format("{} admin pages are open already; close one", AdminEvents::kMaxSubscribers));
    return;
  }
  // The stream outlives the usual response timeout; AdminEvents ends it before this.
  mConnections->setDeadline(msg, std::chrono::duration_cast<std::chrono::milliseconds>(
                                     AdminEvents::kMaxStream + std::chrono::seconds(30)));
  mEvents->subscribe(msg, clientOf(msg));
}

void HttpServer::serveWhipStatus(SoupServerMessage* msg, const std::string& method,
                                 const std::string& id) {
  // The session URL is the credential, as for the clock exchange: no token.
  setHeader(msg, "Access-Control-Allow-Origin", "*");
  if (method != "GET" && method != "HEAD") {
    setHeader(msg, "Allow", "GET, HEAD");
    respondProblem(msg, 405, "Method Not Allowed", method + " is not allowed on a session status");
    return;
  }
  const auto status = mModeration ? mModeration->participantStatus(id) : std::nullopt;
  if (!status) {
    respondProblem(msg, 404, "Not Found", "no WHIP session " + id);
    return;
  }
  using State = ParticipantStatus::State;
  json body;
  switch (status->state) {
    case State::kWaiting:
      body = {{"state", "waiting"}, {"next_ms", 2000}};
      break;
    case State::kLive:
      body = {{"state", "live"}, {"next_ms", 5000}};
      break;
    case State::kEnded:
      body = {{"state", "ended"}, {"reason", core::toString(*status->ended)}};
      break;
  }
  respondJson(msg, 200, body);
}

std::string HttpServer::adminMetrics() const {
  const AdminEventsStats e = mEvents->stats();
  return fmt::format(
      "# TYPE tessera_http_admin_event_streams gauge\ntessera_http_admin_event_streams {}\n"
      "# TYPE tessera_http_admin_events_total counter\ntessera_http_admin_events_total {}\n"
      "# TYPE tessera_http_admin_event_bytes_total counter\n"
      "tessera_http_admin_event_bytes_total {}\n"
      "# TYPE tessera_http_thumbnail_encodes_total counter\n"
      "tessera_http_thumbnail_encodes_total {}\n",
      e.subscribers, e.events, e.bytes, mThumbnailEncodes);
}

}  // namespace tessera::control
