#include "restream/replay_playlist.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <ctime>

namespace tessera::restream {
namespace {

bool startsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

int number(std::string_view s, std::size_t at, std::size_t len) {
  int v = -1;
  if (at + len > s.size()) return -1;
  const auto [end, ec] = std::from_chars(s.data() + at, s.data() + at + len, v);
  return ec == std::errc() && end == s.data() + at + len ? v : -1;
}

}  // namespace

std::string isoUtc(std::int64_t unixNs) {
  const std::time_t seconds = static_cast<std::time_t>(unixNs / 1'000'000'000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (unixNs / 1'000'000) % 1000);
}

std::int64_t parseIsoUtc(std::string_view t) {
  // YYYY-MM-DDTHH:MM:SS.mmmZ, as isoUtc writes it.
  if (t.size() != 24 || t[4] != '-' || t[7] != '-' || t[10] != 'T' || t[13] != ':' ||
      t[16] != ':' || t[19] != '.' || t[23] != 'Z') {
    return -1;
  }
  std::tm tm{};
  tm.tm_year = number(t, 0, 4) - 1900;
  tm.tm_mon = number(t, 5, 2) - 1;
  tm.tm_mday = number(t, 8, 2);
  tm.tm_hour = number(t, 11, 2);
  tm.tm_min = number(t, 14, 2);
  tm.tm_sec = number(t, 17, 2);
  const int ms = number(t, 20, 3);
  if (tm.tm_year < 70 || tm.tm_mon < 0 || tm.tm_mday < 1 || tm.tm_hour < 0 || tm.tm_min < 0 ||
      tm.tm_sec < 0 || ms < 0) {
    return -1;
  }
  return static_cast<std::int64_t>(timegm(&tm)) * 1'000'000'000 +
         static_cast<std::int64_t>(ms) * 1'000'000;
}

std::vector<ReplaySegment> ReplayPlaylist::parse(std::string_view text) {
  std::vector<ReplaySegment> out;
  ReplaySegment next{};
  next.startUnixNs = -1;
  while (!text.empty()) {
    const std::size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (startsWith(line, "#EXT-X-PROGRAM-DATE-TIME:")) {
      next.startUnixNs = parseIsoUtc(line.substr(25));
    } else if (startsWith(line, "#EXTINF:")) {
      const std::string value(line.substr(8, line.find(',') - 8));
      char* end = nullptr;
      next.durationS = std::strtod(value.c_str(), &end);
    } else if (line == "#EXT-X-DISCONTINUITY") {
      next.discontinuity = true;
    } else if (startsWith(line, "replay-") && line.ends_with(".ts") &&
               line.find('/') == std::string_view::npos && next.startUnixNs > 0 &&
               next.durationS > 0) {
      next.name = std::string(line);
      out.push_back(next);
      next = ReplaySegment{};
      next.startUnixNs = -1;
    }
  }
  return out;
}

void ReplayPlaylist::add(ReplaySegment segment) {
  if (mSegments.empty()) segment.discontinuity = false;  // never written for the head
  mBytes += segment.bytes;
  mSegments.push_back(std::move(segment));
}

std::vector<std::string> ReplayPlaylist::rotate(std::int64_t nowUnixNs, std::int64_t windowNs,
                                                std::uint64_t maxBytes) {
  std::vector<std::string> removed;
  const auto drop = [&] {
    mBytes -= std::min(mBytes, mSegments.front().bytes);
    removed.push_back(std::move(mSegments.front().name));
    mSegments.pop_front();
    ++mMediaSequence;
    // The head's DISCONTINUITY tag is not written: it leaves the playlist, and the sequence
    // counts it (RFC 8216 4.3.3.3).
    if (!mSegments.empty() && mSegments.front().discontinuity) {
      mSegments.front().discontinuity = false;
      ++mDiscontinuitySequence;
    }
  };
  while (mSegments.size() > 1 && nowUnixNs - mSegments.front().startUnixNs > windowNs) drop();
  while (mSegments.size() > 1 && mBytes > maxBytes) drop();
  return removed;
}

std::string ReplayPlaylist::text(bool ended) const {
  int target = mTargetDurationS;
  for (const auto& s : mSegments)
    target = std::max(target, static_cast<int>(std::ceil(s.durationS)));
  std::string t = fmt::format(
      "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-PLAYLIST-TYPE:EVENT\n#EXT-X-TARGETDURATION:{}\n"
      "#EXT-X-MEDIA-SEQUENCE:{}\n",
      target, mMediaSequence);
  if (mDiscontinuitySequence > 0) {
    t += fmt::format("#EXT-X-DISCONTINUITY-SEQUENCE:{}\n", mDiscontinuitySequence);
  }
  for (std::size_t i = 0; i < mSegments.size(); ++i) {
    const ReplaySegment& s = mSegments[i];
    if (s.discontinuity && i > 0) t += "#EXT-X-DISCONTINUITY\n";
    t += fmt::format("#EXT-X-PROGRAM-DATE-TIME:{}\n#EXTINF:{:.3f},\n{}\n", isoUtc(s.startUnixNs),
                     s.durationS, s.name);
  }
  if (ended) t += "#EXT-X-ENDLIST\n";
  return t;
}

}  // namespace tessera::restream
