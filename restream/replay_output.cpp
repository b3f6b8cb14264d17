#include "restream/replay_output.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>

#include "core/files.hpp"
#include "core/log.hpp"

namespace tessera::restream {
namespace {
constexpr const char* kModule = "restream";
constexpr std::size_t kMaxPlaylistBytes = std::size_t{64} << 20;

std::int64_t unixNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

ReplayOutput::ReplayOutput(ReplaySettings settings)
    : Output("replay", "/hls/replay.m3u8", settings.fps),
      mSettings(std::move(settings)),
      mRunStamp(std::to_string(unixNowNs() / 1'000'000'000)),
      mPlaylist(mSettings.segmentSeconds) {
  loadEarlierRun();
}

std::string ReplayOutput::branchDescription() const {
  // One file per keyframe interval: the encoder puts a keyframe every segment_seconds and
  // splitmuxsink cuts at the first keyframe after max-size-time.
  return fmt::format(
      "h264parse ! splitmuxsink name=mux muxer-factory=mpegtsmux send-keyframe-requests=false "
      "max-size-time={}",
      static_cast<std::uint64_t>(mSettings.segmentSeconds) * 1'000'000'000 - 100'000'000);
}

void ReplayOutput::configure(platform::Pipeline& pipeline, int attempt) {
  // Every start of the pipeline (a run, a restart) names its files afresh: nothing is replaced.
  {
    std::lock_guard lock(mOpenMutex);
    mOpen.clear();
    mAttempt = attempt;
  }
  g_signal_connect(pipeline.element("mux").get(), "format-location-full",
                   G_CALLBACK(&ReplayOutput::onFormatLocation), this);
  mNextIsDiscontinuity = true;
  if (attempt == 0) {
    core::logInfo(kModule, "replay: keeping {:g} h (at most {} MB) in {}", mSettings.hours,
                  mSettings.maxBytes >> 20, playlist().string());
  }
}

void ReplayOutput::loadEarlierRun() {
  std::string error;
  if (!std::filesystem::exists(playlist())) return;
  const auto text = core::readRegularFile(playlist(), kMaxPlaylistBytes, &error);
  if (!text) {
    core::logWarn(kModule, "replay: not continuing the earlier playlist: {}", error);
    return;
  }
  std::size_t kept = 0;
  for (ReplaySegment s : ReplayPlaylist::parse(*text)) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(mSettings.directory / s.name, ec);
    if (ec) continue;
    s.bytes = size;
    mPlaylist.add(std::move(s));
    ++kept;
  }
  mDiskBytes = mPlaylist.bytes();
  if (kept > 0) {
    core::logInfo(kModule, "replay: continuing {} ({} segments, {} MB from earlier runs)",
                  playlist().string(), kept, mPlaylist.bytes() >> 20);
  }
}

gchar* ReplayOutput::onFormatLocation(GstElement*, guint index, GstSample* first, gpointer data) {
  auto* self = static_cast<ReplayOutput*>(data);
  GstBuffer* buffer = first ? gst_sample_get_buffer(first) : nullptr;
  const std::uint64_t start =
      buffer && GST_BUFFER_PTS_IS_VALID(buffer) ? GST_BUFFER_PTS(buffer) : self->lastEndNs();
  std::lock_guard lock(self->mOpenMutex);
  // No printf on the directory: the name is made here and handed over as it is.
  const std::string path =
      (self->mSettings.directory /
       fmt::format("replay-{}-{}-{:05d}.ts", self->mRunStamp, self->mAttempt, index))
          .string();
  if (self->mOpen.size() < 64) self->mOpen.emplace_back(path, start);
  return g_strdup(path.c_str());
}

void ReplayOutput::onPipelineElement(GstMessage* message) {
  const GstStructure* s = gst_message_get_structure(message);
  if (!s) return;
  const char* location = gst_structure_get_string(s, "location");
  GstClockTime runningTime = GST_CLOCK_TIME_NONE;
  gst_structure_get_clock_time(s, "running-time", &runningTime);
  if (!location || !GST_CLOCK_TIME_IS_VALID(runningTime)) return;
  if (gst_structure_has_name(s, "splitmuxsink-fragment-closed")) {
    segmentClosed(location, runningTime);
  }
}

void ReplayOutput::segmentClosed(const std::string& location, std::uint64_t endNs) {
  std::uint64_t startNs = 0;
  {
    std::lock_guard lock(mOpenMutex);
    const auto open = std::find_if(mOpen.begin(), mOpen.end(),
                                   [&](const auto& o) { return o.first == location; });
    if (open == mOpen.end()) return;
    startNs = open->second;
    mOpen.erase(mOpen.begin(), open + 1);
  }
  if (endNs <= startNs) return;
  // The render clock (these running times) against the wall clock: taken once, when the first
  // segment closes (within the encoder's delay of a tenth of a second).
  if (!mClockZeroUnixNs) {
    mClockZeroUnixNs = unixNowNs() - static_cast<std::int64_t>(endNs);
  }
  ReplaySegment segment;
  segment.name = std::filesystem::path(location).filename().string();
  segment.startUnixNs = *mClockZeroUnixNs + static_cast<std::int64_t>(startNs);
  segment.durationS = static_cast<double>(endNs - startNs) / 1e9;
  std::error_code ec;
  segment.bytes = std::filesystem::file_size(location, ec);
  if (ec || segment.bytes == 0) return;
  segment.discontinuity = mNextIsDiscontinuity;
  mNextIsDiscontinuity = false;
  mPlaylist.add(std::move(segment));
  const auto windowNs = static_cast<std::int64_t>(mSettings.hours * 3600e9);
  for (const std::string& name : mPlaylist.rotate(unixNowNs(), windowNs, mSettings.maxBytes)) {
    // Names come from the playlist (replay-*.ts, no '/'; checked when an old one was read).
    std::filesystem::remove(mSettings.directory / name, ec);
  }
  mDiskBytes = mPlaylist.bytes();
  writePlaylist(false);
}

void ReplayOutput::onStreamFinished(platform::Pipeline& pipeline) {
  pipeline.deliverPendingElementMessages(this);
  // The end of stream finished the last fragments without a close message: each ends where
  // the next began, the last where the stream did.
  for (;;) {
    std::string location;
    std::uint64_t end = 0;
    {
      std::lock_guard lock(mOpenMutex);
      if (mOpen.empty()) break;
      location = mOpen.front().first;
      end = mOpen.size() > 1 ? mOpen[1].second : lastEndNs();
    }
    segmentClosed(location, end);
    std::lock_guard lock(mOpenMutex);
    if (!mOpen.empty() && mOpen.front().first == location) mOpen.erase(mOpen.begin());
  }
  writePlaylist(true);
}

void ReplayOutput::writePlaylist(bool ended) {
  const auto tmp = mSettings.directory / "replay.m3u8.tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << mPlaylist.text(ended);
    if (!out.flush()) {
      core::logWarn(kModule, "replay: cannot write {}", tmp.string());
      return;
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, playlist(), ec);
  if (ec)
    core::logWarn(kModule, "replay: cannot replace {}: {}", playlist().string(), ec.message());
}

}  // namespace tessera::restream
