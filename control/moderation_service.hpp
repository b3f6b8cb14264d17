// What the operator's moderation asks of the running installation, as plain values: the HTTP
// routes (moderation_routes.cpp) and OSC (/tessera/feed/ID/hide, /show) call the same object.
// The server implements it with server::Moderator.
//
// Thread: every call comes from the main-loop thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/moderation.hpp"
#include "core/send_target.hpp"
#include "core/types.hpp"

namespace tessera::control {

// Who asked, for the log: the interface and the client's address ("http", "192.168.1.20").
struct ModerationActor {
  std::string via;
  std::string address;
  std::string str() const { return via + " " + address; }
};

struct ModerationReply {
  enum class Status {
    kDone,        // done (or already so: hiding a hidden feed is not an error)
    kNotFound,    // no feed with that id
    kNotAllowed,  // the action does not apply to this feed (ban a synthetic feed)
  };
  Status status = Status::kDone;
  std::string detail;  // for kNotFound / kNotAllowed
  bool changed = false;
};

// A feed's moderation state, for GET /api/v1/feeds and the admin page.
struct FeedModerationInfo {
  bool waiting = false;  // waits for approval ([ingest.whip] approval = true)
  bool hidden = false;
};

// What a phone learns about its own session (GET /whip/{id}/status).
struct ParticipantStatus {
  enum class State { kWaiting, kLive, kEnded };
  State state = State::kLive;
  std::optional<core::SessionEnd> ended;  // kEnded: why
  // kWaiting and kLive: what the phone should send (dynacast; core/send_target.hpp).
  std::optional<core::SendTarget> send;
};

class ModerationService {
 public:
  virtual ~ModerationService() = default;
  // Hides, shows, kicks, bans or approves feed `id`; logged with `by` and the time.
  virtual ModerationReply moderate(core::FeedId id, core::ModerationAction action,
                                   const ModerationActor& by) = 0;
  virtual FeedModerationInfo feedModeration(core::FeedId id) = 0;
  // The last actions, oldest first.
  virtual std::vector<core::ModerationRecord> recentActions() = 0;
  virtual std::size_t banCount() = 0;
  // Whether a join (POST /whip) from `who` is refused by a ban.
  virtual bool joinRefused(const core::ParticipantKey& who) = 0;
  // A WHIP session id's state; nullopt when neither current nor recently ended.
  virtual std::optional<ParticipantStatus> participantStatus(const std::string& sessionId) = 0;
};

}  // namespace tessera::control
