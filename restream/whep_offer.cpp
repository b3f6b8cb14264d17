#include "restream/whep_offer.hpp"

#include <charconv>
#include <map>
#include <optional>
#include <vector>

namespace tessera::restream {
namespace {

constexpr std::size_t kMaxLines = 4096;  // a browser's offer has ~200

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// A payload type as the offer must spell it for the answer to name it back: 0..127, plain decimal
// ("096" is not 96: webrtcbin's answer would name a payload the offer never listed).
std::optional<int> payloadNumber(std::string_view s) {
  if (s.size() > 1 && s.front() == '0') return std::nullopt;
  int value = -1;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size() || value < 0 || value > 127) {
    return std::nullopt;
  }
  return value;
}

// "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1" -> {"packetization-mode": "1", ...}
std::map<std::string, std::string> fmtpParameters(std::string_view text) {
  std::map<std::string, std::string> out;
  while (!text.empty()) {
    const auto semi = text.find(';');
    const std::string_view item = trim(text.substr(0, semi));
    const auto eq = item.find('=');
    if (eq != std::string_view::npos) {
      out[lower(trim(item.substr(0, eq)))] = lower(trim(item.substr(eq + 1)));
    }
    if (semi == std::string_view::npos) break;
    text.remove_prefix(semi + 1);
  }
  return out;
}

struct VideoSection {
  bool found = false;
  bool rejected = false;  // port 0
  std::string direction = "sendrecv";
  std::vector<int> h264;                                   // rtpmap H264/90000, in offer order
  std::map<int, std::map<std::string, std::string>> fmtp;  // per payload type
};

// The attribute "a=NAME:VALUE" or "a=NAME" of `line`, split.
bool attribute(std::string_view line, std::string_view* name, std::string_view* value) {
  if (line.size() < 3 || line.substr(0, 2) != "a=") return false;
  line.remove_prefix(2);
  const auto colon = line.find(':');
  *name = line.substr(0, colon);
  *value = colon == std::string_view::npos ? std::string_view{} : line.substr(colon + 1);
  return true;
}

void readAttribute(std::string_view line, VideoSection* video) {
  std::string_view name, value;
  if (!attribute(line, &name, &value)) return;
  if (name == "sendrecv" || name == "sendonly" || name == "recvonly" || name == "inactive") {
    video->direction = std::string(name);
    return;
  }
  const auto space = value.find(' ');
  if (space == std::string_view::npos) return;
  const auto pt = payloadNumber(value.substr(0, space));
  if (!pt) return;
  const std::string_view rest = trim(value.substr(space + 1));
  if (name == "rtpmap" && lower(rest).starts_with("h264/90000")) {
    video->h264.push_back(*pt);
  } else if (name == "fmtp") {
    video->fmtp[*pt] = fmtpParameters(rest);
  }
}

std::optional<VideoSection> firstVideoSection(std::string_view sdp, WhepOfferProblem* problem) {
  VideoSection video;
  bool inVideo = false;
  std::size_t lines = 0;
  while (!sdp.empty()) {
    if (++lines > kMaxLines) {
      *problem = {400, "the SDP offer has more than 4096 lines"};
      return std::nullopt;
    }
    const auto eol = sdp.find('\n');
    const std::string_view line = trim(sdp.substr(0, eol));
    sdp.remove_prefix(eol == std::string_view::npos ? sdp.size() : eol + 1);
    if (line.starts_with("m=")) {
      if (video.found) break;  // only the first video section is answered with the canvas
      inVideo = line.starts_with("m=video ");
      if (inVideo) {
        video.found = true;
        video.rejected = line.starts_with("m=video 0 ");
      }
    } else if (inVideo) {
      readAttribute(line, &video);
    }
  }
  return video;
}

int rank(const std::map<std::string, std::string>& params) {
  const auto it = params.find("profile-level-id");
  const std::string id = it == params.end() ? "42e01f" : it->second;  // RFC 6184's default
  if (id.starts_with("42e0")) return 0;
  if (id.starts_with("42")) return 1;
  return 2;
}

}  // namespace

std::variant<WhepCodec, WhepOfferProblem> chooseWhepCodec(std::string_view sdp) {
  if (!trim(sdp.substr(0, sdp.find('\n'))).starts_with("v=0")) {
    return WhepOfferProblem{400, "the body is not an SDP offer (it must start with v=0)"};
  }
  WhepOfferProblem problem;
  const auto video = firstVideoSection(sdp, &problem);
  if (!video) return problem;
  if (!video->found || video->rejected) {
    return WhepOfferProblem{406, "the offer has no video section to receive the canvas"};
  }
  if (video->direction == "sendonly" || video->direction == "inactive") {
    return WhepOfferProblem{
        400, "the offer's video is " + video->direction + ": a WHEP viewer receives (recvonly)"};
  }
  std::optional<WhepCodec> best;
  int bestRank = 3;
  for (const int pt : video->h264) {
    const auto params =
        video->fmtp.count(pt) ? video->fmtp.at(pt) : std::map<std::string, std::string>{};
    const auto mode = params.find("packetization-mode");
    if (mode == params.end() || mode->second != "1") continue;
    const int r = rank(params);
    if (r < bestRank) {
      const auto id = params.find("profile-level-id");
      best = WhepCodec{pt, id == params.end() ? "" : id->second};
      bestRank = r;
    }
  }
  if (!best) {
    return WhepOfferProblem{
        406, "the offer has no H.264 in packetization mode 1 (the canvas is sent as H.264)"};
  }
  return *best;
}

}  // namespace tessera::restream
