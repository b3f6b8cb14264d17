#include <catch2/catch.hpp>

#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "control/osc_commands.hpp"
#include "control/osc_server.hpp"
#include "platform/osc.hpp"

using namespace tessera;
using namespace tessera::control;
using platform::OscMessage;
using platform::OscValue;

namespace {

// The parse as one line, for tables: "scene NAME", "cue flash|room", "param SCENE INPUT
// n,n|'text'", "hide ID", "show ID", "ignored", "unknown", "bad".
std::string describe(const OscParsed& p) {
  struct V {
    std::string operator()(const OscSceneCommand& c) { return "scene " + c.name; }
    std::string operator()(const OscCueCommand& c) { return c.flash ? "cue flash" : "cue room"; }
    std::string operator()(const OscParamCommand& c) {
      std::string out = "param " + c.scene + " " + c.value.name + " ";
      if (c.value.text) return out + "'" + *c.value.text + "'";
      for (std::size_t i = 0; i < c.value.numbers.size(); ++i) {
        out += (i ? "," : "") + std::to_string(c.value.numbers[i]).substr(0, 4);
      }
      return out;
    }
    std::string operator()(const OscFeedCommand& c) {
      return (c.hide ? "hide " : "show ") + std::to_string(c.id.value);
    }
    std::string operator()(const OscIgnored&) { return "ignored"; }
    std::string operator()(const OscRejected& r) {
      return r.kind == OscRefusal::kUnknownAddress ? "unknown" : "bad";
    }
  };
  return std::visit(V{}, p);
}

}  // namespace

TEST_CASE("OSC addresses and arguments -> commands", "[control][osc]") {
  struct Row {
    OscMessage message;
    std::string expected;
  };
  const std::string s = "s";
  const std::vector<Row> rows = {
      {{"/tessera/scene", "s", {std::string("portrait")}}, "scene portrait"},
      {{"/tessera/scene", "S", {std::string("grid")}}, "scene grid"},
      {{"/tessera/scene", "", {}}, "bad"},
      {{"/tessera/scene", "f", {1.0}}, "bad"},
      {{"/tessera/scene", "ss", {std::string("a"), std::string("b")}}, "bad"},
      {{"/tessera/scene", "s", {std::string("")}}, "bad"},
      {{"/tessera/scene", "s", {std::string(300, 'x')}}, "bad"},
      {{"/tessera/cue", "", {}}, "cue flash"},
      {{"/tessera/cue", "i", {std::int64_t{1}}}, "cue flash"},
      {{"/tessera/cue", "f", {0.5}}, "cue flash"},
      {{"/tessera/cue", "T", {true}}, "cue flash"},
      {{"/tessera/cue", "i", {std::int64_t{0}}}, "ignored"},  // a button's release
      {{"/tessera/cue", "F", {false}}, "ignored"},
      {{"/tessera/cue", "s", {std::string("room")}}, "cue room"},
      {{"/tessera/cue", "s", {std::string("now")}}, "bad"},
      {{"/tessera/cue", "ii", {std::int64_t{1}, std::int64_t{1}}}, "bad"},
      {{"/tessera/param/painted/gain", "f", {0.5}}, "param painted gain 0.50"},
      {{"/tessera/param/painted/focus", "ff", {0.25, 0.75}}, "param painted focus 0.25,0.75"},
      {{"/tessera/param/p/tone", "ffff", {1.0, 0.0, 0.0, 1.0}}, "param p tone 1.00,0.00,0.00,1.00"},
      {{"/tessera/param/p/flash", "T", {true}}, "param p flash 1.00"},
      {{"/tessera/param/p/mode", "i", {std::int64_t{2}}}, "param p mode 2.00"},
      {{"/tessera/param/p/mode", "s", {std::string("warm")}}, "param p mode 'warm'"},
      {{"/tessera/param/p/tone", "s", {std::string("#ff0000")}}, "param p tone '#ff0000'"},
      {{"/tessera/param/p/gain", "", {}}, "bad"},
      {{"/tessera/param/p/gain", "fffff", {1.0, 1.0, 1.0, 1.0, 1.0}}, "bad"},
      {{"/tessera/param/p/gain", "fs", {1.0, std::string("x")}}, "bad"},
      {{"/tessera/param/p/gain", "N", {std::monostate{}}}, "bad"},
      {{"/tessera/param/p", "f", {1.0}}, "unknown"},
      {{"/tessera/param/p/gain/x", "f", {1.0}}, "unknown"},
      {{"/tessera/param//gain", "f", {1.0}}, "unknown"},
      {{"/tessera/feed/42/hide", "", {}}, "hide 42"},
      {{"/tessera/feed/42/show", "", {}}, "show 42"},
      {{"/tessera/feed/7/hide", "i", {std::int64_t{1}}}, "hide 7"},
      {{"/tessera/feed/7/hide", "i", {std::int64_t{0}}}, "ignored"},
      {{"/tessera/feed/7/hide", "s", {std::string("x")}}, "bad"},
      {{"/tessera/feed/4294967295/show", "", {}}, "show 4294967295"},
      {{"/tessera/feed/4294967296/show", "", {}}, "unknown"},
      {{"/tessera/feed/-1/show", "", {}}, "unknown"},
      {{"/tessera/feed/+1/show", "", {}}, "unknown"},
      {{"/tessera/feed/1x/show", "", {}}, "unknown"},
      {{"/tessera/feed/1/kick", "", {}}, "unknown"},
      {{"/tessera/feed/1", "", {}}, "unknown"},
      {{"/tessera/scene/x", "s", {std::string("a")}}, "unknown"},
      {{"/tessera/", "", {}}, "unknown"},
      {{"/tessera", "", {}}, "unknown"},
      {{"/other/scene", "s", {std::string("a")}}, "unknown"},
      {{"/tessera/crowd/count", "i", {std::int64_t{3}}}, "unknown"},  // ours, outbound only
      {{"/tessera/scene/", "s", {std::string("a")}}, "unknown"},
  };
  for (const Row& r : rows) {
    INFO(r.message.address << " ," << r.message.types);
    CHECK(describe(parseOscCommand(r.message)) == r.expected);
  }
}

TEST_CASE("a rejection names the address and what it expected", "[control][osc]") {
  const auto p = parseOscCommand({"/tessera/scene", "f", {1.0}});
  const auto* r = std::get_if<OscRejected>(&p);
  REQUIRE(r);
  CHECK(r->detail == "/tessera/scene ,f: expected one string, the scene's name");
  const auto u = parseOscCommand({std::string("/x") + std::string(500, 'y'), "", {}});
  REQUIRE(std::get_if<OscRejected>(&u));
  CHECK(std::get<OscRejected>(u).detail.size() < 100);  // bounded, whatever was sent
}

TEST_CASE("crowd summary: live feeds, mean scores of the analysed ones", "[control][osc]") {
  auto feed = [](std::uint32_t id, core::FeedState state, std::optional<double> motion,
                 double brightness = 0) {
    FeedInfo f;
    f.id = core::FeedId{id};
    f.state = state;
    if (motion) {
      f.scores = core::Scores{};
      f.scores->motion = static_cast<float>(*motion);
      f.scores->brightness = static_cast<float>(brightness);
    }
    return f;
  };
  const std::vector<FeedInfo> feeds = {
      feed(1, core::FeedState::kLive, 0.2, 0.5), feed(2, core::FeedState::kLive, 0.4, 0.7),
      feed(3, core::FeedState::kLive, std::nullopt),  // live, not analysed yet
      feed(4, core::FeedState::kConnecting, 0.9, 0.9), feed(5, core::FeedState::kGone, 1.0, 1.0)};
  const CrowdSummary c = summarizeCrowd(feeds, 1.5);
  CHECK(c.count == 3);
  CHECK(c.motion == Approx(0.3));
  CHECK(c.brightness == Approx(0.6));
  CHECK(c.reactionsPerS == 1.5);
  const CrowdSummary empty = summarizeCrowd({}, 0);
  CHECK(empty.count == 0);
  CHECK(empty.motion == 0);

  const auto present = presentFeeds(feeds);
  CHECK(present == std::vector<core::FeedId>{{1}, {2}, {3}, {4}});
}

TEST_CASE("joined and left feeds between two ticks", "[control][osc]") {
  using Ids = std::vector<core::FeedId>;
  struct Row {
    Ids before, now, joined, left;
  };
  const std::vector<Row> rows = {
      {{}, {}, {}, {}},
      {{}, {{1}, {2}}, {{1}, {2}}, {}},
      {{{1}, {2}}, {{1}, {2}}, {}, {}},
      {{{1}, {2}}, {{2}, {3}}, {{3}}, {{1}}},
      {{{1}, {2}, {5}}, {}, {}, {{1}, {2}, {5}}},
  };
  for (const Row& r : rows) {
    const FeedChanges c = diffFeeds(r.before, r.now);
    CHECK(c.joined == r.joined);
    CHECK(c.left == r.left);
  }
}

TEST_CASE("crowd messages: the four aggregates, then one message per event", "[control][osc]") {
  const std::vector<core::FeedId> joined = {{7}}, left = {{3}, {4}};
  const auto m = crowdMessages({2, 0.25, 0.5, 1.0}, joined, left);
  REQUIRE(m.size() == 7);
  CHECK(m[0].address == "/tessera/crowd/count");
  CHECK(std::get<std::int64_t>(m[0].args[0]) == 2);
  CHECK(m[1].address == "/tessera/crowd/motion");
  CHECK(std::get<double>(m[1].args[0]) == 0.25);
  CHECK(m[2].address == "/tessera/crowd/brightness");
  CHECK(m[3].address == "/tessera/crowd/reactions");
  CHECK(m[4].address == "/tessera/feed/joined");
  CHECK(std::get<std::int64_t>(m[4].args[0]) == 7);
  CHECK(m[5].address == "/tessera/feed/left");
  CHECK(std::get<std::int64_t>(m[6].args[0]) == 4);
}

TEST_CASE("OSC codec: a bundle round-trips through liblo", "[control][osc][platform]") {
  const auto at = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000)) +
                  std::chrono::milliseconds(500);
  const auto bytes = platform::encodeOscBundle(
      crowdMessages({3, 0.5, 0.25, 0.0}, std::vector<core::FeedId>{{9}}, {}), at);
  REQUIRE(bytes.size() > 16);
  CHECK(std::memcmp(bytes.data(), "#bundle", 8) == 0);
  // The timetag: NTP seconds (1970 -> 1900 is 2208988800 s) and half a second of fraction.
  const auto [sec, frac] = platform::oscTimetag(at);
  CHECK(sec == 1700000000u + 2208988800u);
  CHECK(frac == 0x80000000u);
  CHECK(bytes[8] == (sec >> 24));
  CHECK(bytes[15] == (frac & 0xff));

  const auto decoded = platform::decodeOscPacket(bytes);
  const auto* messages = std::get_if<std::vector<OscMessage>>(&decoded);
  REQUIRE(messages);
  REQUIRE(messages->size() == 5);
  CHECK((*messages)[0].address == "/tessera/crowd/count");
  CHECK((*messages)[0].types == "i");
  CHECK(std::get<std::int64_t>((*messages)[0].args[0]) == 3);
  CHECK((*messages)[1].types == "f");
  CHECK(std::get<double>((*messages)[1].args[0]) == 0.5);
  CHECK((*messages)[4].address == "/tessera/feed/joined");
  CHECK(std::get<std::int64_t>((*messages)[4].args[0]) == 9);

  const auto one = platform::encodeOscMessage({"/tessera/scene", "s", {std::string("grid")}});
  const auto back = platform::decodeOscPacket(one);
  REQUIRE(std::holds_alternative<std::vector<OscMessage>>(back));
  CHECK(describe(parseOscCommand(std::get<std::vector<OscMessage>>(back)[0])) == "scene grid");
  CHECK(platform::encodeOscMessage({"no-slash", "", {}}).empty());
}

TEST_CASE("OSC codec: malformed bytes are refused, never thrown", "[control][osc][platform]") {
  auto refused = [](std::vector<std::uint8_t> bytes) {
    return std::holds_alternative<std::string>(platform::decodeOscPacket(bytes));
  };
  CHECK(refused({}));
  CHECK(refused({'g', 'a', 'r', 'b', 'a', 'g', 'e', '\n'}));
  CHECK(refused({'/', 'a', 0}));                         // not padded to 4 bytes
  CHECK(refused({'/', 'a', 0, 0, ',', 'i', 0, 0}));      // an int promised, none there
  CHECK(refused(std::vector<std::uint8_t>(9000, '/')));  // beyond kMaxOscDatagramBytes
  // A bundle whose element claims more bytes than there are.
  std::vector<std::uint8_t> bundle = {'#', 'b', 'u', 'n', 'd', 'l', 'e', 0, 0,   0,   0, 0,
                                      0,   0,   0,   1,   0,   0,   1,   0, '/', 'a', 0, 0};
  CHECK(refused(bundle));
  // Bundles nested deeper than kMaxOscBundleDepth.
  std::vector<std::uint8_t> inner = platform::encodeOscMessage({"/a", "", {}});
  for (int depth = 0; depth <= platform::kMaxOscBundleDepth; ++depth) {
    std::vector<std::uint8_t> outer = {'#', 'b', 'u', 'n', 'd', 'l', 'e', 0,
                                       0,   0,   0,   0,   0,   0,   0,   1};
    const auto n = static_cast<std::uint32_t>(inner.size());
    for (int shift = 24; shift >= 0; shift -= 8) outer.push_back((n >> shift) & 0xff);
    outer.insert(outer.end(), inner.begin(), inner.end());
    inner = std::move(outer);
  }
  CHECK(refused(inner));
  // An empty bundle is well-formed and holds nothing.
  const auto empty = platform::decodeOscPacket(
      std::vector<std::uint8_t>({'#', 'b', 'u', 'n', 'd', 'l', 'e', 0, 0, 0, 0, 0, 0, 0, 0, 1}));
  REQUIRE(std::holds_alternative<std::vector<OscMessage>>(empty));
  CHECK(std::get<std::vector<OscMessage>>(empty).empty());
}

TEST_CASE("log throttle: the first, then one line per interval with the count", "[control][osc]") {
  LogThrottle t;
  const auto t0 = std::chrono::steady_clock::time_point(std::chrono::hours(1));
  std::uint64_t suppressed = 99;
  CHECK(t.shouldLog(t0, &suppressed));
  CHECK(suppressed == 0);
  for (int i = 0; i < 5; ++i) CHECK_FALSE(t.shouldLog(t0 + std::chrono::seconds(1), &suppressed));
  CHECK(t.shouldLog(t0 + LogThrottle::kInterval, &suppressed));
  CHECK(suppressed == 5);
}
