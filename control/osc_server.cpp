#include "control/osc_server.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "core/log.hpp"

namespace tessera::control {
namespace {
constexpr const char* kModule = "osc";

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
// Clang 14 (the sanitizer build) has no class template argument deduction for aggregates.
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;
}  // namespace

bool LogThrottle::shouldLog(std::chrono::steady_clock::time_point now, std::uint64_t* suppressed) {
  if (mLast && now - *mLast < kInterval) {
    ++mSuppressed;
    return false;
  }
  *suppressed = std::exchange(mSuppressed, 0);
  mLast = now;
  return true;
}

OscServer::OscServer(core::OscConfig settings, ApiModel& model, CueService* cue,
                     const core::ReactionTally* reactions)
    : mSettings(std::move(settings)),
      mModel(model),
      mCue(cue),
      mReactions(reactions),
      mBuffer(platform::kMaxOscDatagramBytes + 1) {}

bool OscServer::start(std::string* error) {
  if (mSettings.listen) {
    mInbound = platform::OscSocket::bind(*mSettings.listen, error);
    if (!mInbound) return false;
    mInbound->watch([this] { onReadable(); });
    const auto& l = *mSettings.listen;
    core::logInfo(
        kModule, "listening on UDP {}:{} (unauthenticated; {})",
        l.host.find(':') != std::string::npos ? "[" + l.host + "]" : l.host, mInbound->port(),
        mSettings.allow.empty() ? std::string("any sender")
                                : fmt::format("senders {}", fmt::join(mSettings.allow, ", ")));
    if ((l.host == "0.0.0.0" || l.host == "::") && mSettings.allow.empty()) {
      core::logWarn(kModule,
                    "commands are taken from every interface and any sender: bind [osc] listen "
                    "to a trusted interface or set [osc] allow (docs/osc.md)");
    }
  }
  if (!mSettings.send.empty()) {
    mOutbound = platform::OscSocket::sender(error);
    if (!mOutbound) return false;
    const auto period = std::chrono::milliseconds(
        std::max<long>(1, std::lround(1000.0 / std::max(mSettings.rateHz, 0.1))));
    mCrowdTimer = platform::Timer(
        period, [this] { sendCrowd(); }, true);
    std::vector<std::string> targets;
    for (const auto& t : mSettings.send) targets.push_back(fmt::format("{}:{}", t.host, t.port));
    core::logInfo(kModule, "sending the crowd to {} at {} Hz", fmt::join(targets, ", "),
                  mSettings.rateHz);
  }
  return true;
}

void OscServer::problem(LogThrottle& throttle, const char* what, const std::string& source,
                        const std::string& detail) {
  std::uint64_t suppressed = 0;
  if (!throttle.shouldLog(std::chrono::steady_clock::now(), &suppressed)) return;
  core::logWarn(kModule, "{} from {}: {}{}", what, source, detail,
                suppressed ? fmt::format(" ({} more since the last report, not logged)", suppressed)
                           : fmt::format(" (more are counted in /metrics, logged at most every "
                                         "{} s)",
                                         LogThrottle::kInterval.count()));
}

void OscServer::onReadable() {
  for (int i = 0; i < kMaxDatagramsPerWake; ++i) {
    const auto d = mInbound->receive(mBuffer);
    if (!d) return;
    if (!mSettings.allow.empty() && std::find(mSettings.allow.begin(), mSettings.allow.end(),
                                              d->sourceHost) == mSettings.allow.end()) {
      ++mStats.refused;
      problem(mRefusedLog, "datagram refused", d->sourceHost, "the sender is not in [osc] allow");
      continue;
    }
    if (d->truncated) {
      ++mStats.malformed;
      problem(mMalformedLog, "malformed datagram", d->sourceHost,
              fmt::format("larger than {} bytes", platform::kMaxOscDatagramBytes));
      continue;
    }
    handleDatagram(std::span<const std::uint8_t>(mBuffer.data(), d->size), d->sourceHost);
  }
}

void OscServer::handleDatagram(std::span<const std::uint8_t> bytes, const std::string& source) {
  const platform::OscDecoded decoded = platform::decodeOscPacket(bytes);
  if (const auto* error = std::get_if<std::string>(&decoded)) {
    ++mStats.malformed;
    problem(mMalformedLog, "malformed datagram", source, *error);
    return;
  }
  for (const auto& m : std::get<std::vector<platform::OscMessage>>(decoded)) {
    handleMessage(m, source);
  }
}

void OscServer::handleMessage(const platform::OscMessage& message, const std::string& source) {
  const OscParsed parsed = parseOscCommand(message);
  if (const auto* rejected = std::get_if<OscRejected>(&parsed)) {
    if (rejected->kind == OscRefusal::kUnknownAddress) {
      ++mStats.unknown;
      problem(mUnknownLog, "unknown message", source, rejected->detail);
    } else {
      ++mStats.badArguments;
      problem(mBadArgumentsLog, "bad arguments", source, rejected->detail);
    }
    return;
  }
  if (std::holds_alternative<OscIgnored>(parsed)) {
    ++mStats.ignored;
    return;
  }
  std::string error;
  if (execute(parsed, source, &error)) {
    ++mStats.ok;
  } else {
    ++mStats.failed;
    // Not-available commands get their own line: a scene typo must not hide that fact.
    const bool unavailable = std::holds_alternative<OscFeedCommand>(parsed) && !mFeedVisibility;
    problem(unavailable ? mUnavailableLog : mFailedLog, "command failed", source,
            fmt::format("{}: {}", message.address.substr(0, 64), error));
  }
}

bool OscServer::execute(const OscParsed& command, const std::string& source, std::string* error) {
  return std::visit(Overloaded{
                        [&](const OscSceneCommand& c) {
                          if (mModel.switchScene(c.name)) return true;
                          *error = fmt::format("no scene \"{}\" (scenes: {})", c.name,
                                               fmt::join(mModel.sceneNames(), ", "));
                          return false;
                        },
                        [&](const OscCueCommand& c) {
                          const auto cue = mCue ? mCue->startCue(c.flash) : std::nullopt;
                          if (!mCue) *error = "cues are not available in this server";
                          if (mCue && !cue)
                            *error = "a cue is still open (GET /api/v1/cue says when it is done)";
                          if (cue) core::logInfo(kModule, "cue {} (flash {})", cue->id, c.flash);
                          return cue.has_value();
                        },
                        [&](const OscParamCommand& c) {
                          const ParamResult r = mModel.setParams(c.scene, std::nullopt, {c.value});
                          if (r.status != 200) *error = r.detail;
                          return r.status == 200;
                        },
                        [&](const OscFeedCommand& c) {
                          if (!mFeedVisibility) {
                            *error = "hiding and showing feeds is not available in this server yet";
                            return false;
                          }
                          const FeedVisibilityReply r = mFeedVisibility(c.id, c.hide, source);
                          if (!r.done) *error = r.detail;
                          return r.done;
                        },
                        [&](const auto&) { return true; },
                    },
                    command);
}

void OscServer::sendCrowd() {
  const auto feeds = mModel.feeds();
  const double reactions =
      mReactions ? mReactions->snapshot()->ratePerS(std::chrono::steady_clock::now()) : 0.0;
  const CrowdSummary crowd = summarizeCrowd(feeds, reactions);
  // Every feed is announced once, those started with the server too.
  auto present = presentFeeds(feeds);
  const FeedChanges changes = diffFeeds(mPresent, present);
  for (const auto& m : crowdMessages({}, changes.joined, changes.left)) {
    if (m.address.rfind("/tessera/feed/", 0) != 0) continue;
    if (mPendingEvents.size() >= kMaxPendingEvents) {
      ++mStats.eventsDropped;
      continue;
    }
    mPendingEvents.push_back(m);
  }
  mPresent = std::move(present);
  std::vector<platform::OscMessage> messages = crowdMessages(crowd, {}, {});
  const std::size_t events = std::min(mPendingEvents.size(), kMaxEventsPerBundle);
  messages.insert(messages.end(), mPendingEvents.begin(), mPendingEvents.begin() + events);
  mPendingEvents.erase(mPendingEvents.begin(), mPendingEvents.begin() + events);

  const auto bytes = platform::encodeOscBundle(messages, std::chrono::system_clock::now());
  for (const auto& target : mSettings.send) {
    std::string error;
    if (mOutbound->sendTo(bytes, target, &error)) {
      ++mStats.bundlesSent;
    } else {
      ++mStats.sendErrors;
      problem(mSendLog, "send failed", fmt::format("{}:{}", target.host, target.port), error);
    }
  }
}

std::string OscServer::metrics() const {
  std::string m =
      "# HELP tessera_osc_messages_total Inbound OSC messages by result.\n"
      "# TYPE tessera_osc_messages_total counter\n";
  for (const auto& [result, n] : {std::pair{"ok", mStats.ok},
                                  {"ignored", mStats.ignored},
                                  {"unknown", mStats.unknown},
                                  {"bad_arguments", mStats.badArguments},
                                  {"failed", mStats.failed}}) {
    m += fmt::format("tessera_osc_messages_total{{result=\"{}\"}} {}\n", result, n);
  }
  auto counter = [&](const char* name, const char* help, std::uint64_t v) {
    m += fmt::format("# HELP {0} {1}\n# TYPE {0} counter\n{0} {2}\n", name, help, v);
  };
  counter("tessera_osc_malformed_total", "Inbound datagrams that are not OSC.", mStats.malformed);
  counter("tessera_osc_refused_total", "Inbound datagrams from senders not in [osc] allow.",
          mStats.refused);
  counter("tessera_osc_bundles_sent_total", "Crowd bundles sent (one per target per tick).",
          mStats.bundlesSent);
  counter("tessera_osc_send_errors_total", "Crowd bundles the kernel refused.", mStats.sendErrors);
  counter("tessera_osc_events_dropped_total", "joined/left events dropped beyond the backlog.",
          mStats.eventsDropped);
  return m;
}

}  // namespace tessera::control
