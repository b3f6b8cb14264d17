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
std::optional<RgbaImage> decodePng(const std::uint8_t* data, std::size_t size, std::string* error);
std::optional<RgbaImage> loadPng(const std::filesystem::path& file, std::string* error);

}  // namespace tessera::platform
