#include "core/mailbox.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

using tessera::core::LatestMailbox;

namespace {

std::shared_ptr<const int> value(int v) {
  return std::make_shared<const int>(v);
}

}  // namespace

TEST_CASE("an empty mailbox has nothing to peek or take", "[core][mailbox]") {
  LatestMailbox<int> box;
  CHECK(box.peek() == nullptr);
  CHECK(box.takeNew() == nullptr);
  CHECK(box.counters().written == 0);
  CHECK(box.counters().dropped == 0);
}

TEST_CASE("takeNew returns each value once and peek keeps returning the latest",
          "[core][mailbox]") {
  LatestMailbox<int> box;
  box.put(value(1));
  REQUIRE(box.peek());
  CHECK(*box.peek() == 1);
  CHECK(*box.peek() == 1);  // peeking does not consume

  const auto taken = box.takeNew();
  REQUIRE(taken);
  CHECK(*taken == 1);
  CHECK(box.takeNew() == nullptr);  // already taken
  REQUIRE(box.peek());
  CHECK(*box.peek() == 1);  // still there for peek

  box.put(value(2));
  const auto next = box.takeNew();
  REQUIRE(next);
  CHECK(*next == 2);
  CHECK(box.counters().written == 2);
  CHECK(box.counters().dropped == 0);
}

TEST_CASE("a write over an unread value drops it and counts it", "[core][mailbox]") {
  LatestMailbox<int> box;
  box.put(value(1));
  box.put(value(2));
  box.put(value(3));
  CHECK(box.counters().written == 3);
  CHECK(box.counters().dropped == 2);

  const auto latest = box.takeNew();
  REQUIRE(latest);
  CHECK(*latest == 3);

  // Overwriting a value that was already taken is not a drop.
  box.put(value(4));
  CHECK(box.counters().dropped == 2);
  // Peeking does not count as reading: the next write still drops the unread value.
  CHECK(*box.peek() == 4);
  box.put(value(5));
  CHECK(box.counters().written == 5);
  CHECK(box.counters().dropped == 3);
}

TEST_CASE("a taken value outlives later writes", "[core][mailbox]") {
  LatestMailbox<int> box;
  box.put(value(1));
  const auto held = box.takeNew();
  for (int i = 2; i < 100; ++i) box.put(value(i));
  REQUIRE(held);
  CHECK(*held == 1);
  CHECK(*box.peek() == 99);
}

TEST_CASE("the previous value is released outside the lock", "[core][mailbox]") {
  // The replaced value's destructor reads the mailbox; if put() released it while holding its
  // lock this would deadlock.
  LatestMailbox<int> box;
  bool destroyedAndPeeked = false;
  box.put(std::shared_ptr<const int>(new int(1), [&](const int* p) {
    destroyedAndPeeked = box.peek() != nullptr;
    delete p;
  }));
  box.put(value(2));
  CHECK(destroyedAndPeeked);
}

TEST_CASE("a writer never waits for a slow reader", "[core][mailbox]") {
  using namespace std::chrono_literals;
  constexpr int kWrites = 20000;
  LatestMailbox<int> box;

  std::mutex m;
  std::condition_variable cv;
  bool readerHolding = false;
  bool writerDone = false;

  // The reader takes a value and then "works" on it until the writer has finished every write:
  // if any put() waited for the reader, the writer could never finish and the wait times out.
  std::thread reader([&] {
    while (!box.takeNew()) std::this_thread::yield();
    std::unique_lock lock(m);
    readerHolding = true;
    cv.notify_all();
    cv.wait_for(lock, 10s, [&] { return writerDone; });
  });

  box.put(value(0));
  {
    std::unique_lock lock(m);
    REQUIRE(cv.wait_for(lock, 10s, [&] { return readerHolding; }));
  }
  for (int i = 1; i <= kWrites; ++i) box.put(value(i));
  {
    std::lock_guard lock(m);
    writerDone = true;
  }
  cv.notify_all();
  reader.join();

  // Value 0 was taken; 1..kWrites-1 were overwritten unread; kWrites waits to be taken.
  CHECK(box.counters().written == kWrites + 1);
  CHECK(box.counters().dropped == kWrites - 1);
  const auto last = box.takeNew();
  REQUIRE(last);
  CHECK(*last == kWrites);
}

TEST_CASE("concurrent writer and reader: values in order, every write read or dropped",
          "[core][mailbox]") {
  constexpr int kWrites = 100000;
  LatestMailbox<int> box;
  std::atomic<bool> writerDone = false;
  std::uint64_t taken = 0;
  bool inOrder = true;

  std::thread reader([&] {
    int previous = -1;
    const auto consume = [&](const std::shared_ptr<const int>& v) {
      if (*v <= previous) inOrder = false;
      previous = *v;
      ++taken;
    };
    while (!writerDone.load()) {
      if (auto v = box.takeNew()) consume(v);
    }
    if (auto v = box.takeNew()) consume(v);  // whatever the last write left
  });
  std::thread writer([&] {
    for (int i = 0; i < kWrites; ++i) box.put(value(i));
    writerDone = true;
  });
  writer.join();
  reader.join();

  CHECK(inOrder);
  CHECK(taken >= 1);
  CHECK(box.counters().written == kWrites);
  CHECK(taken + box.counters().dropped == kWrites);
  REQUIRE(box.peek());
  CHECK(*box.peek() == kWrites - 1);
}
