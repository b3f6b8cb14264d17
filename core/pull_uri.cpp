#include "core/pull_uri.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "core/detail/uri_text.hpp"

namespace tessera::core {
namespace {

// Secrets shorter than this are not scrubbed from free text (they would garble it); they are
// still masked in the URI itself.
constexpr std::size_t kMinRedactedBytes = 3;

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// user:password are given to elements as properties, so they are percent-decoded.
std::string percentDecoded(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hexValue(text[i + 1]) >= 0 &&
        hexValue(text[i + 2]) >= 0) {
      out += static_cast<char>(hexValue(text[i + 1]) * 16 + hexValue(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

bool lowerScheme(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  });
}

int defaultPort(std::string_view scheme) {
  if (scheme == "rtsp") return 554;
  if (scheme == "rtsps") return 322;
  if (scheme == "rtmp") return 1935;
  if (scheme == "rtmps") return 443;
  if (scheme == "http") return 80;
  if (scheme == "https") return 443;
  return 0;
}

// "k=v&k=v" with every value masked; the values become secrets.
std::string maskedQuery(std::string_view query, std::vector<std::string>& secrets) {
  std::string out;
  while (!query.empty()) {
    const std::string_view pair = query.substr(0, query.find('&'));
    query.remove_prefix(std::min(query.size(), pair.size() + 1));
    const std::size_t eq = pair.find('=');
    if (!out.empty()) out += '&';
    out += pair.substr(0, eq);
    if (eq != std::string_view::npos) {
      out += "=***";
      secrets.emplace_back(pair.substr(eq + 1));
    }
  }
  return out;
}

// scheme://[user[:password]@]host[:port][/path][?query] for RTSP, RTMP and HTTP.
bool parseNetwork(std::string_view rest, PullTarget& out, std::vector<std::string>& secrets,
                  std::string* error) {
  const std::size_t slash = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
  if (const std::size_t hash = path.find('#'); hash != std::string_view::npos) {
    path = path.substr(0, hash);  // a fragment never reaches the server
  }
  std::string maskedUser;
  if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
    const std::string_view info = authority.substr(0, at);
    const std::size_t colon = info.find(':');
    out.user = percentDecoded(info.substr(0, colon));
    if (colon != std::string_view::npos) {
      out.password = percentDecoded(info.substr(colon + 1));
      secrets.push_back(out.password);
      secrets.emplace_back(info.substr(colon + 1));
    }
    maskedUser =
        fmt::format("{}{}@", info.substr(0, colon), colon == std::string_view::npos ? "" : ":***");
    authority = authority.substr(at + 1);
  }
  out.port = defaultPort(out.scheme);
  if (!detail::splitAuthority(authority, false, out.host, out.port, error)) return false;
  out.location = fmt::format("{}://{}{}", out.scheme, authority, path);
  out.path = std::string(path);

  std::string maskedPath;
  const std::size_t q = path.find('?');
  const std::string_view pathOnly = path.substr(0, q);
  if (out.kind == PullKind::kRtmp) {
    // rtmp://host/app/stream: the stream name is the key that lets anyone play it.
    const std::string_view tail = pathOnly.empty() ? "" : pathOnly.substr(1);
    const std::string_view app = tail.substr(0, tail.find('/'));
    if (app.empty()) {
      *error = "expected an application after the host, as in rtmp://host/app/stream";
      return false;
    }
    if (app.size() + 1 >= tail.size()) {
      *error = "expected a stream name after the application, as in rtmp://host/app/stream";
      return false;
    }
    secrets.emplace_back(tail.substr(app.size() + 1));
    maskedPath = fmt::format("/{}/***", app);
  } else {
    maskedPath = std::string(pathOnly);
  }
  if (q != std::string_view::npos) maskedPath += "?" + maskedQuery(path.substr(q + 1), secrets);
  out.masked = fmt::format("{}://{}{}{}", out.scheme, maskedUser, authority, maskedPath);
  return true;
}

bool parseSrt(std::string_view rest, PullTarget& out, std::vector<std::string>& secrets,
              std::string* error) {
  const std::size_t q = rest.find('?');
  const std::string_view authority = rest.substr(0, q);
  if (authority.find('/') != std::string_view::npos ||
      authority.find('@') != std::string_view::npos) {
    *error = "expected srt://host:port (caller) or srt://:port?mode=listener (listener)";
    return false;
  }
  if (!detail::splitAuthority(authority, true, out.host, out.port, error)) return false;
  if (out.port == 0) {
    *error = "an SRT URI needs a port, as in srt://host:9000 or srt://:9000?mode=listener";
    return false;
  }
  out.masked = fmt::format("srt://{}", authority);
  out.location = out.masked;  // no query: its parameters are set one by one
  detail::SrtParams params;
  if (q != std::string_view::npos) {
    out.masked += '?';
    if (!detail::parseSrtQuery(rest.substr(q + 1), true, params, out.masked, error)) {
      return false;
    }
    if (out.masked.back() == '?') out.masked.pop_back();
  }
  if (out.host.empty() && params.mode == "caller") {
    *error = "an SRT caller needs a host, as in srt://host:9000 (srt://:9000 listens)";
    return false;
  }
  out.listener = out.host.empty() || params.mode == "listener";
  out.passphrase = params.passphrase;
  out.pbkeylen = params.pbkeylen;
  out.latencyMs = params.latencyMs;
  out.streamid = params.streamid;
  secrets.push_back(params.passphrase);
  secrets.push_back(params.streamid);
  return true;
}

bool pathChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '/' || c == '.';
}

bool parseV4l2(std::string_view rest, PullTarget& out, std::string* error) {
  // v4l2:///dev/video0: the authority is empty, the path names the device.
  if (rest.rfind("/dev/", 0) != 0 || rest.size() > 64 ||
      !std::all_of(rest.begin(), rest.end(), pathChar) ||
      rest.find("..") != std::string_view::npos) {
    *error = "expected a device under /dev, as in v4l2:///dev/video0";
    return false;
  }
  out.path = std::string(rest);
  out.location = out.uri;
  out.masked = out.uri;
  return true;
}

bool parseFile(std::string_view rest, PullTarget& out, std::string* error) {
  if (rest.empty() || rest.front() != '/') {
    *error = fmt::format("expected an absolute path, as in {}:///abs/{}", out.scheme,
                         out.scheme == "sdp" ? "camera.sdp" : "clip.mp4");
    return false;
  }
  out.path = std::string(rest);
  out.location = out.uri;
  out.masked = out.uri;
  return true;
}

bool parseUdp(std::string_view rest, PullTarget& out, std::string* error) {
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?"));
  if (!detail::splitAuthority(authority, true, out.host, out.port, error)) return false;
  if (out.port == 0) {
    *error = "a UDP URI needs a port, as in udp://0.0.0.0:5000";
    return false;
  }
  out.location = out.uri;
  out.masked = out.uri;
  return true;
}

}  // namespace

const char* toString(PullKind kind) {
  switch (kind) {
    case PullKind::kFile:
      return "file";
    case PullKind::kRtsp:
      return "rtsp";
    case PullKind::kRtmp:
      return "rtmp";
    case PullKind::kSrt:
      return "srt";
    case PullKind::kHttp:
      return "http";
    case PullKind::kV4l2:
      return "v4l2";
    case PullKind::kUdp:
      return "udp";
  }
  return "?";
}

std::string PullTarget::protocol() const {
  if (kind == PullKind::kFile) {
    const bool sdp =
        scheme == "sdp" || (path.size() >= 4 && path.compare(path.size() - 4, 4, ".sdp") == 0);
    return sdp ? "sdp" : "file";
  }
  return kind == PullKind::kSrt || kind == PullKind::kV4l2 || kind == PullKind::kUdp
             ? toString(kind)
             : scheme;
}

PullTimeouts PullTarget::defaultTimeouts() const {
  switch (kind) {
    case PullKind::kFile:
    case PullKind::kUdp:
    case PullKind::kV4l2:
      return {5, 5, 0};
    case PullKind::kRtsp:
      return {10, 5, 200};
    case PullKind::kRtmp:
      return {10, 5, 0};
    case PullKind::kSrt:
      return {listener ? 0.0 : 10.0, 5, latencyMs.value_or(120)};
    case PullKind::kHttp:
      // HLS and DASH deliver segment by segment: a playlist and a first segment to fetch.
      return {15, 10, 0};
  }
  return {};
}

std::string PullTarget::redact(std::string text) const {
  for (const std::string& secret : mSecrets) {
    if (secret.size() < kMinRedactedBytes) continue;
    for (std::size_t at = text.find(secret); at != std::string::npos;
         at = text.find(secret, at + 3)) {
      text.replace(at, secret.size(), "***");
    }
  }
  return text;
}

std::optional<PullTarget> parsePullUri(std::string_view uri, std::string* error) {
  std::string ignored;
  if (!error) error = &ignored;
  if (uri.size() > kMaxPullUriBytes) {
    *error = fmt::format("longer than {} bytes", kMaxPullUriBytes);
    return std::nullopt;
  }
  if (!std::all_of(uri.begin(), uri.end(), detail::plainChar)) {
    *error = detail::kPlainCharsError;
    return std::nullopt;
  }
  const std::size_t sep = uri.find("://");
  const std::string_view scheme = sep == std::string_view::npos ? "" : uri.substr(0, sep);
  if (!lowerScheme(scheme)) {
    *error = "expected a URI such as \"rtsp://camera/stream\" or \"file:///abs/clip.mp4\"";
    return std::nullopt;
  }
  PullTarget out;
  out.uri = std::string(uri);
  out.scheme = std::string(scheme);
  const std::string_view rest = uri.substr(sep + 3);
  std::vector<std::string> secrets;
  bool ok = false;
  if (scheme == "rtsp" || scheme == "rtsps") {
    out.kind = PullKind::kRtsp;
    ok = parseNetwork(rest, out, secrets, error);
  } else if (scheme == "rtmp" || scheme == "rtmps") {
    out.kind = PullKind::kRtmp;
    ok = parseNetwork(rest, out, secrets, error);
  } else if (scheme == "http" || scheme == "https") {
    out.kind = PullKind::kHttp;
    ok = parseNetwork(rest, out, secrets, error);
  } else if (scheme == "srt") {
    out.kind = PullKind::kSrt;
    ok = parseSrt(rest, out, secrets, error);
  } else if (scheme == "file" || scheme == "sdp") {
    // sdp:///abs/camera.sdp is the same RTP session as file:///abs/camera.sdp.
    out.kind = PullKind::kFile;
    ok = parseFile(rest, out, error);
  } else if (scheme == "v4l2") {
    out.kind = PullKind::kV4l2;
    ok = parseV4l2(rest, out, error);
  } else if (scheme == "udp") {
    out.kind = PullKind::kUdp;
    ok = parseUdp(rest, out, error);
  } else {
    *error = fmt::format(
        "unknown scheme \"{}\" (known: file, rtsp, rtsps, rtmp, rtmps, srt, http, https, v4l2, "
        "udp, sdp)",
        std::string(scheme).substr(0, 16));
  }
  if (!ok) return std::nullopt;
  // Longest first, so a secret holding another is scrubbed whole.
  secrets.erase(std::remove(secrets.begin(), secrets.end(), std::string()), secrets.end());
  std::sort(secrets.begin(), secrets.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  out.mSecrets = std::move(secrets);
  return out;
}

}  // namespace tessera::core
