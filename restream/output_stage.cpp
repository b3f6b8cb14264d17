#include "restream/output_stage.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>

#include "core/log.hpp"

namespace tessera::restream {
namespace {
constexpr const char* kModule = "restream";
constexpr int kMinRenditionKbps = 200;

// H.264 Constrained Baseline at the level x264 picks for the size at up to 30 fps.
std::string codecsFor(core::SizePx size) {
  const int level = size.height <= 288    ? 0x15
                    : size.height <= 576  ? 0x1e
                    : size.height <= 720  ? 0x1f
                    : size.height <= 1088 ? 0x28
                                          : 0x33;
  return fmt::format("avc1.42e0{:02x}", level);
}
}  // namespace

EncoderSettings renditionSettings(const EncoderSettings& canvas, int height) {
  EncoderSettings s = canvas;
  const double scale = static_cast<double>(height) / canvas.canvas.height;
  int width = static_cast<int>(std::lround(canvas.canvas.width * scale));
  width += width % 2;  // I420 needs even sizes
  s.size = {width, height};
  const double share = static_cast<double>(width) * height /
                       (static_cast<double>(canvas.canvas.width) * canvas.canvas.height);
  s.bitrateKbps =
      std::max(kMinRenditionKbps, static_cast<int>(std::lround(canvas.bitrateKbps * share)));
  return s;
}

std::string masterPlaylist(const std::vector<EncoderSettings>& renditions) {
  std::string text = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-INDEPENDENT-SEGMENTS\n";
  for (const EncoderSettings& r : renditions) {
    const core::SizePx size = Encoder::encodedSize(r);
    text += fmt::format(
        "#EXT-X-STREAM-INF:BANDWIDTH={},RESOLUTION={}x{},FRAME-RATE={}.000,CODECS=\"{}\"\n"
        "index-{}p.m3u8\n",
        r.bitrateKbps * 1100, size.width, size.height, r.fps, codecsFor(size), size.height);
  }
  return text;
}

OutputStage::OutputStage(OutputStageSettings settings) : mSettings(std::move(settings)) {
  std::vector<EncoderSettings> encoders;
  for (const int height : mSettings.renditions) {
    encoders.push_back(renditionSettings(mSettings.encoder, height));
  }
  if (encoders.empty()) encoders.push_back(mSettings.encoder);
  for (std::size_t i = 0; i < encoders.size(); ++i) {
    std::vector<EncodedSink*> sinks;
    if (mSettings.hls) {
      HlsSettings hls = *mSettings.hls;
      if (!mSettings.renditions.empty()) {
        hls.rendition = fmt::format("{}p", Encoder::encodedSize(encoders[i]).height);
      }
      mHls.push_back(std::make_unique<HlsOutput>(std::move(hls)));
      sinks.push_back(mHls.back().get());
    }
    if (i == 0) {
      if (mSettings.replay) {
        mReplay = std::make_unique<ReplayOutput>(*mSettings.replay);
        sinks.push_back(mReplay.get());
      }
      if (mSettings.whep) {
        mWhep = std::make_unique<WhepHub>(*mSettings.whep);
        sinks.push_back(mWhep.get());
      }
      for (const auto& target : mSettings.pushes) {
        mPushes.push_back(std::make_unique<PushOutput>(target, mSettings.encoder.fps));
        sinks.push_back(mPushes.back().get());
      }
    }
    mEncoders.push_back(std::make_unique<Encoder>(encoders[i], std::move(sinks)));
  }
  if (mWhep) mWhep->setEncoder(mEncoders.front().get());
}

std::vector<core::SizePx> OutputStage::encodedSizes() const {
  std::vector<core::SizePx> sizes;
  for (const auto& e : mEncoders) sizes.push_back(e->size());
  return sizes;
}

OutputStage::~OutputStage() {
  finish();
}

bool OutputStage::start(std::string* error) {
  if (mSettings.hls && !mSettings.renditions.empty()) {
    std::vector<EncoderSettings> renditions;
    for (const auto& e : mEncoders) renditions.push_back(e->settings());
    const auto path = mSettings.hls->directory / "index.m3u8";
    std::ofstream out(path, std::ios::trunc);
    out << masterPlaylist(renditions);
    if (!out.flush()) {
      *error = "hls: cannot write the master playlist " + path.string();
      return false;
    }
  }
  // Outputs first: the encoders' first keyframes find them ready.
  for (auto& hls : mHls) {
    if (!hls->start(error)) return false;
  }
  for (auto& push : mPushes) {
    if (!push->start(error)) return false;
  }
  if (mReplay && !mReplay->start(error)) return false;
  for (auto& encoder : mEncoders) {
    if (!encoder->start(error)) return false;
  }
  for (std::size_t i = 0; i < mHls.size(); ++i) {
    const auto& e = *mEncoders[i];
    core::logInfo(kModule, "hls: writing {}x{}@{} at {} kbit/s to {}", e.size().width,
                  e.size().height, e.settings().fps, e.settings().bitrateKbps,
                  mHls[i]->playlist().string());
  }
  if (!mSettings.renditions.empty() && mSettings.hls) {
    core::logInfo(kModule, "hls: {} renditions under the master playlist {}",
                  mSettings.renditions.size(), (mSettings.hls->directory / "index.m3u8").string());
  }
  return true;
}

void OutputStage::finish() {
  if (mFinished) return;
  mFinished = true;
  // Viewers first: their keyframe requests reach the encoder from their own threads.
  if (mWhep) mWhep->stopAll();
  for (auto& encoder : mEncoders) encoder->finish();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (auto& hls : mHls) hls->stop(deadline);
  if (mReplay) mReplay->stop(deadline);
  for (auto& push : mPushes) push->stop(deadline);
}

std::vector<OutputStatus> OutputStage::statuses() const {
  std::vector<OutputStatus> out;
  for (const auto& hls : mHls) out.push_back(hls->status());
  if (mReplay) out.push_back(mReplay->status());
  for (const auto& push : mPushes) out.push_back(push->status());
  return out;
}

bool OutputStage::anyEncoderFailed() const {
  return std::any_of(mEncoders.begin(), mEncoders.end(), [](const auto& e) { return e->failed(); });
}

const std::filesystem::path* OutputStage::replayDirectory() const {
  return mReplay ? &mReplay->directory() : nullptr;
}

const std::filesystem::path* OutputStage::hlsDirectory() const {
  return mSettings.hls ? &mSettings.hls->directory : nullptr;
}

bool OutputStage::hlsRecorded() const {
  return std::any_of(mHls.begin(), mHls.end(),
                     [](const auto& h) { return h->status().frames > 0; });
}

bool OutputStage::hlsEverFailed() const {
  return std::any_of(mHls.begin(), mHls.end(), [](const auto& h) { return h->everFailed(); });
}

}  // namespace tessera::restream
