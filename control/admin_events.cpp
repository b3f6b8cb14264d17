#include "control/admin_events.hpp"

#include <libsoup/soup.h>

#include <cmath>
#include <ctime>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "core/log.hpp"

namespace tessera::control {
namespace {

constexpr const char* kModule = "http";
using nlohmann::json;

// To the nearest `step` (0.05: brightness and motion as the page shows them).
double roundToStep(double v, double step) {
  return std::round(std::round(v / step) * step * 100) / 100;
}

// A feed as the admin page shows it, values rounded so that noise is not a change: with 256
// feeds every byte of a feed that changes each second is 256 bytes a second to every page.
json feedJson(const FeedInfo& f) {
  json j = {
      {"id", f.id.value},
      {"source", core::toString(f.source)},
      {"state", f.waiting ? "waiting" : core::toString(f.state)},
      {"hidden", f.hidden},
      {"on_canvas", f.tile.has_value()},
      // A camera's rate wobbles by a frame or two a second: the page shows it to 5 fps.
      {"fps", std::round(f.fps / 5) * 5},
      {"sync", {{"state", f.sync.state}, {"latency_ms", std::round(f.sync.latencyMs / 50) * 50}}}};
  if (f.scores) {
    const core::Scores& s = *f.scores;
    j["scores"] = {{"brightness", roundToStep(s.brightness, 0.05)},
                   {"motion", roundToStep(s.motion, 0.05)},
                   {"faces", s.faces},
                   {"frozen", s.frozen},
                   {"black", s.black}};
  } else {
    j["scores"] = json::object();
  }
  if (!f.uri.empty()) j["uri"] = f.uri;
  if (!f.lastError.empty()) j["last_error"] = f.lastError;
  return j;
}

json healthJson(const HealthInfo& h) {
  json j = {{"status", !h.rendering          ? "starting"
                       : !h.degraded.empty() ? "degraded"
                                             : "ok"},
            {"feeds", h.feeds},
            {"live_feeds", h.liveFeeds},
            {"workers", h.workers},
            {"fps", std::round(h.fps)},
            {"scene", h.scene},
            {"installation", h.installation},
            {"sync_delay_ms", std::round(h.syncDelayMs / 10) * 10},
            {"shader_errors", h.shaderErrors}};
  if (!h.degraded.empty()) j["degraded"] = h.degraded;
  return j;
}

json outputsJson(const std::vector<OutputInfo>& outputs) {
  json list = json::array();
  for (const OutputInfo& o : outputs) {
    list.push_back({{"kind", o.kind},
                    {"uri", o.uri},
                    {"state", o.state},
                    // Tens of kbit/s: the second-by-second wobble is not news.
                    {"bitrate_kbps", std::round(o.bitrateKbps / 10) * 10},
                    {"restarts", o.restarts},
                    {"last_error", o.lastError.empty() ? json(nullptr) : json(o.lastError)}});
  }
  return list;
}

std::string isoTime(std::chrono::system_clock::time_point t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return stamp;
}

std::string event(const char* name, const json& data) {
  return fmt::format("event: {}\ndata: {}\n\n", name, data.dump());
}

}  // namespace

json moderationRecordJson(const core::ModerationRecord& r) {
  return {{"seq", r.seq},
          {"at", isoTime(r.at)},
          {"action", core::toString(r.action)},
          {"feed", r.feed.value},
          {"by", r.by}};
}

AdminEvents::AdminEvents(ApiModel& model, std::function<void(SoupServerMessage*)> closeConnection)
    : mModel(model), mCloseConnection(std::move(closeConnection)) {}

AdminEvents::~AdminEvents() {
  for (auto& s : mSubscribers) {
    g_signal_handlers_disconnect_by_data(s->msg.get(), s.get());
    if (!s->dead) end(*s);
  }
}

AdminEvents::Snapshot AdminEvents::snapshot() {
  Snapshot now;
  for (const FeedInfo& f : mModel.feeds()) {
    const json full = feedJson(f);
    const json key = {full["state"], full["hidden"], full["on_canvas"], full["source"],
                      full.value("last_error", "")};
    now.feeds.emplace(f.id.value, FeedText{key.dump(), full.dump()});
  }
  now.health = healthJson(mModel.health()).dump();
  now.outputs = outputsJson(mModel.outputs()).dump();
  if (mModeration) {
    now.actions = mModeration->recentActions();
    now.bans = mModeration->banCount();
  }
  return now;
}

void AdminEvents::subscribe(SoupServerMessage* msg, const std::string& client) {
  auto s = std::make_unique<Subscriber>();
  s->msg = platform::GObjectPtr<SoupServerMessage>::retain(msg);
  s->client = client;
  s->started = s->lastWrite = std::chrono::steady_clock::now();
  SoupMessageHeaders* headers = soup_server_message_get_response_headers(msg);
  soup_message_headers_set_encoding(headers, SOUP_ENCODING_CHUNKED);
  soup_message_headers_replace(headers, "Content-Type", "text/event-stream; charset=utf-8");
  soup_message_headers_replace(headers, "Cache-Control", "no-store");
  soup_message_headers_replace(headers, "X-Accel-Buffering", "no");  // nginx in front: stream
  soup_message_body_set_accumulate(soup_server_message_get_response_body(msg), FALSE);
  soup_server_message_set_status(msg, 200, nullptr);
  Subscriber* raw = s.get();
  g_signal_connect(msg, "wrote-body-data", G_CALLBACK(+[](SoupServerMessage*, guint n, void* p) {
                     static_cast<Subscriber*>(p)->written += n;
                   }),
                   raw);
  auto gone = +[](SoupServerMessage*, void* p) { static_cast<Subscriber*>(p)->dead = true; };
  g_signal_connect(msg, "finished", G_CALLBACK(gone), raw);
  if (g_signal_lookup("disconnected", G_OBJECT_TYPE(msg)) != 0) {
    g_signal_connect(msg, "disconnected", G_CALLBACK(gone), raw);
  }
  // The page reconnects after this long (EventSource does it by itself; so does admin.js).
  write(*s, fmt::format("retry: 2000\n: tessera admin events, {} s at most\n\n",
                        std::chrono::seconds(kMaxStream).count()));
  update(*s, snapshot(), true);
  core::logInfo(kModule, "events: {} subscribed ({} of {})", client, mSubscribers.size() + 1,
                kMaxSubscribers);
  mSubscribers.push_back(std::move(s));
  startTimer();
}

void AdminEvents::update(Subscriber& s, const Snapshot& now, bool first) {
  // Feeds: added or changed, then gone.
  json upsert = json::array();
  json removed = json::array();
  const auto at = std::chrono::steady_clock::now();
  for (const auto& [id, text] : now.feeds) {
    auto it = s.feeds.find(id);
    const bool fresh = it == s.feeds.end();
    const bool due = fresh || it->second.key != text.key ||
                     (it->second.full != text.full && at - it->second.at >= kScoresPeriod);
    if (!due) continue;
    upsert.push_back(json::parse(text.full));
    if (fresh) it = s.feeds.emplace(id, Subscriber::SentFeed{}).first;
    it->second = {text.key, text.full, at};
  }
  for (auto it = s.feeds.begin(); it != s.feeds.end();) {
    if (now.feeds.contains(it->first)) {
      ++it;
      continue;
    }
    removed.push_back(it->first);
    it = s.feeds.erase(it);
  }
  if (first || !upsert.empty() || !removed.empty()) {
    json data = {{"upsert", std::move(upsert)}, {"remove", std::move(removed)}};
    if (first) data["reset"] = true;
    write(s, event("feeds", data));
  }
  if (first || s.health != now.health) {
    write(s, fmt::format("event: health\ndata: {}\n\n", now.health));
    s.health = now.health;
  }
  if (first || s.outputs != now.outputs) {
    write(s, fmt::format("event: outputs\ndata: {}\n\n", now.outputs));
    s.outputs = now.outputs;
  }
  const std::uint64_t last = now.actions.empty() ? 0 : now.actions.back().seq;
  if (first || last != s.actionSeq) {
    json actions = json::array();
    for (const auto& r : now.actions) {
      if (r.seq > s.actionSeq) actions.push_back(moderationRecordJson(r));
    }
    write(s, event("moderation", {{"actions", actions}, {"bans", now.bans}}));
    s.actionSeq = last;
  }
}

void AdminEvents::write(Subscriber& s, const std::string& text) {
  if (s.dead) return;
  SoupServerMessage* msg = s.msg.get();
  soup_message_body_append(soup_server_message_get_response_body(msg), SOUP_MEMORY_COPY,
                           text.data(), text.size());
  s.appended += text.size();
  s.lastWrite = std::chrono::steady_clock::now();
  mStats.bytes += text.size();
  if (text.rfind("event:", 0) == 0) ++mStats.events;
  // libsoup pauses a chunked response that has written all it had: go on.
  soup_server_message_unpause(msg);
}

void AdminEvents::end(Subscriber& s) {
  s.dead = true;
  SoupServerMessage* msg = s.msg.get();
  soup_message_body_complete(soup_server_message_get_response_body(msg));
  soup_server_message_unpause(msg);
}

void AdminEvents::poke() {
  if (mSubscribers.empty() || mPoke.pending()) return;
  mPoke = platform::Timer(std::chrono::milliseconds(0), [this] { tick(); });
}

void AdminEvents::startTimer() {
  if (!mTimer.pending())
    mTimer = platform::Timer(
        kPeriod, [this] { tick(); }, true);
}

void AdminEvents::tick() {
  removeDead();
  if (mSubscribers.empty()) {
    mTimer.cancel();
    return;
  }
  const auto now = std::chrono::steady_clock::now();
  const Snapshot state = snapshot();
  for (auto& s : mSubscribers) {
    if (s->appended - s->written > kMaxBacklogBytes) {
      core::logWarn(kModule, "events: {} stopped reading ({} bytes waiting), dropped", s->client,
                    s->appended - s->written);
      ++mStats.dropped;
      end(*s);
      if (mCloseConnection) mCloseConnection(s->msg.get());
      continue;
    }
    if (now - s->started >= kMaxStream) {
      end(*s);  // the page reconnects and starts from a fresh state
      continue;
    }
    update(*s, state, false);
    if (now - s->lastWrite >= kKeepalive) write(*s, ": keepalive\n\n");
  }
  removeDead();
}

void AdminEvents::removeDead() {
  std::erase_if(mSubscribers, [](const std::unique_ptr<Subscriber>& s) {
    if (!s->dead) return false;
    g_signal_handlers_disconnect_by_data(s->msg.get(), s.get());
    return true;
  });
}

AdminEventsStats AdminEvents::stats() const {
  AdminEventsStats s = mStats;
  s.subscribers = mSubscribers.size();
  return s;
}

}  // namespace tessera::control
