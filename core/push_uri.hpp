// Where an `[[output.push]]` sends the canvas: an RTMP(S) ingest URL or an SRT caller or
// listener. Parsed once (config validation and the output stage use the same rules), so every
// string that reaches an element is a checked property value, never launch text.
//
// Secrets (an RTMP stream key, a password, an SRT passphrase or stream id) never appear in logs
// or the HTTP API: `masked` replaces them with "***".
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tessera::core {

enum class PushKind { kRtmp, kRtmps, kSrt };
const char* toString(PushKind kind);  // "rtmp" | "rtmps" | "srt"

struct PushTarget {
  PushKind kind = PushKind::kRtmp;
  std::string uri;     // as written (holds the secrets)
  std::string masked;  // for logs and the API
  std::string host;    // empty: an SRT listener (waits for a caller on `port`)
  int port = 0;        // the scheme's default when the URI has none (RTMP 1935, RTMPS 443)
  bool listener() const { return kind == PushKind::kSrt && host.empty(); }
};

inline constexpr std::size_t kMaxPushUriBytes = 2048;
inline constexpr std::size_t kMaxPushTargets = 16;  // each is a connection and a muxer

// The target `uri` names, or nullopt with `error` saying what is wrong (for a config problem).
// rtmp://host[:port]/app[/key...], rtmps://..., srt://host:port[?k=v&...] (caller),
// srt://:port[?...] (listener). SRT query keys: passphrase (10-79 characters), pbkeylen (16, 24,
// 32), latency (ms), streamid.
std::optional<PushTarget> parsePushUri(std::string_view uri, std::string* error);

}  // namespace tessera::core
