#include "ingest/ingest_manager.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "core/log.hpp"
#include "core/time.hpp"
#include "ingest/backoff.hpp"

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
      std::chrono::seconds(1),
      [this] {
        followDrawnSizes();
        checkStalls();
      },
      true);
}

void IngestManager::followDrawnSizes() {
  if (!mConfig.scaleToDrawn) return;
  const auto start = std::chrono::steady_clock::now();
  for (auto& [id, e] : mFeeds) {
    if (e.feed && e.feed->running()) e.feed->followDrawnSize();
  }
  // Setting caps sends a reconfigure event upstream from this thread: say so if that ever
  // holds the main loop up (an element taking a lock a starved streaming thread holds).
  const auto took = std::chrono::steady_clock::now() - start;
  if (took > std::chrono::milliseconds(100)) {
    core::logWarn(kModule, "rescaling feeds to their tiles held the main loop {:.0f} ms",
                  std::chrono::duration<double, std::milli>(took).count());
  }
}

void IngestManager::checkStalls() {
  // A pulled source can stop sending without any error (a camera unplugged, a network that
  // silently drops): without a frame for its stall timeout it is reconnected like a failed one.
  // A connection that has not shown its first frame yet has its own, longer grace (an RTSP
  // camera falling back to TCP, an HLS playlist and its first segment); 0 waits for ever (an
  // SRT listener waiting for its caller).
  const auto now = std::chrono::steady_clock::now();
  updateBitrates(now);
  std::vector<std::pair<core::FeedId, std::string>> stalled;
  std::vector<core::FeedId> starved;  // newly
  for (auto& [id, e] : mFeeds) {
    if (!e.feed || e.retry.pending() || !e.feed->running()) continue;
    if (e.feed->spec().source != core::FeedSource::kPull) continue;
    const core::PullTimeouts& t = e.feed->spec().timeouts;
    const auto last = e.channel->lastActivityAt();  // a hidden feed decodes only keyframes
    const bool connected = last && *last >= e.startedAt;
    const auto since = connected ? *last : e.startedAt;
    const double limitS = connected ? t.stallS : t.connectS;
    if (limitS <= 0) continue;
    const auto timeout = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(limitS));
    const Feed& feed = *e.feed;  // (a structured binding cannot be captured before C++20)
    const StallWatch::Result watched = e.watch.check(now - since, timeout, [&] {
      const platform::PoolThreadsCpu cpu = feed.streamingThreadsCpu();
      return ThreadsSample{now, cpu.runnable, cpu.cpuSeconds, cpu.waitSeconds};
    });
    if (!watched.pastTimeout) continue;
    if (watched.newlyStarved) starved.push_back(id);
    if (watched.judgement.verdict != StallVerdict::kStalled) continue;
    stalled.emplace_back(
        id, fmt::format("{} ({})",
                        connected ? fmt::format("stalled: no frame for {:g} s", limitS)
                                  : fmt::format("no picture within {:g} s of connecting", limitS),
                        describe(watched.judgement)));
  }
  logStarved(starved);
  for (const auto& [id, why] : stalled) onFeedFailed(id, why);
}

void IngestManager::logStarved(const std::vector<core::FeedId>& ids) {
  if (ids.empty()) return;
  // One line for all of them: under overload dozens go at once.
  std::string names;
  for (std::size_t i = 0; i < ids.size() && i < 8; ++i) {
    names += fmt::format("{}{}", i ? ", " : "", ids[i].value);
  }
  if (ids.size() > 8) names += fmt::format(" and {} more", ids.size() - 8);
  core::logWarn(kModule,
                "feed{} {}: no frame past the stall timeout, but the decoding thread is waiting "
                "for a CPU (the machine is overloaded; the canvas comes first): kept, not "
                "restarted",
                ids.size() == 1 ? "" : "s", names);
}

void IngestManager::updateBitrates(std::chrono::steady_clock::time_point now) {
  for (auto& [id, e] : mFeeds) {
    if (!e.feed || e.feed->spec().source != core::FeedSource::kPull) continue;
    const std::uint64_t bytes = e.feed->takeInputBytes();
    const double seconds = std::chrono::duration<double>(now - e.bitrateSince).count();
    e.bitrateSince = now;
    if (seconds > 0.2 && seconds < 10) e.channel->setBitrateKbps(bytes * 8.0 / 1000.0 / seconds);
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
    if (pull.target.tls()) trustServer(pull);
  }
  for (const auto& pull : mConfig.pulls) {
    FeedSpec spec;
    spec.source = core::FeedSource::kPull;
    spec.uri = pull.uri;
    spec.target = pull.target;
    spec.timeouts = pull.timeouts;
    spec.loop = pull.loop;
    spec.offsetMs = pull.offsetMs;
    if (!addFeed(spec, &error)) core::logError(kModule, "pull {}: {}", pull.target.masked, error);
  }
  core::logInfo(kModule, "{} feeds started ({} synthetic, {} pulled)", mFeeds.size(),
                mConfig.synthetic.count, mConfig.pulls.size());
}

void IngestManager::trustServer(const core::PullConfig& pull) {
  if (!mTls) mTls = std::make_unique<platform::TlsTrust>();
  const core::PullTarget& t = pull.target;
  if (!pull.tlsVerify) {
    mTls->trustAny(t.host, t.port);
    core::logWarn(kModule,
                  "pull {}: tls_verify = false: ANY certificate is accepted from {}:{} (insecure: "
                  "anyone on the network path can impersonate this source)",
                  t.masked, t.host, t.port);
  } else if (!pull.tlsCaFile.empty()) {
    std::string error;
    if (mTls->trustCaFile(t.host, t.port, pull.tlsCaFile, &error)) {
      core::logInfo(kModule, "pull {}: certificates of {}:{} checked against {}", t.masked, t.host,
                    t.port, pull.tlsCaFile.string());
    } else {
      core::logError(kModule, "pull {}: tls_ca_file {}; its certificates will be refused", t.masked,
                     error);
    }
  }
}

std::optional<std::string> IngestManager::tlsRefusal(const Entry& e) const {
  if (!mTls || !e.feed || e.feed->spec().source != core::FeedSource::kPull) return std::nullopt;
  const core::PullTarget& t = e.feed->spec().target;
  return t.tls() ? mTls->rejection(t.host, t.port, e.startedAt) : std::nullopt;
}

std::optional<core::FeedId> IngestManager::addFeed(FeedSpec spec, std::string* error) {
  if (atCapacity()) {
    if (error) *error = "max_feeds (" + std::to_string(mConfig.maxFeeds) + ") reached";
    return std::nullopt;
  }
  const core::FeedId id{mNextId++};
  spec.priority = mConfig.feedPriority;
  const bool pulled = spec.source == core::FeedSource::kPull;
  if (pulled && spec.target.uri.empty()) {
    // Added by a caller that knows only the URI (tests, tools): parsed as the config would.
    std::string why;
    auto target = core::parsePullUri(spec.uri, &why);
    if (!target) {
      if (error) *error = "uri: " + why;
      --mNextId;
      return std::nullopt;
    }
    spec.target = std::move(*target);
    spec.timeouts = spec.target.defaultTimeouts();
  }
  // A TLS source added later (not in the file) is checked against the system store, and a
  // refused certificate said in words like the others.
  if (pulled && spec.target.tls() && !mTls) mTls = std::make_unique<platform::TlsTrust>();
  // The API, logs and metrics show the URI with its secrets masked.
  auto channel = std::make_shared<core::FeedChannel>(
      id, spec.source, pulled ? spec.target.masked : spec.uri, mRingFrames);
  channel->setConfigOffset(core::fromMs(spec.offsetMs));
  if (pulled) channel->setProtocol(spec.target.protocol());
  Entry entry;
  entry.channel = channel;
  entry.feed = std::make_unique<Feed>(std::move(spec), channel, tileSize(), mFps, this);
  entry.startedAt = std::chrono::steady_clock::now();
  entry.bitrateSince = entry.startedAt;
  Feed& feed = *entry.feed;
  mFeeds.emplace(id, std::move(entry));
  publish();
  // A feed that cannot start now (a camera that is down, a file not there yet) is listed and
  // retried with backoff like one that fails later.
  std::string why;
  if (feed.start(&why)) {
    core::logDebug(kModule, "feed {}: started ({} {})", id.value,
                   core::toString(feed.spec().source), feed.channel()->uri());
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
  const auto delay = retryDelay(e.attempt, std::uniform_real_distribution<double>(0, 1)(mJitter),
                                kFirstRetry, kMaxRetry);
  ++e.attempt;
  // A refused certificate shows up as a generic source error (souphttpsrc: "internal data
  // stream error", rtspsrc: "could not open resource") or a stall: the TLS trust knows why.
  const std::string why = tlsRefusal(e).value_or(reason);
  e.channel->setState(core::FeedState::kRetrying, why);
  const std::string& uri = e.channel->uri();  // secrets masked
  core::logWarn(kModule, "feed {}{}: failed: {}; retry {} in {} ms", id.value,
                uri.empty() ? "" : " (" + uri + ")", why, e.attempt, delay.count());
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
  const bool started = e.feed->start(&why);
  // start() first stops the old pipeline, which waits for its streaming threads to leave; a
  // thread the idle class starves (a machine busy with other work) makes that wait long.
  const auto took = std::chrono::steady_clock::now() - e.startedAt;
  if (took > std::chrono::milliseconds(100)) {
    core::logWarn(kModule, "feed {}: restarting held the main loop {:.0f} ms", id.value,
                  std::chrono::duration<double, std::milli>(took).count());
  }
  if (!started) onFeedFailed(id, why);
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
