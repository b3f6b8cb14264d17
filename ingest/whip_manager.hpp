// Owns the WHIP sessions: one per participant, each also a feed in the IngestManager. Refuses
// offers it cannot take (with the HTTP status to use), removes participants on DELETE, on ICE or
// DTLS failure, and after a silence.
//
// Thread: the main-loop thread.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "core/config.hpp"
#include "ingest/ingest_manager.hpp"
#include "ingest/stall_check.hpp"
#include "ingest/whip_session.hpp"
#include "platform/main_loop.hpp"

namespace tessera::ingest {

struct WhipOfferResult {
  int status = 201;  // 201, or the error status
  std::string detail;
  std::string sessionId;
  std::string etag;
  std::string answerSdp;
  int retryAfterSeconds = 0;
  core::FeedId feed;

  static WhipOfferResult failure(int status, std::string detail, int retryAfterSeconds = 0) {
    WhipOfferResult r;
    r.status = status;
    r.detail = std::move(detail);
    r.retryAfterSeconds = retryAfterSeconds;
    return r;
  }
};

enum class WhipPatchOutcome {
  kApplied,
  kNotFound,
  kPreconditionFailed,
  kUnprocessable,
  kBadRequest,  // the fragment breaks the rules (checkTrickleFragment); `problem` says how
};

class WhipManager final : public WhipSessionListener {
 public:
  using Done = std::function<void(const WhipOfferResult&)>;

  WhipManager(core::WhipConfig config, core::SizePx tile, IngestManager& ingest);
  ~WhipManager() override;
  WhipManager(const WhipManager&) = delete;
  WhipManager& operator=(const WhipManager&) = delete;

  // The first DTLS certificate of a process takes 150-300 ms to make: make it at start-up.
  void warmUp();
  // Validates and negotiates an SDP offer; `done` is called once, later, with the result.
  void offer(const std::string& sdp, Done done);
  // Ends a session (DELETE); false when there is no such session.
  bool remove(const std::string& sessionId, const std::string& why);
  // Trickle ICE (RFC 9725 section 4.3): candidates from an SDP fragment. `ifMatch` is the
  // If-Match header ("" when absent). `problem` gets the reason for kBadRequest.
  WhipPatchOutcome patch(const std::string& sessionId, const std::string& ifMatch,
                         const std::string& fragment, std::string* problem = nullptr);
  // One request of the join page's clock exchange; nullopt for an unknown session.
  std::optional<ClockExchangeOutcome> clockExchange(
      const std::string& sessionId, const std::optional<core::ExchangeSample>& completed,
      std::int64_t nowUnixNs);
  // Ends the session of WHIP feed `feed` (the operator's kick); false when it has none.
  bool removeFeed(core::FeedId feed, const std::string& why);
  // Told of every session that ends, whatever the reason (after its feed is removed).
  using RemovedListener = std::function<void(const std::string& sessionId, core::FeedId feed)>;
  void setRemovedListener(RemovedListener listener) { mRemoved = std::move(listener); }
  // Asks every participant for a keyframe.
  void requestKeyframes();
  // Asks one participant for a keyframe (its tile appeared); false when it is not a WHIP feed.
  bool requestKeyframe(core::FeedId feed);
  std::size_t size() const { return mSessions.size(); }
  const core::WhipConfig& config() const { return mConfig; }

 private:
  struct Entry {
    std::shared_ptr<WhipSession> session;
    Done done;  // until answered
    std::chrono::steady_clock::time_point created;
    std::chrono::steady_clock::time_point answered;  // when `done` was called
    StallWatch watch;  // silent or starved, near and past the silence timeout
  };

  void onWhipAnswer(const std::string& sessionId, const std::string& sdp,
                    const std::string& error) override;
  void onWhipFailed(const std::string& sessionId, const std::string& reason) override;
  void removeLater(const std::string& sessionId, const std::string& why);
  void followDrawnSizes();
  void checkSilence();

  const core::WhipConfig mConfig;
  const WhipSettings mSettings;
  IngestManager& mIngest;
  std::map<std::string, Entry> mSessions;
  std::shared_ptr<bool> mAlive = std::make_shared<bool>(true);  // for deferred calls
  platform::Timer mSilenceTimer;
  RemovedListener mRemoved;
};

}  // namespace tessera::ingest
