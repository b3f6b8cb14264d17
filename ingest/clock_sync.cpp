#include "ingest/clock_sync.hpp"

#include <algorithm>

#include "core/log.hpp"

namespace tessera::ingest {
namespace {
constexpr const char* kModule = "whip";
constexpr std::int64_t kNsPerMs = 1'000'000;
}  // namespace

ClockSync::ClockSync(std::shared_ptr<core::FeedChannel> channel) : mChannel(std::move(channel)) {}

void ClockSync::onSenderReport(std::int64_t senderUnixNs, std::int64_t arrivalUnixNs) {
  std::lock_guard lock(mMutex);
  mSenderReports.add(senderUnixNs, arrivalUnixNs);
  publishLocked(arrivalUnixNs);
}

ClockExchangeOutcome ClockSync::onExchange(const std::optional<core::ExchangeSample>& round,
                                           std::int64_t nowUnixNs) {
  std::lock_guard lock(mMutex);
  ClockExchangeOutcome out;
  if (!takeTokenLocked(nowUnixNs, &out.retryAfter)) {
    out.status = ClockExchangeOutcome::Status::kRateLimited;
    return out;
  }
  if (round && mExchange.add(*round)) {
    out.roundAccepted = true;
    ++mRounds;
    mLastExchangeNs = nowUnixNs;
    publishLocked(nowUnixNs);
  }
  if (const auto& e = mExchange.estimate()) {
    out.offsetMs = static_cast<double>(e->offsetAt(nowUnixNs)) / kNsPerMs;
  }
  // A few rounds a second apart (the minimum round trip of a few), then one every few seconds:
  // under 1 kB/s with the HTTP headers (docs/performance.md).
  out.next = mRounds < kBurstRounds ? kBurstInterval : kSteadyInterval;
  return out;
}

bool ClockSync::takeTokenLocked(std::int64_t nowUnixNs, std::chrono::seconds* retryAfter) {
  const double refillNs = static_cast<double>(kRefill.count()) * kNsPerMs;
  if (mTokensAtNs != 0 && nowUnixNs > mTokensAtNs) {
    mTokens = std::min<double>(kBucket,
                               mTokens + static_cast<double>(nowUnixNs - mTokensAtNs) / refillNs);
  }
  mTokensAtNs = std::max(mTokensAtNs, nowUnixNs);
  if (mTokens >= 1) {
    mTokens -= 1;
    return true;
  }
  const double waitNs = (1 - mTokens) * refillNs;
  *retryAfter = std::chrono::seconds(1 + static_cast<std::int64_t>(waitNs / 1e9));
  return false;
}

void ClockSync::publishLocked(std::int64_t nowUnixNs) {
  const auto& exchange = mExchange.estimate();
  const bool fresh =
      exchange && nowUnixNs - mLastExchangeNs < std::chrono::nanoseconds(kExchangeFresh).count();
  const auto& chosen = fresh ? exchange : mSenderReports.estimate();
  if (!chosen) return;
  const auto how = fresh ? core::ClockEstimate::kExchange : core::ClockEstimate::kSrArrival;
  const std::int64_t offsetNs = chosen->offsetAt(nowUnixNs);
  mChannel->setClockOffset(offsetNs, how);
  if (how != mPublished) {
    mPublished = how;
    if (fresh) {
      core::logInfo(kModule,
                    "feed {}: clock offset {:.1f} ms from the join page's exchange (best round "
                    "trip {:.1f} ms)",
                    mChannel->id().value, static_cast<double>(offsetNs) / kNsPerMs,
                    static_cast<double>(chosen->bestCostNs) / kNsPerMs);
    } else {
      core::logInfo(kModule, "feed {}: clock offset {:.1f} ms from the Sender Reports' arrival",
                    mChannel->id().value, static_cast<double>(offsetNs) / kNsPerMs);
    }
  }
}

}  // namespace tessera::ingest
