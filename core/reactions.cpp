#include "core/reactions.hpp"

#include <algorithm>
#include <cmath>

namespace tessera::core {
namespace {

// The smoothed rate `dt` after a moment at which it was `rate`.
double decayed(double rate, Clock::duration dt) {
  const double seconds = std::max(0.0, std::chrono::duration<double>(dt).count());
  return rate * std::exp(-seconds / kReactionTimeConstant.count());
}

}  // namespace

const char* toString(ReactionKind kind) {
  switch (kind) {
    case ReactionKind::kHeart:
      return "heart";
    case ReactionKind::kClap:
      return "clap";
    case ReactionKind::kWow:
      return "wow";
    case ReactionKind::kFire:
      return "fire";
  }
  return "?";
}

std::optional<ReactionKind> reactionKindFrom(std::string_view name) {
  for (const ReactionKind kind : kAllReactionKinds) {
    if (name == toString(kind)) return kind;
  }
  return std::nullopt;
}

double ReactionSnapshot::ratePerS(Clock::time_point now) const {
  if (total == 0) return 0;
  const double rate = decayed(ratePerSAtLast, now - last);
  return rate < kMinReactionRatePerS ? 0.0 : rate;
}

bool ReactionSnapshot::burstsAlive(Clock::time_point now) const {
  return !bursts.empty() && now - bursts.back().at < kReactionBurstLifetime;
}

ReactionTally::ReactionTally() {
  mPublished.put(std::make_shared<const ReactionSnapshot>());
}

void ReactionTally::add(ReactionKind kind, Clock::time_point at) {
  std::lock_guard lock(mWriteMutex);
  ReactionSnapshot& s = mState;
  if (s.total > 0) at = std::max(at, s.last);
  const double before = s.total > 0 ? decayed(s.ratePerSAtLast, at - s.last) : 0.0;
  s.ratePerSAtLast = before + 1.0 / kReactionTimeConstant.count();
  s.last = at;
  ++s.counts[static_cast<std::size_t>(kind)];
  ++s.total;
  if (s.bursts.size() >= kMaxReactionBursts) s.bursts.erase(s.bursts.begin());
  s.bursts.push_back({kind, at, s.total});
  mPublished.put(std::make_shared<const ReactionSnapshot>(s));
}

}  // namespace tessera::core
