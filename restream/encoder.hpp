// The canvas encoded once (x264, low latency) for every output of one rendition.
//
// The render thread pushes the canvas as I420 at the encoded size, converted on the GPU
// (push(), never blocks: a full queue drops the
// frame and counts it); the encoder's streaming thread hands each encoded access unit (Annex B,
// SPS/PPS repeated before every keyframe so a late joiner can start) to every output's offer(),
// which never blocks either. Outputs have pipelines of their own, so one that fails or stalls
// never reaches the encoder or another output.
//
// Threads: start()/finish() on the main-loop thread; push() on the render thread; the sinks are
// called on the encoder's streaming thread.
#pragma once

#include <gst/gst.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/frame.hpp"
#include "core/types.hpp"
#include "platform/pipeline.hpp"

namespace tessera::restream {

struct EncoderSettings {
  core::SizePx canvas{1280, 720};  // what the render thread draws
  core::SizePx size{0, 0};         // what is encoded and pushed (a rendition); 0x0: the canvas size
  int fps = 30;
  int bitrateKbps = 4000;
  int keyframeSeconds = 2;  // one keyframe per HLS segment
};

// What receives the encoded stream. Called on the encoder's streaming thread; must not block.
class EncodedSink {
 public:
  virtual ~EncodedSink() = default;
  virtual void offer(GstSample* sample) = 0;
  // The encoder has delivered its last access unit.
  virtual void endOfStream() = 0;
};

class Encoder final : public platform::PipelineListener {
 public:
  Encoder(EncoderSettings settings, std::vector<EncodedSink*> sinks);
  ~Encoder() override;

  // Before start(): the render thread hands RGBA at the canvas size instead (the GPU does not
  // convert: render::RenderSettings::i420Conversion), converted and scaled in this pipeline.
  void setRgbaInput(bool rgba) { mRgbaInput = rgba; }
  bool start(std::string* error);
  // Render thread: one canvas frame stamped with its tick on the render clock (time since the
  // canvas started): ticks the render thread missed leave a gap, so the stream keeps wall time.
  // A frame this encoder does not accept (another size or format) is ignored.
  void push(const core::FrameRef& frame, std::chrono::nanoseconds timestamp);
  // Drains the encoder (bounded) so every sink gets the last frames and its end of stream. The
  // render thread must have stopped pushing first.
  void finish();
  // Any thread: the next frame is encoded as a keyframe (a WebRTC viewer joined or lost one).
  void requestKeyframe();

  std::uint64_t pushed() const { return mPushed; }
  std::uint64_t dropped() const { return mDropped; }
  std::uint64_t encoded() const { return mEncoded; }
  bool failed() const { return mFailed; }
  const EncoderSettings& settings() const { return mSettings; }
  core::SizePx size() const { return encodedSize(mSettings); }
  // I420 at size(), laid out as core::i420Layout, with the matrix the caps name; with RGBA
  // input, RGBA at the canvas size.
  bool accepts(const core::VideoFrame& frame) const {
    if (mRgbaInput) {
      return frame.format == core::PixelFormat::kRgba && frame.width == mSettings.canvas.width &&
             frame.height == mSettings.canvas.height;
    }
    const core::SizePx s = size();
    return frame.format == core::PixelFormat::kI420 && frame.width == s.width &&
           frame.height == s.height && frame.matrix == core::yuvMatrixFor(s.height);
  }
  static core::SizePx encodedSize(const EncoderSettings& s) {
    return s.size.width > 0 ? s.size : s.canvas;
  }
  // The pipeline description (exposed for tests): only numbers.
  static std::string description(const EncoderSettings& s, bool rgbaInput = false);

 private:
  static GstFlowReturn onSample(GstElement* sink, gpointer self);
  static void onEos(GstElement* sink, gpointer self);
  void onPipelineError(const std::string& source, const std::string& message,
                       const std::string& debug) override;
  void onPipelineEos() override {}

  const EncoderSettings mSettings;
  const std::vector<EncodedSink*> mSinks;
  std::optional<platform::Pipeline> mPipeline;
  platform::GstPtr<GstElement> mSource;
  platform::GstPtr<GstElement> mSink;
  std::atomic<bool> mAccepting{false};
  std::atomic<bool> mRgbaInput{false};
  std::atomic<bool> mFailed{false};
  std::atomic<std::uint64_t> mPushed{0};
  std::atomic<std::uint64_t> mDropped{0};
  std::atomic<std::uint64_t> mEncoded{0};
};

}  // namespace tessera::restream
