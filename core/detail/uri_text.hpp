// Pieces of URI checking that push URIs (core/push_uri) and pull URIs (core/pull_uri) share:
// which characters may stand in a URI at all, host names, ports, and SRT's query parameters.
// Every function is pure and bounded by its input.
#pragma once

#include <algorithm>
#include <charconv>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace tessera::core::detail {

inline bool hostChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.';
}

// A URI character that may stand as it is: printable ASCII without space, quotes, backslash.
inline bool plainChar(char c) {
  return c > ' ' && c < 0x7f && c != '"' && c != '\'' && c != '\\' && c != '`' && c != '<' &&
         c != '>';
}

inline constexpr std::string_view kPlainCharsError =
    "spaces, quotes, backslashes and control characters are not allowed (percent-encode them)";

inline std::optional<int> parsePort(std::string_view text) {
  int port = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (ec != std::errc() || end != text.data() + text.size() || port < 1 || port > 65535) {
    return std::nullopt;
  }
  return port;
}

// "host[:port]" (host may be empty only when `allowEmptyHost`). `port` is left as it is when
// the authority has none.
inline bool splitAuthority(std::string_view authority, bool allowEmptyHost, std::string& host,
                           int& port, std::string* error) {
  const std::size_t colon = authority.rfind(':');
  const std::string_view name = authority.substr(0, colon);
  if (name.empty() && !allowEmptyHost) {
    *error = "expected a host name or address after \"://\"";
    return false;
  }
  if (name.size() > 253 || !std::all_of(name.begin(), name.end(), hostChar)) {
    *error = "the host may hold only letters, digits, '-' and '.'";
    return false;
  }
  host = std::string(name);
  if (colon == std::string_view::npos) return true;
  const auto parsed = parsePort(authority.substr(colon + 1));
  if (!parsed) {
    *error = fmt::format("expected a port in 1..65535 after \"{}:\"", name);
    return false;
  }
  port = *parsed;
  return true;
}

// SRT's query parameters, checked; secrets kept apart from what may be shown.
struct SrtParams {
  std::string mode;  // "", "caller" or "listener" (only when `allowMode`)
  std::string passphrase;
  int pbkeylen = 0;  // 0: SRT's default
  std::optional<int> latencyMs;
  std::string streamid;
};

// Parses "k=v&k=v" into `params`, appending the masked form to `masked` (which ends in '?').
inline bool parseSrtQuery(std::string_view query, bool allowMode, SrtParams& params,
                          std::string& masked, std::string* error) {
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
      (key == "passphrase" ? params.passphrase : params.streamid) = std::string(value);
      masked += fmt::format("{}=***", key);
      continue;
    }
    const auto number = parsePort(value);  // a small positive integer
    if (key == "pbkeylen") {
      if (!(value == "16" || value == "24" || value == "32")) {
        *error = "pbkeylen is 16, 24 or 32";
        return false;
      }
      params.pbkeylen = *number;
    } else if (key == "latency") {
      if (!number) {
        *error = "latency is a number of milliseconds in 1..65535";
        return false;
      }
      params.latencyMs = *number;
    } else if (key == "mode" && allowMode) {
      if (value != "caller" && value != "listener") {
        *error = "mode is \"caller\" or \"listener\"";
        return false;
      }
      params.mode = std::string(value);
    } else {
      *error = fmt::format(
          "unknown SRT parameter \"{}\" (known: {}passphrase, pbkeylen, latency, "
          "streamid)",
          std::string(key).substr(0, 32), allowMode ? "mode, " : "");
      return false;
    }
    masked += fmt::format("{}={}", key, value);
  }
  return true;
}

}  // namespace tessera::core::detail
