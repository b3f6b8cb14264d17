// Viewers' reactions (POST /api/v1/reactions): counts per kind, a smoothed rate (what shaders
// read as CROWD_REACTIONS) and the recent reactions the canvas draws as bursts.
//
// The rate is an exponentially weighted count: each reaction adds 1/tau to it and it decays as
// exp(-t/tau) with tau = kReactionTimeConstant (2 s), so a steady R reactions per second reads
// R on average, a single tap reads 0.5 at once, and it is back under 1 % of its value 10 s after
// the last one. Below kMinReactionRatePerS it reads 0.
//
// Threads: add() from any thread (control/ calls it on the main-loop thread); snapshot() from any
// thread. A reader takes a shared_ptr to an immutable snapshot under a lock held only for the
// copy (core::LatestMailbox), so the render thread never waits on a writer's work.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <vector>

#include "core/mailbox.hpp"
#include "core/time.hpp"

namespace tessera::core {

enum class ReactionKind : std::uint8_t { kHeart, kClap, kWow, kFire };
inline constexpr std::size_t kReactionKinds = 4;
inline constexpr std::array<ReactionKind, kReactionKinds> kAllReactionKinds = {
    ReactionKind::kHeart, ReactionKind::kClap, ReactionKind::kWow, ReactionKind::kFire};

const char* toString(ReactionKind kind);
// "heart" | "clap" | "wow" | "fire" (exact spelling); nullopt for anything else.
std::optional<ReactionKind> reactionKindFrom(std::string_view name);

inline constexpr std::chrono::duration<double> kReactionTimeConstant{2.0};
inline constexpr double kMinReactionRatePerS = 0.01;
// How long the canvas shows one reaction, and how many recent ones a snapshot keeps for it.
inline constexpr std::chrono::milliseconds kReactionBurstLifetime{2000};
inline constexpr std::size_t kMaxReactionBursts = 64;

struct ReactionBurst {
  ReactionKind kind = ReactionKind::kHeart;
  Clock::time_point at{};
  std::uint64_t sequence = 0;  // 1 for the first reaction of the run; places it on the canvas
};

// The tally at one instant; evaluated at any later time without touching the tally.
struct ReactionSnapshot {
  std::array<std::uint64_t, kReactionKinds> counts{};  // per kind, since start
  std::uint64_t total = 0;
  double ratePerSAtLast = 0;  // the smoothed rate just after the last reaction
  Clock::time_point last{};
  std::vector<ReactionBurst> bursts;  // the most recent, oldest first, at most kMaxReactionBursts

  // CROWD_REACTIONS at `now` (reactions per second, smoothed); 0 before the first reaction.
  double ratePerS(Clock::time_point now) const;
  // True while the newest burst is younger than kReactionBurstLifetime at `now`.
  bool burstsAlive(Clock::time_point now) const;
};

class ReactionTally {
 public:
  ReactionTally();
  // Counts one reaction at `at` (a reaction older than the last one counts as at the last one).
  void add(ReactionKind kind, Clock::time_point at);
  // The tally as of the last add(); never null.
  std::shared_ptr<const ReactionSnapshot> snapshot() const { return mPublished.peek(); }

 private:
  std::mutex mWriteMutex;   // orders writers; readers never take it
  ReactionSnapshot mState;  // guarded by mWriteMutex
  LatestMailbox<ReactionSnapshot> mPublished;
};

}  // namespace tessera::core
