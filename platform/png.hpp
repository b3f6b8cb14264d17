// PNG encode/decode (libpng's simplified API), RGBA8, rows top-first.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace tessera::platform {

struct RgbaImage {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> rgba;  // tightly packed
};

// Encodes RGBA8; `strideBytes` may exceed width*4. Fast settings (the canvas is served live).
std::vector<std::uint8_t> encodePng(const std::uint8_t* rgba, int width, int height,
                                    std::size_t strideBytes);
// The largest picture decoded (an 8K canvas fits): a few kilobytes of PNG can claim gigapixels.
inline constexpr std::uint32_t kMaxPngSide = 8192;
inline constexpr std::uint64_t kMaxPngPixels = std::uint64_t{8192} * 4608;

std::optional<RgbaImage> decodePng(const std::uint8_t* data, std::size_t size, std::string* error);
// A regular file of at most core::kMaxImageFileBytes, decoded (nothing else is read).
std::optional<RgbaImage> loadPng(const std::filesystem::path& file, std::string* error);

}  // namespace tessera::platform
