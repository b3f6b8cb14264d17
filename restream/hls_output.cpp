#include "restream/hls_output.hpp"

#include <gst/app/gstappsrc.h>

#include <fmt/format.h>

#include <algorithm>

#include "core/log.hpp"
#include "platform/gst_frame.hpp"

namespace tessera::restream {
namespace {
constexpr const char* kModule = "restream";
}

HlsOutput::HlsOutput(HlsSettings settings) : mSettings(std::move(settings)) {}

HlsOutput::~HlsOutput() {
  finish();
}

std::string HlsOutput::description(const HlsSettings& s) {
  // One keyframe per segment so every segment starts cleanly; ultrafast + zerolatency keeps the
  // encoder's CPU and delay low. The queue decouples the render thread from the encoder.
  // Only numbers go into this text: the directory is set as properties (start()), so no name or
  // path can add elements or properties to the pipeline.
  return fmt::format(
      "appsrc name=src is-live=true format=time do-timestamp=false max-buffers=3 "
      "leaky-type=downstream block=false "
      "caps=video/x-raw,format=RGBA,width={w},height={h},framerate={fps}/1 "
      "! queue max-size-buffers=3 max-size-bytes=0 max-size-time=0 leaky=downstream "
      "! videoconvert n-threads=2 ! video/x-raw,format=I420 "
      "! x264enc name=enc tune=zerolatency speed-preset=ultrafast bitrate={kbps} "
      "key-int-max={gop} ! video/x-h264,profile=constrained-baseline ! h264parse "
      "! hlssink2 name=hls target-duration={seg} playlist-length={len} max-files={files}",
      fmt::arg("w", s.canvas.width), fmt::arg("h", s.canvas.height), fmt::arg("fps", s.fps),
      fmt::arg("kbps", s.bitrateKbps), fmt::arg("gop", s.fps * s.segmentSeconds),
      fmt::arg("seg", s.segmentSeconds), fmt::arg("len", s.playlistLength),
      fmt::arg("files", s.playlistLength + 4));
}

std::string HlsOutput::segmentLocation(const std::filesystem::path& directory) {
  // hlssink2 formats `location` with printf (the segment number): a '%' of the directory is
  // written "%%" so that only our "%05d" is a conversion.
  std::string escaped;
  for (const char c : directory.string()) {
    escaped += c;
    if (c == '%') escaped += '%';
  }
  return escaped + "/segment%05d.ts";
}

bool HlsOutput::start(std::string* error) {
  std::error_code ec;
  if (!std::filesystem::is_directory(mSettings.directory, ec)) {
    if (error) *error = "no directory " + mSettings.directory.string();
    return false;
  }
  auto pipeline = platform::Pipeline::parse("hls", description(mSettings), error);
  if (!pipeline) return false;
  mPipeline.emplace(std::move(*pipeline));
  mSource = mPipeline->element("src");
  const std::string location = segmentLocation(mSettings.directory);
  g_object_set(mPipeline->element("hls").get(), "location", location.c_str(), "playlist-location",
               playlist().c_str(), nullptr);
  // The encoder runs ahead of the feeds' threads (see ingest::Feed::kFeedThreadNice); when this
  // process may not raise priority, it still stays above the feeds.
  mPipeline->setStreamingThreadNice(-5);
  mPipeline->watchBus(this);
  if (!mPipeline->play()) {
    if (error) *error = "HLS pipeline refused to start";
    mSource.reset();
    mPipeline.reset();
    return false;
  }
  mAccepting = true;
  core::logInfo(kModule, "hls: writing {}x{}@{} at {} kbit/s to {}", mSettings.canvas.width,
                mSettings.canvas.height, mSettings.fps, mSettings.bitrateKbps, playlist().string());
  return true;
}

void HlsOutput::push(const core::FrameRef& frame, std::chrono::nanoseconds timestamp) {
  if (!mAccepting || frame->width != mSettings.canvas.width ||
      frame->height != mSettings.canvas.height) {
    return;
  }
  auto buffer = platform::wrapFrame(frame);
  GST_BUFFER_PTS(buffer.get()) =
      static_cast<GstClockTime>(std::max<std::int64_t>(0, timestamp.count()));
  GST_BUFFER_DURATION(buffer.get()) = gst_util_uint64_scale(1, GST_SECOND, mSettings.fps);
  // A full queue means the encoder is behind: appsrc (leaky) drops this frame; count it.
  if (gst_app_src_get_current_level_buffers(GST_APP_SRC(mSource.get())) >= 3) ++mDropped;
  gst_app_src_push_buffer(GST_APP_SRC(mSource.get()), buffer.release());
  ++mPushed;
}

void HlsOutput::finish() {
  if (!mPipeline) return;
  if (mAccepting.exchange(false) && !mFailed) {
    gst_app_src_end_of_stream(GST_APP_SRC(mSource.get()));
    if (mPipeline->waitForEos(std::chrono::seconds(5))) {
      core::logInfo(kModule, "hls: finalised {} ({} frames)", playlist().string(), mPushed.load());
    } else {
      core::logWarn(kModule, "hls: no EOS within 5 s; playlist may lack its end tag");
    }
  }
  mSource.reset();
  mPipeline.reset();
}

void HlsOutput::onPipelineError(const std::string& source, const std::string& message,
                                const std::string& debug) {
  core::logError(kModule, "hls: {}: {} ({})", source, message, debug);
  mFailed = true;
  mAccepting = false;
}

}  // namespace tessera::restream
