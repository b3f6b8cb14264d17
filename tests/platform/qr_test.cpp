#include "platform/qr.hpp"

#include <catch2/catch.hpp>

#include <sstream>
#include <string>
#include <vector>

using tessera::platform::makeQr;
using tessera::platform::qrTerminalText;

TEST_CASE("the terminal QR code draws every module of the image", "[platform][qr]") {
  const auto qr = makeQr("https://192.0.2.10:8080/join?t=tok-123", 1);
  REQUIRE(qr.width > 0);
  const std::string text = qrTerminalText(qr);
  std::istringstream lines(text);
  std::string line;
  int row = 0;
  while (std::getline(lines, line)) {
    const std::string begin = "\x1b[40;97m", end = "\x1b[0m";
    REQUIRE(line.rfind(begin, 0) == 0);
    REQUIRE(line.size() >= begin.size() + end.size());
    REQUIRE(line.substr(line.size() - end.size()) == end);
    const std::string cells = line.substr(begin.size(), line.size() - begin.size() - end.size());
    // Each cell is a space or a 3-byte half/full block: back to two modules.
    std::size_t at = 0;
    for (int x = 0; x < qr.width; ++x) {
      REQUIRE(at < cells.size());
      int bits = 0;
      if (cells[at] == ' ') {
        at += 1;
      } else {
        const std::string glyph = cells.substr(at, 3);
        bits = glyph == "\u2580" ? 1 : glyph == "\u2584" ? 2 : glyph == "\u2588" ? 3 : -1;
        REQUIRE(bits >= 0);
        at += 3;
      }
      for (int half = 0; half < 2; ++half) {
        const int y = row * 2 + half;
        if (y >= qr.width) continue;
        const bool light = qr.rgba[(static_cast<std::size_t>(y) * qr.width + x) * 4] > 127;
        INFO("module " << x << "," << y);
        CHECK(light == bool(bits & (1 << half)));
      }
    }
    CHECK(at == cells.size());
    ++row;
  }
  CHECK(row == (qr.width + 1) / 2);
  // The quiet zone is light: the first line is all full blocks.
  CHECK(text.find("\u2588\u2588\u2588\u2588") != std::string::npos);
  CHECK(qrTerminalText({}).empty());
}
