// Shared by the ingest tests: GStreamer set-up, clips made once per run, a recording listener.
#pragma once

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/types.hpp"
#include "ingest/feed.hpp"
#include "platform/pipeline.hpp"
#include "tests/support/clips.hpp"

namespace tessera::ingest::testing {

inline constexpr core::SizePx kTile{160, 120};

inline FeedSpec synthetic(int index) {
  FeedSpec spec;
  spec.source = core::FeedSource::kSynthetic;
  spec.syntheticIndex = index;
  return spec;
}

inline FeedSpec pull(std::string uri, bool loop) {
  FeedSpec spec;
  spec.source = core::FeedSource::kPull;
  spec.uri = std::move(uri);
  spec.loop = loop;
  return spec;
}

// Clips are made on first use and deleted when the test executable exits.
class Clips {
 public:
  static Clips& get() {
    static Clips clips;
    return clips;
  }
  // 320x240, 30 fps, 1 s of SMPTE bars.
  const std::filesystem::path& small() { return make(mSmall, "small.mp4", {320, 240, 30, 1.0}); }
  // 3840x2160, 10 fps, 1 s.
  const std::filesystem::path& uhd() { return make(mUhd, "uhd.mp4", {3840, 2160, 10, 1.0}); }

 private:
  Clips() = default;
  const std::filesystem::path& make(std::filesystem::path& slot, const char* name,
                                    const test::ClipSpec& spec) {
    if (slot.empty()) {
      const auto file = mDir.path() / name;
      std::string error;
      if (!test::makeTestClip(file, spec, &error)) throw std::runtime_error(error);
      slot = file;
    }
    return slot;
  }

  platform::GstRuntime mGst;
  test::ScratchDir mDir;
  std::filesystem::path mSmall;
  std::filesystem::path mUhd;
};

struct RecordingFeedListener final : FeedListener {
  std::vector<std::string> failures;
  int ended = 0;
  void onFeedFailed(core::FeedId, const std::string& reason) override {
    failures.push_back(reason);
  }
  void onFeedEnded(core::FeedId) override { ++ended; }
};

}  // namespace tessera::ingest::testing
