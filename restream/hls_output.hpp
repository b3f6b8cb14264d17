// The canvas encoded once (x264, low latency) and written as HLS with hlssink2.
//
// Threads: start()/finish() on the main-loop thread, which also receives bus messages; push()
// on the render thread, where it never blocks (a full queue drops the frame and counts it).
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include "core/frame.hpp"
#include "core/types.hpp"
#include "platform/pipeline.hpp"

namespace tessera::restream {

struct HlsSettings {
  core::SizePx canvas{1280, 720};
  int fps = 30;
  int bitrateKbps = 4000;
  int segmentSeconds = 2;
  int playlistLength = 6;
  // Must exist and be private to this process (the server makes it with
  // platform::StateDirectory); any text is a valid path here (it is never launch text).
  std::filesystem::path directory;
};

class HlsOutput final : public platform::PipelineListener {
 public:
  explicit HlsOutput(HlsSettings settings);
  ~HlsOutput() override;

  bool start(std::string* error);
  // Render thread: one canvas frame stamped with its tick on the render clock (time since the
  // canvas started): ticks the render thread missed leave a gap, so the stream keeps wall time.
  void push(const core::FrameRef& frame, std::chrono::nanoseconds timestamp);
  // Ends the stream so the playlist is finalised, then stops. Bounded wait. The render thread
  // must have stopped pushing first.
  void finish();

  const std::filesystem::path& directory() const { return mSettings.directory; }
  std::filesystem::path playlist() const { return mSettings.directory / "index.m3u8"; }
  std::uint64_t pushed() const { return mPushed; }
  std::uint64_t dropped() const { return mDropped; }
  bool failed() const { return mFailed; }
  // The pipeline description (exposed for tests and the benchmark).
  static std::string description(const HlsSettings& s);
  // hlssink2's segment `location` for `directory`: its '%' escaped for hlssink2's printf.
  static std::string segmentLocation(const std::filesystem::path& directory);

 private:
  void onPipelineError(const std::string& source, const std::string& message,
                       const std::string& debug) override;
  void onPipelineEos() override {}

  const HlsSettings mSettings;
  std::optional<platform::Pipeline> mPipeline;
  platform::GstPtr<GstElement> mSource;
  std::atomic<bool> mAccepting{false};
  std::atomic<bool> mFailed{false};
  std::atomic<std::uint64_t> mPushed{0};
  std::atomic<std::uint64_t> mDropped{0};
};

}  // namespace tessera::restream
