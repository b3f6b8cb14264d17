#include "core/push_uri.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "core/detail/uri_text.hpp"

namespace tessera::core {
namespace {

using detail::plainChar;

bool splitAuthority(std::string_view authority, bool allowEmptyHost, PushTarget& out,
                    std::string* error) {
  return detail::splitAuthority(authority, allowEmptyHost, out.host, out.port, error);
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
  detail::SrtParams params;  // the output stage hands the URI itself to srtsink
  if (!detail::parseSrtQuery(rest.substr(q + 1), false, params, out.masked, error)) return false;
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
    *error = detail::kPlainCharsError;
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
