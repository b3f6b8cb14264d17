// A pool of equal-sized byte buffers: a buffer returns to the pool when its last user drops it,
// so a steady stream of large frames (the canvas readback) allocates nothing after warm-up.
//
// Threads: acquire() from one producer thread; buffers may be released from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace tessera::core {

class BufferPool : public std::enable_shared_from_this<BufferPool> {
 public:
  using Buffer = std::vector<std::uint8_t>;

  static std::shared_ptr<BufferPool> create(std::size_t bufferBytes, std::size_t keepAtMost = 8) {
    return std::shared_ptr<BufferPool>(new BufferPool(bufferBytes, keepAtMost));
  }

  std::shared_ptr<Buffer> acquire() {
    std::unique_ptr<Buffer> b;
    {
      std::lock_guard lock(mMutex);
      if (!mFree.empty()) {
        b = std::move(mFree.back());
        mFree.pop_back();
      }
    }
    if (!b) {
      b = std::make_unique<Buffer>(mBytes);
      std::lock_guard lock(mMutex);
      ++mAllocated;
    }
    std::weak_ptr<BufferPool> pool = weak_from_this();
    return std::shared_ptr<Buffer>(b.release(), [pool](Buffer* raw) {
      std::unique_ptr<Buffer> owned(raw);
      if (auto p = pool.lock()) p->giveBack(std::move(owned));
    });
  }

  std::size_t allocated() const {
    std::lock_guard lock(mMutex);
    return mAllocated;
  }

 private:
  BufferPool(std::size_t bytes, std::size_t keep) : mBytes(bytes), mKeep(keep) {}
  void giveBack(std::unique_ptr<Buffer> b) {
    std::lock_guard lock(mMutex);
    if (mFree.size() < mKeep) mFree.push_back(std::move(b));
  }

  const std::size_t mBytes;
  const std::size_t mKeep;
  mutable std::mutex mMutex;
  std::vector<std::unique_ptr<Buffer>> mFree;
  std::size_t mAllocated = 0;
};

}  // namespace tessera::core
