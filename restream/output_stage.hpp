// The output stage: the canvas encoded once per rendition and handed to every output (HLS,
// RTMP, SRT), each in its own supervised pipeline (restream/output.hpp), so one failing never
// stalls the others.
//
// Renditions (HLS heights, largest first): one encoder each, each with its own HLS playlist
// (index-480p.m3u8) under a master playlist (index.m3u8) that players pick from by bandwidth.
// Push targets take the largest. Without renditions: one encoder at the canvas size, and
// index.m3u8 is its media playlist.
//
// Threads: built, started, finished and read on the main-loop thread; push() on the render
// thread.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/push_uri.hpp"
#include "restream/encoder.hpp"
#include "restream/hls_output.hpp"
#include "restream/push_output.hpp"
#include "restream/replay_output.hpp"
#include "restream/whep_hub.hpp"

namespace tessera::restream {

struct OutputStageSettings {
  EncoderSettings encoder;      // the canvas, its rate, the bitrate at the canvas size
  std::vector<int> renditions;  // heights, largest first; empty: the canvas size only
  std::optional<HlsSettings> hls;
  std::optional<ReplaySettings> replay;  // takes the largest rendition
  std::vector<core::PushTarget> pushes;
  std::optional<WhepSettings> whep;  // WebRTC viewers of the largest rendition
};

// One rendition's encoder settings: the canvas scaled to `height` (width even, same aspect),
// its bitrate scaled by its share of the canvas's pixels (at least 200 kbit/s).
EncoderSettings renditionSettings(const EncoderSettings& canvas, int height);
// The master playlist for the renditions' encoders (RESOLUTION, BANDWIDTH with 10 % for the
// container, CODECS), listing index-NNNp.m3u8 largest first.
std::string masterPlaylist(const std::vector<EncoderSettings>& renditions);

class OutputStage {
 public:
  explicit OutputStage(OutputStageSettings settings);
  ~OutputStage();

  // The encoders and every output. False (with `error`) when an encoder cannot start or the
  // master playlist cannot be written; an output whose target is unreachable starts retrying
  // instead.
  bool start(std::string* error);
  // The canvas at every encoder's size (encodedSizes()); each encoder takes the frame it
  // accepts.
  void push(std::span<const core::FrameRef> frames, std::chrono::nanoseconds timestamp) {
    for (auto& encoder : mEncoders) {
      for (const auto& frame : frames) {
        if (frame && encoder->accepts(*frame)) encoder->push(frame, timestamp);
      }
    }
  }
  // The sizes the encoders take the canvas at (I420), largest first.
  std::vector<core::SizePx> encodedSizes() const;
  // Before start(): every encoder takes RGBA at the canvas size (Encoder::setRgbaInput).
  void setRgbaInput(bool rgba) {
    for (auto& encoder : mEncoders) encoder->setRgbaInput(rgba);
  }
  // Drains the encoders and ends every output's stream (bounded: 5 s in all). The render
  // thread must have stopped pushing first.
  void finish();

  std::vector<OutputStatus> statuses() const;
  // The largest rendition's encoder (the canvas size without renditions).
  const Encoder& encoder() const { return *mEncoders.front(); }
  std::size_t encoderCount() const { return mEncoders.size(); }
  bool anyEncoderFailed() const;
  // The HLS directory, or null without HLS.
  const std::filesystem::path* hlsDirectory() const;
  const std::filesystem::path* replayDirectory() const;  // null without a replay
  WhepHub* whep() const { return mWhep.get(); }          // null without WHEP
  bool hlsRecorded() const;                              // an HLS output took frames
  bool hlsEverFailed() const;                            // an HLS output failed at some point

 private:
  OutputStageSettings mSettings;
  std::vector<std::unique_ptr<HlsOutput>> mHls;  // one per rendition
  std::vector<std::unique_ptr<PushOutput>> mPushes;
  std::unique_ptr<ReplayOutput> mReplay;
  std::unique_ptr<WhepHub> mWhep;
  std::vector<std::unique_ptr<Encoder>> mEncoders;  // after the outputs: they hold pointers to them
  bool mFinished = false;
};

}  // namespace tessera::restream
