#include "core/frame_ring.hpp"

#include <cassert>

namespace tessera::core {

FrameRing::FrameRing(std::size_t capacity) : mSlots(capacity < 1 ? 1 : capacity) {}

FrameRef FrameRing::popOldest() {
  assert(mSize > 0);
  Slot& s = mSlots[mHead];
  if (!s.shown) ++mDroppedUnshown;
  FrameRef out = std::move(s.frame);
  s = Slot{};
  mHead = (mHead + 1) % mSlots.size();
  --mSize;
  return out;
}

FrameRef FrameRing::push(FrameRef frame) {
  FrameRef evicted;
  if (mSize == mSlots.size()) evicted = popOldest();
  mSlots[(mHead + mSize) % mSlots.size()] = Slot{std::move(frame), false};
  ++mSize;
  return evicted;
}

std::vector<FrameRef> FrameRing::frames() const {
  std::vector<FrameRef> out;
  out.reserve(mSize);
  for (std::size_t i = 0; i < mSize; ++i) out.push_back(at(i).frame);
  return out;
}

FrameRef FrameRing::newest() const {
  return mSize ? at(mSize - 1).frame : nullptr;
}

FrameRef FrameRing::takeNewest() {
  if (!mSize) return nullptr;
  Slot& s = at(mSize - 1);
  s.shown = true;
  return s.frame;
}

FrameRef FrameRing::takeNewestUnshown() {
  if (!mSize || at(mSize - 1).shown) return nullptr;
  return takeNewest();
}

FrameRef FrameRing::nearest(Clock::time_point target) {
  Slot* best = nullptr;
  Clock::duration bestDistance{};
  for (std::size_t i = 0; i < mSize; ++i) {
    Slot& s = at(i);
    const auto d =
        s.frame->capture > target ? s.frame->capture - target : target - s.frame->capture;
    const bool earlierTie = best && d == bestDistance && s.frame->capture < best->frame->capture;
    if (!best || d < bestDistance || earlierTie) {
      best = &s;
      bestDistance = d;
    }
  }
  if (!best) return nullptr;
  best->shown = true;
  return best->frame;
}

FrameRef FrameRing::popTrimmable(std::optional<Clock::time_point> earliest) {
  if (mSize < 2) return nullptr;
  if (earliest && at(1).frame->capture > *earliest) return nullptr;
  return popOldest();
}

}  // namespace tessera::core
