// The operator's moderation of the running installation (control::ModerationService): hide,
// show, kick, ban and approve feeds, for the HTTP routes and OSC alike. It keeps the state
// (core/moderation.hpp), sets each feed's canvas flag (core::FeedChannel::setOnCanvas), ends
// WHIP sessions through the WhipManager and logs every action with who asked and when.
//
// Thread: the main-loop thread.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "control/moderation_service.hpp"
#include "core/config.hpp"
#include "core/moderation.hpp"
#include "core/send_target.hpp"
#include "ingest/ingest_manager.hpp"
#include "ingest/whip_manager.hpp"

namespace tessera::server {

class Moderator final : public control::ModerationService {
 public:
  // `whip` may be null (WHIP off): then only hide, show and kick of other feeds apply. `send`
  // bounds what participants are asked to send (their status's "send").
  Moderator(const core::WhipConfig& config, ingest::IngestManager& ingest,
            ingest::WhipManager* whip, core::SendLimits send = {});
  ~Moderator() override;
  Moderator(const Moderator&) = delete;
  Moderator& operator=(const Moderator&) = delete;

  // A participant's offer was answered: its session, feed and key (for a later ban). With
  // approval on, it waits.
  void participantJoined(const std::string& sessionId, core::FeedId feed, core::ParticipantKey who);

  // control::ModerationService
  control::ModerationReply moderate(core::FeedId id, core::ModerationAction action,
                                    const control::ModerationActor& by) override;
  control::FeedModerationInfo feedModeration(core::FeedId id) override;
  std::vector<core::ModerationRecord> recentActions() override;
  std::size_t banCount() override { return mBans.size(); }
  bool joinRefused(const core::ParticipantKey& who) override { return mBans.banned(who); }
  std::optional<control::ParticipantStatus> participantStatus(
      const std::string& sessionId) override;

 private:
  struct Participant {
    std::string sessionId;
    core::ParticipantKey key;
  };
  void sessionEnded(const std::string& sessionId, core::FeedId feed);
  std::shared_ptr<core::FeedChannel> findChannel(core::FeedId id);
  // Ends a feed: a WHIP session (the phone learns `why`), or another feed removed for this run.
  void endFeed(core::FeedId id, core::SessionEnd why, const std::string& logReason);

  const bool mApproval;
  const core::SendLimits mSendLimits;
  ingest::IngestManager& mIngest;
  ingest::WhipManager* const mWhip;
  core::BanList mBans;
  core::FeedVisibility mVisibility;
  core::EndedSessions mEnded;
  core::ModerationLog mLog;
  // WHIP participants now (bounded by max_feeds: each is a feed).
  std::unordered_map<core::FeedId, Participant> mParticipants;
  std::unordered_map<std::string, core::FeedId> mSessions;
};

}  // namespace tessera::server
