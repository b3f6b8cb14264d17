// One WHEP viewer (draft-ietf-wish-whep): a webrtcbin that sends the already-encoded canvas
// (restream/encoder.hpp) to one browser. No decoding or encoding per viewer: the encoder's
// access units are packetised (rtph264pay) and encrypted (SRTP) for this peer only.
//
//   appsrc (H.264 access units) -> rtph264pay -> webrtcbin (sendonly, max-bundle)
//
// A viewer that falls half a second behind drops frames until the next keyframe; its keyframe
// requests (RTCP PLI) go to the encoder through the hub, which bounds them.
//
// Threads: created, negotiated and stopped on the main-loop thread, which gets every listener
// call; webrtcbin's promises and notifications post a weak reference back there. offer() runs on
// the encoder's streaming thread; onRtcp/keyframe callbacks on webrtcbin's RTCP threads.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "platform/main_loop.hpp"
#include "platform/pipeline.hpp"
#include "platform/webrtc.hpp"
#include "restream/whep_offer.hpp"

namespace tessera::restream {

struct WhepSettings {
  int maxViewers = 100;
  int fps = 30;
  platform::IceSettings ice;
  // The answer carries our candidates (no trickle from the server): it waits for gathering,
  // at most this long.
  std::chrono::milliseconds gatherTimeout{2000};
  // A viewer that never connects, or stops sending RTCP (its browser went away without a
  // DELETE), is ended after this long.
  std::chrono::milliseconds connectTimeout{20000};
  std::chrono::milliseconds silenceTimeout{15000};
};

class WhepViewerListener {
 public:
  virtual ~WhepViewerListener() = default;
  // The SDP answer, or the error that stopped negotiation. Once per viewer.
  virtual void onWhepAnswer(const std::string& id, const std::string& sdp,
                            const std::string& error) = 0;
  // The connection failed or went silent after the answer: the viewer should go.
  virtual void onWhepEnded(const std::string& id, const std::string& reason) = 0;
};

struct WhepViewerStats {
  bool connected = false;
  std::uint64_t frames = 0;   // access units handed to the viewer's pipeline
  std::uint64_t dropped = 0;  // not handed over (not connected yet, behind, waiting for a keyframe)
};

class WhepViewer final : public std::enable_shared_from_this<WhepViewer>,
                         public platform::PipelineListener {
 public:
  // `requestKeyframe` asks the encoder for a keyframe; called from any thread.
  static std::shared_ptr<WhepViewer> create(std::string id, WhepCodec codec,
                                            const WhepSettings& settings,
                                            WhepViewerListener* listener,
                                            std::function<void()> requestKeyframe);
  ~WhepViewer() override;
  WhepViewer(const WhepViewer&) = delete;
  WhepViewer& operator=(const WhepViewer&) = delete;

  const std::string& id() const { return mId; }
  // Starts negotiating `offerSdp` (already checked); the answer comes through the listener.
  bool start(const std::string& offerSdp, std::string* error);
  // Ends the stream and tears the pipeline down (main-loop thread).
  void stop();
  // The encoder's thread: one access unit; never blocks.
  void offer(GstSample* sample);
  WhepViewerStats stats() const;
  // Main-loop thread: whether it is connected and its peer still reports (RTCP), and if not,
  // why it should end.
  std::optional<std::string> checkAlive(std::chrono::steady_clock::time_point now) const;

 private:
  WhepViewer(std::string id, WhepCodec codec, const WhepSettings& settings,
             WhepViewerListener* listener, std::function<void()> requestKeyframe);
  bool buildPipeline(std::string* error);
  void skipRtxSender();
  void bypassFecEncoder();
  void watchPeer();
  void onConnectionStateChanged();
  void end(const std::string& reason);
  void onPipelineError(const std::string& source, const std::string& message,
                       const std::string& debug) override;
  void onPipelineEos() override;

  template <typename Fn>
  static void postIfAlive(const std::weak_ptr<WhepViewer>& weak, Fn fn);

  const std::string mId;
  const std::string mName;  // "whep: viewer 1a2b3c4d" for log lines
  const WhepCodec mCodec;
  const WhepSettings mSettings;
  WhepViewerListener* const mListener;
  const std::function<void()> mRequestKeyframe;

  // Main-loop thread.
  std::optional<platform::Pipeline> mPipeline;
  platform::GstPtr<GstElement> mWebrtc;
  std::unique_ptr<platform::SdpAnswerer> mAnswerer;  // until stop()
  bool mEnded = false;
  std::chrono::steady_clock::time_point mStarted;

  // Shared with the encoder's thread.
  mutable std::mutex mMutex;
  platform::GstPtr<GstElement> mSource;  // null until connected and after stop()
  bool mCapsSet = false;
  bool mWaitKeyframe = true;

  std::atomic<bool> mConnected{false};
  std::atomic<std::int64_t> mLastRtcpNs{0};  // steady clock; RTCP threads write it
  std::atomic<std::uint64_t> mFrames{0};
  std::atomic<std::uint64_t> mDropped{0};
};

}  // namespace tessera::restream
