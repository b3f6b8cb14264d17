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

}  // namespace tessera::platform
