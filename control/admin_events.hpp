// GET /api/v1/events: what the admin page shows, pushed as Server-Sent Events (text/event-stream)
// instead of polled. Each subscriber first gets the whole state, then, at most once a second
// (at once after an admin action), only what changed: feeds added, changed or gone, health,
// outputs, new moderation actions. A comment line keeps idle streams open through proxies.
//
// Bounds: kMaxSubscribers streams at once (then 503); each lasts at most kMaxStream (the page
// reconnects); a subscriber that stops reading is dropped once kMaxBacklogBytes wait for it.
// Nothing runs while nobody subscribes.
//
// Thread: the main-loop thread (libsoup's and the timers').
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "control/api_model.hpp"
#include "control/moderation_service.hpp"
#include "platform/gobject_ptr.hpp"
#include "platform/main_loop.hpp"

typedef struct _SoupServerMessage SoupServerMessage;

namespace tessera::control {

struct AdminEventsStats {
  std::size_t subscribers = 0;
  std::uint64_t events = 0;   // event blocks written, keepalives excluded
  std::uint64_t bytes = 0;    // to every subscriber
  std::uint64_t dropped = 0;  // subscribers dropped for not reading
};

// One moderation action as the API shows it: {"seq", "at" (ISO 8601 UTC), "action", "feed", "by"}.
nlohmann::json moderationRecordJson(const core::ModerationRecord& r);

class AdminEvents {
 public:
  static constexpr std::size_t kMaxSubscribers = 8;
  static constexpr std::chrono::milliseconds kPeriod{1000};
  static constexpr std::chrono::seconds kKeepalive{15};
  static constexpr std::chrono::minutes kMaxStream{10};
  static constexpr std::size_t kMaxBacklogBytes = 1024 * 1024;
  static constexpr std::chrono::seconds kScoresPeriod{5};

  // `closeConnection` ends a subscriber's connection (one that stopped reading).
  AdminEvents(ApiModel& model, std::function<void(SoupServerMessage*)> closeConnection);
  ~AdminEvents();
  AdminEvents(const AdminEvents&) = delete;
  AdminEvents& operator=(const AdminEvents&) = delete;

  // Moderation state and actions come from here (none: no moderation fields). Before subscribe().
  void setModeration(ModerationService* moderation) { mModeration = moderation; }
  bool full() const { return mSubscribers.size() >= kMaxSubscribers; }
  // Answers `msg` with the stream and its first state; the caller checked full().
  void subscribe(SoupServerMessage* msg, const std::string& client);
  // Something changed now (an admin action): the update goes out at once, not at the tick.
  void poke();
  AdminEventsStats stats() const;

 private:
  struct Subscriber {
    platform::GObjectPtr<SoupServerMessage> msg;
    std::string client;
    std::chrono::steady_clock::time_point started;
    std::chrono::steady_clock::time_point lastWrite;
    std::uint64_t appended = 0;
    std::uint64_t written = 0;
    bool dead = false;  // the connection went, or the stream ended: removed at the next pass
    // What this subscriber has: each feed, health, outputs, the last action's seq.
    struct SentFeed {
      std::string key;   // its state, as FeedText::key
      std::string full;  // all of it, as FeedText::full
      std::chrono::steady_clock::time_point at;
    };
    std::map<std::uint32_t, SentFeed> feeds;
    std::string health;
    std::string outputs;
    std::uint64_t actionSeq = 0;
  };
  // The state now, each part serialised once per pass for every subscriber.
  // A feed serialised: what the operator acts on (state, hidden, on the canvas) goes out at
  // once when it changes; scores, rates and sync, which move all the time, at most every
  // kScoresPeriod per feed.
  struct FeedText {
    std::string key;
    std::string full;
  };
  struct Snapshot {
    std::map<std::uint32_t, FeedText> feeds;
    std::string health;
    std::string outputs;
    std::vector<core::ModerationRecord> actions;
    std::size_t bans = 0;
  };

  Snapshot snapshot();
  void update(Subscriber& s, const Snapshot& now, bool first);
  void write(Subscriber& s, const std::string& text);
  void end(Subscriber& s);
  void tick();
  void removeDead();
  void startTimer();

  ApiModel& mModel;
  ModerationService* mModeration = nullptr;
  std::function<void(SoupServerMessage*)> mCloseConnection;
  std::vector<std::unique_ptr<Subscriber>> mSubscribers;
  platform::Timer mTimer;
  platform::Timer mPoke;
  AdminEventsStats mStats;
};

}  // namespace tessera::control
