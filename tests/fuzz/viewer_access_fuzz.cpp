// The private channel's header checks (a Cookie header, a request path) never crash, and a cookie
// matches only when the header holds it: name=token, whole, between separators.
#include <algorithm>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "control/detail/viewer_access.hpp"

using tessera::control::detail::cookieMatches;
using tessera::control::detail::isViewerPath;
using tessera::control::detail::kViewerCookie;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // The first byte splits the rest into the token and the header.
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::string_view token = rest.substr(0, std::min<std::size_t>(data[0] % 16, rest.size()));
  const std::string_view header = rest.substr(token.size());
  if (cookieMatches(header, kViewerCookie, token)) {
    const std::string pair = std::string(kViewerCookie) + "=" + std::string(token);
    assert(header.find(pair) != std::string_view::npos);
  }
  if (isViewerPath(header)) assert(!header.empty() && header.front() == '/');
  return 0;
}
