// The output stage: the canvas encoded once and handed to every output (HLS, RTMP, SRT), each
// in its own supervised pipeline (restream/output.hpp), so one failing never stalls the others.
//
// Threads: built, started, finished and read on the main-loop thread; push() on the render
// thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/push_uri.hpp"
#include "restream/encoder.hpp"
#include "restream/hls_output.hpp"
#include "restream/push_output.hpp"

namespace tessera::restream {

struct OutputStageSettings {
  EncoderSettings encoder;
  std::optional<HlsSettings> hls;
  std::vector<core::PushTarget> pushes;
};

class OutputStage {
 public:
  explicit OutputStage(OutputStageSettings settings);
  ~OutputStage();

  // The encoder and every output. False (with `error`) when the encoder cannot start; an output
  // whose target is unreachable starts retrying instead.
  bool start(std::string* error);
  void push(const core::FrameRef& frame, std::chrono::nanoseconds timestamp) {
    mEncoder->push(frame, timestamp);
  }
  // Drains the encoder and ends every output's stream (bounded: 5 s in all). The render thread
  // must have stopped pushing first.
  void finish();

  std::vector<OutputStatus> statuses() const;
  const Encoder& encoder() const { return *mEncoder; }
  std::size_t encoderCount() const { return 1; }  // one per rendition
  const HlsOutput* hls() const { return mHls.get(); }

 private:
  std::unique_ptr<HlsOutput> mHls;
  std::vector<std::unique_ptr<PushOutput>> mPushes;
  std::unique_ptr<Encoder> mEncoder;  // after the outputs: it holds pointers to them
  bool mFinished = false;
};

}  // namespace tessera::restream
