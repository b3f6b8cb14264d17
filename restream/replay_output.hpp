// The replay: the encoded canvas kept as an HLS EVENT playlist (replay.m3u8) of the last
// `hours`, in a directory the artist names, with each segment's wall-clock start, rotated past
// the window or the byte bound (restream/replay_playlist.hpp). It survives restarts of the
// server: an earlier run's playlist is read back and continued after a DISCONTINUITY.
//
// Pipeline: h264parse ! splitmuxsink (mpegtsmux, one segment per keyframe interval); the
// playlist is written on the main loop from splitmuxsink's fragment messages, atomically
// (a temporary file renamed over it).
#pragma once

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "restream/output.hpp"
#include "restream/replay_playlist.hpp"

namespace tessera::restream {

struct ReplaySettings {
  int fps = 30;
  int segmentSeconds = 2;
  double hours = 24;
  std::uint64_t maxBytes = std::uint64_t{20000} << 20;
  std::filesystem::path directory;  // must exist
};

class ReplayOutput final : public Output {
 public:
  explicit ReplayOutput(ReplaySettings settings);

  const std::filesystem::path& directory() const { return mSettings.directory; }
  std::filesystem::path playlist() const { return mSettings.directory / "replay.m3u8"; }
  std::size_t segmentCount() const { return mPlaylist.segments().size(); }

 private:
  std::string branchDescription() const override;
  void configure(platform::Pipeline& pipeline, int attempt) override;
  bool meterSource() const override { return true; }
  bool zeroBasedTimestamps() const override { return false; }
  void onPipelineElement(GstMessage* message) override;
  void onStreamFinished(platform::Pipeline& pipeline) override;
  std::optional<std::uint64_t> diskBytes() const override { return mDiskBytes.load(); }

  void loadEarlierRun();
  void segmentClosed(const std::string& location, std::uint64_t endNs);
  void writePlaylist(bool ended);

  const ReplaySettings mSettings;
  const std::string mRunStamp;  // in this run's segment names
  ReplayPlaylist mPlaylist;     // main loop only
  static gchar* onFormatLocation(GstElement* mux, guint index, GstSample* first, gpointer self);

  // Fragments opened and not yet in the playlist, oldest first: path and the PTS of their first
  // frame (from splitmuxsink's format-location-full, on its streaming thread). splitmuxsink does
  // not post a close for the fragments the end of stream finishes; stop() lists those.
  std::mutex mOpenMutex;
  std::vector<std::pair<std::string, std::uint64_t>> mOpen;
  int mAttempt = 0;
  std::optional<std::int64_t> mClockZeroUnixNs;  // wall clock at running time 0
  bool mNextIsDiscontinuity = true;
  std::atomic<std::uint64_t> mDiskBytes{0};
};

}  // namespace tessera::restream
