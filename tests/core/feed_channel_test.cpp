#include "core/feed_channel.hpp"

#include "core/time.hpp"

#include <catch2/catch.hpp>

#include "tests/support/frames.hpp"

using namespace std::chrono_literals;
using tessera::core::FeedChannel;
using tessera::core::FeedId;
using tessera::core::FeedSource;
using tessera::core::FeedState;

namespace {

using Clock = std::chrono::steady_clock;

std::shared_ptr<tessera::core::VideoFrame> frameAt(Clock::time_point arrival,
                                                   std::uint64_t sequence) {
  auto f = tessera::test::solidFrame(4, 4, tessera::test::kRed);
  f->arrival = arrival;
  f->sequence = sequence;
  return f;
}

}  // namespace

TEST_CASE("a channel goes live with its first frame and reports source size and fps",
          "[core][channel]") {
  FeedChannel channel(FeedId{7}, FeedSource::kPull, "file:///x.mp4");
  CHECK(channel.id() == FeedId{7});
  CHECK(channel.source() == FeedSource::kPull);
  CHECK(channel.uri() == "file:///x.mp4");
  CHECK_FALSE(channel.hasFrame());
  CHECK(channel.status().state == FeedState::kConnecting);

  // Frames 40 ms apart (25 fps) for two seconds, with chosen arrival times.
  const auto t0 = Clock::now();
  for (int i = 0; i <= 50; ++i) {
    channel.pushFrame(frameAt(t0 + i * 40ms, static_cast<std::uint64_t>(i + 1)), 640, 360);
  }
  const auto s = channel.status(t0 + 50 * 40ms);
  CHECK(channel.hasFrame());
  CHECK(s.state == FeedState::kLive);
  CHECK(s.sourceWidth == 640);
  CHECK(s.sourceHeight == 360);
  CHECK(s.frames == 51);
  CHECK(s.fps == Approx(25.0).epsilon(0.05));
  // Nobody picked: the ring keeps its newest 40, the 11 pushed out count as dropped.
  CHECK(s.dropped == 51 - FeedChannel::kDefaultRingFrames);
  REQUIRE(channel.newest());
  CHECK(channel.newest()->sequence == 51);
}

TEST_CASE("video held back undecoded keeps a feed alive", "[core][channel]") {
  FeedChannel channel(FeedId{1}, FeedSource::kWhip, "");
  CHECK_FALSE(channel.lastActivityAt());
  channel.setState(FeedState::kLive);
  const auto t0 = Clock::now();
  channel.pushFrame(frameAt(t0, 1), 4, 4);
  CHECK(channel.lastActivityAt() == t0);
  // Hidden: its delta frames are dropped before the decoder, no frame comes.
  channel.noteMediaHeldBack();
  const auto held = channel.lastActivityAt();
  REQUIRE(held);
  CHECK(*held > t0);
  CHECK(channel.lastFrameAt() == t0);
  CHECK(channel.status(*held + 1s).state == FeedState::kLive);
  CHECK(channel.status(*held + 3s).state == FeedState::kFrozen);
}

TEST_CASE("a live channel without frames is reported frozen, with no fps", "[core][channel]") {
  FeedChannel channel(FeedId{1}, FeedSource::kSynthetic, "");
  const auto t0 = Clock::now();
  for (int i = 0; i <= 30; ++i) channel.pushFrame(frameAt(t0 + i * 50ms, i + 1u), 4, 4);
  const auto last = t0 + 30 * 50ms;
  CHECK(channel.status(last + FeedChannel::kFrozenAfter - 10ms).state == FeedState::kLive);
  const auto frozen = channel.status(last + FeedChannel::kFrozenAfter + 10ms);
  CHECK(frozen.state == FeedState::kFrozen);
  CHECK(frozen.fps == 0);
  // A new frame brings it back.
  channel.pushFrame(frameAt(last + 3s, 32), 4, 4);
  CHECK(channel.status(last + 3s).state == FeedState::kLive);
}

TEST_CASE("state changes keep the last error and count restarts", "[core][channel]") {
  FeedChannel channel(FeedId{2}, FeedSource::kPull, "rtsp://camera/1");
  channel.setState(FeedState::kRetrying, "src: could not connect");
  channel.countRestart();
  channel.countRestart();
  auto s = channel.status();
  CHECK(s.state == FeedState::kRetrying);
  CHECK(s.lastError == "src: could not connect");
  CHECK(s.restarts == 2);
  // A frame after a retry means the feed is back; the last error stays for the operator.
  channel.pushFrame(frameAt(Clock::now(), 1), 4, 4);
  s = channel.status();
  CHECK(s.state == FeedState::kLive);
  CHECK(s.lastError == "src: could not connect");
  // Gone is final: frames still in flight do not revive it.
  channel.setState(FeedState::kGone);
  channel.pushFrame(frameAt(Clock::now(), 2), 4, 4);
  CHECK(channel.status().state == FeedState::kGone);
}

namespace {
using tessera::core::ClockEstimate;
using tessera::core::FrameTiming;
using tessera::core::SyncState;

std::int64_t monotonicNs(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

// Frame `i` (sequence i + 1) of a 30 fps feed on its own timeline: captured at t0 + i * 33 ms,
// arriving `late` after that.
void pushTimelineFrame(FeedChannel& c, Clock::time_point t0, int i,
                       std::chrono::milliseconds late) {
  const auto capture = t0 + i * 33ms;
  c.pushFrame(frameAt(capture + late, static_cast<std::uint64_t>(i + 1)),
              FrameTiming{FrameTiming::Kind::kTimeline, monotonicNs(capture)}, 4, 4);
}
}  // namespace

TEST_CASE("capture times come from the source's timing and the offsets", "[core][channel]") {
  const auto t0 = Clock::now();
  SECTION("no timing: capture is arrival, unsynced") {
    FeedChannel c(FeedId{1}, FeedSource::kPull, "rtsp://x");
    c.pushFrame(frameAt(t0, 1), 4, 4);
    CHECK(c.newest()->capture == t0);
    CHECK_FALSE(c.synced());
    CHECK(c.syncStatus(100ms, 1s).state == SyncState::kUnsynced);
    CHECK(c.syncStatus(100ms, 1s).clock == ClockEstimate::kNone);
  }
  SECTION("own timeline (synthetic, files): capture is base time + running time") {
    FeedChannel c(FeedId{1}, FeedSource::kSynthetic, "");
    c.pushFrame(frameAt(t0, 1), FrameTiming{FrameTiming::Kind::kTimeline, monotonicNs(t0 - 12ms)},
                4, 4);
    CHECK(c.newest()->capture == t0 - 12ms);
    CHECK(c.synced());
    const auto s = c.syncStatus(100ms, 1s);
    CHECK(s.state == SyncState::kAligned);
    CHECK(s.clock == ClockEstimate::kTimeline);
    CHECK(s.latencyMsP50 == Approx(12));
  }
  SECTION("a sender's clock: unsynced until its offset is known, then mapped") {
    FeedChannel c(FeedId{1}, FeedSource::kWhip, "");
    // The phone's clock runs 3.5 s ahead of the server's; the frame was taken 400 ms before it
    // arrived.
    const std::int64_t ahead = 3'500'000'000;
    const std::int64_t sender = tessera::core::toUnixNs(t0 - 400ms) + ahead;
    c.pushFrame(frameAt(t0, 1), FrameTiming{FrameTiming::Kind::kSender, sender}, 4, 4);
    CHECK(c.newest()->capture == t0);
    CHECK_FALSE(c.synced());
    c.setClockOffset(ahead, ClockEstimate::kExchange);
    c.pushFrame(frameAt(t0 + 33ms, 2), FrameTiming{FrameTiming::Kind::kSender, sender + 33'000'000},
                4, 4);
    const auto capture = c.newest()->capture;
    CHECK(std::chrono::abs(capture - (t0 + 33ms - 400ms)) < 1us);
    CHECK(c.synced());
    const auto s = c.syncStatus(500ms, 1s);
    CHECK(s.clock == ClockEstimate::kExchange);
    REQUIRE(s.clockOffsetMs);
    CHECK(*s.clockOffsetMs == Approx(3500));
    CHECK(s.latencyMsP50 == Approx(400).margin(0.01));
    CHECK(s.state == SyncState::kAligned);
    // The same feed against a 300 ms playout delay cannot be aligned: late.
    CHECK(c.syncStatus(300ms, 1s).state == SyncState::kLate);
    // And beyond max_delay it is late whatever the delay.
    CHECK(c.syncStatus(500ms, 350ms).state == SyncState::kLate);
  }
  SECTION("offset_ms and a cue's correction are added; a cue aligns a feed without timing") {
    FeedChannel c(FeedId{1}, FeedSource::kPull, "rtsp://x");
    c.setConfigOffset(-200ms);
    c.pushFrame(frameAt(t0, 1), 4, 4);
    CHECK(c.newest()->capture == t0 - 200ms);
    CHECK_FALSE(c.synced());
    c.setCueOffset(-150ms);
    c.pushFrame(frameAt(t0 + 40ms, 2), 4, 4);
    CHECK(c.newest()->capture == t0 + 40ms - 350ms);
    CHECK(c.synced());
    const auto s = c.syncStatus(400ms, 1s);
    CHECK(s.state == SyncState::kAligned);
    REQUIRE(s.cueOffsetMs);
    CHECK(*s.cueOffsetMs == Approx(-150));
    CHECK(s.configOffsetMs == Approx(-200));
    CHECK(s.latencyMsP50 == Approx(350));
  }
}

TEST_CASE("the playout picks by capture time and frees what it no longer needs",
          "[core][channel]") {
  const auto t0 = Clock::now();
  FeedChannel c(FeedId{1}, FeedSource::kSynthetic, "", 16);
  // 30 fps frames captured 0..330 ms, each arriving 200 ms after capture.
  for (int i = 0; i <= 10; ++i) {
    pushTimelineFrame(c, t0, i, 200ms);
  }
  const auto now = t0 + 330ms + 200ms;
  // delay 300 ms: the instant now - 300 = t0 + 230 ms; nearest capture is frame 8 (231 ms).
  auto p = c.pick(now, 300ms, 1s, true);
  REQUIRE(p.frame);
  CHECK(p.aligned);
  CHECK(p.frame->sequence == 8);
  // The pick releases nothing itself (the render thread never unmaps buffers): the next pushes
  // drop the frames before the target (less a 20 ms margin), a few per push.
  CHECK(c.recentFrames().size() == 11);
  auto pushNext = [&](int i) { pushTimelineFrame(c, t0, i, 200ms); };
  pushNext(11);
  pushNext(12);
  // Frame 7 (198 ms) is the last one at or before 230 - 20 ms: it and the later ones stay.
  CHECK(c.recentFrames().front()->sequence == 7);
  CHECK(c.recentFrames().back()->sequence == 13);
  // Sync off: the newest frame, and the ring keeps only it after the next pushes.
  p = c.pick(now, 300ms, 1s, false);
  CHECK_FALSE(p.aligned);
  CHECK(p.frame->sequence == 13);
  pushNext(13);
  pushNext(14);
  CHECK(c.recentFrames().size() == 1);
  CHECK(c.recentFrames().front()->sequence == 15);
}

TEST_CASE("a feed later than max_delay is drawn with its newest frame", "[core][channel]") {
  const auto t0 = Clock::now();
  FeedChannel c(FeedId{1}, FeedSource::kSynthetic, "");
  for (int i = 0; i < 20; ++i) {
    pushTimelineFrame(c, t0, i, 1500ms);
  }
  const auto p = c.pick(t0 + 19 * 33ms + 1500ms, 200ms, 1s, true);
  CHECK_FALSE(p.aligned);
  CHECK(p.frame->sequence == 20);
  CHECK(c.syncStatus(200ms, 1s).state == SyncState::kLate);
}

TEST_CASE("recording keeps every frame for a reader however the playout trims the ring",
          "[core][channel]") {
  FeedChannel c(FeedId{1}, FeedSource::kPull, "x", 4);
  const auto t0 = Clock::now();
  c.pushFrame(frameAt(t0, 1), 4, 4);
  CHECK(c.takeRecorded().empty());  // not recording yet
  c.recordFrames(true);
  for (int i = 2; i <= 6; ++i) {
    c.pushFrame(frameAt(t0 + (i - 1) * 33ms, static_cast<std::uint64_t>(i)), 4, 4);
    c.pick(t0 + i * 33ms, 0ms, 1000ms, false);  // the playout keeps only the newest
  }
  auto taken = c.takeRecorded();
  REQUIRE(taken.size() == 5);
  CHECK(taken.front()->sequence == 2);
  CHECK(taken.back()->sequence == 6);
  CHECK(c.takeRecorded().empty());
  // Bounded: the oldest go.
  for (std::uint64_t i = 0; i < FeedChannel::kMaxRecordedFrames + 10; ++i) {
    c.pushFrame(frameAt(t0 + 1s, 100 + i), 4, 4);
  }
  taken = c.takeRecorded();
  CHECK(taken.size() == FeedChannel::kMaxRecordedFrames);
  CHECK(taken.front()->sequence == 110);
  c.recordFrames(false);
  c.pushFrame(frameAt(t0 + 2s, 1000), 4, 4);
  CHECK(c.takeRecorded().empty());
}

TEST_CASE("a room feed later than the delay but within max_delay is not counted as aligned",
          "[core][channel]") {
  const auto t0 = Clock::now();
  FeedChannel c(FeedId{1}, FeedSource::kWhip, "");
  c.setClockOffset(0, ClockEstimate::kExchange);
  CHECK_FALSE(c.setsPlayoutDelay());  // no latency measured yet
  for (int i = 0; i < 20; ++i) {
    const auto capture = t0 + i * 33ms;
    c.pushFrame(frameAt(capture + 400ms, static_cast<std::uint64_t>(i + 1)),
                FrameTiming{FrameTiming::Kind::kSender, tessera::core::toUnixNs(capture)}, 4, 4);
  }
  CHECK(c.setsPlayoutDelay());
  // Delay 200 ms: the instant drawn has not arrived yet; the nearest frame is the newest.
  const auto p = c.pick(t0 + 19 * 33ms + 400ms, 200ms, 1s, true);
  REQUIRE(p.frame);
  CHECK(p.frame->sequence == 20);
  CHECK_FALSE(p.aligned);
  CHECK(c.syncStatus(200ms, 1s).state == SyncState::kLate);
  // Once the delay covers it, it is.
  CHECK(c.pick(t0 + 19 * 33ms + 400ms, 450ms, 1s, true).aligned);
  CHECK(c.syncStatus(450ms, 1s).state == SyncState::kAligned);
}

TEST_CASE("the render thread's picks never wait for a channel a feed thread holds",
          "[core][channel]") {
  const auto t0 = Clock::now();
  FeedChannel c(FeedId{1}, FeedSource::kWhip, "");
  c.setClockOffset(0, ClockEstimate::kExchange);
  for (int i = 0; i < 10; ++i) {
    const auto capture = t0 + i * 33ms;
    c.pushFrame(frameAt(capture + 100ms, static_cast<std::uint64_t>(i + 1)),
                FrameTiming{FrameTiming::Kind::kSender, tessera::core::toUnixNs(capture)}, 4, 4);
  }
  const auto now = t0 + 9 * 33ms + 100ms;
  {
    // A streaming thread inside pushFrame (preempted there: it runs in the idle class).
    auto held = c.lockForTest();
    CHECK_FALSE(c.tryPick(now, 150ms, 1s, true).has_value());
    std::optional<double> busy;
    CHECK_FALSE(c.tryPlayoutNeedMs(&busy));
  }
  const auto p = c.tryPick(now, 150ms, 1s, true);
  REQUIRE(p.has_value());
  REQUIRE(p->frame);
  CHECK(p->aligned);
  CHECK(p->frame->sequence == 8);  // captured at 7 x 33 = 231 ms, nearest 297 - 50 = 247 ms
  // Its need: 100 ms of latency and half a frame (its rate is not known within a second: 30).
  std::optional<double> need;
  REQUIRE(c.tryPlayoutNeedMs(&need));
  REQUIRE(need.has_value());
  CHECK(*need == Approx(100 + 500.0 / 30).margin(1));
}

TEST_CASE("the main loop's and analysis's reads never wait for a channel a feed thread holds",
          "[core][channel]") {
  const auto t0 = Clock::now();
  FeedChannel c(FeedId{1}, FeedSource::kWhip, "");
  c.setState(FeedState::kLive);
  c.setClockOffset(0, ClockEstimate::kExchange);
  for (int i = 0; i < 5; ++i) {
    const auto capture = t0 + i * 33ms;
    c.pushFrame(frameAt(capture + 100ms, static_cast<std::uint64_t>(i + 1)),
                FrameTiming{FrameTiming::Kind::kSender, tessera::core::toUnixNs(capture)}, 4, 4);
  }
  const tessera::core::FeedStatus before = c.status(t0 + 300ms);
  const tessera::core::SyncStatus syncBefore = c.syncStatus(150ms, 1s);
  CHECK(before.frames == 5);
  {
    // A streaming thread inside pushFrame, preempted there (the idle class on a busy machine).
    auto held = c.lockForTest();
    const auto start = std::chrono::steady_clock::now();
    // The last status, with what can be read without the lock: still live, then frozen.
    const tessera::core::FeedStatus busy = c.status(t0 + 300ms);
    CHECK(busy.state == FeedState::kLive);
    CHECK(busy.frames == before.frames);
    CHECK(c.status(t0 + 4 * 33ms + 100ms + FeedChannel::kFrozenAfter + 1ms).state ==
          FeedState::kFrozen);
    CHECK(c.syncStatus(150ms, 1s).latencyMsP50 == syncBefore.latencyMsP50);
    CHECK(c.hasFrame());
    REQUIRE(c.lastFrameAt().has_value());
    CHECK(*c.lastFrameAt() == t0 + 4 * 33ms + 100ms);
    CHECK(c.lastActivityAt() == c.lastFrameAt());
    CHECK_FALSE(c.tryNewest().has_value());
    // None of it waited (the lock is still held).
    CHECK(std::chrono::steady_clock::now() - start < 1s);
  }
  const auto newest = c.tryNewest();
  REQUIRE(newest.has_value());
  REQUIRE(*newest);
  CHECK((*newest)->sequence == 5);
}

TEST_CASE("an own timeline neither sets the auto delay nor is late for a shorter one",
          "[core][channel]") {
  const auto t0 = Clock::now();
  FeedChannel c(FeedId{1}, FeedSource::kPull, "file:///clip.mp4");
  // A file decoder that falls 400 ms behind its own timeline.
  for (int i = 0; i < 20; ++i) {
    pushTimelineFrame(c, t0, i, 400ms);
  }
  CHECK(c.synced());
  CHECK_FALSE(c.setsPlayoutDelay());
  const auto p = c.pick(t0 + 19 * 33ms + 400ms, 17ms, 1s, true);
  REQUIRE(p.frame);
  CHECK(p.frame->sequence == 20);  // drawn as it comes
  CHECK_FALSE(p.aligned);          // 383 ms from the instant drawn: not in step
  CHECK(c.syncStatus(17ms, 1s).state == SyncState::kAligned);
  // Beyond max_delay it is late like any feed.
  CHECK(c.syncStatus(17ms, 300ms).state == SyncState::kLate);
  // A cue that measured it makes it a room feed: it then counts.
  c.setCueOffset(-400ms);
  pushTimelineFrame(c, t0, 20, 400ms);
  CHECK(c.setsPlayoutDelay());
}

TEST_CASE("a feed whose newest frame is far behind the instant drawn is not in step",
          "[core][channel]") {
  const auto t0 = Clock::now();
  FeedChannel c(FeedId{1}, FeedSource::kSynthetic, "");
  for (int i = 0; i < 10; ++i) {
    pushTimelineFrame(c, t0, i, 0ms);
  }
  // In step while frames keep coming; then the feed stalls (a starved thread) for 2 s.
  CHECK(c.pick(t0 + 9 * 33ms + 100ms, 100ms, 1s, true).aligned);
  const auto p = c.pick(t0 + 9 * 33ms + 2s, 100ms, 1s, true);
  CHECK(p.frame->sequence == 10);
  CHECK_FALSE(p.aligned);
}
