// OSC in and out (docs/osc.md): commands from a lighting desk, TouchDesigner or Resolume act as
// the admin HTTP routes do; the crowd goes out as timetagged bundles at rate_hz.
//
// Thread: the main-loop thread, like HttpServer. The socket is watched by the GLib main loop, so
// a command reaches ApiModel/CueService exactly as an HTTP handler's call does (the render thread
// is only reached through their hand-offs) and never waits on anything: at most
// kMaxDatagramsPerWake datagrams are read per wake-up so a flood cannot starve HTTP.
//
// Inbound OSC is unauthenticated: bind `listen` to a trusted interface, and/or list the desks'
// addresses in `allow`.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "control/api_model.hpp"
#include "control/cue_service.hpp"
#include "control/osc_commands.hpp"
#include "core/config.hpp"
#include "core/reactions.hpp"
#include "platform/main_loop.hpp"
#include "platform/osc.hpp"

namespace tessera::control {

// What hiding or showing a feed came to: done, or why not ("no feed 42").
struct FeedVisibilityReply {
  bool done = false;
  std::string detail;
};
using FeedVisibilityFn =
    std::function<FeedVisibilityReply(core::FeedId, bool hide, const std::string& source)>;

// Repeated problems of one kind are logged once, then as a count at most every kInterval.
class LogThrottle {
 public:
  static constexpr std::chrono::seconds kInterval{10};
  // True when this occurrence should be logged; `suppressed` is how many were not since.
  bool shouldLog(std::chrono::steady_clock::time_point now, std::uint64_t* suppressed);

 private:
  std::optional<std::chrono::steady_clock::time_point> mLast;
  std::uint64_t mSuppressed = 0;
};

struct OscStats {
  std::uint64_t ok = 0;            // commands carried out
  std::uint64_t ignored = 0;       // button releases
  std::uint64_t unknown = 0;       // messages to an address not in the address space
  std::uint64_t badArguments = 0;  // a known address with arguments it does not take
  std::uint64_t failed = 0;        // a well-formed command that could not act (unknown scene...)
  std::uint64_t malformed = 0;     // datagrams that are not OSC
  std::uint64_t refused = 0;       // datagrams from an address not in `allow`
  std::uint64_t bundlesSent = 0;
  std::uint64_t sendErrors = 0;
  std::uint64_t eventsDropped = 0;  // joined/left events beyond kMaxPendingEvents
};

class OscServer {
 public:
  static constexpr int kMaxDatagramsPerWake = 64;
  static constexpr std::size_t kMaxEventsPerBundle = 32;
  static constexpr std::size_t kMaxPendingEvents = 1024;

  OscServer(core::OscConfig settings, ApiModel& model, CueService* cue,
            const core::ReactionTally* reactions);
  OscServer(const OscServer&) = delete;
  OscServer& operator=(const OscServer&) = delete;

  void setFeedVisibility(FeedVisibilityFn fn) { mFeedVisibility = std::move(fn); }
  // Binds `listen` and starts the crowd timer; false (with `error`) when the address is taken.
  bool start(std::string* error);
  // The UDP port bound for commands (0 when not listening).
  int port() const { return mInbound ? mInbound->port() : 0; }
  const OscStats& stats() const { return mStats; }
  // Prometheus text lines.
  std::string metrics() const;

 private:
  void onReadable();
  void handleDatagram(std::span<const std::uint8_t> bytes, const std::string& source);
  void handleMessage(const platform::OscMessage& message, const std::string& source);
  bool execute(const OscParsed& command, const std::string& source, std::string* error);
  void sendCrowd();
  void problem(LogThrottle& throttle, const char* what, const std::string& source,
               const std::string& detail);

  const core::OscConfig mSettings;
  ApiModel& mModel;
  CueService* const mCue;
  const core::ReactionTally* const mReactions;
  FeedVisibilityFn mFeedVisibility;
  std::optional<platform::OscSocket> mInbound;
  std::optional<platform::OscSocket> mOutbound;
  platform::Timer mCrowdTimer;
  std::vector<core::FeedId> mPresent;  // the feeds the last bundle knew
  std::vector<platform::OscMessage> mPendingEvents;
  std::vector<std::uint8_t> mBuffer;
  OscStats mStats;
  LogThrottle mMalformedLog, mUnknownLog, mBadArgumentsLog, mFailedLog, mRefusedLog, mSendLog,
      mUnavailableLog;
};

}  // namespace tessera::control
