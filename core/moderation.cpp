#include "core/moderation.hpp"

namespace tessera::core {

const char* toString(ModerationAction a) {
  switch (a) {
    case ModerationAction::kHide:
      return "hide";
    case ModerationAction::kShow:
      return "show";
    case ModerationAction::kKick:
      return "kick";
    case ModerationAction::kBan:
      return "ban";
    case ModerationAction::kApprove:
      return "approve";
  }
  return "?";
}

std::optional<ModerationAction> moderationActionFrom(std::string_view name) {
  for (auto a : {ModerationAction::kHide, ModerationAction::kShow, ModerationAction::kKick,
                 ModerationAction::kBan, ModerationAction::kApprove}) {
    if (name == toString(a)) return a;
  }
  return std::nullopt;
}

bool validParticipantId(std::string_view id) {
  if (id.size() < 8 || id.size() > 64) return false;
  for (const char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

BanList::BanList(std::size_t capacity, bool byAddress)
    : mCapacity(capacity > 0 ? capacity : 1), mByAddress(byAddress) {}

void BanList::count(const ParticipantKey& k, int delta) {
  auto bump = [delta](std::unordered_map<std::string, int>& m, const std::string& key) {
    if (key.empty()) return;
    if ((m[key] += delta) <= 0) m.erase(key);
  };
  bump(mIds, k.participant);
  bump(mAddresses, k.address);
}

std::optional<ParticipantKey> BanList::add(ParticipantKey who) {
  std::optional<ParticipantKey> lifted;
  if (mBans.size() >= mCapacity) {
    lifted = std::move(mBans.front());
    mBans.pop_front();
    count(*lifted, -1);
  }
  count(who, +1);
  mBans.push_back(std::move(who));
  return lifted;
}

bool BanList::banned(const ParticipantKey& who) const {
  if (!who.participant.empty() && mIds.contains(who.participant)) return true;
  return mByAddress && !who.address.empty() && mAddresses.contains(who.address);
}

const char* toString(SessionEnd e) {
  switch (e) {
    case SessionEnd::kLeft:
      return "left";
    case SessionEnd::kKicked:
      return "kicked";
    case SessionEnd::kBanned:
      return "banned";
  }
  return "?";
}

void EndedSessions::add(const std::string& session, SessionEnd why) {
  if (auto it = mReasons.find(session); it != mReasons.end()) {
    if (why != SessionEnd::kLeft) it->second = why;
    return;
  }
  if (mOrder.size() >= mCapacity) {
    mReasons.erase(mOrder.front());
    mOrder.pop_front();
  }
  mOrder.push_back(session);
  mReasons.emplace(session, why);
}

std::optional<SessionEnd> EndedSessions::find(const std::string& session) const {
  const auto it = mReasons.find(session);
  if (it == mReasons.end()) return std::nullopt;
  return it->second;
}

const ModerationRecord& ModerationLog::add(ModerationAction action, FeedId feed, std::string by,
                                           std::chrono::system_clock::time_point at) {
  if (mRecords.size() >= mCapacity) mRecords.pop_front();
  mRecords.push_back({mNext++, at, action, feed, std::move(by)});
  return mRecords.back();
}

}  // namespace tessera::core
