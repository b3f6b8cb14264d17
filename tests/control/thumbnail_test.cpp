// The admin page's thumbnails: half-size RGB from I420 and RGBA frames, then a JPEG.
#include "control/detail/thumbnail.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>

#include "platform/jpeg.hpp"

using tessera::control::detail::halfSizeRgb;
using tessera::core::VideoFrame;

namespace {

// A uniform I420 frame of BT.601 limited-range (y, u, v).
std::shared_ptr<VideoFrame> i420(int w, int h, std::uint8_t y, std::uint8_t u, std::uint8_t v) {
  const std::size_t cw = static_cast<std::size_t>(w + 1) / 2,
                    ch = static_cast<std::size_t>(h + 1) / 2;
  std::vector<std::uint8_t> yuv(static_cast<std::size_t>(w) * h, y);
  yuv.insert(yuv.end(), cw * ch, u);
  yuv.insert(yuv.end(), cw * ch, v);
  return VideoFrame::fromI420(w, h, std::move(yuv));
}

bool near(int a, int b, int tolerance) {
  return std::abs(a - b) <= tolerance;
}

}  // namespace

TEST_CASE("I420 colours come out as RGB at half size", "[control][thumbnail]") {
  struct Row {
    std::uint8_t y, u, v;
    int r, g, b;
  };
  // BT.601 limited range: black, white, red, green, blue, mid grey.
  for (const Row& row : {Row{16, 128, 128, 0, 0, 0}, Row{235, 128, 128, 255, 255, 255},
                         Row{81, 90, 240, 255, 0, 0}, Row{145, 54, 34, 0, 255, 0},
                         Row{41, 240, 110, 0, 0, 255}, Row{126, 128, 128, 128, 128, 128}}) {
    INFO(int(row.y) << " " << int(row.u) << " " << int(row.v));
    const auto img = halfSizeRgb(*i420(160, 120, row.y, row.u, row.v));
    REQUIRE(img.width == 80);
    REQUIRE(img.height == 60);
    REQUIRE(img.rgb.size() == 80u * 60u * 3u);
    for (std::size_t i : {std::size_t{0}, img.rgb.size() / 2 / 3 * 3, img.rgb.size() - 3}) {
      CHECK(near(img.rgb[i], row.r, 3));
      CHECK(near(img.rgb[i + 1], row.g, 3));
      CHECK(near(img.rgb[i + 2], row.b, 3));
    }
  }
}

TEST_CASE("a 2x2 block is averaged; odd sizes and RGBA frames work", "[control][thumbnail]") {
  std::vector<std::uint8_t> rgba(3 * 3 * 4, 0);
  // Top-left 2x2 block: two white pixels and two black ones -> mid grey.
  for (int i : {0, 1}) {
    rgba[i * 4] = rgba[i * 4 + 1] = rgba[i * 4 + 2] = 255;
  }
  const auto img = halfSizeRgb(*VideoFrame::fromPixels(3, 3, rgba));
  REQUIRE(img.width == 1);
  REQUIRE(img.height == 1);
  CHECK(near(img.rgb[0], 128, 1));
  const auto tiny = halfSizeRgb(*i420(1, 1, 235, 128, 128));
  CHECK(tiny.width == 1);
  CHECK(tiny.height == 1);
  CHECK(tiny.rgb[0] == 255);
  VideoFrame empty;
  CHECK(halfSizeRgb(empty).rgb.empty());
}

TEST_CASE("the thumbnail is a small baseline JPEG", "[control][thumbnail]") {
  const auto img = halfSizeRgb(*i420(160, 120, 81, 90, 240));
  const auto jpeg = tessera::platform::encodeJpeg(img.rgb.data(), img.width, img.height,
                                                  static_cast<std::size_t>(img.width) * 3, 70);
  REQUIRE(jpeg.size() > 100);
  CHECK(jpeg.size() < 4000);
  CHECK(jpeg[0] == 0xFF);
  CHECK(jpeg[1] == 0xD8);  // SOI
  CHECK(jpeg[jpeg.size() - 2] == 0xFF);
  CHECK(jpeg[jpeg.size() - 1] == 0xD9);  // EOI
  CHECK(tessera::platform::encodeJpeg(nullptr, 0, 0, 0, 70).empty());
}
