// QR codes (libqrencode) as PNG images.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tessera::platform {

struct QrImage {
  int width = 0;  // square
  std::vector<std::uint8_t> rgba;
};

// Encodes `text` (medium error correction) with `modulePx` pixels per module and the standard
// four-module quiet zone; dark modules black, light ones white. Empty on failure.
QrImage makeQr(const std::string& text, int modulePx);

// A QR image of one pixel per module (makeQr(text, 1)) as text for a terminal: two module rows
// per line in half blocks, light modules drawn bright white on black (ANSI colours, so it scans
// on light and dark terminals alike), each line reset at its end. Empty for an empty image.
std::string qrTerminalText(const QrImage& qr);

}  // namespace tessera::platform
