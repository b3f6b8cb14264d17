// What both WebRTC endpoints (WHIP ingest, WHEP viewers) do with a webrtcbin: where ICE gathers,
// which STUN/TURN servers it uses, how a negotiation promise reports its error, and the random
// ids that name sessions.
//
// Threads: configureIce() before the element negotiates (main-loop thread); promiseError() on
// the thread that got the promise's reply; randomHexId() anywhere; SdpAnswerer below.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

typedef struct _GstElement GstElement;
typedef struct _GstPromise GstPromise;

namespace tessera::platform {

struct IceSettings {
  std::vector<std::string> addresses;  // gather only here (tests: 127.0.0.1); empty = all
  std::vector<std::string> servers;    // stun:host:port, turn:user:pass@host:port
  int udpPortMin = 0;                  // 0: any port
  int udpPortMax = 0;
};

// Applies `ice` to `webrtc`'s ICE agent: UDP only (no TCP candidates), the port range, the
// local addresses, STUN and TURN. Problems are logged under `module`.
void configureIce(GstElement* webrtc, const IceSettings& ice, const char* module);

// The error a webrtcbin promise answered with, or empty when it succeeded. Waits for the reply.
std::string promiseError(GstPromise* promise);

// `bytes` random bytes (getrandom) as lowercase hex: unguessable session ids.
std::string randomHexId(std::size_t bytes = 16);

}  // namespace tessera::platform

namespace tessera::platform {

// Answers one remote offer with a webrtcbin, the way WHIP and WHEP servers do (no trickle: the
// answer waits for ICE gathering, at most `gatherTimeout`, so it carries our candidates):
// set-remote-description, create-answer, set-local-description, then `done(sdp, "")` or
// `done("", error)`, once, on the main-loop thread. webrtcbin answers its promises on its own
// threads; they only post a weak reference back to the main loop, so dropping the answerer
// (or its session) at any point is safe.
//
// Thread: made, started and dropped on the main-loop thread.
class SdpAnswerer {
 public:
  using Done = std::function<void(const std::string& sdp, const std::string& error)>;
  // `name` prefixes its log lines ("feed 42", "viewer 1a2b3c4d").
  SdpAnswerer(GstElement* webrtc, std::chrono::milliseconds gatherTimeout, std::string name,
              const char* module, Done done);
  ~SdpAnswerer();
  SdpAnswerer(const SdpAnswerer&) = delete;
  SdpAnswerer& operator=(const SdpAnswerer&) = delete;

  // Starts with the offer; false (and `error`) when it is not SDP at all.
  bool start(const std::string& offerSdp, std::string* error);
  // Answers with an error now unless it has answered already (e.g. the pipeline failed).
  void fail(const std::string& error);
  bool answered() const;

  struct State;  // shared with webrtcbin's callbacks through weak references

 private:
  std::shared_ptr<State> mState;
};

}  // namespace tessera::platform
