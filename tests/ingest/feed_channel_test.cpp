#include "ingest/feed_channel.hpp"

#include <catch2/catch.hpp>

#include "tests/support/frames.hpp"

using namespace std::chrono_literals;
using tessera::core::FeedId;
using tessera::core::FeedSource;
using tessera::core::FeedState;
using tessera::ingest::FeedChannel;

namespace {

using Clock = std::chrono::steady_clock;

tessera::core::FrameRef frameAt(Clock::time_point arrival, std::uint64_t sequence) {
  auto f = tessera::test::solidFrame(4, 4, tessera::test::kRed);
  f->arrival = arrival;
  f->sequence = sequence;
  return f;
}

}  // namespace

TEST_CASE("a channel goes live with its first frame and reports source size and fps",
          "[ingest][channel]") {
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
  CHECK(s.dropped == 50);  // nobody read the mailbox: every replaced frame counts as dropped
  REQUIRE(channel.frames().peek());
  CHECK(channel.frames().peek()->sequence == 51);
}

TEST_CASE("a live channel without frames is reported frozen, with no fps", "[ingest][channel]") {
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

TEST_CASE("state changes keep the last error and count restarts", "[ingest][channel]") {
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
