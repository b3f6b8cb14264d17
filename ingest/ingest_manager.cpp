#include "ingest/ingest_manager.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "core/log.hpp"
#include "core/time.hpp"

namespace tessera::ingest {
namespace {
constexpr const char* kModule = "ingest";
// A feed that ran this long before failing starts its backoff again from the first step.
constexpr std::chrono::seconds kHealthyRun{10};
}  // namespace

IngestManager::IngestManager(core::IngestConfig config, int canvasFps, std::size_t ringFrames)
    : mConfig(std::move(config)),
      mFps(std::clamp(canvasFps, 1, kSyntheticMaxFps)),
      mRingFrames(ringFrames) {
  publish();
  mWatchdog = platform::Timer(
      std::chrono::seconds(1), [this] { checkStalls(); }, true);
}

void IngestManager::checkStalls() {
  // A pulled source can stop sending without any error (a camera unplugged, a network that
  // silently drops): after kStallTimeout without a frame it is reconnected like a failed one.
  const auto now = std::chrono::steady_clock::now();
  std::vector<core::FeedId> stalled;
  for (auto& [id, e] : mFeeds) {
    if (!e.feed || e.retry.pending() || !e.feed->running()) continue;
    if (e.feed->spec().source != core::FeedSource::kPull) continue;
    const auto last = e.channel->lastFrameAt();
    const auto since = last ? std::max(*last, e.startedAt) : e.startedAt;
    if (now - since > kStallTimeout) stalled.push_back(id);
  }
  for (auto id : stalled) {
    onFeedFailed(id, fmt::format("no frame for {} s", kStallTimeout.count()));
  }
}

IngestManager::~IngestManager() {
  removeAll();
}

void IngestManager::startConfiguredFeeds() {
  std::string error;
  for (int i = 0; i < mConfig.synthetic.count; ++i) {
    FeedSpec spec;
    spec.source = core::FeedSource::kSynthetic;
    spec.syntheticIndex = i;
    if (!addFeed(spec, &error)) core::logError(kModule, "synthetic participant {}: {}", i, error);
  }
  for (const auto& pull : mConfig.pulls) {
    FeedSpec spec;
    spec.source = core::FeedSource::kPull;
    spec.uri = pull.uri;
    spec.loop = pull.loop;
    spec.offsetMs = pull.offsetMs;
    if (!addFeed(spec, &error)) core::logError(kModule, "pull {}: {}", pull.uri, error);
  }
  core::logInfo(kModule, "{} feeds started ({} synthetic, {} pulled)", mFeeds.size(),
                mConfig.synthetic.count, mConfig.pulls.size());
}

std::optional<core::FeedId> IngestManager::addFeed(FeedSpec spec, std::string* error) {
  if (atCapacity()) {
    if (error) *error = "max_feeds (" + std::to_string(mConfig.maxFeeds) + ") reached";
    return std::nullopt;
  }
  const core::FeedId id{mNextId++};
  auto channel = std::make_shared<core::FeedChannel>(id, spec.source, spec.uri, mRingFrames);
  channel->setConfigOffset(core::fromMs(spec.offsetMs));
  Entry entry;
  entry.channel = channel;
  entry.feed = std::make_unique<Feed>(std::move(spec), channel, tileSize(), mFps, this);
  entry.startedAt = std::chrono::steady_clock::now();
  Feed& feed = *entry.feed;
  mFeeds.emplace(id, std::move(entry));
  publish();
  // A feed that cannot start now (a camera that is down, a file not there yet) is listed and
  // retried with backoff like one that fails later.
  std::string why;
  if (feed.start(&why)) {
    core::logDebug(kModule, "feed {}: started ({} {})", id.value,
                   core::toString(feed.spec().source), feed.spec().uri);
  } else {
    onFeedFailed(id, why);
  }
  return id;
}

std::shared_ptr<core::FeedChannel> IngestManager::addExternalFeed(core::FeedSource source,
                                                                  std::string uri,
                                                                  std::string* error) {
  if (atCapacity()) {
    if (error) *error = "max_feeds (" + std::to_string(mConfig.maxFeeds) + ") reached";
    return nullptr;
  }
  const core::FeedId id{mNextId++};
  Entry entry;
  entry.channel = std::make_shared<core::FeedChannel>(id, source, std::move(uri), mRingFrames);
  entry.startedAt = std::chrono::steady_clock::now();
  auto channel = entry.channel;
  mFeeds.emplace(id, std::move(entry));
  publish();
  return channel;
}

bool IngestManager::removeFeed(core::FeedId id) {
  auto it = mFeeds.find(id);
  if (it == mFeeds.end()) return false;
  it->second.channel->setState(core::FeedState::kGone);
  mFeeds.erase(it);  // stops the pipeline and cancels any retry
  publish();
  core::logInfo(kModule, "feed {}: removed", id.value);
  return true;
}

void IngestManager::removeAll() {
  for (auto& [id, entry] : mFeeds) entry.channel->setState(core::FeedState::kGone);
  mFeeds.clear();
  publish();
}

void IngestManager::onFeedFailed(core::FeedId id, const std::string& reason) {
  auto it = mFeeds.find(id);
  if (it == mFeeds.end()) return;
  Entry& e = it->second;
  const auto now = std::chrono::steady_clock::now();
  if (now - e.startedAt > kHealthyRun) e.attempt = 0;
  const auto delay = std::min(kMaxRetry, kFirstRetry * (1 << std::min(e.attempt, 10)));
  ++e.attempt;
  e.channel->setState(core::FeedState::kRetrying, reason);
  const std::string& uri = e.feed->spec().uri;
  core::logWarn(kModule, "feed {}{}: failed: {}; retry {} in {} ms", id.value,
                uri.empty() ? "" : " (" + uri + ")", reason, e.attempt, delay.count());
  // Tear down outside the bus callback that reported the failure.
  e.retry = platform::Timer(delay, [this, id] { restart(id); });
}

void IngestManager::restart(core::FeedId id) {
  auto it = mFeeds.find(id);
  if (it == mFeeds.end()) return;
  Entry& e = it->second;
  e.channel->countRestart();
  e.startedAt = std::chrono::steady_clock::now();
  std::string why;
  if (!e.feed->start(&why)) onFeedFailed(id, why);
}

void IngestManager::onFeedEnded(core::FeedId id) {
  core::logInfo(kModule, "feed {}: ended", id.value);
  // Leave the bus callback before the pipeline that called us is destroyed.
  auto it = mFeeds.find(id);
  if (it == mFeeds.end()) return;
  it->second.channel->setState(core::FeedState::kGone);
  it->second.retry = platform::Timer(std::chrono::milliseconds(0), [this, id] { removeFeed(id); });
}

void IngestManager::publish() {
  auto table = std::make_shared<core::FeedTable>();
  table->version = ++mVersion;
  table->feeds.reserve(mFeeds.size());
  for (const auto& [id, entry] : mFeeds) table->feeds.push_back(entry.channel);
  mTable.put(std::move(table));
}

}  // namespace tessera::ingest
