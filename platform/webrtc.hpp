// What both WebRTC endpoints (WHIP ingest, WHEP viewers) do with a webrtcbin: where ICE gathers,
// which STUN/TURN servers it uses, how a negotiation promise reports its error, and the random
// ids that name sessions.
//
// Threads: configureIce() before the element negotiates (main-loop thread); promiseError() on
// the thread that got the promise's reply; randomHexId() anywhere.
#pragma once

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
