// Where an `[[ingest.pull]]` feed comes from: a venue camera or another server. Parsed once
// (config validation, `tessera check` and the ingest stage use the same rules), so the source
// element is chosen on purpose per scheme and every string that reaches it is a checked
// property value, never launch text.
//
// Secrets (a user's password, an RTMP stream key, an SRT passphrase or stream id, query values
// of an HTTP URL) never appear in logs, the HTTP API or /metrics: `masked` replaces them with
// "***", and `redact` scrubs them out of any text (a GStreamer error that quotes the URI).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::core {

enum class PullKind {
  kFile,  // file:///abs/clip.mp4 (and file:///abs/session.sdp, an RTP session)
  kRtsp,  // rtsp:// and rtsps://: rtspsrc
  kRtmp,  // rtmp:// and rtmps://: rtmp2src
  kSrt,   // srt://host:port (caller) or srt://:port / ?mode=listener: srtsrc
  kHttp,  // http:// and https://: HLS, DASH, MJPEG (multipart/x-mixed-replace), progressive
  kV4l2,  // v4l2:///dev/videoN: a USB camera
  kUdp,   // udp://host:port: MPEG-TS or RTP over UDP
};
const char* toString(PullKind kind);  // "file" | "rtsp" | "rtmp" | "srt" | "http" | "v4l2" | "udp"

struct PullTimeouts {
  double connectS = 10;  // grace for the first frame of each connection; 0 = wait for ever
  double stallS = 5;     // no frame for this long after the first: reconnect
  int latencyMs = 0;     // RTSP jitter buffer / SRT receive latency (0: not applicable)
};

struct PullTarget {
  PullKind kind = PullKind::kFile;
  std::string scheme;    // as written, lower case: "rtsps", "https", ...
  std::string uri;       // as written (holds the secrets)
  std::string masked;    // for logs, the API and metrics
  std::string location;  // the URI without user:password@ (what the source element is given)
  std::string host;      // empty: an SRT listener on every address, or a file / device
  int port = 0;          // the scheme's default when the URI has none
  std::string path;      // file path, device path, or the URI's path (with query)
  std::string user;      // from user:password@ (RTSP, RTMP, HTTP)
  std::string password;
  // SRT only.
  bool listener = false;
  std::string passphrase;
  int pbkeylen = 0;
  std::optional<int> latencyMs;  // from the URI's ?latency=
  std::string streamid;

  // rtsps://, rtmps:// and https://: the server proves who it is with a certificate.
  bool tls() const { return scheme == "rtsps" || scheme == "rtmps" || scheme == "https"; }
  // The protocol as the API names it before the stream says more ("hls", "mjpeg" come later).
  std::string protocol() const;
  // Defaults that suit the scheme (a listener waits for its caller as long as it takes).
  PullTimeouts defaultTimeouts() const;
  // `text` with every secret of this URI replaced by "***".
  std::string redact(std::string text) const;

 private:
  friend std::optional<PullTarget> parsePullUri(std::string_view uri, std::string* error);
  std::vector<std::string> mSecrets;
};

inline constexpr std::size_t kMaxPullUriBytes = 2048;

// The source `uri` names, or nullopt with `error` saying what is wrong (for a config problem).
std::optional<PullTarget> parsePullUri(std::string_view uri, std::string* error);

}  // namespace tessera::core
