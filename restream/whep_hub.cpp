#include "restream/whep_hub.hpp"

#include <fmt/format.h>

#include "core/log.hpp"
#include "platform/webrtc.hpp"

namespace tessera::restream {
namespace {

constexpr const char* kModule = "whep";
constexpr std::chrono::seconds kCheckInterval{2};
constexpr int kRetryAfterSeconds = 10;

std::int64_t steadyNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

WhepHub::WhepHub(WhepSettings settings)
    : mSettings(std::move(settings)),
      mSnapshot(std::make_shared<const std::vector<std::shared_ptr<WhepViewer>>>()) {
  mCheckTimer = platform::Timer(
      std::chrono::duration_cast<std::chrono::milliseconds>(kCheckInterval),
      [this] { checkViewers(); }, true);
}

WhepHub::~WhepHub() {
  mCheckTimer.cancel();
  stopAll();
}

void WhepHub::negotiate(const std::string& offerSdp, std::function<void(const WhepResult&)> done) {
  const auto codec = chooseWhepCodec(offerSdp);
  if (const auto* problem = std::get_if<WhepOfferProblem>(&codec)) {
    done({problem->status, problem->detail, {}, {}, 0});
    return;
  }
  if (static_cast<int>(mSessions.size()) >= mSettings.maxViewers) {
    ++mRefused;
    done({503,
          fmt::format("{} viewers are watching (max_viewers); the HLS stream has room",
                      mSessions.size()),
          {},
          {},
          kRetryAfterSeconds});
    return;
  }
  const std::string id = platform::randomHexId(16);
  auto viewer = WhepViewer::create(id, std::get<WhepCodec>(codec), mSettings, this,
                                   [this] { requestKeyframe(); });
  mSessions[id] = Session{viewer, std::move(done)};
  std::string error;
  if (!viewer->start(offerSdp, &error)) {
    // Answered here, or by a pipeline error already: either way once.
    onWhepAnswer(id, {}, error.empty() ? "the viewer's pipeline did not start" : error);
  }
}

void WhepHub::onWhepAnswer(const std::string& id, const std::string& sdp,
                           const std::string& error) {
  const auto it = mSessions.find(id);
  if (it == mSessions.end() || !it->second.done) return;
  auto done = std::move(it->second.done);
  it->second.done = nullptr;
  if (!error.empty()) {
    core::logWarn(kModule, "viewer {}: negotiation failed: {}", id.substr(0, 8), error);
    it->second.viewer->stop();
    mSessions.erase(it);
    done({500, "negotiation failed: " + error, {}, {}, 0});
    return;
  }
  ++mAnswered;
  publish();
  core::logInfo(kModule, "viewer {}: answered ({} viewer(s))", id.substr(0, 8), mSessions.size());
  done({201, {}, id, sdp, 0});
}

void WhepHub::onWhepEnded(const std::string& id, const std::string& reason) {
  remove(id, reason);
}

bool WhepHub::remove(const std::string& id, const std::string& reason) {
  const auto it = mSessions.find(id);
  if (it == mSessions.end()) return false;
  Session session = std::move(it->second);
  mSessions.erase(it);
  publish();
  const auto stats = session.viewer->stats();
  mEndedFrames += stats.frames;
  session.viewer->stop();
  core::logInfo(kModule, "viewer {}: ended: {} ({} frames sent; {} viewer(s) left)",
                id.substr(0, 8), reason, stats.frames, mSessions.size());
  if (session.done) session.done({500, "the viewer ended before the answer: " + reason, {}, {}, 0});
  return true;
}

void WhepHub::stopAll() {
  while (!mSessions.empty()) {
    const std::string id = mSessions.begin()->first;  // a copy: remove() erases the key
    remove(id, "the server is stopping");
  }
}

void WhepHub::publish() {
  auto next = std::make_shared<std::vector<std::shared_ptr<WhepViewer>>>();
  for (const auto& [id, session] : mSessions) {
    if (!session.done) next->push_back(session.viewer);  // answered
  }
  std::lock_guard lock(mMutex);
  mSnapshot = std::move(next);
}

void WhepHub::checkViewers() {
  const auto now = std::chrono::steady_clock::now();
  std::vector<std::pair<std::string, std::string>> gone;
  for (const auto& [id, session] : mSessions) {
    if (auto why = session.viewer->checkAlive(now)) gone.emplace_back(id, *why);
  }
  for (const auto& [id, why] : gone) remove(id, why);
}

void WhepHub::offer(GstSample* sample) {
  std::shared_ptr<const std::vector<std::shared_ptr<WhepViewer>>> viewers;
  {
    std::lock_guard lock(mMutex);
    viewers = mSnapshot;
  }
  if (mKeyframePending) requestKeyframe();  // one that came too soon after the last
  for (const auto& viewer : *viewers) viewer->offer(sample);
}

void WhepHub::requestKeyframe() {
  const std::int64_t now = steadyNs();
  std::int64_t last = mLastKeyframeNs.load();
  const std::int64_t interval = std::chrono::nanoseconds(kKeyframeInterval).count();
  if (now - last < interval) {
    mKeyframePending = true;  // coalesced: asked for once the interval is over
    return;
  }
  if (!mLastKeyframeNs.compare_exchange_strong(last, now)) return;
  mKeyframePending = false;
  ++mKeyframeRequests;
  if (mEncoder) mEncoder->requestKeyframe();
}

WhepStats WhepHub::stats() const {
  WhepStats s;
  s.viewers = static_cast<int>(mSessions.size());
  s.sessions = mAnswered;
  s.refused = mRefused;
  s.frames = mEndedFrames;
  s.keyframeRequests = mKeyframeRequests;
  for (const auto& [id, session] : mSessions) {
    const auto v = session.viewer->stats();
    s.connected += v.connected ? 1 : 0;
    s.frames += v.frames;
    s.dropped += v.dropped;
  }
  return s;
}

}  // namespace tessera::restream
