#include "ingest/ingest_manager.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <vector>

#include "tests/ingest/ingest_fixtures.hpp"
#include "tests/support/wait.hpp"

using namespace std::chrono_literals;
using tessera::core::FeedChannel;
using tessera::core::FeedId;
using tessera::core::FeedSource;
using tessera::core::FeedState;
using tessera::core::IngestConfig;
using tessera::ingest::FeedSpec;
using tessera::ingest::IngestManager;
using tessera::ingest::testing::Clips;
using tessera::ingest::testing::kTile;
using tessera::ingest::testing::pull;
using tessera::ingest::testing::synthetic;
using tessera::test::fileUri;
using tessera::test::waitUntil;

namespace {

const tessera::platform::GstRuntime kGst;

IngestConfig config(int maxFeeds = 16) {
  IngestConfig c;
  c.maxFeeds = maxFeeds;
  c.tileWidth = kTile.width;
  c.tileHeight = kTile.height;
  return c;
}

std::vector<FeedId> tableIds(IngestManager& manager) {
  std::vector<FeedId> ids;
  const auto table = manager.table().peek();
  if (table) {
    for (const auto& c : table->feeds) ids.push_back(c->id());
  }
  return ids;
}

std::shared_ptr<FeedChannel> channelOf(IngestManager& manager, FeedId id) {
  const auto table = manager.table().peek();
  if (!table) return nullptr;
  for (const auto& c : table->feeds) {
    if (c->id() == id) return c;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("the feed table lists feeds in join order and drops removed ones", "[ingest][manager]") {
  IngestManager manager(config(), 30);
  auto initial = manager.table().peek();
  REQUIRE(initial);  // published at construction, empty
  CHECK(initial->feeds.empty());
  CHECK(manager.tileSize() == kTile);

  std::string error;
  const auto a = manager.addFeed(synthetic(0), &error);
  const auto b = manager.addFeed(synthetic(1), &error);
  const auto c = manager.addFeed(synthetic(2), &error);
  REQUIRE(a);
  REQUIRE(b);
  REQUIRE(c);
  CHECK(*a < *b);
  CHECK(*b < *c);
  CHECK(manager.size() == 3);
  CHECK(tableIds(manager) == std::vector<FeedId>{*a, *b, *c});
  const auto before = manager.table().peek();
  CHECK(before->version > initial->version);

  const auto removed = channelOf(manager, *b);
  REQUIRE(removed);
  CHECK(manager.removeFeed(*b));
  CHECK_FALSE(manager.removeFeed(*b));  // already gone
  CHECK(tableIds(manager) == std::vector<FeedId>{*a, *c});
  CHECK(manager.table().peek()->version > before->version);
  CHECK(removed->status().state == FeedState::kGone);
  // A snapshot once handed out does not change under its reader.
  CHECK(before->feeds.size() == 3);

  // Ids are never reused: a new feed joins at the end.
  const auto d = manager.addFeed(synthetic(3), &error);
  REQUIRE(d);
  CHECK(*d > *c);
  CHECK(tableIds(manager) == std::vector<FeedId>{*a, *c, *d});

  // The feeds that stay keep delivering.
  const auto channelA = channelOf(manager, *a);
  REQUIRE(channelA);
  CHECK(waitUntil([&] { return channelA->status().frames >= 5; }, 5s));

  manager.removeAll();
  CHECK(manager.size() == 0);
  CHECK(tableIds(manager).empty());
  CHECK(channelA->status().state == FeedState::kGone);
}

TEST_CASE("max_feeds refuses the extra feed with an error", "[ingest][manager]") {
  IngestManager manager(config(2), 30);
  std::string error;
  REQUIRE(manager.addFeed(synthetic(0), &error));
  REQUIRE(manager.addFeed(synthetic(1), &error));
  CHECK(error.empty());
  CHECK_FALSE(manager.addFeed(synthetic(2), &error));
  CHECK_THAT(error, Catch::Contains("max_feeds"));
  CHECK(manager.size() == 2);
  CHECK(tableIds(manager).size() == 2);
}

TEST_CASE("a non-looping pulled file ends and the manager removes it", "[ingest][manager]") {
  IngestManager manager(config(), 30);
  std::string error;
  const auto id = manager.addFeed(pull(fileUri(Clips::get().small()), false), &error);
  REQUIRE(id);
  const auto channel = channelOf(manager, *id);
  REQUIRE(channel);
  REQUIRE(waitUntil([&] { return channel->hasFrame(); }, 5s));
  CHECK(channel->status().sourceWidth == 320);

  REQUIRE(waitUntil([&] { return manager.size() == 0; }, 5s));
  CHECK(tableIds(manager).empty());
  const auto status = channel->status();
  CHECK(status.state == FeedState::kGone);
  CHECK(status.frames > 0);
  CHECK(status.frames <= 30);  // the clip has 30 frames and was not looped
}

TEST_CASE("a pulled file that fails while playing is retried until it works", "[ingest][manager]") {
  // A file that exists but is not media: the pipeline starts, then fails on the bus.
  tessera::test::ScratchDir dir;
  const auto file = dir.path() / "broken.mp4";
  std::ofstream(file) << std::string(64 * 1024, 'x');

  IngestManager manager(config(), 30);
  std::string error;
  const auto good = manager.addFeed(synthetic(0), &error);
  REQUIRE(good);
  const auto bad = manager.addFeed(pull(fileUri(file), true), &error);
  INFO("addFeed error: " << error);
  REQUIRE(bad);
  CHECK(manager.size() == 2);
  const auto goodChannel = channelOf(manager, *good);
  const auto badChannel = channelOf(manager, *bad);
  REQUIRE(goodChannel);
  REQUIRE(badChannel);

  REQUIRE(waitUntil([&] { return badChannel->status().state == FeedState::kRetrying; }, 5s));
  const auto failedAt = std::chrono::steady_clock::now();
  auto status = badChannel->status();
  CHECK_FALSE(status.lastError.empty());
  CHECK(status.restarts == 0);  // the first retry waits for the backoff
  const auto framesAtFailure = goodChannel->status().frames;

  REQUIRE(waitUntil([&] { return badChannel->status().restarts >= 1; }, 3s));
  CHECK(std::chrono::steady_clock::now() - failedAt >= IngestManager::kFirstRetry - 50ms);
  status = badChannel->status();
  CHECK(status.state == FeedState::kRetrying);
  CHECK(status.frames == 0);

  // Meanwhile the synthetic feed kept delivering, and both are still in the table.
  CHECK(goodChannel->status().state == FeedState::kLive);
  CHECK(tableIds(manager) == std::vector<FeedId>{*good, *bad});

  // Once the file is good, a later retry brings the feed back. The new file is renamed into
  // place so a retry that is already reading sees the old bytes or the new, never half of each.
  const auto staged = dir.path() / "staged.mp4";
  std::filesystem::copy_file(Clips::get().small(), staged);
  std::filesystem::rename(staged, file);
  REQUIRE(waitUntil([&] { return badChannel->hasFrame(); }, 5s));
  status = badChannel->status();
  CHECK(status.state == FeedState::kLive);
  CHECK(status.sourceWidth == 320);
  CHECK(status.restarts >= 1);
  CHECK(goodChannel->status().frames > framesAtFailure + 10);
}

TEST_CASE("a pulled URI that does not exist is retried while other feeds keep running",
          "[ingest][manager]") {
  IngestManager manager(config(), 30);
  std::string error;
  const auto good = manager.addFeed(synthetic(0), &error);
  REQUIRE(good);
  const auto bad = manager.addFeed(pull("file:///nonexistent/x.mp4", true), &error);
  INFO("addFeed error: " << error);
  REQUIRE(bad);
  const auto badChannel = channelOf(manager, *bad);
  const auto goodChannel = channelOf(manager, *good);
  REQUIRE(badChannel);
  REQUIRE(goodChannel);
  CHECK(tableIds(manager) == std::vector<FeedId>{*good, *bad});  // listed although not started
  // The file cannot be opened, so the feed fails at once; the element's own error is kept.
  REQUIRE(waitUntil([&] { return badChannel->status().state == FeedState::kRetrying; }, 5s));
  CHECK_FALSE(badChannel->status().lastError.empty());
  CHECK(badChannel->status().restarts == 0);
  const auto failedAt = std::chrono::steady_clock::now();
  const auto framesBefore = goodChannel->status().frames;
  REQUIRE(waitUntil([&] { return badChannel->status().restarts >= 1; }, 3s));
  CHECK(std::chrono::steady_clock::now() - failedAt >= IngestManager::kFirstRetry - 50ms);
  // The second retry waits twice as long: 0.5 s + 1 s after the first failure.
  REQUIRE(waitUntil([&] { return badChannel->status().restarts >= 2; }, 4s));
  CHECK(std::chrono::steady_clock::now() - failedAt >= 3 * IngestManager::kFirstRetry - 50ms);
  const auto status = badChannel->status();
  CHECK(status.state == FeedState::kRetrying);
  CHECK(status.frames == 0);
  CHECK(goodChannel->status().state == FeedState::kLive);
  CHECK(goodChannel->status().frames > framesBefore + 10);
}

TEST_CASE("configured synthetic feeds start from the installation", "[ingest][manager]") {
  auto c = config();
  c.synthetic.count = 3;
  IngestManager manager(c, 30);
  manager.startConfiguredFeeds();
  CHECK(manager.size() == 3);
  const auto table = manager.table().peek();
  REQUIRE(table);
  REQUIRE(table->feeds.size() == 3);
  for (const auto& channel : table->feeds) {
    CHECK(channel->source() == FeedSource::kSynthetic);
  }
  CHECK(waitUntil(
      [&] {
        return std::all_of(table->feeds.begin(), table->feeds.end(),
                           [](const auto& ch) { return ch->hasFrame(); });
      },
      5s));
}
