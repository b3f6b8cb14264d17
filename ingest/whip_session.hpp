// One WHIP participant: a webrtcbin that receives the phone's video, decodes it (VP8 or H.264)
// and scales it to the tile inside GStreamer, into the feed's mailbox like any other feed.
//
// Threads: created, negotiated, patched and destroyed on the main-loop thread, which also gets
// every listener call. webrtcbin answers its promises and signals on its own threads; those
// callbacks only post a weak reference back to the main loop. Frames flow on streaming threads
// straight into the FeedChannel and never touch the session.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/feed_channel.hpp"
#include "core/types.hpp"
#include "ingest/clock_sync.hpp"
#include "platform/main_loop.hpp"
#include "platform/pipeline.hpp"
#include "platform/webrtc.hpp"

namespace tessera::ingest {

struct WhipSettings {
  core::SizePx tile{160, 120};
  std::vector<std::string> iceAddresses;  // gather only here (tests: 127.0.0.1); empty = all
  std::vector<std::string> iceServers;    // stun:host:port, turn:user:pass@host:port
  int udpPortMin = 0;
  int udpPortMax = 0;
  // An answer carries our candidates (WHIP servers do not trickle), so it waits for gathering,
  // at most this long.
  std::chrono::milliseconds gatherTimeout{2000};
  // [ingest] feed_priority, for the thread that decodes (see WhipSession::buildPipeline).
  core::FeedPriority priority = core::FeedPriority::kIdle;
};

class WhipSessionListener {
 public:
  virtual ~WhipSessionListener() = default;
  // The SDP answer, or an error when negotiation failed. Once per session.
  virtual void onWhipAnswer(const std::string& sessionId, const std::string& sdp,
                            const std::string& error) = 0;
  // The connection failed (ICE, DTLS, pipeline error) after the answer: the session should go.
  virtual void onWhipFailed(const std::string& sessionId, const std::string& reason) = 0;
};

class WhipSession final : public std::enable_shared_from_this<WhipSession>,
                          public platform::PipelineListener {
 public:
  static std::shared_ptr<WhipSession> create(std::string id, WhipSettings settings,
                                             std::shared_ptr<core::FeedChannel> channel,
                                             WhipSessionListener* listener);
  ~WhipSession() override;
  WhipSession(const WhipSession&) = delete;
  WhipSession& operator=(const WhipSession&) = delete;

  const std::string& id() const { return mId; }
  const std::shared_ptr<core::FeedChannel>& channel() const { return mChannel; }
  // The participant's clock offset (the join page's exchanges, the Sender Reports' arrival).
  ClockSync& clockSync() { return *mClock; }
  // Changes when the session's ICE credentials change (there is no ICE restart yet: constant).
  const std::string& etag() const { return mEtag; }

  // Starts negotiating `offerSdp` (already validated); the answer comes through the listener.
  bool start(const std::string& offerSdp, std::string* error);
  // Trickled remote candidates (the a=candidate lines of an SDP fragment). Returns how many
  // were added.
  int addRemoteCandidates(const std::string& sdpFragment);
  // Asks the phone for a keyframe (RTCP PLI), e.g. when its tile appears.
  void requestKeyframe();
  // Main loop, every second: frames follow the size the tile is drawn at (ingest/tile_caps.hpp).
  void followDrawnSize();
  // What the decoding thread (after the jitter buffer, idle-class) is doing: starved or stalled?
  platform::PoolThreadsCpu decodingThreadsCpu() const {
    return mPipeline ? mPipeline->streamingThreadsCpu() : platform::PoolThreadsCpu{};
  }
  void stop();

 private:
  WhipSession(std::string id, WhipSettings settings, std::shared_ptr<core::FeedChannel> channel,
              WhipSessionListener* listener);
  bool buildPipeline(std::string* error);
  void yieldDecodingToTheCanvas(GstElement* webrtc);
  void configureIce();
  void onConnectionStateChanged();

  void onPipelineError(const std::string& source, const std::string& message,
                       const std::string& debug) override;
  void onPipelineEos() override;

  // Posts `fn(session)` to the main loop if the session still exists by then.
  template <typename Fn>
  static void postIfAlive(const std::weak_ptr<WhipSession>& weak, Fn fn);

  const std::string mId;
  const WhipSettings mSettings;
  core::SizePx mScaledTo;  // what the decode branch's tile caps ask for (main loop)
  const std::shared_ptr<core::FeedChannel> mChannel;
  const std::shared_ptr<ClockSync> mClock;  // shared with the RTCP thread's callback
  WhipSessionListener* const mListener;
  const std::string mEtag;
  std::optional<platform::Pipeline> mPipeline;
  platform::GstPtr<GstElement> mWebrtc;
  std::unique_ptr<platform::SdpAnswerer> mAnswerer;  // until stop()
  bool mFailed = false;
};

// Checks a WHIP offer before any session is made. Returns the HTTP status to refuse it with
// (400 malformed, 406 no video) and a human-readable detail, or nullopt when it is acceptable.
struct OfferProblem {
  int status;
  std::string detail;
};
std::optional<OfferProblem> checkOffer(const std::string& sdp);

// A random, unguessable session id (128 bits, hex).
std::string newSessionId();

}  // namespace tessera::ingest
