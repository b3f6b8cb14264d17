#include "platform/detail/display_match.hpp"

#include <catch2/catch.hpp>

using tessera::platform::detail::matchDisplay;
using tessera::platform::detail::uniqueDisplayName;

TEST_CASE("a gallery window follows its display by name across unplugging", "[platform][windows]") {
  struct Row {
    std::vector<std::string> names;
    std::string placed;  // the name it was placed on ("" never placed, or names not unique)
    int configured;
    int expected;
  };
  const Row rows[] = {
      {{"HDMI-1", "HDMI-2", "DP-1"}, "", 1, 1},        // at start: by index
      {{"HDMI-1", "HDMI-2", "DP-1"}, "HDMI-2", 1, 1},  // placed: by name
      {{"HDMI-1", "DP-1"}, "HDMI-2", 1, -1},           // HDMI-2 unplugged: hidden, not on DP-1
      {{"HDMI-1", "DP-1"}, "DP-1", 2, 1},              // DP-1 moved from index 2 to 1: followed
      {{"DP-1", "HDMI-1", "HDMI-2"}, "HDMI-2", 1, 2},  // replugged, listed elsewhere: found
      {{"HDMI-1"}, "", 3, -1},                         // configured display not there (yet)
      {{"HDMI-1", "HDMI-2", "X", "Y"}, "", 3, 3},      // ... until it is
      {{"screen", "screen"}, "", 1, 1},                // names that say nothing: by index
      {{}, "", 0, -1},                                 // no display at all
  };
  for (const Row& r : rows) {
    INFO("placed \"" << r.placed << "\", configured " << r.configured);
    CHECK(matchDisplay(r.names, r.placed, r.configured) == r.expected);
  }
}

TEST_CASE("only a name no other display has identifies a display", "[platform][windows]") {
  CHECK(uniqueDisplayName({"HDMI-1", "HDMI-2"}, 1) == "HDMI-2");
  CHECK(uniqueDisplayName({"screen", "screen"}, 0).empty());
  CHECK(uniqueDisplayName({"HDMI-1", ""}, 1).empty());
  CHECK(uniqueDisplayName({"HDMI-1"}, 1).empty());
  CHECK(uniqueDisplayName({"HDMI-1"}, -1).empty());
}
