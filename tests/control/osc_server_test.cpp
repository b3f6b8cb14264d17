// OscServer on real loopback sockets and the GLib main loop, with the model and cue service as
// test doubles (their own interfaces): commands reach the model, bad bytes are counted, senders
// outside `allow` are refused, the crowd goes out as bundles.
#include "control/osc_server.hpp"

#include <catch2/catch.hpp>

#include <array>

#include "tests/support/wait.hpp"

using namespace tessera;
using namespace tessera::control;
using namespace std::chrono_literals;
using tessera::test::waitUntil;

namespace {

class FakeModel final : public ApiModel {
 public:
  std::vector<std::string> switched;
  std::vector<std::pair<std::string, ParamValue>> params;
  std::vector<FeedInfo> feedList;

  HealthInfo health() override { return {}; }
  std::vector<FeedInfo> feeds() override { return feedList; }
  core::FrameRef canvas() override { return nullptr; }
  std::optional<std::filesystem::path> hlsDirectory() override { return std::nullopt; }
  std::vector<OutputInfo> outputs() override { return {}; }
  std::optional<std::filesystem::path> replayDirectory() override { return std::nullopt; }
  std::vector<std::string> sceneNames() override { return {"grid", "portrait"}; }
  std::string metrics() override { return {}; }
  bool switchScene(const std::string& name) override {
    if (name != "grid" && name != "portrait") return false;
    switched.push_back(name);
    return true;
  }
  std::vector<ShaderInfo> shaders() override { return {}; }
  ParamResult setParams(const std::optional<std::string>& scene, const std::optional<std::string>&,
                        const std::vector<ParamValue>& values) override {
    ParamResult r;
    if (scene != "portrait") {
      r.status = 404;
      r.detail = "no scene";
      return r;
    }
    for (const auto& v : values) params.emplace_back(*scene, v);
    return r;
  }
};

class FakeCue final : public CueService {
 public:
  std::vector<bool> started;
  std::optional<CueInfo> startCue(bool flash) override {
    started.push_back(flash);
    return CueInfo{started.size(), flash, false, {}};
  }
  std::optional<CueInfo> lastCue() override { return std::nullopt; }
};

core::OscConfig listenConfig(std::vector<std::string> allow = {}) {
  core::OscConfig c;
  c.enabled = true;
  c.listen = core::ListenAddress{"127.0.0.1", 0};
  c.allow = std::move(allow);
  return c;
}

void send(int port, const std::vector<std::uint8_t>& bytes) {
  std::string error;
  auto s = platform::OscSocket::sender(&error);
  REQUIRE(s);
  REQUIRE(s->sendTo(bytes, {"127.0.0.1", port}, &error));
}

std::vector<std::uint8_t> message(std::string address, std::string types,
                                  std::vector<platform::OscValue> args) {
  return platform::encodeOscMessage({std::move(address), std::move(types), std::move(args)});
}

}  // namespace

TEST_CASE("OscServer: commands reach the model and the cue service", "[control][osc]") {
  FakeModel model;
  FakeCue cue;
  OscServer osc(listenConfig(), model, &cue, nullptr);
  std::string error;
  REQUIRE(osc.start(&error));
  REQUIRE(osc.port() > 0);

  send(osc.port(), message("/tessera/scene", "s", {std::string("portrait")}));
  send(osc.port(), message("/tessera/param/portrait/tint", "f", {0.75}));
  send(osc.port(), message("/tessera/cue", "", {}));
  send(osc.port(), message("/tessera/cue", "i", {std::int64_t{0}}));  // release: ignored
  send(osc.port(), message("/tessera/cue", "s", {std::string("room")}));
  REQUIRE(waitUntil([&] { return osc.stats().ok + osc.stats().ignored == 5; }, 2s));
  CHECK(model.switched == std::vector<std::string>{"portrait"});
  REQUIRE(model.params.size() == 1);
  CHECK(model.params[0].second.name == "tint");
  CHECK(model.params[0].second.numbers == std::vector<double>{0.75});
  CHECK(cue.started == std::vector<bool>{true, false});
  CHECK(osc.stats().ignored == 1);

  // Well-formed commands that cannot act, and hide/show with no moderation wired.
  send(osc.port(), message("/tessera/scene", "s", {std::string("nope")}));
  send(osc.port(), message("/tessera/param/grid/tint", "f", {0.5}));
  send(osc.port(), message("/tessera/feed/3/hide", "", {}));
  REQUIRE(waitUntil([&] { return osc.stats().failed == 3; }, 2s));

  // Hide/show once wired: the hook gets the id, the direction and the sender.
  std::vector<std::string> calls;
  osc.setFeedVisibility([&](core::FeedId id, bool hide, const std::string& source) {
    calls.push_back(std::to_string(id.value) + (hide ? " hide " : " show ") + source);
    return FeedVisibilityReply{id.value == 3, "no feed"};
  });
  send(osc.port(), message("/tessera/feed/3/hide", "", {}));
  send(osc.port(), message("/tessera/feed/3/show", "", {}));
  send(osc.port(), message("/tessera/feed/9/show", "", {}));
  REQUIRE(waitUntil([&] { return calls.size() == 3; }, 2s));
  CHECK(calls[0] == "3 hide 127.0.0.1");
  CHECK(calls[1] == "3 show 127.0.0.1");
  CHECK(osc.stats().failed == 4);
  CHECK(osc.metrics().find("tessera_osc_messages_total{result=\"failed\"} 4") != std::string::npos);
}

TEST_CASE("OscServer: garbage and unknown addresses are counted, never fatal", "[control][osc]") {
  FakeModel model;
  OscServer osc(listenConfig(), model, nullptr, nullptr);
  std::string error;
  REQUIRE(osc.start(&error));
  for (int i = 0; i < 100; ++i) send(osc.port(), {'x', static_cast<std::uint8_t>(i), 0, 0});
  send(osc.port(), std::vector<std::uint8_t>(20000, '/'));  // beyond the datagram limit
  send(osc.port(), message("/somewhere/else", "", {}));
  send(osc.port(), message("/tessera/scene", "i", {std::int64_t{1}}));
  send(osc.port(), message("/tessera/cue", "", {}));  // no cue service: failed
  REQUIRE(waitUntil([&] { return osc.stats().failed == 1; }, 2s));
  CHECK(osc.stats().malformed == 101);
  CHECK(osc.stats().unknown == 1);
  CHECK(osc.stats().badArguments == 1);
  CHECK(osc.stats().ok == 0);
  send(osc.port(), message("/tessera/scene", "s", {std::string("grid")}));
  REQUIRE(waitUntil([&] { return osc.stats().ok == 1; }, 2s));
}

TEST_CASE("OscServer: senders outside `allow` are refused unread", "[control][osc]") {
  FakeModel model;
  OscServer osc(listenConfig({"127.0.0.2"}), model, nullptr, nullptr);
  std::string error;
  REQUIRE(osc.start(&error));
  send(osc.port(), message("/tessera/scene", "s", {std::string("grid")}));  // from 127.0.0.1
  REQUIRE(waitUntil([&] { return osc.stats().refused == 1; }, 2s));
  CHECK(model.switched.empty());
}

TEST_CASE("OscServer: crowd bundles at rate_hz, joined and left events", "[control][osc]") {
  std::string error;
  auto receiver = platform::OscSocket::bind({"127.0.0.1", 0}, &error);
  REQUIRE(receiver);
  FakeModel model;
  FeedInfo feed;
  feed.id = core::FeedId{5};
  feed.state = core::FeedState::kLive;
  feed.scores = core::Scores{};
  feed.scores->motion = 0.5f;
  model.feedList = {feed};
  core::OscConfig config;
  config.enabled = true;
  config.send = {{"127.0.0.1", receiver->port()}};
  config.rateHz = 50;
  OscServer osc(config, model, nullptr, nullptr);
  REQUIRE(osc.start(&error));
  CHECK(osc.port() == 0);  // send only

  std::vector<platform::OscMessage> got;
  std::array<std::uint8_t, 8192> buffer{};
  auto receive = [&] {
    while (auto d = receiver->receive(buffer)) {
      auto decoded = platform::decodeOscPacket(std::span(buffer.data(), d->size));
      REQUIRE(std::holds_alternative<std::vector<platform::OscMessage>>(decoded));
      for (auto& m : std::get<std::vector<platform::OscMessage>>(decoded)) got.push_back(m);
    }
  };
  auto has = [&](const std::string& address, std::int64_t value) {
    return std::any_of(got.begin(), got.end(), [&](const platform::OscMessage& m) {
      return m.address == address && std::get<std::int64_t>(m.args[0]) == value;
    });
  };
  REQUIRE(waitUntil(
      [&] {
        receive();
        return has("/tessera/feed/joined", 5);
      },
      2s));
  REQUIRE(got.size() >= 5);
  CHECK(got[0].address == "/tessera/crowd/count");
  CHECK(std::get<std::int64_t>(got[0].args[0]) == 1);
  CHECK(got[1].address == "/tessera/crowd/motion");
  CHECK(std::get<double>(got[1].args[0]) == 0.5);

  model.feedList.clear();
  REQUIRE(waitUntil(
      [&] {
        receive();
        return has("/tessera/feed/left", 5);
      },
      2s));
  CHECK(osc.stats().bundlesSent >= 2);
  CHECK(std::count_if(got.begin(), got.end(), [](const platform::OscMessage& m) {
          return m.address == "/tessera/feed/joined";
        }) == 1);
}
