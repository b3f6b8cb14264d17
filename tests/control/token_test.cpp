#include "control/detail/token.hpp"

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
