// What the HTTP API reads and asks of the running installation, as plain values. The server
// implements it; tests can implement it with fixed data.
//
// Thread: every call comes from the main-loop thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/frame.hpp"
#include "core/scores.hpp"
#include "core/types.hpp"

namespace tessera::control {

struct FeedInfo {
  core::FeedId id;
  core::FeedSource source = core::FeedSource::kSynthetic;
  std::string uri;  // pull only
  core::FeedState state = core::FeedState::kConnecting;
  int width = 0;  // as decoded from the source
  int height = 0;
  double fps = 0;
  std::optional<core::Scores> scores;
  std::optional<core::Rect> tile;  // canvas pixels, none when not on the canvas
  std::uint64_t frames = 0;
  std::uint64_t dropped = 0;
  int restarts = 0;
  std::string lastError;
};

struct HealthInfo {
  bool rendering = false;  // a canvas frame exists
  std::size_t feeds = 0;
  std::size_t liveFeeds = 0;
  int workers = 0;  // live analysis workers
  // Why the installation runs degraded ("analysis: no live worker ..."); empty when it does not.
  std::vector<std::string> degraded;
  double fps = 0;
  std::string scene;
  std::string installation;
  double uptimeSeconds = 0;
};

class ApiModel {
 public:
  virtual ~ApiModel() = default;
  virtual HealthInfo health() = 0;
  virtual std::vector<FeedInfo> feeds() = 0;
  virtual core::FrameRef canvas() = 0;
  virtual std::optional<std::filesystem::path> hlsDirectory() = 0;
  virtual std::vector<std::string> sceneNames() = 0;
  // Prometheus text exposition lines, without the HTTP framing.
  virtual std::string metrics() = 0;
  virtual bool switchScene(const std::string& name) = 0;
};

}  // namespace tessera::control
