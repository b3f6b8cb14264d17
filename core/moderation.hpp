// The operator's moderation as plain state (docs/http-api.md, "Moderation"): which feeds wait
// for approval or are hidden, who is banned, why recent sessions ended, and the log of actions.
// Pure C++; every container here is bounded.
//
// Thread: not thread-safe; its owner (server::Moderator) uses it on the main-loop thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/types.hpp"

namespace tessera::core {

enum class ModerationAction { kHide, kShow, kKick, kBan, kApprove };
const char* toString(ModerationAction a);
std::optional<ModerationAction> moderationActionFrom(std::string_view name);

// Who a participant is, as far as a ban can tell: the id its join page keeps (empty for other
// WHIP clients, or a page that lost its storage) and the address it joined from.
struct ParticipantKey {
  std::string participant;
  std::string address;
};

// The join page's participant id: 8-64 characters of [A-Za-z0-9_-]; anything else is no id.
bool validParticipantId(std::string_view id);

// Participants refused for the rest of the run. At capacity the oldest ban is lifted.
class BanList {
 public:
  static constexpr std::size_t kDefaultCapacity = 1024;
  explicit BanList(std::size_t capacity = kDefaultCapacity, bool byAddress = true);

  // Bans `who`; returns the ban lifted to make room, if one was.
  std::optional<ParticipantKey> add(ParticipantKey who);
  // Whether `who` is refused: its participant id is banned, or (byAddress) its address is.
  bool banned(const ParticipantKey& who) const;
  std::size_t size() const { return mBans.size(); }
  std::size_t capacity() const { return mCapacity; }
  bool byAddress() const { return mByAddress; }

 private:
  void count(const ParticipantKey& k, int delta);

  const std::size_t mCapacity;
  const bool mByAddress;
  std::deque<ParticipantKey> mBans;                 // oldest first
  std::unordered_map<std::string, int> mIds;        // participant id -> bans holding it
  std::unordered_map<std::string, int> mAddresses;  // address -> bans holding it
};

// Whether each feed is on the canvas as far as the operator is concerned: a feed waiting for
// approval or hidden has no tile. Feeds unknown here are shown.
class FeedVisibility {
 public:
  void addWaiting(FeedId id) { mWaiting.insert(id); }
  // False when the feed was not waiting.
  bool approve(FeedId id) { return mWaiting.erase(id) > 0; }
  // False when nothing changed.
  bool hide(FeedId id) { return mHidden.insert(id).second; }
  bool show(FeedId id) { return mHidden.erase(id) > 0; }
  void forget(FeedId id) {
    mWaiting.erase(id);
    mHidden.erase(id);
  }
  bool waiting(FeedId id) const { return mWaiting.contains(id); }
  bool hidden(FeedId id) const { return mHidden.contains(id); }
  bool onCanvas(FeedId id) const { return !waiting(id) && !hidden(id); }
  std::size_t waitingCount() const { return mWaiting.size(); }

 private:
  std::unordered_set<FeedId> mWaiting;
  std::unordered_set<FeedId> mHidden;
};

// Why a WHIP session ended, for the phone that asks afterwards.
enum class SessionEnd { kLeft, kKicked, kBanned };
const char* toString(SessionEnd e);

// The reasons of the last `capacity` sessions that ended (oldest forgotten first).
class EndedSessions {
 public:
  static constexpr std::size_t kDefaultCapacity = 1024;
  explicit EndedSessions(std::size_t capacity = kDefaultCapacity) : mCapacity(capacity) {}
  // A later reason for the same session replaces the earlier one only when it says more
  // (kicked or banned over left): the session is removed after the operator's action.
  void add(const std::string& session, SessionEnd why);
  std::optional<SessionEnd> find(const std::string& session) const;
  std::size_t size() const { return mReasons.size(); }

 private:
  const std::size_t mCapacity;
  std::deque<std::string> mOrder;
  std::unordered_map<std::string, SessionEnd> mReasons;
};

// One moderation action, as logged.
struct ModerationRecord {
  std::uint64_t seq = 0;  // counts actions from 1
  std::chrono::system_clock::time_point at;
  ModerationAction action = ModerationAction::kHide;
  FeedId feed;
  std::string by;  // how and from where: "http 192.168.1.20", "osc 10.0.0.5:9000"
};

// The last `capacity` actions, oldest first.
class ModerationLog {
 public:
  static constexpr std::size_t kDefaultCapacity = 200;
  explicit ModerationLog(std::size_t capacity = kDefaultCapacity) : mCapacity(capacity) {}
  const ModerationRecord& add(ModerationAction action, FeedId feed, std::string by,
                              std::chrono::system_clock::time_point at);
  const std::deque<ModerationRecord>& records() const { return mRecords; }
  std::uint64_t total() const { return mNext - 1; }

 private:
  const std::size_t mCapacity;
  std::deque<ModerationRecord> mRecords;
  std::uint64_t mNext = 1;
};

}  // namespace tessera::core
