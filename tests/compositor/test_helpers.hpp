// Shared by the compositor tests: feeds, score tables and layout invariants.
#pragma once

#include <catch2/catch.hpp>

#include <cstdint>
#include <memory>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "compositor/layout.hpp"
#include "core/score_table.hpp"

namespace tessera::core {
// Lets Catch print rects and sizes in failure messages.
inline std::ostream& operator<<(std::ostream& os, const Rect& r) {
  return os << "{" << r.x << "," << r.y << " " << r.w << "x" << r.h << "}";
}
inline std::ostream& operator<<(std::ostream& os, const SizePx& s) {
  return os << s.width << "x" << s.height;
}
inline std::ostream& operator<<(std::ostream& os, const FeedId& f) {
  return os << "feed " << f.value;
}
}  // namespace tessera::core

namespace tessera::compositor::testing {

// Ids start at 100 so that a mix-up between feed id and index shows.
inline std::vector<core::FeedId> makeFeeds(int count, std::uint32_t first = 100) {
  std::vector<core::FeedId> feeds;
  for (int i = 0; i < count; ++i)
    feeds.push_back(core::FeedId{first + static_cast<std::uint32_t>(i)});
  return feeds;
}

inline core::Scores scoresWithColour(float r, float g, float b) {
  core::Scores s;
  s.meanRgb = {r, g, b};
  return s;
}

inline bool overlaps(const core::Rect& a, const core::Rect& b) {
  return a.x < b.right() && b.x < a.right() && a.y < b.bottom() && b.y < a.bottom();
}

// Every tile inside the canvas and, unless overlap is allowed, no two overlapping; "" when so.
// Sorting by x keeps this fast enough for thousands of tiles.
inline std::string checkInsideNoOverlap(const Layout& layout, bool allowOverlap = false) {
  std::ostringstream err;
  std::vector<core::Rect> rects;
  for (const auto& t : layout.tiles) {
    const auto& r = t.rect;
    if (r.x < 0 || r.y < 0 || r.right() > layout.canvas.width ||
        r.bottom() > layout.canvas.height || r.w <= 0 || r.h <= 0) {
      err << "tile " << r << " outside the canvas or empty; ";
    }
    rects.push_back(r);
  }
  if (allowOverlap) return err.str();
  std::sort(rects.begin(), rects.end(), [](const auto& a, const auto& b) { return a.x < b.x; });
  for (std::size_t i = 0; i < rects.size(); ++i) {
    for (std::size_t j = i + 1; j < rects.size() && rects[j].x < rects[i].right(); ++j) {
      if (overlaps(rects[i], rects[j])) {
        err << rects[i] << " overlaps " << rects[j] << "; ";
        return err.str();
      }
    }
  }
  return err.str();
}

}  // namespace tessera::compositor::testing
