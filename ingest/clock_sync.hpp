// Ties one WHIP participant's clock to the server's (docs/architecture.md, "Time"). The join
// page's clock exchanges (POST /whip/{id}/clock) are the better estimate: its round trips bound
// the error. Other WHIP clients (OBS, GStreamer) only send RTCP Sender Reports: their arrival
// gives the offset up to the smallest one-way delay. The exchange wins while it is fresh; the
// chosen estimate is written to the feed's channel, which maps the frames' sender times.
//
// Threads: onSenderReport runs on a GStreamer streaming thread (RTCP), onExchange on the
// main-loop thread; one mutex, held for a few microseconds, guards everything.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>

#include "core/clock_offset.hpp"
#include "core/feed_channel.hpp"

namespace tessera::ingest {

struct ClockExchangeOutcome {
  enum class Status { kOk, kRateLimited };
  Status status = Status::kOk;
  bool roundAccepted = false;          // the completed round reached the estimator
  std::optional<double> offsetMs;      // the exchange estimate now (page clock minus server's)
  std::chrono::milliseconds next{0};   // when the page should come back
  std::chrono::seconds retryAfter{0};  // kRateLimited: when a request is allowed again
};

class ClockSync {
 public:
  // The first rounds come a second apart, then one every kSteadyInterval: a round costs about
  // 950 bytes with Chromium's request headers, so never more than 1 kB in any second.
  static constexpr int kBurstRounds = 5;
  static constexpr std::chrono::milliseconds kBurstInterval{1000};
  static constexpr std::chrono::milliseconds kSteadyInterval{3000};
  // The rate limit: a bucket of this many requests, one more every kRefill.
  static constexpr int kBucket = 12;
  static constexpr std::chrono::milliseconds kRefill{1000};
  // An exchange estimate not refreshed for this long yields to the Sender Reports.
  static constexpr std::chrono::seconds kExchangeFresh{60};

  explicit ClockSync(std::shared_ptr<core::FeedChannel> channel);

  // A Sender Report's NTP time (Unix ns) and its arrival on the server's wall clock.
  void onSenderReport(std::int64_t senderUnixNs, std::int64_t arrivalUnixNs);
  // A request of the join page at server time `nowUnixNs`, with the round it completed (if
  // any). Rate limited per participant.
  ClockExchangeOutcome onExchange(const std::optional<core::ExchangeSample>& round,
                                  std::int64_t nowUnixNs);

 private:
  bool takeTokenLocked(std::int64_t nowUnixNs, std::chrono::seconds* retryAfter);
  void publishLocked(std::int64_t nowUnixNs);

  const std::shared_ptr<core::FeedChannel> mChannel;
  std::mutex mMutex;
  core::ExchangeOffsetEstimator mExchange;
  core::OneWayOffsetEstimator mSenderReports;
  std::int64_t mLastExchangeNs = 0;  // server Unix ns of the last accepted round
  int mRounds = 0;                   // accepted rounds
  double mTokens = kBucket;
  std::int64_t mTokensAtNs = 0;
  core::ClockEstimate mPublished = core::ClockEstimate::kNone;
};

}  // namespace tessera::ingest
