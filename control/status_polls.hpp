// GET /whip/{id}/status?since=VERSION: the join page's long-poll (dynacast, issue 13). A request
// whose `since` is the session's current version is held until the status changes (its state,
// or what the phone should send when its tile changes: core/send_target.hpp), the session ends,
// kMaxHold passes or the server stops; every other request is answered at once.
//
// Bounds: kMaxPerSession held requests per session (a newer one answers the oldest at once: a
// reloaded page's, a test's) and kMaxHeld in all (beyond, answered at once with the usual next_ms).
// The status URL is the session's capability URL, as before; a held request costs one status
// look-up per kCheckPeriod, and nothing runs while none is held.
//
// Thread: the main-loop thread (libsoup's and the timer's).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "platform/gobject_ptr.hpp"
#include "platform/main_loop.hpp"

typedef struct _SoupServerMessage SoupServerMessage;

namespace tessera::control {

// One answer to GET /whip/{id}/status.
struct StatusReply {
  int status = 200;     // 200, or 404 for an unknown session
  std::string version;  // changes whenever the body's state or send target does ("" with 404)
  std::string body;     // JSON (200) or problem+json (404)
};

struct StatusPollStats {
  std::size_t held = 0;
  std::uint64_t answeredChanged = 0;  // held requests answered because the status changed
  std::uint64_t answeredTimeout = 0;  // ... because kMaxHold passed
  std::uint64_t refusedFull = 0;      // answered at once: kMaxHeld were held
};

class StatusPolls {
 public:
  static constexpr std::size_t kMaxHeld = 1024;
  static constexpr std::size_t kMaxPerSession = 2;
  static constexpr std::chrono::seconds kMaxHold{20};
  // How often held requests look at their status: a layout change reaches the page within
  // this (the render thread publishes tile sizes through atomics, read here).
  static constexpr std::chrono::milliseconds kCheckPeriod{200};
  static constexpr std::size_t kMaxVersionBytes = 64;

  // `reply(sessionId, longPoll)`: the status now.
  using ReplyFn = std::function<StatusReply(const std::string& sessionId, bool longPoll)>;
  explicit StatusPolls(ReplyFn reply);
  // Answers every held request 503 (the server is stopping); unless the main loop runs again
  // to write it, the client sees its connection close: either way it is not left waiting.
  ~StatusPolls();
  StatusPolls(const StatusPolls&) = delete;
  StatusPolls& operator=(const StatusPolls&) = delete;

  // Answers `msg` for session `sessionId` whose page has `since`: at once when the status is
  // not `since` (or cannot be held), else holds it (paused) until it changes.
  void serve(SoupServerMessage* msg, const std::string& sessionId, const std::string& since);
  StatusPollStats stats() const;

 private:
  struct Held {
    platform::GObjectPtr<SoupServerMessage> msg;
    std::string sessionId;
    std::string since;
    std::chrono::steady_clock::time_point deadline;
    bool gone = false;  // the client went away: dropped at the next pass
  };

  void hold(SoupServerMessage* msg, const std::string& sessionId, const std::string& since);
  void answer(Held& h, const StatusReply& reply);
  void tick();
  void removeGone();

  ReplyFn mReply;
  std::vector<std::unique_ptr<Held>> mHeld;
  platform::Timer mTimer;
  StatusPollStats mStats;
};

// Writes `reply` into `msg` (status, JSON or problem+json, no-store).
void writeStatusReply(SoupServerMessage* msg, const StatusReply& reply);

}  // namespace tessera::control
