// Dynacast (issue 13): what a participant's phone should send, from what the scene does with its
// feed. The server scales every feed to the tile size before drawing it, so a phone never needs
// to send more than that, nor more than the size its tile is drawn at; a feed the scene does not
// draw (hidden, waiting, beyond a photomosaic's cells) needs only a trickle, enough for the
// keyframe a second the server still decodes for its scores and thumbnail.
// Pure C++: the HTTP status route (GET /whip/{id}/status, "send") tells the join page, which
// sets its sender's parameters to it (web/static/join.js).
#pragma once

#include <string>

#include "core/types.hpp"

namespace tessera::core {

// A box the phone's picture should fit in (keeping its own aspect ratio), with the frame rate
// and bitrate it may use.
struct SendTarget {
  int width = 0;  // even, at least 2
  int height = 0;
  int fps = 0;
  int kbps = 0;
  bool operator==(const SendTarget&) const = default;
};

struct SendLimits {
  SizePx tile{160, 120};  // [ingest] tile_width x tile_height
  int fps = 30;           // the ingest (canvas) rate
};

// Bits per pixel and frame the bitrate allows: about 86 kbit/s at 160x120 and 30 fps.
constexpr double kSendBitsPerPixel = 0.15;
constexpr int kSendMinKbps = 40;
// The tile's share a drawn feed's box is rounded up to (eighths), at least kSendMinSteps: the
// box changes in steps, not with every pixel a spotlight scene moves a tile by.
constexpr int kSendSteps = 8;
constexpr int kSendMinSteps = 2;
// A feed not drawn: half the tile at a frame a second and 30 kbit/s.
constexpr int kTrickleFps = 1;
constexpr int kTrickleKbps = 30;

// `shown` and `drawn` as core::FeedChannel::shown() and drawnSize() say (0x0: any size, or not
// known yet: the tile size).
SendTarget sendTarget(const SendLimits& limits, bool shown, SizePx drawn);

// A short text that changes whenever the target does ("160x120@30/86"): the status's version.
std::string toString(const SendTarget& t);

}  // namespace tessera::core
