#include "ingest/feed.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstring>

#include "core/log.hpp"
#include "core/synthetic_palette.hpp"
#include "ingest/keyframe_gate.hpp"
#include "ingest/pull_source.hpp"
#include "ingest/sample_frame.hpp"
#include "ingest/source_errors.hpp"
#include "ingest/tile_caps.hpp"

namespace tessera::ingest {
namespace {

constexpr const char* kModule = "ingest";

std::uint32_t toArgb(const std::array<float, 3>& rgb) {
  auto c = [](float x) { return static_cast<std::uint32_t>(std::lround(x)); };
  return 0xFF000000u | (c(rgb[0]) << 16) | (c(rgb[1]) << 8) | c(rgb[2]);
}

// One decoder thread per feed: at hundreds of feeds, frame threads cost memory and latency
// without adding throughput (the feeds already run in parallel).
void limitDecoderThreads(GstBin*, GstBin*, GstElement* element, gpointer) {
  GstElementFactory* f = gst_element_get_factory(element);
  if (!f) return;
  const char* name = GST_OBJECT_NAME(f);
  if (g_str_has_prefix(name, "avdec_") &&
      g_object_class_find_property(G_OBJECT_GET_CLASS(element), "max-threads")) {
    g_object_set(element, "max-threads", 1, nullptr);
  }
}

void linkDecodedPad(GstElement*, GstPad* pad, gpointer tailData) {
  auto* tail = static_cast<GstElement*>(tailData);
  auto caps = platform::GstPtr<GstCaps>::adopt(gst_pad_get_current_caps(pad));
  if (!caps) caps = platform::GstPtr<GstCaps>::adopt(gst_pad_query_caps(pad, nullptr));
  const GstStructure* s = caps ? gst_caps_get_structure(caps.get(), 0) : nullptr;
  if (!s || !g_str_has_prefix(gst_structure_get_name(s), "video/")) return;
  auto sinkPad = platform::GstPtr<GstPad>::adopt(gst_element_get_static_pad(tail, "sink"));
  if (gst_pad_is_linked(sinkPad.get())) return;  // first video stream wins
  gst_pad_link(pad, sinkPad.get());
}

}  // namespace

Feed::CheckedSpec Feed::checked(FeedSpec spec) {
  CheckedSpec out;
  if (spec.source == core::FeedSource::kPull && spec.target.uri.empty()) {
    if (auto target = core::parsePullUri(spec.uri, &out.error)) {
      spec.target = std::move(*target);
      spec.timeouts = spec.target.defaultTimeouts();
    } else {
      spec.target.masked = "(invalid URI)";
    }
  }
  out.spec = std::move(spec);
  return out;
}

Feed::Feed(FeedSpec spec, std::shared_ptr<core::FeedChannel> channel, core::SizePx tile, int fps,
           FeedListener* listener)
    : Feed(checked(std::move(spec)), std::move(channel), tile, fps, listener) {}

Feed::Feed(CheckedSpec checked, std::shared_ptr<core::FeedChannel> channel, core::SizePx tile,
           int fps, FeedListener* listener)
    : mSpec(std::move(checked.spec)),
      mSpecError(std::move(checked.error)),
      mChannel(std::move(channel)),
      mTile(tile),
      mFps(fps),
      mListener(listener),
      mOwnTimeline(mSpec.source == core::FeedSource::kSynthetic ||
                   mSpec.uri.rfind("file:", 0) == 0),
      mRtp(mChannel, logName()) {}

Feed::~Feed() {
  stop();
}

std::string Feed::logName() const {
  return fmt::format("feed {}", mChannel->id().value);
}

std::string Feed::syntheticDescription(int index, core::SizePx tile, int fps) {
  // Their own colours (core/synthetic_palette.hpp) and one of several motions.
  const core::SyntheticColours colours = core::syntheticColours(index);
  const std::uint32_t background = toArgb(colours.background);
  const std::uint32_t foreground = toArgb(colours.ball);
  static const char* kMotions[] = {"wavy", "sweep", "hsweep"};
  const char* motion = kMotions[index % 3];
  return fmt::format(
      "videotestsrc name=src is-live=true pattern=ball motion={} foreground-color={} "
      "background-color={} flip={} ! capsfilter name=tilecaps "
      "caps=video/x-raw,format=I420,width={},height={},framerate={}/1 ! appsink name=sink",
      motion, foreground, background, (index / 3) % 2 ? "true" : "false", tile.width, tile.height,
      fps);
}

std::optional<platform::Pipeline> Feed::buildSynthetic(std::string* error) {
  return platform::Pipeline::parse(logName(),
                                   syntheticDescription(mSpec.syntheticIndex, mTile, mFps), error);
}

std::optional<platform::Pipeline> Feed::buildPull(std::string* error) {
  if (!mSpecError.empty()) {
    if (error) *error = mSpecError;
    return std::nullopt;
  }
  // One pass scales (keeping the aspect ratio with borders) into I420 at the tile size: the
  // decoder's own format, so most feeds need no colour conversion on the CPU; the GPU converts.
  // No queue: decodebin's multiqueue already gives the decoder its own thread.
  const std::string tailDesc = fmt::format(
      "videoconvertscale add-borders=true ! capsfilter name=tilecaps "
      "caps=video/x-raw,format=I420,width={},height={},pixel-aspect-ratio=1/1 ! "
      "appsink name=sink",
      mTile.width, mTile.height);
  GError* raw = nullptr;
  auto tail = platform::GstPtr<GstElement>::adopt(
      gst_parse_bin_from_description(tailDesc.c_str(), TRUE, &raw));
  std::unique_ptr<GError, platform::GErrorDeleter> err(raw);
  if (!tail || err) {
    if (error) *error = err ? err->message : "cannot build decode tail";
    return std::nullopt;
  }
  gst_element_set_name(tail.get(), "tail");
  mScalerPad = platform::GstPtr<GstPad>::adopt(gst_element_get_static_pad(tail.get(), "sink"));
  auto pipeline = platform::GstPtr<GstElement>::adopt(gst_pipeline_new(logName().c_str()));
  g_signal_connect(pipeline.get(), "deep-element-added", G_CALLBACK(&Feed::onElementAdded), this);
  mRtp.attach(pipeline.get());
  gst_bin_add(GST_BIN(pipeline.get()), tail.get());  // the bin takes its own reference
  std::string why;
  GstElement* decode = addPullSource(GST_BIN(pipeline.get()), mSpec.target, mSpec.timeouts, &why);
  if (!decode) {
    if (error) *error = why;
    return std::nullopt;
  }
  // The pipeline owns `tail` and `decode` for as long as these signals can fire.
  g_signal_connect(decode, "pad-added", G_CALLBACK(linkDecodedPad), tail.get());
  g_signal_connect(decode, "no-more-pads", G_CALLBACK(&Feed::onNoMorePads), this);
  return platform::Pipeline(logName(), std::move(pipeline));
}

void Feed::onElementAdded(GstBin* bin, GstBin* sub, GstElement* element, gpointer data) {
  auto* self = static_cast<Feed*>(data);
  limitDecoderThreads(bin, sub, element, nullptr);
  GstElementFactory* f = gst_element_get_factory(element);
  if (!f) return;
  const char* name = GST_OBJECT_NAME(f);
  // What the server sent, once decodebin has found it: the protocol the API shows.
  if (std::strcmp(name, "hlsdemux") == 0) self->mChannel->setProtocol("hls");
  if (std::strcmp(name, "dashdemux") == 0) self->mChannel->setProtocol("dash");
  if (std::strcmp(name, "multipartdemux") == 0) self->mChannel->setProtocol("mjpeg");
  // The feed's bitrate: compressed video (or JPEG pictures) into its decoder.
  const char* klass = gst_element_factory_get_metadata(f, GST_ELEMENT_METADATA_KLASS);
  if (klass && std::strstr(klass, "Decoder") &&
      (std::strstr(klass, "Video") || std::strstr(klass, "Image"))) {
    auto pad = platform::GstPtr<GstPad>::adopt(gst_element_get_static_pad(element, "sink"));
    if (pad) {
      gst_pad_add_probe(pad.get(), GST_PAD_PROBE_TYPE_BUFFER, &Feed::countBytes, self, nullptr);
      attachKeyframeGate(pad.get(), self->mChannel);
    }
  }
}

GstPadProbeReturn Feed::countBytes(GstPad*, GstPadProbeInfo* info, gpointer data) {
  auto* self = static_cast<Feed*>(data);
  if (GstBuffer* buffer = GST_PAD_PROBE_INFO_BUFFER(info)) {
    self->mInputBytes.fetch_add(gst_buffer_get_size(buffer), std::memory_order_relaxed);
  }
  return GST_PAD_PROBE_OK;
}

void Feed::onNoMorePads(GstElement* decode, gpointer data) {
  // Streaming thread. Every stream is exposed and none was video (an audio-only camera, a
  // playlist of audio): an error the technician can read, instead of a stall.
  auto* self = static_cast<Feed*>(data);
  if (self->mScalerPad && !gst_pad_is_linked(self->mScalerPad.get())) {
    GST_ELEMENT_ERROR(decode, STREAM, WRONG_TYPE, ("no video stream"),
                      ("every stream was exposed and none is video"));
  }
}

void Feed::attachSink(const platform::Pipeline& pipeline) {
  auto sink = pipeline.element("sink");
  g_assert(sink);
  // sync keeps files at their own pace; one buffer queued, the newest kept.
  g_object_set(sink.get(), "sync", TRUE, "max-buffers", 1, "drop", TRUE, "qos", TRUE, nullptr);
  GstAppSinkCallbacks callbacks{};
  callbacks.new_sample = &Feed::onNewSample;
  gst_app_sink_set_callbacks(GST_APP_SINK(sink.get()), &callbacks, this, nullptr);
}

bool Feed::start(std::string* error) {
  stop();
  mFailed = false;
  mSequence = 0;
  mTimingKind = core::FrameTiming::Kind::kNone;
  mInputBytes = 0;
  mStartedAt = std::chrono::steady_clock::now();
  mScaledTo = mTile;  // the caps the pipeline is built with
  auto pipeline =
      mSpec.source == core::FeedSource::kPull ? buildPull(error) : buildSynthetic(error);
  if (!pipeline) return false;
  mPipeline.emplace(std::move(*pipeline));
  attachSink(*mPipeline);
  // Hundreds of feed threads must not starve the render and encoder threads. A nice value
  // cannot promise that (the scheduler weighs threads, and 256 runnable feed threads at nice +4
  // outweigh the render thread 35 to 1); the idle class can (weight 3 each: 256 weigh a quarter
  // of the render thread). Under overload a feed's decoder and sink skip late frames (counted,
  // FeedStatus::skipped) rather than the canvas or the stream losing any.
  // From the feed's settling on (ingest::SettledPriority): negotiating and opening the decoder
  // at that priority would hold process-wide locks while starved.
  mSettled = SettledPriority();
  mPipeline->setStreamingThreadPriority(settledPriority(mSpec.priority));
  mPipeline->watchBus(this);
  if (!mPipeline->play(error)) {
    mPipeline.reset();
    // A source that fails as it starts (a file not there, a refused connection) is reported in
    // the same words as one that fails later.
    if (error && mSpec.source == core::FeedSource::kPull) {
      *error = mSpec.target.redact(describeSourceError(*error, ""));
    }
    return false;
  }
  return true;
}

platform::ThreadPriority Feed::settledPriority(core::FeedPriority priority) {
  platform::ThreadPriority p;
  p.idle = priority == core::FeedPriority::kIdle;
  p.nice = p.idle ? 0 : kLowPriorityNice;
  p.deferred = true;
  return p;
}

void Feed::followDrawnSize() {
  if (!mPipeline) return;
  const auto fps = mSpec.source == core::FeedSource::kSynthetic ? mFps : std::optional<int>();
  const auto set = ingest::followDrawnSize(*mPipeline, *mChannel, mTile, mScaledTo, fps);
  if (!set) return;
  core::logDebug(kModule, "{}: scaled to {}x{} (its tile)", logName(), set->width, set->height);
  mScaledTo = *set;
}

void Feed::stop() {
  mPipeline.reset();  // waits for the streaming threads, so the pad below is no longer read
  mScalerPad.reset();
}

GstFlowReturn Feed::onNewSample(GstAppSink* sink, gpointer data) {
  auto* self = static_cast<Feed*>(data);
  PulledFrame pulled = pullFrame(sink, self->mSequence + 1, self->mSampleInfos);
  if (!pulled.frame) return GST_FLOW_OK;  // a malformed sample is dropped, never thrown
  ++self->mSequence;
  self->mSettled.onFrame(self->mPipeline ? self->mPipeline->taskPool() : nullptr);
  // The source size: the decoder's output caps, seen at the scaler's sink pad.
  int sourceWidth = pulled.frame->width, sourceHeight = pulled.frame->height;
  videoSizeAt(self->mScalerPad.get(), &sourceWidth, &sourceHeight, self->mSourceInfos);
  const bool ownTimeline = self->mOwnTimeline && !self->mRtp.liveSource();
  const core::FrameTiming timing = timingOf(pulled, ownTimeline);
  if (self->mSequence == 1 || timing.kind != self->mTimingKind) {
    self->onTimingChanged(timing.kind);
  }
  if (self->mSequence == 1) {
    self->mChannel->setFirstFrameMs(std::chrono::duration<double, std::milli>(
                                        std::chrono::steady_clock::now() - self->mStartedAt)
                                        .count());
  }
  self->mChannel->pushFrame(std::move(pulled.frame), timing, sourceWidth, sourceHeight);
  return GST_FLOW_OK;
}

void Feed::onTimingChanged(core::FrameTiming::Kind kind) {
  // Streaming thread; only on a change, so not per frame.
  mTimingKind = kind;
  const char* what = kind == core::FrameTiming::Kind::kSender     ? "the sender's clock (RTCP)"
                     : kind == core::FrameTiming::Kind::kTimeline ? "its own timeline"
                                                                  : "none (unsynced)";
  // The first frame's timing is routine (the sync log reports states); a change is news.
  core::log(mSequence == 1 ? core::LogLevel::kDebug : core::LogLevel::kInfo, kModule,
            "{}: capture times from {}", logName(), what);
}

void Feed::onPipelineError(const std::string& source, const std::string& message,
                           const std::string& debug) {
  // GStreamer's text may quote the URI: its secrets are scrubbed before it is kept or logged.
  const core::PullTarget& t = mSpec.target;
  core::logDebug(kModule, "{}: {}: {} ({})", logName(), source, t.redact(message), t.redact(debug));
  if (mFailed) return;
  mFailed = true;
  const std::string reason = mSpec.source == core::FeedSource::kPull
                                 ? t.redact(describeSourceError(message, debug))
                                 : fmt::format("{}: {}", source, message);
  mListener->onFeedFailed(mChannel->id(), reason);
}

void Feed::onPipelineWarning(const std::string& source, const std::string& message) {
  core::logDebug(kModule, "{}: warning from {}: {}", logName(), source,
                 mSpec.target.redact(message));
}

void Feed::onPipelineEos() {
  if (mSpec.source == core::FeedSource::kPull && mSpec.loop && mPipeline) {
    // Files start again at the end.
    if (gst_element_seek_simple(
            mPipeline->get(), GST_FORMAT_TIME,
            static_cast<GstSeekFlags>(GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_KEY_UNIT), 0)) {
      return;
    }
    // A live source that ended (a camera or server that stopped sending) is reconnected.
    if (!mFailed) {
      mFailed = true;
      mListener->onFeedFailed(mChannel->id(), "stream ended");
    }
    return;
  }
  mListener->onFeedEnded(mChannel->id());
}

}  // namespace tessera::ingest
