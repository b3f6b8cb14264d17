// Small value types that the stages exchange. Pure C++, no library types.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <string>

namespace tessera::core {

// A feed's identity for its whole life; never reused within one server run.
struct FeedId {
  std::uint32_t value = 0;
  auto operator<=>(const FeedId&) const = default;
  std::string str() const { return std::to_string(value); }
};

struct SizePx {
  int width = 0;
  int height = 0;
  bool operator==(const SizePx&) const = default;
};

// A rectangle in canvas pixels; x,y is the top-left corner.
struct Rect {
  float x = 0;
  float y = 0;
  float w = 0;
  float h = 0;
  bool operator==(const Rect&) const = default;
  float right() const { return x + w; }
  float bottom() const { return y + h; }
};

enum class FeedSource { kSynthetic, kPull, kWhip };

inline const char* toString(FeedSource s) {
  switch (s) {
    case FeedSource::kSynthetic:
      return "synthetic";
    case FeedSource::kPull:
      return "pull";
    case FeedSource::kWhip:
      return "whip";
  }
  return "?";
}

enum class FeedState { kConnecting, kLive, kFrozen, kRetrying, kGone };

inline const char* toString(FeedState s) {
  switch (s) {
    case FeedState::kConnecting:
      return "connecting";
    case FeedState::kLive:
      return "live";
    case FeedState::kFrozen:
      return "frozen";
    case FeedState::kRetrying:
      return "retrying";
    case FeedState::kGone:
      return "gone";
  }
  return "?";
}

}  // namespace tessera::core

template <>
struct std::hash<tessera::core::FeedId> {
  std::size_t operator()(const tessera::core::FeedId& id) const noexcept {
    return std::hash<std::uint32_t>{}(id.value);
  }
};
