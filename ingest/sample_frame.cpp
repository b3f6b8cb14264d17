#include "ingest/sample_frame.hpp"

#include <gst/base/gstbasesink.h>
#include <gst/video/video.h>

#include <memory>

#include "core/time.hpp"
#include "platform/task_pool.hpp"

namespace tessera::ingest {
namespace {

// Keeps a mapped buffer alive for as long as a FrameRef points into it. It holds the buffer, not
// the sample: appsink reuses its sample after a flush (a looping file) and needs it unshared.
struct MappedBuffer {
  platform::GstPtr<GstBuffer> buffer;
  GstMapInfo map{};
  MappedBuffer() = default;
  MappedBuffer(const MappedBuffer&) = delete;
  MappedBuffer& operator=(const MappedBuffer&) = delete;
  ~MappedBuffer() {
    if (map.data) gst_buffer_unmap(buffer.get(), &map);
  }
};

// The caps of the reference timestamp metas rtpbin adds (NTP time of the sender's clock).
GstCaps* ntpReferenceCaps() {
  static GstCaps* caps = gst_caps_new_empty_simple("timestamp/x-ntp");  // lives for the process
  return caps;
}

// A sink that syncs releases a buffer at base time + running time + latency + render delay; the
// streaming thread then runs the callback when the scheduler lets it (feed threads are idle-class,
// and the machine may be busy). That due time, when it has just passed, is the frame's arrival
// without the scheduling delay, which would otherwise be noise in the capture times of feeds
// timed by arrival (unsynced ones, and the cue's step times). Otherwise: now.
core::Clock::time_point arrivalOf(GstAppSink* sink, std::optional<std::int64_t> monotonicNs) {
  const auto now = core::Clock::now();
  auto* base = GST_BASE_SINK(sink);
  if (!monotonicNs || !gst_base_sink_get_sync(base)) return now;
  const GstClockTime latency = gst_base_sink_get_latency(base);
  const GstClockTime delay = gst_base_sink_get_render_delay(base);
  if (!GST_CLOCK_TIME_IS_VALID(latency) || !GST_CLOCK_TIME_IS_VALID(delay)) return now;
  const auto due = core::fromMonotonicNs(*monotonicNs + static_cast<std::int64_t>(latency + delay) +
                                         gst_base_sink_get_ts_offset(base));
  constexpr auto kMaxSchedulingDelay = std::chrono::milliseconds(100);
  return due <= now && now - due < kMaxSchedulingDelay ? due : now;
}

}  // namespace

void SettledPriority::onFrame(GstTaskPool* pool) {
  if (mLowered || !pool) return;
  const auto now = std::chrono::steady_clock::now();
  if (!mFirst) mFirst = now;
  if (now - *mFirst < kSettleTime) return;
  platform::lowerPoolThreads(pool);
  mLowered = true;
}

const GstVideoInfo* VideoInfoCache::get(GstCaps* caps) {
  if (!caps) return nullptr;
  if (caps != mCaps.get()) {
    mCaps = platform::GstPtr<GstCaps>::retain(caps);
    mValid = gst_video_info_from_caps(&mInfo, caps);
  }
  return mValid ? &mInfo : nullptr;
}

PulledFrame pullFrame(GstAppSink* sink, std::uint64_t sequence, VideoInfoCache& infos) {
  PulledFrame out;
  GstVideoInfo info;
  auto holder = std::make_shared<MappedBuffer>();
  {
    auto sample = platform::GstPtr<GstSample>::adopt(gst_app_sink_pull_sample(sink));
    if (!sample) return out;
    GstBuffer* buffer = gst_sample_get_buffer(sample.get());
    holder->buffer = platform::GstPtr<GstBuffer>::retain(buffer);
    const GstVideoInfo* known = infos.get(gst_sample_get_caps(sample.get()));
    if (!holder->buffer || !known) return out;
    info = *known;
    const GstSegment* segment = gst_sample_get_segment(sample.get());
    const GstClockTime pts = GST_BUFFER_PTS(buffer);
    if (segment && segment->format == GST_FORMAT_TIME && GST_CLOCK_TIME_IS_VALID(pts)) {
      const GstClockTime running = gst_segment_to_running_time(segment, GST_FORMAT_TIME, pts);
      const GstClockTime base = gst_element_get_base_time(GST_ELEMENT(sink));
      if (GST_CLOCK_TIME_IS_VALID(running) && GST_CLOCK_TIME_IS_VALID(base)) {
        out.monotonicNs = static_cast<std::int64_t>(base + running);
      }
    }
    if (GstReferenceTimestampMeta* meta =
            gst_buffer_get_reference_timestamp_meta(buffer, ntpReferenceCaps())) {
      if (GST_CLOCK_TIME_IS_VALID(meta->timestamp) &&
          meta->timestamp > core::kNtpToUnixSeconds * GST_SECOND) {
        out.senderUnixNs = core::ntpNsToUnixNs(meta->timestamp);
      }
    }
  }
  const GstVideoFormat format = GST_VIDEO_INFO_FORMAT(&info);
  if (format != GST_VIDEO_FORMAT_I420 && format != GST_VIDEO_FORMAT_RGBA) return out;
  if (!gst_buffer_map(holder->buffer.get(), &holder->map, GST_MAP_READ)) return out;
  auto frame = std::make_shared<core::VideoFrame>();
  frame->width = GST_VIDEO_INFO_WIDTH(&info);
  frame->height = GST_VIDEO_INFO_HEIGHT(&info);
  frame->format =
      format == GST_VIDEO_FORMAT_I420 ? core::PixelFormat::kI420 : core::PixelFormat::kRgba;
  for (guint p = 0; p < GST_VIDEO_INFO_N_PLANES(&info) && p < 3; ++p) {
    frame->planes[p] = holder->map.data + GST_VIDEO_INFO_PLANE_OFFSET(&info, p);
    frame->planeStrides[p] = static_cast<std::size_t>(GST_VIDEO_INFO_PLANE_STRIDE(&info, p));
  }
  frame->data = frame->planes[0];
  frame->strideBytes = frame->planeStrides[0];
  frame->sequence = sequence;
  frame->arrival = arrivalOf(sink, out.monotonicNs);
  frame->storage = std::move(holder);
  out.frame = std::move(frame);
  return out;
}

core::FrameTiming timingOf(const PulledFrame& pulled, bool ownTimeline) {
  if (pulled.senderUnixNs) return {core::FrameTiming::Kind::kSender, *pulled.senderUnixNs};
  if (ownTimeline && pulled.monotonicNs) {
    return {core::FrameTiming::Kind::kTimeline, *pulled.monotonicNs};
  }
  return {};
}

bool videoSizeAt(GstPad* pad, int* width, int* height, VideoInfoCache& infos) {
  if (!pad) return false;
  auto caps = platform::GstPtr<GstCaps>::adopt(gst_pad_get_current_caps(pad));
  const GstVideoInfo* info = infos.get(caps.get());
  if (!info) return false;
  *width = GST_VIDEO_INFO_WIDTH(info);
  *height = GST_VIDEO_INFO_HEIGHT(info);
  return true;
}

}  // namespace tessera::ingest
