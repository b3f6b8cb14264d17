// The private channel ([http] viewer_token): which routes it closes and how a viewer's request
// carries the token. Pure functions, screened before any body is read (control/screening.cpp).
#pragma once

#include <string_view>

#include "control/detail/token.hpp"

namespace tessera::control::detail {

// A path the viewer token guards: `path` itself, and with `subtree` everything under `path/`.
struct ViewerRoute {
  std::string_view path;
  bool subtree;
};

// Every viewer route, in one place: a viewer route added later is closed by listing it here.
// The page's scripts and styles (/static/*, /vendor/*) stay public: they are the same for every
// installation and show nothing of the canvas; /healthz, /metrics, /join, /whip* and the admin
// API keep their own rules (docs/http-api.md, "The private channel").
inline constexpr ViewerRoute kViewerRoutes[] = {
    {"/", false},                   // the viewer page
    {"/index.html", false},         // the same page
    {"/hls", true},                 // playlists and segments
    {"/whep", true},                // WebRTC viewers and their sessions
    {"/api/v1/canvas.png", false},  // the canvas itself, as a still
    {"/api/v1/reactions", true},    // the viewers' reactions
};

// The cookie the viewer page sets when opened with a valid ?t=, for the requests its players make
// without one (hls.js and native HLS fetch segment URLs as the playlist names them).
inline constexpr std::string_view kViewerCookie = "tessera_viewer";

inline bool isViewerPath(std::string_view path) {
  for (const ViewerRoute& r : kViewerRoutes) {
    if (path == r.path) return true;
    if (r.subtree && path.size() > r.path.size() && path.starts_with(r.path) &&
        path[r.path.size()] == '/') {
      return true;
    }
  }
  return false;
}

// True when a cookie named `name` in a Cookie header holds `expected` (any of several with that
// name, as a browser sends one per matching path). Pairs are split at ';' and ',' (a server
// joins repeated Cookie headers with ", "); a token holds neither.
inline bool cookieMatches(std::string_view header, std::string_view name,
                          std::string_view expected) {
  bool matched = false;
  while (!header.empty()) {
    const std::size_t end = header.find_first_of(";,");
    std::string_view pair = header.substr(0, end);
    header = end == std::string_view::npos ? std::string_view() : header.substr(end + 1);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    while (!pair.empty() && pair.back() == ' ') pair.remove_suffix(1);
    const std::size_t eq = pair.find('=');
    if (eq == std::string_view::npos || pair.substr(0, eq) != name) continue;
    // Every candidate is compared, so the time does not say which one matched.
    matched = constantTimeEquals(pair.substr(eq + 1), expected) || matched;
  }
  return matched;
}

}  // namespace tessera::control::detail
