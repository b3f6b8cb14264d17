#include "server/moderator.hpp"

#include "core/log.hpp"

namespace tessera::server {
namespace {
constexpr const char* kModule = "moderation";
using Status = control::ModerationReply::Status;

control::ModerationReply reply(Status status, std::string detail, bool changed = false) {
  return {status, std::move(detail), changed};
}
}  // namespace

Moderator::Moderator(const core::WhipConfig& config, ingest::IngestManager& ingest,
                     ingest::WhipManager* whip, core::SendLimits send)
    : mApproval(config.approval),
      mSendLimits(send),
      mIngest(ingest),
      mWhip(whip),
      mBans(core::BanList::kDefaultCapacity, config.banByAddress) {
  if (mWhip) {
    mWhip->setRemovedListener(
        [this](const std::string& sessionId, core::FeedId feed) { sessionEnded(sessionId, feed); });
  }
}

Moderator::~Moderator() {
  if (mWhip) mWhip->setRemovedListener(nullptr);
}

void Moderator::participantJoined(const std::string& sessionId, core::FeedId feed,
                                  core::ParticipantKey who) {
  core::logInfo(kModule, "feed {}: participant {} from {}", feed.value,
                who.participant.empty() ? "(no id)" : who.participant.substr(0, 8) + "…",
                who.address);
  mParticipants[feed] = Participant{sessionId, std::move(who)};
  mSessions[sessionId] = feed;
  if (mApproval) {
    mVisibility.addWaiting(feed);
    core::logInfo(kModule, "feed {}: waiting for approval", feed.value);
  }
}

void Moderator::sessionEnded(const std::string& sessionId, core::FeedId feed) {
  mEnded.add(sessionId, core::SessionEnd::kLeft);  // a kick or ban said so first
  mSessions.erase(sessionId);
  mParticipants.erase(feed);
  mVisibility.forget(feed);
}

std::shared_ptr<core::FeedChannel> Moderator::findChannel(core::FeedId id) {
  const auto table = mIngest.table().peek();
  if (!table) return nullptr;
  for (const auto& c : table->feeds) {
    if (c->id() == id) return c;
  }
  return nullptr;
}

void Moderator::endFeed(core::FeedId id, core::SessionEnd why, const std::string& logReason) {
  if (const auto it = mParticipants.find(id); it != mParticipants.end()) {
    mEnded.add(it->second.sessionId, why);
  }
  // A WHIP feed (answered or still negotiating) ends with its session; calls sessionEnded.
  if (mWhip && mWhip->removeFeed(id, logReason)) return;
  mVisibility.forget(id);
  mIngest.removeFeed(id);
  core::logInfo(kModule, "feed {}: removed for this run ({})", id.value, logReason);
}

control::ModerationReply Moderator::moderate(core::FeedId id, core::ModerationAction action,
                                             const control::ModerationActor& by) {
  const auto channel = findChannel(id);
  if (!channel) return reply(Status::kNotFound, "no feed " + id.str());
  const bool participant = mParticipants.contains(id);
  bool changed = true;
  switch (action) {
    case core::ModerationAction::kHide:
      changed = mVisibility.hide(id);
      break;
    case core::ModerationAction::kShow:
      changed = mVisibility.show(id);
      break;
    case core::ModerationAction::kApprove:
      changed = mVisibility.approve(id);
      break;
    case core::ModerationAction::kKick:
      endFeed(id, core::SessionEnd::kKicked, "kicked by the operator");
      break;
    case core::ModerationAction::kBan: {
      if (!participant) {
        return reply(
            Status::kNotAllowed,
            channel->source() == core::FeedSource::kWhip
                ? "feed " + id.str() + " is still joining: kick it, or ban it once it is in"
                : "feed " + id.str() + " is a " + core::toString(channel->source()) +
                      " feed: only participants (WHIP) can be banned; kick removes it");
      }
      const core::ParticipantKey key = mParticipants[id].key;
      if (const auto lifted = mBans.add(key)) {
        core::logWarn(kModule, "the ban list is full ({}): the oldest ban (address {}) is lifted",
                      mBans.capacity(), lifted->address);
      }
      endFeed(id, core::SessionEnd::kBanned, "banned by the operator");
      break;
    }
  }
  // The feed may be gone (kick, ban): its channel still exists for this one call.
  channel->setOnCanvas(mVisibility.onCanvas(id));
  const auto& record = mLog.add(action, id, by.str(), std::chrono::system_clock::now());
  core::logInfo(kModule, "feed {}: {} by {}{} (action {})", id.value, core::toString(action),
                by.str(), changed ? "" : " (no change)", record.seq);
  return reply(Status::kDone, {}, changed);
}

control::FeedModerationInfo Moderator::feedModeration(core::FeedId id) {
  return {mVisibility.waiting(id), mVisibility.hidden(id)};
}

std::vector<core::ModerationRecord> Moderator::recentActions() {
  const auto& r = mLog.records();
  return {r.begin(), r.end()};
}

std::optional<control::ParticipantStatus> Moderator::participantStatus(
    const std::string& sessionId) {
  using State = control::ParticipantStatus::State;
  if (const auto it = mSessions.find(sessionId); it != mSessions.end()) {
    // A hidden participant is not told: hiding is the operator's quiet tool. Its phone is
    // only asked to send a trickle, as is any phone the scene does not draw.
    control::ParticipantStatus status;
    status.state = mVisibility.waiting(it->second) ? State::kWaiting : State::kLive;
    if (const auto channel = findChannel(it->second)) {
      const bool shown = channel->onCanvas() && channel->shown();
      status.send = core::sendTarget(mSendLimits, shown, channel->drawnSize());
    }
    return status;
  }
  if (const auto why = mEnded.find(sessionId)) {
    control::ParticipantStatus status;
    status.state = State::kEnded;
    status.ended = *why;
    return status;
  }
  return std::nullopt;
}

}  // namespace tessera::server
