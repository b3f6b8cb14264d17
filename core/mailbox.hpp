// A single-slot "latest value" mailbox: the writer never blocks on the reader.
//
// Threads: any number of writers (GStreamer streaming threads) and readers (render thread,
// HTTP). A write replaces an unread value and counts it as dropped. The lock is held only for a
// shared_ptr swap, so no writer ever waits on work done by a reader.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>

namespace tessera::core {

template <typename T>
class LatestMailbox {
 public:
  using Ptr = std::shared_ptr<const T>;

  void put(Ptr value) {
    Ptr old;  // released outside the lock
    {
      std::lock_guard lock(mMutex);
      old = std::move(mValue);
      mValue = std::move(value);
      ++mWritten;
      if (mUnread) ++mDropped;
      mUnread = true;
    }
  }

  // The latest value, whether or not it was read before.
  Ptr peek() const {
    std::lock_guard lock(mMutex);
    return mValue;
  }

  // The latest value if it has not been taken yet, else null. The value stays for peek().
  Ptr takeNew() {
    std::lock_guard lock(mMutex);
    if (!mUnread) return nullptr;
    mUnread = false;
    return mValue;
  }

  struct Counters {
    std::uint64_t written = 0;
    std::uint64_t dropped = 0;
  };
  Counters counters() const {
    std::lock_guard lock(mMutex);
    return {mWritten, mDropped};
  }

 private:
  mutable std::mutex mMutex;
  Ptr mValue;
  bool mUnread = false;
  std::uint64_t mWritten = 0;
  std::uint64_t mDropped = 0;
};

}  // namespace tessera::core
