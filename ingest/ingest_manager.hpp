// Owns every feed: creates them from the installation, supervises them (a failed feed is
// reported and restarted with backoff) and publishes the table of feeds for the other threads.
//
// Thread: the main-loop thread. Other threads read only the published FeedTable snapshots.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/feed_channel.hpp"
#include "core/mailbox.hpp"
#include "ingest/feed.hpp"
#include "ingest/stall_check.hpp"
#include "platform/main_loop.hpp"
#include "platform/tls_trust.hpp"

namespace tessera::ingest {

class IngestManager final : public FeedListener {
 public:
  static constexpr std::chrono::milliseconds kFirstRetry{500};
  // A venue camera back after a power cut is retried within this (plus up to half of it as
  // jitter, see ingest/backoff.hpp).
  static constexpr std::chrono::milliseconds kMaxRetry{8000};
  // Synthetic participants move at most at this rate, like a phone camera on a busy network.
  static constexpr int kSyntheticMaxFps = 15;

  // `ringFrames`: how many recent frames each feed keeps for the playout (core::FeedChannel).
  IngestManager(core::IngestConfig config, int canvasFps,
                std::size_t ringFrames = core::FeedChannel::kDefaultRingFrames);
  ~IngestManager() override;
  IngestManager(const IngestManager&) = delete;
  IngestManager& operator=(const IngestManager&) = delete;

  // Adds the installation's synthetic and pulled feeds.
  void startConfiguredFeeds();
  // Adds one feed; nullopt (with `error`) when max_feeds is reached. A feed that fails to start
  // is kept and retried with backoff.
  std::optional<core::FeedId> addFeed(FeedSpec spec, std::string* error);
  // A feed whose media arrives by other means (a WHIP session owns its own pipeline): listed
  // and counted against max_feeds, not supervised here. Null (with `error`) at max_feeds.
  std::shared_ptr<core::FeedChannel> addExternalFeed(core::FeedSource source, std::string uri,
                                                     std::string* error);
  bool removeFeed(core::FeedId id);
  bool atCapacity() const { return mFeeds.size() >= static_cast<std::size_t>(mConfig.maxFeeds); }
  void removeAll();

  std::size_t size() const { return mFeeds.size(); }
  core::SizePx tileSize() const { return {mConfig.tileWidth, mConfig.tileHeight}; }
  core::FeedPriority feedPriority() const { return mConfig.feedPriority; }
  bool scaleToDrawn() const { return mConfig.scaleToDrawn; }
  core::LatestMailbox<core::FeedTable>& table() { return mTable; }

 private:
  struct Entry {
    std::shared_ptr<core::FeedChannel> channel;
    std::unique_ptr<Feed> feed;  // null for external feeds
    platform::Timer retry;
    int attempt = 0;
    std::chrono::steady_clock::time_point startedAt;
    std::chrono::steady_clock::time_point bitrateSince;
    StallWatch watch;  // stalled or starved, near and past its stall timeout
  };

  void onFeedFailed(core::FeedId id, const std::string& reason) override;
  // Installs the TLS trust (once, before the first TLS source starts) and tells it `pull`'s.
  void trustServer(const core::PullConfig& pull);
  // "TLS certificate not trusted: ..." when this attempt's server certificate was refused.
  std::optional<std::string> tlsRefusal(const Entry& e) const;
  void onFeedEnded(core::FeedId id) override;
  void restart(core::FeedId id);
  void followDrawnSizes();
  void checkStalls();
  void logStarved(const std::vector<core::FeedId>& ids);
  // Pulled feeds' bitrates, from the bytes their decoders took since the last call.
  void updateBitrates(std::chrono::steady_clock::time_point now);
  void publish();

  const core::IngestConfig mConfig;
  const int mFps;
  const std::size_t mRingFrames;
  std::uint32_t mNextId = 1;
  // Which TLS servers are trusted how; created with the first TLS source (none without one:
  // GIO's default database is then left alone). Outlives the feeds.
  std::unique_ptr<platform::TlsTrust> mTls;
  std::map<core::FeedId, Entry> mFeeds;  // ids grow, so map order is join order
  core::LatestMailbox<core::FeedTable> mTable;
  std::uint64_t mVersion = 0;
  std::minstd_rand mJitter{std::random_device{}()};  // retry jitter; main-loop thread only
  platform::Timer mWatchdog;                         // last member: stops before the feeds go
};

}  // namespace tessera::ingest
