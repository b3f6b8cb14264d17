// The replay's playlist (pure C++, no GStreamer): an HLS EVENT playlist of the last N hours,
// each segment with its wall-clock start (EXT-X-PROGRAM-DATE-TIME) so a viewer can scrub to
// "21:40", a DISCONTINUITY where a run or a restart began, rotated past the window or a byte
// bound (the oldest segments leave the playlist and the disk; EXT-X-MEDIA-SEQUENCE counts them).
//
// Strictly, an EVENT playlist only grows; players (hls.js, Safari) accept the head moving
// because MEDIA-SEQUENCE says so, and a 24-hour EVENT playlist that never shrank would not fit.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::restream {

struct ReplaySegment {
  std::string name;          // file name in the replay directory (replay-*.ts)
  std::int64_t startUnixNs;  // wall clock of its first frame
  double durationS = 0;
  std::uint64_t bytes = 0;
  bool discontinuity = false;  // first segment of a run or after a restart
};

class ReplayPlaylist {
 public:
  explicit ReplayPlaylist(int targetDurationS) : mTargetDurationS(targetDurationS) {}

  // Entries of an earlier run's playlist text (those whose files are listed; the caller checks
  // they exist). Unparseable lines are skipped.
  static std::vector<ReplaySegment> parse(std::string_view text);

  void add(ReplaySegment segment);
  // Removes the segments that started more than `windowNs` before `nowUnixNs`, then the oldest
  // while the total is above `maxBytes` (the newest always stays); returns their names.
  std::vector<std::string> rotate(std::int64_t nowUnixNs, std::int64_t windowNs,
                                  std::uint64_t maxBytes);
  // The playlist; `ended` adds EXT-X-ENDLIST (the run finished).
  std::string text(bool ended) const;

  const std::deque<ReplaySegment>& segments() const { return mSegments; }
  std::uint64_t bytes() const { return mBytes; }
  std::uint64_t mediaSequence() const { return mMediaSequence; }

 private:
  int mTargetDurationS;
  std::deque<ReplaySegment> mSegments;
  std::uint64_t mMediaSequence = 0;
  std::uint64_t mDiscontinuitySequence = 0;
  std::uint64_t mBytes = 0;
};

// ISO 8601 UTC with milliseconds ("2026-12-03T04:50:00.123Z") and back (nullopt-like -1).
std::string isoUtc(std::int64_t unixNs);
std::int64_t parseIsoUtc(std::string_view text);

}  // namespace tessera::restream
