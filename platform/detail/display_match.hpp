// Which display a gallery window belongs on, from the names of the displays connected now. Pure
// (the SDL calls stay in sdl_window.cpp), so replugging is tested as a table
// (tests/platform/display_match_test.cpp).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tessera::platform::detail {

// The name of display `index` when no other display has it, else "" (X screens are all called
// "screen": they are then followed by index).
inline std::string uniqueDisplayName(const std::vector<std::string>& names, int index) {
  if (index < 0 || index >= static_cast<int>(names.size()) || names[index].empty()) return {};
  int same = 0;
  for (const std::string& n : names) same += n == names[index] ? 1 : 0;
  return same == 1 ? names[index] : std::string();
}

// The window's display now: found by the name it was placed on (indices shift when a display
// is unplugged), or before it was ever placed (or when names are not unique) by its configured
// index; -1 while it is not connected.
inline int matchDisplay(const std::vector<std::string>& names, std::string_view placedName,
                        int configuredIndex) {
  if (!placedName.empty()) {
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (names[i] == placedName) return static_cast<int>(i);
    }
    return -1;
  }
  return configuredIndex < static_cast<int>(names.size()) ? configuredIndex : -1;
}

}  // namespace tessera::platform::detail
