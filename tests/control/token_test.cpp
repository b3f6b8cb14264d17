#include "control/detail/token.hpp"
#include "control/detail/viewer_access.hpp"

#include <catch2/catch.hpp>

using tessera::control::detail::bearerMatches;
using tessera::control::detail::constantTimeEquals;

TEST_CASE("token comparison matches exactly", "[control][token]") {
  CHECK(constantTimeEquals("secret", "secret"));
  CHECK(constantTimeEquals("", ""));
  CHECK_FALSE(constantTimeEquals("secret", "secreT"));
  CHECK_FALSE(constantTimeEquals("secret", "secret2"));
  CHECK_FALSE(constantTimeEquals("secret2", "secret"));
  CHECK_FALSE(constantTimeEquals("", "x"));
  CHECK_FALSE(constantTimeEquals(std::string_view("a\0b", 3), std::string_view("a\0c", 3)));
}

TEST_CASE("a bearer header names the token after the scheme", "[control][token]") {
  CHECK(bearerMatches("Bearer tok", "tok"));
  CHECK_FALSE(bearerMatches(nullptr, "tok"));
  CHECK_FALSE(bearerMatches("", "tok"));
  CHECK_FALSE(bearerMatches("Bearer", "tok"));
  CHECK_FALSE(bearerMatches("Bearer tok ", "tok"));
  CHECK_FALSE(bearerMatches("Basic tok", "tok"));
  CHECK_FALSE(bearerMatches("Bearer to", "tok"));
}

TEST_CASE("the viewer token guards the viewer routes and only those", "[control][token]") {
  using tessera::control::detail::isViewerPath;
  for (const char* path :
       {"/", "/index.html", "/hls/index.m3u8", "/hls/segment00042.ts", "/hls/replay.m3u8", "/whep",
        "/whep/abc", "/api/v1/canvas.png", "/api/v1/reactions", "/api/v1/reactions/x", "/hls"}) {
    INFO(path);
    CHECK(isViewerPath(path));
  }
  for (const char* path : {"/join",
                           "/join/",
                           "/join/qr.png",
                           "/whip",
                           "/whip/abc",
                           "/whip/abc/clock",
                           "/healthz",
                           "/metrics",
                           "/api/v1/feeds",
                           "/api/v1/join",
                           "/api/v1/scene",
                           "/api/v1/params",
                           "/api/v1/cue",
                           "/static/viewer.js",
                           "/vendor/hls.min.js",
                           "/hlsx/a.ts",
                           "/wheppy",
                           "/index.htmlx",
                           "/api/v1/reactionsx",
                           "//",
                           ""}) {
    INFO(path);
    CHECK_FALSE(isViewerPath(path));
  }
}

TEST_CASE("the viewer cookie is found among others", "[control][token]") {
  using tessera::control::detail::cookieMatches;
  CHECK(cookieMatches("tessera_viewer=tok", "tessera_viewer", "tok"));
  CHECK(cookieMatches("a=1; tessera_viewer=tok; b=2", "tessera_viewer", "tok"));
  CHECK(cookieMatches("a=1;tessera_viewer=tok", "tessera_viewer", "tok"));
  CHECK(cookieMatches("tessera_viewer=old; tessera_viewer=tok", "tessera_viewer", "tok"));
  CHECK(cookieMatches("a=1, tessera_viewer=tok", "tessera_viewer", "tok"));
  CHECK_FALSE(cookieMatches("", "tessera_viewer", "tok"));
  CHECK_FALSE(cookieMatches("tessera_viewer=", "tessera_viewer", "tok"));
  CHECK_FALSE(cookieMatches("tessera_viewer=to", "tessera_viewer", "tok"));
  CHECK_FALSE(cookieMatches("tessera_viewer=tokk", "tessera_viewer", "tok"));
  CHECK_FALSE(cookieMatches("x_tessera_viewer=tok", "tessera_viewer", "tok"));
  CHECK_FALSE(cookieMatches("tessera_viewerx=tok", "tessera_viewer", "tok"));
  CHECK_FALSE(cookieMatches("other=tok", "tessera_viewer", "tok"));
  CHECK_FALSE(cookieMatches("tessera_viewer", "tessera_viewer", "tok"));
}
