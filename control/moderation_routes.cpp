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
  // ?since=VERSION: the page has that version; held until it changes (control/status_polls.hpp).
  std::optional<std::string> since;
  if (GUri* uri = soup_server_message_get_uri(msg); uri && g_uri_get_query(uri)) {
    GHashTable* form = soup_form_decode(g_uri_get_query(uri));
    if (const auto* v = static_cast<const char*>(g_hash_table_lookup(form, "since"))) since = v;
    g_hash_table_unref(form);
  }
  if (since && method == "GET" && mStatusPolls) {
    mStatusPolls->serve(msg, id, *since);
    return;
  }
  writeStatusReply(msg, whipStatusReply(id, false));
}

// The status of session `id` as GET /whip/{id}/status answers it. `longPoll`: the page asked
// with ?since= and asks again at once (next_ms 0); else next_ms is the old polling period.
StatusReply HttpServer::whipStatusReply(const std::string& id, bool longPoll) {
  const auto status = mModeration ? mModeration->participantStatus(id) : std::nullopt;
  if (!status) {
    return {404, "", problemJson(404, "Not Found", "no WHIP session " + id)};
  }
  using State = ParticipantStatus::State;
  json body;
  std::string version;
  switch (status->state) {
    case State::kWaiting:
    case State::kLive: {
      const bool waiting = status->state == State::kWaiting;
      version = waiting ? "waiting" : "live";
      body = {{"state", version}, {"next_ms", longPoll ? 0 : waiting ? 2000 : 5000}};
      if (status->send) {
        const core::SendTarget& t = *status->send;
        body["send"] = {{"width", t.width}, {"height", t.height}, {"fps", t.fps}, {"kbps", t.kbps}};
        version += "/" + core::toString(t);
      }
      break;
    }
    case State::kEnded:
      version = std::string("ended/") + core::toString(*status->ended);
      body = {{"state", "ended"}, {"reason", core::toString(*status->ended)}};
      break;
  }
  body["version"] = version;
  return {200, version, body.dump()};
}

std::string HttpServer::adminMetrics() const {
  const AdminEventsStats e = mEvents->stats();
  const StatusPollStats polls = mStatusPolls ? mStatusPolls->stats() : StatusPollStats{};
  return fmt::format(
      "# TYPE tessera_http_admin_event_streams gauge\ntessera_http_admin_event_streams {}\n"
      "# TYPE tessera_http_admin_events_total counter\ntessera_http_admin_events_total {}\n"
      "# TYPE tessera_http_admin_event_bytes_total counter\n"
      "tessera_http_admin_event_bytes_total {}\n"
      "# TYPE tessera_http_thumbnail_encodes_total counter\n"
      "tessera_http_thumbnail_encodes_total {}\n"
      "# TYPE tessera_http_status_polls_held gauge\ntessera_http_status_polls_held {}\n"
      "# TYPE tessera_http_status_polls_full_total counter\n"
      "tessera_http_status_polls_full_total {}\n",
      e.subscribers, e.events, e.bytes, mThumbnailEncodes, polls.held, polls.refusedFull);
}

}  // namespace tessera::control
