// The WHEP viewers of the canvas (draft-ietf-wish-whep): one sink of the encoder, fanning each
// encoded access unit out to every viewer's own pipeline (restream/whep_viewer.hpp). A second
// viewer costs packetising and encryption, never a second encode.
//
// At most max_viewers at once (those still negotiating count); beyond, negotiate() answers 503
// with a Retry-After. Viewers whose connection fails, or that stop sending RTCP (a closed tab),
// are ended by a check every few seconds.
//
// Threads: negotiate(), remove(), stats() and the listener calls on the main-loop thread;
// offer()/endOfStream() on the encoder's streaming thread (the viewer list is a snapshot
// swapped under a mutex, so the encoder never waits for negotiation).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "platform/main_loop.hpp"
#include "restream/encoder.hpp"
#include "restream/whep_viewer.hpp"

namespace tessera::restream {

struct WhepResult {
  int status = 201;  // 201, or the refusal's status (400, 406, 500, 503)
  std::string detail;
  std::string id;   // the session (its resource is /whep/{id})
  std::string sdp;  // the answer
  int retryAfterSeconds = 0;
};

struct WhepStats {
  int viewers = 0;                     // sessions now (negotiating or connected)
  int connected = 0;                   // of them, connected
  std::uint64_t sessions = 0;          // answered since start
  std::uint64_t refused = 0;           // answered 503 (full)
  std::uint64_t frames = 0;            // access units handed to viewers' pipelines (sum)
  std::uint64_t dropped = 0;           // and not (sum over present viewers)
  std::uint64_t keyframeRequests = 0;  // passed on to the encoder
};

class WhepHub final : public EncodedSink, public WhepViewerListener {
 public:
  explicit WhepHub(WhepSettings settings);
  ~WhepHub() override;
  WhepHub(const WhepHub&) = delete;
  WhepHub& operator=(const WhepHub&) = delete;

  // The encoder whose keyframes viewers ask for (before the first negotiate()).
  void setEncoder(Encoder* encoder) { mEncoder = encoder; }
  // Negotiates a viewer's offer; `done` is called once, now (refusals) or later (the answer).
  void negotiate(const std::string& offerSdp, std::function<void(const WhepResult&)> done);
  // Ends a viewer (DELETE); false when there is no such session.
  bool remove(const std::string& id, const std::string& reason);
  // Ends every viewer (shutdown).
  void stopAll();
  WhepStats stats() const;
  const WhepSettings& settings() const { return mSettings; }

  // EncodedSink (the encoder's thread).
  void offer(GstSample* sample) override;
  void endOfStream() override {}

  // WhepViewerListener (main-loop thread).
  void onWhepAnswer(const std::string& id, const std::string& sdp,
                    const std::string& error) override;
  void onWhepEnded(const std::string& id, const std::string& reason) override;

  // At most one keyframe request reaches the encoder per this interval; those in between are
  // coalesced into one at its end (a join storm costs one keyframe a second, and nobody waits
  // for the next scheduled one).
  static constexpr std::chrono::milliseconds kKeyframeInterval{1000};

 private:
  struct Session {
    std::shared_ptr<WhepViewer> viewer;
    std::function<void(const WhepResult&)> done;  // until answered
  };
  void publish();  // the encoder's snapshot of the viewers
  void checkViewers();
  void requestKeyframe();

  const WhepSettings mSettings;
  Encoder* mEncoder = nullptr;
  // Main-loop thread.
  std::unordered_map<std::string, Session> mSessions;
  platform::Timer mCheckTimer;
  std::uint64_t mAnswered = 0;
  std::uint64_t mRefused = 0;
  std::uint64_t mEndedFrames = 0;  // frames of viewers that have gone
  // Shared with the encoder's thread.
  mutable std::mutex mMutex;
  std::shared_ptr<const std::vector<std::shared_ptr<WhepViewer>>> mSnapshot;
  // Any thread (RTCP threads ask for keyframes).
  std::atomic<std::int64_t> mLastKeyframeNs{0};
  std::atomic<std::uint64_t> mKeyframeRequests{0};
  std::atomic<bool> mKeyframePending{false};
};

}  // namespace tessera::restream
