#include "restream/encoder.hpp"

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/video/video.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "core/log.hpp"
#include "platform/gst_frame.hpp"

namespace tessera::restream {
namespace {
constexpr const char* kModule = "restream";
constexpr guint kQueuedFrames = 3;
}  // namespace

Encoder::Encoder(EncoderSettings settings, std::vector<EncodedSink*> sinks)
    : mSettings(std::move(settings)), mSinks(std::move(sinks)) {}

Encoder::~Encoder() {
  finish();
}

std::string Encoder::description(const EncoderSettings& s, bool rgbaInput) {
  // The render thread hands over I420 at the encoded size, converted and scaled on the GPU: no
  // conversion here; the caps name its matrix so x264 signals it (VUI). Or, where the GPU does
  // not convert (a software rasteriser), RGBA at the canvas size, converted here. ultrafast +
  // zerolatency keeps the encoder's CPU and delay low; no B-frames, so decode order is
  // presentation order. h264parse repeats SPS/PPS before every keyframe (config-interval=-1)
  // for outputs that join late. Only numbers and fixed words go into this text.
  const core::SizePx size = encodedSize(s);
  const char* colorimetry =
      core::yuvMatrixFor(size.height) == core::YuvMatrix::kBt709 ? "bt709" : "bt601";
  const std::string input =
      rgbaInput ? fmt::format(
                      "format=RGBA,width={},height={},framerate={}/1 ! queue {{q}} ! "
                      "{} n-threads=2 ! video/x-raw,format=I420,width={},height={},"
                      "colorimetry={}",
                      s.canvas.width, s.canvas.height, s.fps,
                      size == s.canvas ? "videoconvert" : "videoconvertscale", size.width,
                      size.height, colorimetry)
                : fmt::format(
                      "format=I420,width={},height={},framerate={}/1,colorimetry={},"
                      "chroma-site=jpeg ! queue {{q}}",
                      size.width, size.height, s.fps, colorimetry);
  return fmt::format(
      "appsrc name=src is-live=true format=time do-timestamp=false max-buffers={n} "
      "leaky-type=downstream block=false caps=video/x-raw,{input} "
      "! x264enc name=enc tune=zerolatency speed-preset=ultrafast bitrate={kbps} "
      "key-int-max={gop} ! video/x-h264,profile=constrained-baseline "
      "! h264parse config-interval=-1 "
      "! video/x-h264,stream-format=byte-stream,alignment=au "
      "! appsink name=sink sync=false max-buffers=0 drop=false",
      fmt::arg("n", kQueuedFrames),
      fmt::arg("input",
               fmt::format(fmt::runtime(input),
                           fmt::arg("q", fmt::format("max-size-buffers={} max-size-bytes=0 "
                                                     "max-size-time=0 leaky=downstream",
                                                     kQueuedFrames)))),
      fmt::arg("kbps", s.bitrateKbps), fmt::arg("gop", s.fps * s.keyframeSeconds));
}

bool Encoder::start(std::string* error) {
  auto pipeline = platform::Pipeline::parse("encoder", description(mSettings, mRgbaInput), error);
  if (!pipeline) return false;
  mPipeline.emplace(std::move(*pipeline));
  mSource = mPipeline->element("src");
  mSink = mPipeline->element("sink");
  const auto& sink = mSink;
  g_object_set(sink.get(), "emit-signals", TRUE, nullptr);
  g_signal_connect(sink.get(), "new-sample", G_CALLBACK(&Encoder::onSample), this);
  g_signal_connect(sink.get(), "eos", G_CALLBACK(&Encoder::onEos), this);
  // The encoder runs ahead of the feeds' threads (idle class, see ingest::Feed::start); when this
  // process may not raise priority, it still stays above the feeds.
  mPipeline->setStreamingThreadNice(-5);
  mPipeline->watchBus(this);
  if (!mPipeline->play(error)) {
    mSource.reset();
    mPipeline.reset();
    return false;
  }
  mAccepting = true;
  core::logInfo(kModule, "encoder: {}x{}@{} H.264 at {} kbit/s for {} output(s); elements {}",
                size().width, size().height, mSettings.fps, mSettings.bitrateKbps, mSinks.size(),
                fmt::join(mPipeline->elementFactories(), " "));
  return true;
}

void Encoder::push(const core::FrameRef& frame, std::chrono::nanoseconds timestamp) {
  if (!mAccepting || !accepts(*frame)) return;
  auto buffer = platform::wrapFrame(frame);
  GST_BUFFER_PTS(buffer.get()) =
      static_cast<GstClockTime>(std::max<std::int64_t>(0, timestamp.count()));
  GST_BUFFER_DURATION(buffer.get()) = gst_util_uint64_scale(1, GST_SECOND, mSettings.fps);
  // A full queue means the encoder is behind: appsrc (leaky) drops this frame; count it.
  if (gst_app_src_get_current_level_buffers(GST_APP_SRC(mSource.get())) >= kQueuedFrames) {
    ++mDropped;
  }
  gst_app_src_push_buffer(GST_APP_SRC(mSource.get()), buffer.release());
  ++mPushed;
}

void Encoder::requestKeyframe() {
  if (!mAccepting || !mSink) return;
  // Upstream from the appsink: through h264parse to x264enc, which makes the next frame an IDR.
  gst_element_send_event(mSink.get(),
                         gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 0));
}

GstFlowReturn Encoder::onSample(GstElement* sink, gpointer data) {
  auto* self = static_cast<Encoder*>(data);
  GstSample* sample = gst_app_sink_pull_sample(GST_APP_SINK(sink));
  if (!sample) return GST_FLOW_OK;
  ++self->mEncoded;
  for (EncodedSink* out : self->mSinks) out->offer(sample);
  gst_sample_unref(sample);
  return GST_FLOW_OK;
}

void Encoder::onEos(GstElement*, gpointer data) {
  for (EncodedSink* out : static_cast<Encoder*>(data)->mSinks) out->endOfStream();
}

void Encoder::finish() {
  if (!mPipeline) return;
  if (mAccepting.exchange(false) && !mFailed) {
    gst_app_src_end_of_stream(GST_APP_SRC(mSource.get()));
    if (!mPipeline->waitForEos(std::chrono::seconds(5))) {
      core::logWarn(kModule,
                    "encoder: no end of stream within 5 s; the outputs may lack the "
                    "last frames");
    }
  }
  mSource.reset();
  mSink.reset();
  mPipeline.reset();
}

void Encoder::onPipelineError(const std::string& source, const std::string& message,
                              const std::string& debug) {
  core::logError(kModule, "encoder: {}: {} ({})", source, message, debug);
  mFailed = true;
  mAccepting = false;
  for (EncodedSink* out : mSinks) out->endOfStream();
}

}  // namespace tessera::restream
