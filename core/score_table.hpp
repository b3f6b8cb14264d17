// The latest scores of every feed, as one immutable snapshot: the seam between the analysis stage
// (which fills it) and the compositor (which reads it on the render thread).
//
// Threads: built by whoever collects analysis results (the server's main-loop thread), handed to
// the render thread whole through a LatestMailbox<ScoreTable>; never modified once published.
#pragma once

#include <cstdint>
#include <unordered_map>

#include "core/scores.hpp"
#include "core/types.hpp"

namespace tessera::core {

struct ScoreTable {
  std::uint64_t version = 0;  // increases with every table published
  std::unordered_map<FeedId, Scores> byFeed;

  // Null for a feed that has not been analysed yet.
  const Scores* find(FeedId id) const {
    const auto it = byFeed.find(id);
    return it == byFeed.end() ? nullptr : &it->second;
  }
};

}  // namespace tessera::core
