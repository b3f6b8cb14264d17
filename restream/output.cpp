#include "restream/output.hpp"

#include <gst/app/gstappsrc.h>

#include <algorithm>

#include "core/log.hpp"

namespace tessera::restream {
namespace {
constexpr const char* kModule = "restream";
constexpr auto kMaxBackoff = std::chrono::seconds(30);
constexpr auto kHealthyRun = std::chrono::seconds(60);  // resets the backoff
constexpr std::int64_t kLiveWithinNs = 3'000'000'000;   // bytes this recent: "live"

std::int64_t steadyNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace

Output::Output(std::string kind, std::string maskedUri, int fps)
    : mKind(std::move(kind)), mUri(std::move(maskedUri)), mName(mKind + " " + mUri), mFps(fps) {}

Output::~Output() {
  mRestartTimer.cancel();
  mTeardownTimer.cancel();
  teardown();
}

bool Output::start(std::string* error) {
  mStopped = false;
  return build(error);
}

bool Output::build(std::string* error) {
  const std::string description =
      "appsrc name=src is-live=true format=time do-timestamp=false block=false max-buffers=0 "
      "max-bytes=0 max-time=0 ! " +
      branchDescription();
  auto pipeline = platform::Pipeline::parse(mKind, description, error);
  if (!pipeline) return false;
  mPipeline.emplace(std::move(*pipeline));
  configure(*mPipeline, mRestarts);
  const auto metered = mPipeline->element(meterSource() ? "src" : "sink");
  if (metered) {
    const auto pad = platform::GstPtr<GstPad>::adopt(
        gst_element_get_static_pad(metered.get(), meterSource() ? "src" : "sink"));
    if (pad) {
      gst_pad_add_probe(
          pad.get(),
          static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
          &Output::meter, this, nullptr);
    }
  }
  mPipeline->setStreamingThreadNice(-5);
  mPipeline->watchBus(this);
  mStartedAt = std::chrono::steady_clock::now();
  std::string why;
  if (!mPipeline->play(&why)) {
    fail(why.empty() ? "the pipeline refused to start" : why);
    return true;  // retried like any failure
  }
  std::lock_guard lock(mMutex);
  mSource = mPipeline->element("src");
  mCapsSet = false;
  mWaitKeyframe = true;
  mEnded = false;
  mFirstPts.reset();
  return true;
}

void Output::offer(GstSample* sample) {
  GstBuffer* buffer = gst_sample_get_buffer(sample);
  if (!buffer) return;
  const bool keyframe = !GST_BUFFER_FLAG_IS_SET(buffer, GST_BUFFER_FLAG_DELTA_UNIT);
  std::lock_guard lock(mMutex);
  if (!mSource || mEnded || (mWaitKeyframe && !keyframe)) {
    ++mDropped;
    return;
  }
  auto* src = GST_APP_SRC(mSource.get());
  // Two seconds queued: the peer or the disk is not keeping up. Drop until the next keyframe
  // (what follows a dropped frame would not decode).
  if (gst_app_src_get_current_level_buffers(src) >= static_cast<guint64>(2 * mFps)) {
    ++mDropped;
    mWaitKeyframe = true;
    return;
  }
  mWaitKeyframe = false;
  if (!mCapsSet) {
    gst_app_src_set_caps(src, gst_sample_get_caps(sample));
    mCapsSet = true;
  }
  GstBuffer* out = gst_buffer_copy(buffer);  // metadata only: the memory is shared
  if (zeroBasedTimestamps() && GST_BUFFER_PTS_IS_VALID(out)) {
    if (!mFirstPts) mFirstPts = GST_BUFFER_PTS(out);
    GST_BUFFER_PTS(out) -= std::min(GST_BUFFER_PTS(out), *mFirstPts);
    if (GST_BUFFER_DTS_IS_VALID(out))
      GST_BUFFER_DTS(out) -= std::min(GST_BUFFER_DTS(out), *mFirstPts);
  }
  if (GST_BUFFER_PTS_IS_VALID(out)) {
    mLastEndNs = GST_BUFFER_PTS(out) + (GST_BUFFER_DURATION_IS_VALID(out)
                                            ? GST_BUFFER_DURATION(out)
                                            : gst_util_uint64_scale(1, GST_SECOND, mFps));
  }
  gst_app_src_push_buffer(src, out);
  ++mFrames;
}

void Output::endOfStream() {
  std::lock_guard lock(mMutex);
  if (mSource && !mEnded) gst_app_src_end_of_stream(GST_APP_SRC(mSource.get()));
  mEnded = true;
}

GstPadProbeReturn Output::meter(GstPad*, GstPadProbeInfo* info, gpointer data) {
  auto* self = static_cast<Output*>(data);
  std::uint64_t bytes = 0;
  if (GST_PAD_PROBE_INFO_TYPE(info) & GST_PAD_PROBE_TYPE_BUFFER) {
    bytes = gst_buffer_get_size(GST_PAD_PROBE_INFO_BUFFER(info));
  } else if (GstBufferList* list = GST_PAD_PROBE_INFO_BUFFER_LIST(info)) {
    bytes = gst_buffer_list_calculate_size(list);
  }
  const std::int64_t now = steadyNs();
  self->mBytes += bytes;
  self->mLastByteNs = now;
  const std::int64_t start = self->mBucketStartNs;
  if (start == 0) {
    self->mBucketStartNs = now;
  } else if (now - start >= 1'000'000'000) {
    self->mKbps = static_cast<double>(self->mBucketBytes) * 8.0 / 1000.0 /
                  (static_cast<double>(now - start) / 1e9);
    self->mBucketStartNs = now;
    self->mBucketBytes = 0;
  }
  self->mBucketBytes += bytes;
  return GST_PAD_PROBE_OK;
}

void Output::onPipelineError(const std::string& source, const std::string& message,
                             const std::string& debug) {
  core::logDebug(kModule, "{}: {}: {}", mName, source, scrub(debug));
  fail(scrub(source + ": " + message));
}

void Output::onPipelineEos() {
  if (!mStopped) fail("the stream ended (the peer closed it?)");
}

void Output::fail(const std::string& why) {
  {
    std::lock_guard lock(mMutex);
    mSource.reset();  // the encoder's frames are dropped from now on
    mLastError = why;
    mLastErrorSet = true;
  }
  // A second message of the same failure (an error, then the end of stream): one restart.
  if (mRestartScheduled) return;
  if (std::chrono::steady_clock::now() - mStartedAt >= kHealthyRun) {
    mBackoff = std::chrono::seconds(1);
  }
  core::logWarn(kModule, "{}: {}; retrying in {} s", mName, why, mBackoff.count());
  // Not from inside the pipeline's own bus callback: tear down from the main loop, then wait.
  mTeardownTimer = platform::Timer(std::chrono::milliseconds(0), [this] { teardown(); });
  scheduleRestart();
}

void Output::scheduleRestart() {
  mRestartScheduled = true;
  mRestartTimer = platform::Timer(mBackoff, [this] {
    mRestartScheduled = false;
    if (mStopped) return;
    teardown();
    ++mRestarts;
    std::string error;
    if (!build(&error)) core::logError(kModule, "{}: {}", mName, error);
  });
  mBackoff = std::min(kMaxBackoff, mBackoff * 2);
}

void Output::teardown() {
  {
    std::lock_guard lock(mMutex);
    mSource.reset();
  }
  mPipeline.reset();
}

void Output::stop(std::chrono::steady_clock::time_point deadline) {
  mStopped = true;
  mRestartTimer.cancel();
  mTeardownTimer.cancel();
  if (mPipeline) {
    endOfStream();  // when the encoder's end has not reached it
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    const bool flowing = [&] {
      std::lock_guard lock(mMutex);
      return static_cast<bool>(mSource);
    }();
    if (flowing && !mPipeline->waitForEos(std::max(left, std::chrono::milliseconds(100)))) {
      core::logWarn(kModule, "{}: did not finish its stream in time", mName);
    }
    onStreamFinished(*mPipeline);
  }
  teardown();
}

OutputStatus Output::status() const {
  OutputStatus s;
  s.kind = mKind;
  s.uri = mUri;
  const bool recent = steadyNs() - mLastByteNs < kLiveWithinNs;
  {
    std::lock_guard lock(mMutex);
    s.lastError = mLastError;
    s.state = mStopped ? "off" : (mSource && recent) ? "live" : "retrying";
  }
  s.bitrateKbps = recent ? mKbps.load() : 0;
  s.restarts = mRestarts;
  s.frames = mFrames;
  s.dropped = mDropped;
  s.bytes = mBytes;
  s.diskBytes = diskBytes();
  return s;
}

}  // namespace tessera::restream
