// Bearer token checks.
#pragma once

#include <cstddef>
#include <string_view>

namespace tessera::control::detail {

// Compares in time that depends only on the lengths, never on where the first difference is, so
// a client cannot find a token byte by byte from response times.
inline bool constantTimeEquals(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  const std::size_t n = a.size() < b.size() ? a.size() : b.size();
  for (std::size_t i = 0; i < n; ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0;
}

// `Authorization` holds "Bearer <expected>".
inline bool bearerMatches(const char* authorization, std::string_view expected) {
  constexpr std::string_view kScheme = "Bearer ";
  if (!authorization) return false;
  const std::string_view auth(authorization);
  if (auth.size() < kScheme.size() || auth.substr(0, kScheme.size()) != kScheme) return false;
  return constantTimeEquals(auth.substr(kScheme.size()), expected);
}

}  // namespace tessera::control::detail
