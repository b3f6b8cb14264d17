#include "control/osc_commands.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <string_view>

namespace tessera::control {
namespace {

constexpr std::string_view kPrefix = "/tessera/";

OscRejected unknown(const platform::OscMessage& m) {
  return {OscRefusal::kUnknownAddress, fmt::format("unknown address {}", m.address.substr(0, 64))};
}

OscRejected badArguments(const platform::OscMessage& m, std::string_view expected) {
  return {OscRefusal::kBadArguments, fmt::format("{} ,{}: expected {}", m.address.substr(0, 64),
                                                 m.types.substr(0, 16), expected)};
}

// "a/b/" -> {"a", "b", ""}: empty parts are kept so that they can be refused.
std::vector<std::string_view> split(std::string_view path) {
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    const std::size_t slash = path.find('/', start);
    parts.push_back(path.substr(start, slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return parts;
}

std::optional<double> number(const platform::OscValue& v) {
  if (const auto* i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
  if (const auto* d = std::get_if<double>(&v)) return *d;
  if (const auto* b = std::get_if<bool>(&v)) return *b ? 1.0 : 0.0;
  return std::nullopt;
}

// A trigger's arguments: none or one non-zero number fires; one zero is a button's release.
std::optional<bool> triggerFires(const platform::OscMessage& m) {
  if (m.args.empty()) return true;
  if (m.args.size() != 1) return std::nullopt;
  const auto n = number(m.args[0]);
  if (!n) return std::nullopt;
  return *n != 0;
}

OscParsed parseCue(const platform::OscMessage& m) {
  if (m.args.size() == 1) {
    if (const auto* s = std::get_if<std::string>(&m.args[0])) {
      if (*s == "room") return OscCueCommand{false};
      if (*s == "flash") return OscCueCommand{true};
      return badArguments(m, "no argument, 1, or \"room\" (the flash happens in the room)");
    }
  }
  const auto fires = triggerFires(m);
  if (!fires) return badArguments(m, "no argument, 1, or \"room\" (the flash happens in the room)");
  if (!*fires) return OscIgnored{};
  return OscCueCommand{true};
}

OscParsed parseScene(const platform::OscMessage& m) {
  const auto* name = m.args.size() == 1 ? std::get_if<std::string>(&m.args[0]) : nullptr;
  if (!name || name->empty() || name->size() > kMaxOscStringBytes) {
    return badArguments(m, "one string, the scene's name");
  }
  return OscSceneCommand{*name};
}

OscParsed parseParam(const platform::OscMessage& m, std::string_view scene,
                     std::string_view input) {
  OscParamCommand c;
  c.scene = std::string(scene);
  c.value.name = std::string(input);
  constexpr std::string_view kExpected =
      "1 to 4 numbers (float, int or T/F), or one string (a long's label, a colour \"#rrggbb\")";
  if (m.args.size() == 1) {
    if (const auto* s = std::get_if<std::string>(&m.args[0])) {
      if (s->size() > kMaxOscStringBytes) return badArguments(m, kExpected);
      c.value.text = *s;
      return c;
    }
  }
  if (m.args.empty() || m.args.size() > kMaxOscParamNumbers) return badArguments(m, kExpected);
  for (const auto& a : m.args) {
    const auto n = number(a);
    if (!n) return badArguments(m, kExpected);
    c.value.numbers.push_back(*n);
  }
  return c;
}

std::optional<core::FeedId> feedId(std::string_view text) {
  std::uint32_t v = 0;
  if (text.empty() || text.size() > 10 || text.front() == '+') return std::nullopt;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return core::FeedId{v};
}

}  // namespace

OscParsed parseOscCommand(const platform::OscMessage& m) {
  std::string_view path = m.address;
  if (path.substr(0, kPrefix.size()) != kPrefix) return unknown(m);
  path.remove_prefix(kPrefix.size());
  const auto parts = split(path);
  const bool anyEmpty =
      std::any_of(parts.begin(), parts.end(), [](std::string_view p) { return p.empty(); });
  if (parts.empty() || anyEmpty) return unknown(m);
  if (parts.size() == 1 && parts[0] == "scene") return parseScene(m);
  if (parts.size() == 1 && parts[0] == "cue") return parseCue(m);
  if (parts.size() == 3 && parts[0] == "param") return parseParam(m, parts[1], parts[2]);
  if (parts.size() == 3 && parts[0] == "feed" && (parts[2] == "hide" || parts[2] == "show")) {
    const auto id = feedId(parts[1]);
    if (!id) return unknown(m);
    const auto fires = triggerFires(m);
    if (!fires) return badArguments(m, "no argument, or 1");
    if (!*fires) return OscIgnored{};
    return OscFeedCommand{*id, parts[2] == "hide"};
  }
  return unknown(m);
}

CrowdSummary summarizeCrowd(std::span<const FeedInfo> feeds, double reactionsPerS) {
  CrowdSummary c;
  c.reactionsPerS = reactionsPerS;
  int scored = 0;
  for (const FeedInfo& f : feeds) {
    if (f.state != core::FeedState::kLive) continue;
    ++c.count;
    if (!f.scores) continue;
    c.motion += f.scores->motion;
    c.brightness += f.scores->brightness;
    ++scored;
  }
  if (scored > 0) {
    c.motion /= scored;
    c.brightness /= scored;
  }
  return c;
}

std::vector<core::FeedId> presentFeeds(std::span<const FeedInfo> feeds) {
  std::vector<core::FeedId> ids;
  for (const FeedInfo& f : feeds) {
    if (f.state != core::FeedState::kGone) ids.push_back(f.id);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

FeedChanges diffFeeds(std::span<const core::FeedId> before, std::span<const core::FeedId> now) {
  FeedChanges c;
  std::set_difference(now.begin(), now.end(), before.begin(), before.end(),
                      std::back_inserter(c.joined));
  std::set_difference(before.begin(), before.end(), now.begin(), now.end(),
                      std::back_inserter(c.left));
  return c;
}

std::vector<platform::OscMessage> crowdMessages(const CrowdSummary& crowd,
                                                std::span<const core::FeedId> joined,
                                                std::span<const core::FeedId> left) {
  std::vector<platform::OscMessage> out = {
      {"/tessera/crowd/count", "i", {std::int64_t{crowd.count}}},
      {"/tessera/crowd/motion", "f", {crowd.motion}},
      {"/tessera/crowd/brightness", "f", {crowd.brightness}},
      {"/tessera/crowd/reactions", "f", {crowd.reactionsPerS}},
  };
  for (const auto id : joined) {
    out.push_back({"/tessera/feed/joined", "i", {std::int64_t{id.value}}});
  }
  for (const auto id : left) out.push_back({"/tessera/feed/left", "i", {std::int64_t{id.value}}});
  return out;
}

}  // namespace tessera::control
