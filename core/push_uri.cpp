#include "core/push_uri.hpp"

#include <algorithm>
#include <charconv>
#include <vector>

#include <fmt/format.h>

namespace tessera::core {
namespace {

bool hostChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.';
}

// A URI character that may stand as it is: printable ASCII without space, quotes, backslash.
bool plainChar(char c) {
  return c > ' ' && c < 0x7f && c != '"' && c != '\'' && c != '\\' && c != '`' && c != '<' &&
         c != '>';
}

std::optional<int> parsePort(std::string_view text) {
  int port = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (ec != std::errc() || end != text.data() + text.size() || port < 1 || port > 65535) {
    return std::nullopt;
  }
  return port;
}

// "host[:port]" (host may be empty only when `allowEmptyHost`).
bool splitAuthority(std::string_view authority, bool allowEmptyHost, PushTarget& out,
                    std::string* error) {
  const std::size_t colon = authority.rfind(':');
  const std::string_view host = authority.substr(0, colon);
  if (host.empty() && !allowEmptyHost) {
    *error = "expected a host name or address after \"://\"";
    return false;
  }
  if (host.size() > 253 || !std::all_of(host.begin(), host.end(), hostChar)) {
    *error = "the host may hold only letters, digits, '-' and '.'";
    return false;
  }
  out.host = std::string(host);
  if (colon == std::string_view::npos) return true;
  const auto port = parsePort(authority.substr(colon + 1));
  if (!port) {
    *error = fmt::format("expected a port in 1..65535 after \"{}:\"", host);
    return false;
  }
  out.port = *port;
  return true;
}

bool parseRtmp(std::string_view rest, PushTarget& out, std::string* error) {
  const std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string masked = fmt::format("{}://", toString(out.kind));
  // user:password@host: the password is a secret too.
  if (const std::size_t at = authority.find('@'); at != std::string_view::npos) {
    const std::string_view user = authority.substr(0, authority.find(':'));
    masked += fmt::format("{}:***@", user.substr(0, std::min(user.size(), at)));
    authority = authority.substr(at + 1);
  }
  out.port = out.kind == PushKind::kRtmps ? 443 : 1935;
  if (!splitAuthority(authority, false, out, error)) return false;
  masked += authority;
  const std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
  const std::string_view app = path.substr(0, path.find('/'));
  if (app.empty()) {
    *error = "expected an application after the host, as in rtmp://host/app/stream-key";
    return false;
  }
  masked += fmt::format("/{}", app);
  if (app.size() < path.size()) masked += "/***";  // the stream key and anything after it
  out.masked = std::move(masked);
  return true;
}

bool parseSrtQuery(std::string_view query, std::string& masked, std::string* error) {
  while (!query.empty()) {
    const std::string_view pair = query.substr(0, query.find('&'));
    query.remove_prefix(std::min(query.size(), pair.size() + 1));
    const std::size_t eq = pair.find('=');
    const std::string_view key = pair.substr(0, eq);
    const std::string_view value = eq == std::string_view::npos ? "" : pair.substr(eq + 1);
    masked += masked.back() == '?' ? "" : "&";
    if (key == "passphrase" || key == "streamid") {
      if (key == "passphrase" && (value.size() < 10 || value.size() > 79)) {
        *error = "an SRT passphrase has 10 to 79 characters";
        return false;
      }
      masked += fmt::format("{}=***", key);
      continue;
    }
    const auto number = parsePort(value);  // a small positive integer
    if (key == "pbkeylen" && !(value == "16" || value == "24" || value == "32")) {
      *error = "pbkeylen is 16, 24 or 32";
      return false;
    }
    if (key == "latency" && !number) {
      *error = "latency is a number of milliseconds in 1..65535";
      return false;
    }
    if (key != "pbkeylen" && key != "latency") {
      *error = fmt::format(
          "unknown SRT parameter \"{}\" (known: passphrase, pbkeylen, latency, streamid)",
          std::string(key).substr(0, 32));
      return false;
    }
    masked += fmt::format("{}={}", key, value);
  }
  return true;
}

bool parseSrt(std::string_view rest, PushTarget& out, std::string* error) {
  const std::size_t q = rest.find('?');
  const std::string_view authority = rest.substr(0, q);
  if (authority.find('/') != std::string_view::npos ||
      authority.find('@') != std::string_view::npos) {
    *error = "expected srt://host:port (caller) or srt://:port (listener)";
    return false;
  }
  if (!splitAuthority(authority, true, out, error)) return false;
  if (out.port == 0) {
    *error = "an SRT URI needs a port, as in srt://host:9000 or srt://:9000";
    return false;
  }
  out.masked = fmt::format("srt://{}", authority);
  if (q == std::string_view::npos) return true;
  out.masked += '?';
  if (!parseSrtQuery(rest.substr(q + 1), out.masked, error)) return false;
  if (out.masked.back() == '?') out.masked.pop_back();
  return true;
}

}  // namespace

const char* toString(PushKind kind) {
  switch (kind) {
    case PushKind::kRtmp:
      return "rtmp";
    case PushKind::kRtmps:
      return "rtmps";
    case PushKind::kSrt:
      return "srt";
  }
  return "?";
}

std::optional<PushTarget> parsePushUri(std::string_view uri, std::string* error) {
  std::string ignored;
  if (!error) error = &ignored;
  if (uri.size() > kMaxPushUriBytes) {
    *error = fmt::format("longer than {} bytes", kMaxPushUriBytes);
    return std::nullopt;
  }
  if (!std::all_of(uri.begin(), uri.end(), plainChar)) {
    *error =
        "spaces, quotes, backslashes and control characters are not allowed (percent-encode "
        "them)";
    return std::nullopt;
  }
  PushTarget out;
  out.uri = std::string(uri);
  const std::size_t scheme = uri.find("://");
  const std::string_view name = scheme == std::string_view::npos ? "" : uri.substr(0, scheme);
  const std::string_view rest = scheme == std::string_view::npos ? "" : uri.substr(scheme + 3);
  bool ok = false;
  if (name == "rtmp" || name == "rtmps") {
    out.kind = name == "rtmp" ? PushKind::kRtmp : PushKind::kRtmps;
    ok = parseRtmp(rest, out, error);
  } else if (name == "srt") {
    out.kind = PushKind::kSrt;
    ok = parseSrt(rest, out, error);
  } else {
    *error = "expected rtmp://, rtmps:// or srt://";
  }
  if (!ok) return std::nullopt;
  return out;
}

}  // namespace tessera::core
