// A WHIP participant's clock: the join page's exchange wins over the Sender Reports while it
// is fresh, the Sender Reports take over when it goes quiet, and the page is rate limited.
#include "ingest/clock_sync.hpp"

#include <catch2/catch.hpp>

#include <memory>

using namespace tessera;
using ingest::ClockExchangeOutcome;
using ingest::ClockSync;

namespace {
constexpr std::int64_t kMs = 1'000'000;
constexpr std::int64_t kS = 1'000'000'000;
constexpr std::int64_t kStart = 1'700'000'000 * kS;

// A round of a page whose clock runs `offset` ahead, 5 ms each way, sent at server time `at`.
core::ExchangeSample round(std::int64_t at, std::int64_t offset) {
  return {at + offset, at + 5 * kMs, at + 5 * kMs, at + 10 * kMs + offset};
}

std::optional<double> offsetMs(const core::FeedChannel& c) {
  return c.syncStatus(std::chrono::milliseconds(500), std::chrono::seconds(1)).clockOffsetMs;
}
}  // namespace

TEST_CASE("the join page's exchange wins over the Sender Reports while fresh",
          "[ingest][clock_sync]") {
  auto channel = std::make_shared<core::FeedChannel>(core::FeedId{3}, core::FeedSource::kWhip, "");
  // A frame with the sender's time, so the channel reports which estimate it uses.
  auto frame = std::make_shared<core::VideoFrame>();
  frame->arrival = core::Clock::now();
  channel->pushFrame(frame, {core::FrameTiming::Kind::kSender, kStart}, 8, 8);
  ClockSync sync(channel);
  auto estimate = [&] {
    return channel->syncStatus(std::chrono::milliseconds(500), std::chrono::seconds(1)).clock;
  };

  // Sender Reports 20 ms on their way, sender clock 700 ms ahead: offset 680 ms.
  for (int i = 0; i < 5; ++i)
    sync.onSenderReport(kStart + i * kS + 700 * kMs, kStart + i * kS + 20 * kMs);
  CHECK(estimate() == core::ClockEstimate::kSrArrival);
  CHECK(*offsetMs(*channel) == Approx(680).margin(0.01));

  // The page: 700 ms exactly (its symmetric round trip cancels out).
  std::int64_t t = kStart + 5 * kS;
  const auto first = sync.onExchange(round(t, 700 * kMs), t + 10 * kMs);
  CHECK(first.roundAccepted);
  CHECK(first.next == ClockSync::kBurstInterval);
  CHECK(estimate() == core::ClockEstimate::kExchange);
  CHECK(*offsetMs(*channel) == Approx(700).margin(0.01));
  // Later Sender Reports do not override it.
  sync.onSenderReport(t + kS + 700 * kMs, t + kS + 20 * kMs);
  CHECK(estimate() == core::ClockEstimate::kExchange);

  // After the burst the page comes back every few seconds.
  ClockExchangeOutcome out;
  for (int i = 1; i < ClockSync::kBurstRounds; ++i) {
    t += 100 * kMs;
    out = sync.onExchange(round(t, 700 * kMs), t + 10 * kMs);
  }
  CHECK(out.next == ClockSync::kSteadyInterval);
  REQUIRE(out.offsetMs);
  CHECK(*out.offsetMs == Approx(700).margin(0.01));

  // The page goes quiet for longer than kExchangeFresh: the Sender Reports take over.
  t += std::chrono::nanoseconds(ClockSync::kExchangeFresh).count() + kS;
  sync.onSenderReport(t + 700 * kMs, t + 20 * kMs);
  CHECK(estimate() == core::ClockEstimate::kSrArrival);
}

TEST_CASE("the clock exchange is rate limited per participant", "[ingest][clock_sync]") {
  auto channel = std::make_shared<core::FeedChannel>(core::FeedId{4}, core::FeedSource::kWhip, "");
  ClockSync sync(channel);
  const std::int64_t t = kStart;
  int allowed = 0;
  ClockExchangeOutcome last;
  for (int i = 0; i < 40; ++i) {  // 40 requests within 40 ms
    last = sync.onExchange(std::nullopt, t + i * kMs);
    if (last.status == ClockExchangeOutcome::Status::kOk) ++allowed;
  }
  CHECK(allowed == ClockSync::kBucket);
  CHECK(last.status == ClockExchangeOutcome::Status::kRateLimited);
  CHECK(last.retryAfter.count() >= 1);
  // A refill period later one more is allowed.
  const auto later = t + 40 * kMs + std::chrono::nanoseconds(ClockSync::kRefill).count();
  CHECK(sync.onExchange(std::nullopt, later).status == ClockExchangeOutcome::Status::kOk);
  CHECK(sync.onExchange(std::nullopt, later).status == ClockExchangeOutcome::Status::kRateLimited);
  // An impossible round is not taken (and answers no estimate).
  const auto bad = sync.onExchange(core::ExchangeSample{t, t, t, t - kS}, later + 10 * kS);
  CHECK_FALSE(bad.roundAccepted);
  CHECK_FALSE(bad.offsetMs);
}
