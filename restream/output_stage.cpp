#include "restream/output_stage.hpp"

#include "core/log.hpp"

namespace tessera::restream {

OutputStage::OutputStage(OutputStageSettings settings) {
  std::vector<EncodedSink*> sinks;
  if (settings.hls) {
    mHls = std::make_unique<HlsOutput>(*settings.hls);
    sinks.push_back(mHls.get());
  }
  for (auto& target : settings.pushes) {
    mPushes.push_back(std::make_unique<PushOutput>(std::move(target), settings.encoder.fps));
    sinks.push_back(mPushes.back().get());
  }
  mEncoder = std::make_unique<Encoder>(settings.encoder, std::move(sinks));
}

OutputStage::~OutputStage() {
  finish();
}

bool OutputStage::start(std::string* error) {
  // Outputs first: the encoder's first keyframe finds them ready.
  if (mHls && !mHls->start(error)) return false;
  for (auto& push : mPushes) {
    if (!push->start(error)) return false;
  }
  if (!mEncoder->start(error)) return false;
  if (mHls) {
    const auto& e = mEncoder->settings();
    core::logInfo("restream", "hls: writing {}x{}@{} at {} kbit/s to {}", e.canvas.width,
                  e.canvas.height, e.fps, e.bitrateKbps, mHls->playlist().string());
  }
  return true;
}

void OutputStage::finish() {
  if (mFinished) return;
  mFinished = true;
  mEncoder->finish();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  if (mHls) mHls->stop(deadline);
  for (auto& push : mPushes) push->stop(deadline);
}

std::vector<OutputStatus> OutputStage::statuses() const {
  std::vector<OutputStatus> out;
  if (mHls) out.push_back(mHls->status());
  for (const auto& push : mPushes) out.push_back(push->status());
  return out;
}

}  // namespace tessera::restream
