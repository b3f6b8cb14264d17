#include "platform/qr.hpp"

#include <qrencode.h>

#include <memory>

namespace tessera::platform {

QrImage makeQr(const std::string& text, int modulePx) {
  std::unique_ptr<QRcode, void (*)(QRcode*)> code(
      QRcode_encodeString(text.c_str(), 0, QR_ECLEVEL_M, QR_MODE_8, 1), &QRcode_free);
  if (!code || modulePx < 1) return {};
  constexpr int kQuiet = 4;
  const int modules = code->width + 2 * kQuiet;
  QrImage image;
  image.width = modules * modulePx;
  image.rgba.assign(static_cast<std::size_t>(image.width) * image.width * 4, 255);
  for (int y = 0; y < code->width; ++y) {
    for (int x = 0; x < code->width; ++x) {
      if (!(code->data[y * code->width + x] & 1)) continue;  // bit 0: dark module
      for (int dy = 0; dy < modulePx; ++dy) {
        auto* row = image.rgba.data() +
                    (static_cast<std::size_t>((y + kQuiet) * modulePx + dy) * image.width +
                     static_cast<std::size_t>((x + kQuiet) * modulePx)) *
                        4;
        for (int dx = 0; dx < modulePx * 4; dx += 4) row[dx] = row[dx + 1] = row[dx + 2] = 0;
      }
    }
  }
  return image;
}

std::string qrTerminalText(const QrImage& qr) {
  const auto light = [&qr](int x, int y) {
    return y < qr.width && qr.rgba[(static_cast<std::size_t>(y) * qr.width + x) * 4] > 127;
  };
  // Indexed by (top light) | (bottom light) << 1.
  static constexpr const char* kGlyph[] = {" ", "\u2580", "\u2584", "\u2588"};
  std::string out;
  for (int y = 0; y < qr.width; y += 2) {
    out += "\x1b[40;97m";
    for (int x = 0; x < qr.width; ++x) out += kGlyph[light(x, y) | (light(x, y + 1) << 1)];
    out += "\x1b[0m\n";
  }
  return out;
}

}  // namespace tessera::platform
