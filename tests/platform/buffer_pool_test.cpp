#include "core/buffer_pool.hpp"

#include <catch2/catch.hpp>

#include <memory>
#include <thread>
#include <vector>

using tessera::core::BufferPool;

TEST_CASE("a released buffer is reused", "[core][buffer_pool]") {
  auto pool = BufferPool::create(1024);
  const std::uint8_t* first = nullptr;
  {
    auto b = pool->acquire();
    REQUIRE(b->size() == 1024);
    first = b->data();
  }
  CHECK(pool->allocated() == 1);
  for (int i = 0; i < 100; ++i) {
    auto b = pool->acquire();
    CHECK(b->data() == first);
  }
  CHECK(pool->allocated() == 1);
}

TEST_CASE("a steady stream of frames stops allocating after warm-up", "[core][buffer_pool]") {
  auto pool = BufferPool::create(4096, 8);
  // Like the render loop: each frame is held a little while by readers, three at most.
  std::vector<std::shared_ptr<BufferPool::Buffer>> inFlight;
  for (int i = 0; i < 50; ++i) {
    inFlight.push_back(pool->acquire());
    if (inFlight.size() > 3) inFlight.erase(inFlight.begin());
  }
  CHECK(pool->allocated() == 4);
  const auto warm = pool->allocated();
  for (int i = 0; i < 500; ++i) {
    inFlight.push_back(pool->acquire());
    if (inFlight.size() > 3) inFlight.erase(inFlight.begin());
  }
  CHECK(pool->allocated() == warm);
}

TEST_CASE("the pool keeps at most keepAtMost idle buffers", "[core][buffer_pool]") {
  auto pool = BufferPool::create(64, 2);
  {
    std::vector<std::shared_ptr<BufferPool::Buffer>> held;
    for (int i = 0; i < 5; ++i) held.push_back(pool->acquire());
    CHECK(pool->allocated() == 5);
  }
  // Five came back, two were kept: five more cost three new allocations.
  std::vector<std::shared_ptr<BufferPool::Buffer>> again;
  for (int i = 0; i < 5; ++i) again.push_back(pool->acquire());
  CHECK(pool->allocated() == 8);
}

TEST_CASE("buffers may outlive their pool and be released on another thread",
          "[core][buffer_pool]") {
  auto pool = BufferPool::create(256);
  auto kept = pool->acquire();
  (*kept)[0] = 7;
  pool.reset();
  CHECK((*kept)[0] == 7);
  std::thread([b = std::move(kept)]() mutable { b.reset(); }).join();
  SUCCEED("released after the pool was gone");

  auto pool2 = BufferPool::create(256);
  auto b = pool2->acquire();
  std::thread([b = std::move(b)]() mutable { b.reset(); }).join();
  auto reused = pool2->acquire();
  CHECK(pool2->allocated() == 1);
}
