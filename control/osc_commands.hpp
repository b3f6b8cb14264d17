// The OSC address space (docs/osc.md) as pure functions: inbound messages -> typed commands, the
// crowd -> outbound messages. No sockets, no server state: tested as tables.
//
// Thread: any (pure).
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "control/api_model.hpp"
#include "platform/osc.hpp"

namespace tessera::control {

// /tessera/scene s
struct OscSceneCommand {
  std::string name;
};
// /tessera/cue [1 | "room"]
struct OscCueCommand {
  bool flash = true;  // false: the flash happens in the room (POST /api/v1/cue {"flash": false})
};
// /tessera/param/SCENE/INPUT f... (or one string: a long's LABEL, a colour "#rrggbb")
struct OscParamCommand {
  std::string scene;
  ParamValue value;
};
// /tessera/feed/ID/hide, /tessera/feed/ID/show
struct OscFeedCommand {
  core::FeedId id;
  bool hide = true;
};
// A push button's release: the trigger addresses with a single 0 or false argument.
struct OscIgnored {};
enum class OscRefusal { kUnknownAddress, kBadArguments };
struct OscRejected {
  OscRefusal kind = OscRefusal::kUnknownAddress;
  std::string detail;
};

using OscParsed = std::variant<OscSceneCommand, OscCueCommand, OscParamCommand, OscFeedCommand,
                               OscIgnored, OscRejected>;

inline constexpr std::size_t kMaxOscParamNumbers = 4;  // color: RGBA
inline constexpr std::size_t kMaxOscStringBytes = 256;

OscParsed parseOscCommand(const platform::OscMessage& message);

// What the crowd bundles carry, computed from GET /api/v1/feeds' list so the two always agree:
// `count` live feeds; `motion`, `brightness` the means of their scores (feeds not analysed yet
// left out; 0 when none is).
struct CrowdSummary {
  int count = 0;
  double motion = 0;
  double brightness = 0;
  double reactionsPerS = 0;  // CROWD_REACTIONS
};
CrowdSummary summarizeCrowd(std::span<const FeedInfo> feeds, double reactionsPerS);

// The feeds present (any state but gone), sorted, for joined/left events.
std::vector<core::FeedId> presentFeeds(std::span<const FeedInfo> feeds);
struct FeedChanges {
  std::vector<core::FeedId> joined, left;
};
// Both lists sorted; the result sorted.
FeedChanges diffFeeds(std::span<const core::FeedId> before, std::span<const core::FeedId> now);

// The four /tessera/crowd/* messages, then one /tessera/feed/joined or /left per event.
std::vector<platform::OscMessage> crowdMessages(const CrowdSummary& crowd,
                                                std::span<const core::FeedId> joined,
                                                std::span<const core::FeedId> left);

}  // namespace tessera::control
