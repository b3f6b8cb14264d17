#include "ingest/sdp_check.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>

namespace tessera::ingest {
namespace {

using Kind = SdpProblem::Kind;

std::optional<SdpProblem> fail(int line, std::string detail, Kind kind = Kind::kMalformed) {
  return SdpProblem{kind, line, std::move(detail)};
}

// An unsigned decimal number in [lo, hi], the whole of `s`: no sign, no overflow.
std::optional<std::uint64_t> number(std::string_view s, std::uint64_t lo, std::uint64_t hi) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v < lo || v > hi) return std::nullopt;
  return v;
}

// Splits on single spaces; at most `max` fields (the last keeps the rest).
std::vector<std::string_view> fields(std::string_view s, std::size_t max = 64) {
  std::vector<std::string_view> out;
  while (!s.empty() && out.size() + 1 < max) {
    const auto sp = s.find(' ');
    if (sp == std::string_view::npos) break;
    out.push_back(s.substr(0, sp));
    s.remove_prefix(sp + 1);
  }
  out.push_back(s);
  return out;
}

bool printable(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u == '\t' || (u >= 0x20 && u != 0x7f);  // UTF-8 bytes (>= 0x80) pass
  });
}

bool token(std::string_view s, std::size_t maxBytes) {
  return !s.empty() && s.size() <= maxBytes && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           std::string_view("-_.+/=!#$%&'*^`{|}~").find(c) != std::string_view::npos;
  });
}

// Iterates the lines of a body (CRLF or LF), checking the generic rules.
class Lines {
 public:
  explicit Lines(std::string_view body) : mRest(body) {}
  // The next line, or nullopt at the end; `problem` is set when a line breaks the rules.
  std::optional<std::string_view> next(std::optional<SdpProblem>* problem) {
    while (!mRest.empty()) {
      const auto nl = mRest.find('\n');
      std::string_view line = mRest.substr(0, nl);
      mRest = nl == std::string_view::npos ? std::string_view() : mRest.substr(nl + 1);
      ++mNumber;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.empty()) continue;  // a blank line (the body's end) is tolerated
      if (mNumber > static_cast<int>(SdpLimits::kMaxLines)) {
        *problem = fail(mNumber, fmt::format("more than {} lines", SdpLimits::kMaxLines));
        return std::nullopt;
      }
      if (line.size() > SdpLimits::kMaxLineBytes) {
        *problem = fail(mNumber, fmt::format("line is {} bytes; at most {}", line.size(),
                                             SdpLimits::kMaxLineBytes));
        return std::nullopt;
      }
      if (line.size() < 2 || line[1] != '=' || !std::islower(static_cast<unsigned char>(line[0]))) {
        *problem = fail(mNumber, "not a \"x=value\" line");
        return std::nullopt;
      }
      if (!printable(line)) {
        *problem = fail(mNumber, "control characters in the line");
        return std::nullopt;
      }
      return line;
    }
    return std::nullopt;
  }
  int number() const { return mNumber; }

 private:
  std::string_view mRest;
  int mNumber = 0;
};

// "a=name:value" -> name, value.
std::pair<std::string_view, std::string_view> attribute(std::string_view line) {
  std::string_view a = line.substr(2);
  const auto colon = a.find(':');
  if (colon == std::string_view::npos) return {a, {}};
  return {a.substr(0, colon), a.substr(colon + 1)};
}

// "candidate:foundation component transport priority address port typ type ..." (RFC 8839).
std::optional<std::string> checkCandidate(std::string_view value) {
  const auto f = fields(value, 10);
  if (f.size() < 8)
    return "a candidate needs foundation, component, transport, priority, "
           "address, port and typ";
  if (!token(f[0], 32)) return "bad candidate foundation";
  if (!number(f[1], 1, 256)) return "candidate component must be 1-256";
  if (!token(f[2], 16)) return "bad candidate transport";
  if (!number(f[3], 0, UINT32_MAX)) return "candidate priority must be 0-4294967295";
  if (!token(f[4], 255) && f[4].find(':') == std::string_view::npos) {
    return "bad candidate address";
  }
  if (f[4].size() > 255) return "bad candidate address";
  if (!number(f[5], 0, 65535)) return "candidate port must be 0-65535";
  if (f[6] != "typ" || !token(f[7].substr(0, f[7].find(' ')), 16)) return "candidate has no typ";
  return std::nullopt;
}

struct Media {
  int line = 0;
  bool video = false;
  bool rtp = false;
  std::vector<unsigned> formats;
  std::string_view mid;
  int direction = 0;  // how many direction attributes
  std::string_view dir = "sendrecv";
  bool decodable = false;
};

bool dynamicPt(unsigned pt) {
  return (pt >= 96 && pt <= 127) || (pt >= 35 && pt <= 63);
}

std::optional<SdpProblem> checkMLine(std::string_view value, int n, Media* m, bool fragment) {
  const auto f = fields(value, SdpLimits::kMaxFormatsPerMedia + 4);
  if (f.size() < 4) return fail(n, "m= needs media, port, protocol and formats");
  if (f.size() > SdpLimits::kMaxFormatsPerMedia + 3) {
    return fail(n, fmt::format("more than {} formats", SdpLimits::kMaxFormatsPerMedia));
  }
  m->line = n;
  m->video = f[0] == "video";
  if (!token(f[0], 32)) return fail(n, "bad media type");
  const std::string_view port = f[1].substr(0, f[1].find('/'));
  if (!number(port, 0, 65535) ||
      (port.size() < f[1].size() && !number(f[1].substr(port.size() + 1), 1, 65535))) {
    return fail(n, "port must be 0-65535");
  }
  if (!token(f[2], 64)) return fail(n, "bad protocol");
  m->rtp = f[2].find("RTP") != std::string_view::npos;
  for (std::size_t i = 3; i < f.size(); ++i) {
    if (!m->rtp) {
      if (!token(f[i], 64)) return fail(n, "bad format");
      continue;
    }
    const auto pt = number(f[i], 0, 127);
    if (!pt) {
      return fail(n, fmt::format("payload type \"{}\" is not 0-127", f[i].substr(0, 24)));
    }
    if (std::find(m->formats.begin(), m->formats.end(), *pt) != m->formats.end() && !fragment) {
      return fail(n, fmt::format("payload type {} listed twice", *pt));
    }
    m->formats.push_back(static_cast<unsigned>(*pt));
  }
  return std::nullopt;
}

// a=rtpmap:PT, a=fmtp:PT, a=rtcp-fb:PT|*: the payload type must be one the m= line lists.
std::optional<SdpProblem> checkPtAttribute(std::string_view name, std::string_view value, int n,
                                           Media* m) {
  const auto sp = value.find(' ');
  const std::string_view ptText = value.substr(0, sp);
  if (name == "rtcp-fb" && ptText == "*") return std::nullopt;
  const auto pt = number(ptText, 0, 127);
  if (!pt)
    return fail(n,
                fmt::format("a={}: payload type \"{}\" is not 0-127", name, ptText.substr(0, 24)));
  if (std::find(m->formats.begin(), m->formats.end(), *pt) == m->formats.end()) {
    return fail(n, fmt::format("a={}: payload type {} is not on the m= line", name, *pt));
  }
  if (sp == std::string_view::npos) return fail(n, fmt::format("a={} has no value", name));
  if (name == "rtpmap") {
    // "VP8/90000" or "opus/48000/2": encoding/clock-rate[/channels]
    const auto f = fields(value.substr(sp + 1), 2);
    const std::string_view enc = f[0];
    const auto slash = enc.find('/');
    if (slash == 0 || slash == std::string_view::npos) {
      return fail(n, "a=rtpmap needs encoding/clock-rate");
    }
    const std::string_view rest = enc.substr(slash + 1);
    const auto slash2 = rest.find('/');
    if (!number(rest.substr(0, slash2), 1, 10'000'000) ||
        (slash2 != std::string_view::npos && !number(rest.substr(slash2 + 1), 1, 255))) {
      return fail(n, "a=rtpmap clock rate or channels out of range");
    }
    const std::string_view codec = enc.substr(0, slash);
    const auto iequals = [](std::string_view a, std::string_view b) {
      return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
             });
    };
    if (m->video && (iequals(codec, "VP8") || iequals(codec, "H264")) && dynamicPt(*pt)) {
      m->decodable = true;
    }
  }
  return std::nullopt;
}

// The attributes both offers and fragments may carry, checked the same way.
std::optional<SdpProblem> checkCommonAttribute(std::string_view name, std::string_view value, int n,
                                               Media* m, std::size_t* candidates) {
  if (name == "mid") {
    if (!m) return fail(n, "a=mid before any m= line");
    if (!m->mid.empty()) return fail(n, "a second a=mid in one m= section");
    if (!token(value, SdpLimits::kMaxMidBytes)) {
      return fail(n, fmt::format("a=mid must be 1-{} token characters", SdpLimits::kMaxMidBytes));
    }
    m->mid = value;
  } else if (name == "candidate") {
    if (++*candidates > SdpLimits::kMaxCandidates) {
      return fail(n, fmt::format("more than {} candidates", SdpLimits::kMaxCandidates));
    }
    if (auto why = checkCandidate(value)) return fail(n, *why);
  } else if (name == "ice-ufrag") {
    if (value.size() < 4 || value.size() > 256 || !printable(value)) {
      return fail(n, "a=ice-ufrag must be 4-256 characters");
    }
  } else if (name == "ice-pwd") {
    if (value.size() < 22 || value.size() > 256 || !printable(value)) {
      return fail(n, "a=ice-pwd must be 22-256 characters");
    }
  }
  return std::nullopt;
}

std::optional<SdpProblem> checkUniqueMids(const std::vector<Media>& media, bool required) {
  for (std::size_t i = 0; i < media.size(); ++i) {
    if (media[i].mid.empty()) {
      if (required) return fail(media[i].line, "the m= section has no a=mid");
      continue;
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (media[j].mid == media[i].mid) {
        return fail(media[i].line, fmt::format("a=mid \"{}\" is used by two m= sections (lines "
                                               "{} and {})",
                                               media[i].mid, media[j].line, media[i].line));
      }
    }
  }
  return std::nullopt;
}

constexpr std::array<std::string_view, 4> kDirections{"sendrecv", "sendonly", "recvonly",
                                                      "inactive"};

}  // namespace

std::optional<SdpProblem> checkWhipOffer(std::string_view sdp) {
  Lines lines(sdp);
  std::optional<SdpProblem> problem;
  std::vector<Media> media;
  std::size_t candidates = 0;
  bool first = true;
  while (auto line = lines.next(&problem)) {
    const int n = lines.number();
    if (first) {
      if (*line != "v=0") return fail(n, "an SDP offer starts with v=0");
      first = false;
      continue;
    }
    const char type = (*line)[0];
    const std::string_view value = line->substr(2);
    if (type == 'm') {
      if (media.size() == SdpLimits::kMaxMediaSections) {
        return fail(n, fmt::format("more than {} m= sections", SdpLimits::kMaxMediaSections));
      }
      media.emplace_back();
      if (auto p = checkMLine(value, n, &media.back(), false)) return p;
      continue;
    }
    if (type != 'a') continue;  // o=, s=, t=, c=, b=: GStreamer's parser checks their syntax
    Media* m = media.empty() ? nullptr : &media.back();
    const auto [name, attrValue] = attribute(*line);
    if (std::find(kDirections.begin(), kDirections.end(), name) != kDirections.end()) {
      if (!m) continue;  // a session-level default; sections are checked below
      if (++m->direction > 1) return fail(n, "a second direction attribute in one m= section");
      m->dir = name;
    } else if (name == "rtpmap" || name == "fmtp" || name == "rtcp-fb") {
      if (!m) return fail(n, fmt::format("a={} before any m= line", name));
      if (m->rtp) {
        if (auto p = checkPtAttribute(name, attrValue, n, m)) return p;
      }
    } else if (name == "ssrc") {
      if (!number(attrValue.substr(0, attrValue.find(' ')), 0, UINT32_MAX)) {
        return fail(n, "a=ssrc must be 0-4294967295");
      }
    } else if (name == "rtcp") {
      if (!number(attrValue.substr(0, attrValue.find(' ')), 0, 65535)) {
        return fail(n, "a=rtcp port must be 0-65535");
      }
    } else if (name == "extmap") {
      const std::string_view id = attrValue.substr(0, attrValue.find_first_of(" /"));
      if (!number(id, 1, 255)) return fail(n, "a=extmap id must be 1-255");
    } else if (auto p = checkCommonAttribute(name, attrValue, n, m, &candidates)) {
      return p;
    }
  }
  if (problem) return problem;
  if (first) return fail(0, "the body is empty");
  if (media.empty()) return fail(0, "the SDP offer has no m= section");
  if (auto p = checkUniqueMids(media, true)) return p;
  bool video = false;
  for (const Media& m : media) {
    if (!m.video) continue;
    video = true;
    if (m.dir == "recvonly" || m.dir == "inactive") {
      return fail(m.line, fmt::format("the video section is {}: a participant must send video "
                                      "(sendonly or sendrecv)",
                                      m.dir));
    }
    if (m.decodable) return std::nullopt;
  }
  if (!video) return fail(0, "the offer has no video (a camera track is needed)", Kind::kNoVideo);
  return fail(0,
              "the offer has no video codec tessera decodes (VP8 or H.264 on a dynamic "
              "payload type)",
              Kind::kNoCodec);
}

std::optional<SdpProblem> checkTrickleFragment(std::string_view fragment) {
  Lines lines(fragment);
  std::optional<SdpProblem> problem;
  std::vector<Media> media;
  std::size_t candidates = 0;
  while (auto line = lines.next(&problem)) {
    const int n = lines.number();
    const char type = (*line)[0];
    if (type == 'm') {
      if (media.size() == SdpLimits::kMaxMediaSections) {
        return fail(n, fmt::format("more than {} m= sections", SdpLimits::kMaxMediaSections));
      }
      media.emplace_back();
      if (auto p = checkMLine(line->substr(2), n, &media.back(), true)) return p;
      continue;
    }
    if (type != 'a') {
      return fail(n, "a trickle-ICE fragment carries only a= and m= lines (RFC 8840)");
    }
    const auto [name, value] = attribute(*line);
    constexpr std::array<std::string_view, 7> kAllowed{
        "ice-ufrag", "ice-pwd", "ice-options", "mid", "candidate", "end-of-candidates", "group"};
    if (std::find(kAllowed.begin(), kAllowed.end(), name) == kAllowed.end()) {
      return fail(
          n, fmt::format("a={} does not belong in a trickle-ICE fragment", name.substr(0, 32)));
    }
    Media* m = media.empty() ? nullptr : &media.back();
    if (auto p = checkCommonAttribute(name, value, n, m, &candidates)) return p;
  }
  if (problem) return problem;
  return checkUniqueMids(media, false);
}

std::vector<std::string> trickleCandidates(std::string_view fragment) {
  std::vector<std::string> out;
  Lines lines(fragment);
  std::optional<SdpProblem> problem;
  while (auto line = lines.next(&problem)) {
    if (line->starts_with("a=candidate:")) out.emplace_back(line->substr(2));
  }
  return out;
}

}  // namespace tessera::ingest
