// A feed's recent frames, oldest first, with their capture times: what the playout chooses from.
//
// Not thread-safe: FeedChannel owns one and locks around it. Bounded: a push into a full ring
// drops the oldest frame. Frames stay shared (their pixels are a mapped decoder buffer), so the
// ring is trimmed as soon as a frame can no longer be chosen (docs/architecture.md, "Time").
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "core/frame.hpp"
#include "core/time.hpp"

namespace tessera::core {

class FrameRing {
 public:
  explicit FrameRing(std::size_t capacity);

  std::size_t capacity() const { return mSlots.size(); }
  std::size_t size() const { return mSize; }
  bool empty() const { return mSize == 0; }

  // Appends a frame (arrival order). A full ring drops its oldest frame first and returns it
  // (so the caller can release it outside its lock).
  FrameRef push(FrameRef frame);
  // The frames held, oldest first.
  std::vector<FrameRef> frames() const;
  // The newest frame, or null.
  FrameRef newest() const;
  // The frame whose capture time is nearest `target` (an exact tie goes to the earlier), or null.
  // It is marked as shown.
  FrameRef nearest(Clock::time_point target);
  // Marks the newest frame as shown and returns it.
  FrameRef takeNewest();
  // The newest frame if it has not been shown yet (then it is), else null.
  FrameRef takeNewestUnshown();
  // The oldest frame, removed, when it can no longer be chosen, else null: it is not the newest
  // and (with `earliest`) the next frame was captured at or before `earliest`, so that one is
  // nearer any target from `earliest` on. Without `earliest`: all but the newest can go. One at
  // a time, so the caller releases frames outside its lock.
  FrameRef popTrimmable(std::optional<Clock::time_point> earliest);

  // Frames that left the ring without ever being shown (replaced, trimmed or pushed out).
  std::uint64_t droppedUnshown() const { return mDroppedUnshown; }

 private:
  struct Slot {
    FrameRef frame;
    bool shown = false;
  };
  Slot& at(std::size_t i) { return mSlots[(mHead + i) % mSlots.size()]; }
  const Slot& at(std::size_t i) const { return mSlots[(mHead + i) % mSlots.size()]; }
  FrameRef popOldest();

  std::vector<Slot> mSlots;
  std::size_t mHead = 0;  // index of the oldest frame
  std::size_t mSize = 0;
  std::uint64_t mDroppedUnshown = 0;
};

}  // namespace tessera::core
