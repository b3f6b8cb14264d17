#include "platform/png.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <fstream>
#include <vector>

#include "tests/support/clips.hpp"

using tessera::platform::decodePng;
using tessera::platform::encodePng;
using tessera::platform::loadPng;

namespace {

// A picture where every pixel differs from its neighbours, alpha included.
std::vector<std::uint8_t> pattern(int width, int height, std::size_t stride, std::uint8_t pad) {
  std::vector<std::uint8_t> px(stride * static_cast<std::size_t>(height), pad);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      std::uint8_t* p = &px[stride * static_cast<std::size_t>(y) + static_cast<std::size_t>(x) * 4];
      p[0] = static_cast<std::uint8_t>(x * 37 + y * 11);
      p[1] = static_cast<std::uint8_t>(x * 5 + y * 71);
      p[2] = static_cast<std::uint8_t>(x ^ (y * 3));
      p[3] = static_cast<std::uint8_t>(255 - x - y);
    }
  }
  return px;
}

std::vector<std::uint8_t> packed(const std::vector<std::uint8_t>& px, int width, int height,
                                 std::size_t stride) {
  std::vector<std::uint8_t> out;
  for (int y = 0; y < height; ++y) {
    const auto* row = &px[stride * static_cast<std::size_t>(y)];
    out.insert(out.end(), row, row + static_cast<std::size_t>(width) * 4);
  }
  return out;
}

}  // namespace

TEST_CASE("PNG encode then decode gives the same RGBA pixels", "[platform][png]") {
  const int width = 13, height = 7;
  const std::size_t stride =
      GENERATE(std::size_t{13 * 4}, std::size_t{13 * 4 + 12}, std::size_t{64 * 4});
  CAPTURE(stride);
  const auto px = pattern(width, height, stride, 0xAB);
  const auto png = encodePng(px.data(), width, height, stride);
  REQUIRE(png.size() > 8);
  CHECK(png[1] == 'P');
  CHECK(png[2] == 'N');
  CHECK(png[3] == 'G');

  std::string error;
  const auto image = decodePng(png.data(), png.size(), &error);
  REQUIRE(image);
  CHECK(error.empty());
  CHECK(image->width == width);
  CHECK(image->height == height);
  REQUIRE(image->rgba.size() == static_cast<std::size_t>(width) * height * 4);
  CHECK(image->rgba == packed(px, width, height, stride));
}

TEST_CASE("decodePng refuses bytes that are not a PNG", "[platform][png]") {
  const std::vector<std::uint8_t> junk(100, 0x42);
  std::string error;
  CHECK_FALSE(decodePng(junk.data(), junk.size(), &error));
  CHECK_FALSE(error.empty());
}

TEST_CASE("decodePng refuses a truncated PNG", "[platform][png]") {
  const auto px = pattern(32, 32, 32 * 4, 0);
  auto png = encodePng(px.data(), 32, 32, 32 * 4);
  REQUIRE(png.size() > 60);
  png.resize(png.size() / 2);
  std::string error;
  CHECK_FALSE(decodePng(png.data(), png.size(), &error));
  CHECK_FALSE(error.empty());
}

TEST_CASE("loadPng reads a file and reports a missing one", "[platform][png]") {
  tessera::test::ScratchDir dir;
  const auto px = pattern(5, 3, 5 * 4, 0);
  const auto png = encodePng(px.data(), 5, 3, 5 * 4);
  const auto file = dir.path() / "small.png";
  {
    std::ofstream out(file, std::ios::binary);
    out.write(reinterpret_cast<const char*>(png.data()), static_cast<std::streamsize>(png.size()));
  }
  std::string error;
  const auto image = loadPng(file, &error);
  REQUIRE(image);
  CHECK(image->width == 5);
  CHECK(image->height == 3);
  CHECK(image->rgba == px);

  CHECK_FALSE(loadPng(dir.path() / "missing.png", &error));
  CHECK_THAT(error, Catch::Contains("missing.png"));
}
