#include "ingest/source_errors.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

namespace tessera::ingest {
namespace {

std::string lower(std::string_view text) {
  std::string out(text.substr(0, 4096));  // bounded: debug text can be long
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// First match wins: authentication before "not found" (a 401 page may say both), refusal
// before timeouts (a refused SRT handshake also ends in a time-out). No bare status numbers:
// "401" also matches a port or an address in the debug text.
constexpr std::array<std::pair<std::string_view, std::string_view>, 21> kPatterns{{
    // rtmp2src's words; the ingest manager says which check failed when its TLS trust saw it.
    {"tls certificate", "TLS certificate not trusted"},
    {"unauthorized", "authentication failed"},
    {"not authorized", "authentication failed"},
    {"authentication", "authentication failed"},
    {"forbidden", "authentication failed"},
    {"bad secret", "authentication failed"},
    {"badsecret", "authentication failed"},
    {"connection refused", "connection refused"},
    {"rejected", "connection rejected"},
    {"could not resolve", "host not found"},
    {"name or service not known", "host not found"},
    {"temporary failure in name resolution", "host not found"},
    {"not found", "not found"},
    {"no such file", "not found"},
    {"no video", "no video stream"},
    {"no supported stream", "no video stream"},
    {"no streams", "no video stream"},
    {"timed out", "timed out"},
    {"timeout", "timed out"},
    {"end of stream", "stream ended"},
    {"connection reset", "connection lost"},
}};

}  // namespace

std::string describeSourceError(std::string_view message, std::string_view debug) {
  const std::string text = lower(message) + "\n" + lower(debug);
  for (const auto& [pattern, words] : kPatterns) {
    if (text.find(pattern) != std::string::npos) return std::string(words);
  }
  return "source error: " + std::string(message.substr(0, 200));
}

}  // namespace tessera::ingest
