#include "ingest/whip_manager.hpp"

#include <fmt/format.h>

#include "core/log.hpp"
#include "ingest/sdp_check.hpp"
#include "platform/gst_ptr.hpp"

namespace tessera::ingest {
namespace {
constexpr const char* kModule = "whip";
constexpr int kRetryAfterFullSeconds = 30;
}  // namespace

WhipManager::WhipManager(core::WhipConfig config, core::SizePx tile, IngestManager& ingest)
    : mConfig(std::move(config)),
      mSettings{tile,
                mConfig.iceAddresses,
                mConfig.iceServers,
                mConfig.udpPortMin,
                mConfig.udpPortMax,
                std::chrono::milliseconds(2000),
                ingest.feedPriority()},
      mIngest(ingest) {
  mSilenceTimer = platform::Timer(
      std::chrono::seconds(1),
      [this] {
        followDrawnSizes();
        checkSilence();
      },
      true);
}

WhipManager::~WhipManager() {
  *mAlive = false;
  for (auto& [id, e] : mSessions) {
    if (e.done) e.done(WhipOfferResult::failure(503, "the server is shutting down", 5));
    e.session->stop();
    mIngest.removeFeed(e.session->channel()->id());
  }
  mSessions.clear();
}

void WhipManager::warmUp() {
  const auto start = std::chrono::steady_clock::now();
  // A DTLS decoder makes (and caches for the process) the self-signed certificate.
  auto dtls = platform::GstPtr<GstElement>::adopt(gst_element_factory_make("dtlsdec", nullptr));
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  if (dtls) {
    core::logInfo(kModule, "DTLS certificate ready in {} ms", ms);
  } else {
    core::logWarn(kModule, "dtlsdec is missing: WHIP cannot work (gstreamer1.0-plugins-bad)");
  }
}

void WhipManager::offer(const std::string& sdp, Done done) {
  // Our own rules first (duplicate mids, directions, payload types, sizes), then GStreamer's
  // parser: webrtcbin only ever sees an offer both accept.
  if (auto problem = checkWhipOffer(sdp)) {
    const int status = problem->kind == SdpProblem::Kind::kMalformed ? 400 : 406;
    const std::string where = problem->line > 0 ? fmt::format("line {}: ", problem->line) : "";
    core::logInfo(kModule, "offer refused: {}{}", where, problem->detail);
    done(WhipOfferResult::failure(status, where + problem->detail));
    return;
  }
  if (auto problem = checkOffer(sdp)) {
    done(WhipOfferResult::failure(problem->status, problem->detail));
    return;
  }
  std::string error;
  auto channel = mIngest.addExternalFeed(core::FeedSource::kWhip, {}, &error);
  if (!channel) {
    done(WhipOfferResult::failure(503, "the painting is full (" + error + "); try again shortly",
                                  kRetryAfterFullSeconds));
    return;
  }
  // With [ingest.whip] approval, a participant waits off the canvas until the operator approves.
  channel->setOnCanvas(!mConfig.approval);
  const std::string id = newSessionId();
  auto session = WhipSession::create(id, mSettings, channel, this);
  Entry entry;
  entry.session = session;
  entry.done = std::move(done);
  entry.created = std::chrono::steady_clock::now();
  mSessions[id] = std::move(entry);
  if (!session->start(sdp, &error)) {
    onWhipAnswer(id, {}, error);
    return;
  }
  core::logInfo(kModule, "feed {}: joining (session {}…)", channel->id().value, id.substr(0, 8));
}

void WhipManager::onWhipAnswer(const std::string& sessionId, const std::string& sdp,
                               const std::string& error) {
  auto it = mSessions.find(sessionId);
  if (it == mSessions.end() || !it->second.done) return;
  Done done = std::move(it->second.done);
  it->second.done = nullptr;
  it->second.answered = std::chrono::steady_clock::now();
  const auto& session = it->second.session;
  if (!error.empty()) {
    core::logWarn(kModule, "feed {}: negotiation failed: {}", session->channel()->id().value,
                  error);
    done(WhipOfferResult::failure(400, "the offer could not be negotiated: " + error));
    removeLater(sessionId, "negotiation failed");
    return;
  }
  WhipOfferResult ok;
  ok.status = 201;
  ok.sessionId = sessionId;
  ok.etag = session->etag();
  ok.answerSdp = sdp;
  ok.feed = session->channel()->id();
  done(ok);
}

void WhipManager::onWhipFailed(const std::string& sessionId, const std::string& reason) {
  removeLater(sessionId, reason);
}

void WhipManager::removeLater(const std::string& sessionId, const std::string& why) {
  // Called from inside the session's own callbacks: destroy it once they have returned.
  std::weak_ptr<bool> alive = mAlive;
  platform::postToMainLoop([this, alive, sessionId, why] {
    if (alive.lock()) remove(sessionId, why);
  });
}

bool WhipManager::remove(const std::string& sessionId, const std::string& why) {
  auto it = mSessions.find(sessionId);
  if (it == mSessions.end()) return false;
  auto entry = std::move(it->second);
  mSessions.erase(it);
  const core::FeedId feed = entry.session->channel()->id();
  if (entry.done) {
    entry.done(WhipOfferResult::failure(500, "the session ended before it was answered: " + why));
  }
  entry.session->stop();
  mIngest.removeFeed(feed);
  core::logInfo(kModule, "feed {}: left ({})", feed.value, why);
  if (mRemoved) mRemoved(sessionId, feed);
  return true;
}

bool WhipManager::removeFeed(core::FeedId feed, const std::string& why) {
  for (const auto& [id, e] : mSessions) {
    if (e.session->channel()->id() == feed) {
      const std::string sessionId = id;  // `remove` erases the entry holding `id`
      return remove(sessionId, why);
    }
  }
  return false;
}

WhipPatchOutcome WhipManager::patch(const std::string& sessionId, const std::string& ifMatch,
                                    const std::string& fragment, std::string* problem) {
  auto it = mSessions.find(sessionId);
  if (it == mSessions.end()) return WhipPatchOutcome::kNotFound;
  if (auto bad = checkTrickleFragment(fragment)) {
    const std::string where = bad->line > 0 ? fmt::format("line {}: ", bad->line) : "";
    core::logInfo(kModule, "feed {}: trickle fragment refused: {}{}",
                  it->second.session->channel()->id().value, where, bad->detail);
    if (problem) *problem = where + bad->detail;
    return WhipPatchOutcome::kBadRequest;
  }
  const auto& session = it->second.session;
  if (!ifMatch.empty() && ifMatch != "*" && ifMatch != session->etag()) {
    return WhipPatchOutcome::kPreconditionFailed;
  }
  // New ICE credentials in the fragment ask for an ICE restart, which webrtcbin 1.22 cannot do
  // as an answerer: 422, so the client starts a new session instead (RFC 9725 section 4.3).
  if (fragment.find("a=ice-ufrag:") != std::string::npos && ifMatch == "*") {
    return WhipPatchOutcome::kUnprocessable;
  }
  session->addRemoteCandidates(fragment);
  return WhipPatchOutcome::kApplied;
}

std::optional<ClockExchangeOutcome> WhipManager::clockExchange(
    const std::string& sessionId, const std::optional<core::ExchangeSample>& completed,
    std::int64_t nowUnixNs) {
  auto it = mSessions.find(sessionId);
  if (it == mSessions.end()) return std::nullopt;
  return it->second.session->clockSync().onExchange(completed, nowUnixNs);
}

void WhipManager::requestKeyframes() {
  for (auto& [id, e] : mSessions) e.session->requestKeyframe();
}

bool WhipManager::requestKeyframe(core::FeedId feed) {
  for (auto& [id, e] : mSessions) {
    if (e.session->channel()->id() == feed) {
      e.session->requestKeyframe();
      return true;
    }
  }
  return false;
}

void WhipManager::followDrawnSizes() {
  if (!mIngest.scaleToDrawn()) return;
  for (const auto& [id, e] : mSessions) {
    if (!e.done) e.session->followDrawnSize();  // answered: its pipeline plays
  }
}

void WhipManager::checkSilence() {
  const auto now = std::chrono::steady_clock::now();
  const auto limit = std::chrono::seconds(mConfig.silenceTimeoutSeconds);
  std::vector<std::pair<std::string, std::string>> silent;
  for (auto& [id, e] : mSessions) {
    // Negotiation is bounded on its own (the gathering timeout); silence counts from the answer.
    if (e.done) continue;
    const auto last = e.session->channel()->lastActivityAt();  // hidden: keyframes only
    // A decoder the overloaded machine starves is not a participant gone (ingest/stall_check).
    const auto quiet = now - (last ? std::max(*last, e.answered) : e.answered);
    const WhipSession& session = *e.session;  // (a structured binding cannot be captured)
    const StallWatch::Result watched = e.watch.check(quiet, limit, [&] {
      const platform::PoolThreadsCpu cpu = session.decodingThreadsCpu();
      return ThreadsSample{now, cpu.runnable, cpu.cpuSeconds, cpu.waitSeconds};
    });
    if (!watched.pastTimeout) continue;
    if (watched.newlyStarved) {
      core::logWarn(kModule,
                    "feed {}: no media past the silence timeout, but its decoding thread is "
                    "waiting for a CPU (the machine is overloaded; {}): kept",
                    e.session->channel()->id().value, describe(watched.judgement));
    }
    if (watched.judgement.verdict != StallVerdict::kStalled) continue;
    silent.emplace_back(id, last ? fmt::format("no media for {} s", limit.count())
                                 : fmt::format("no media within {} s of joining", limit.count()));
  }
  for (const auto& [id, why] : silent) remove(id, why);
}

}  // namespace tessera::ingest
