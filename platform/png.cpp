#include "platform/png.hpp"

#include <png.h>

#include <cstdint>
#include <string>

#include "core/files.hpp"

namespace tessera::platform {

std::vector<std::uint8_t> encodePng(const std::uint8_t* rgba, int width, int height,
                                    std::size_t strideBytes) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = static_cast<png_uint_32>(width);
  image.height = static_cast<png_uint_32>(height);
  image.format = PNG_FORMAT_RGBA;
  png_alloc_size_t size = 0;
  // libpng counts the stride in components (bytes, for 8-bit RGBA), not pixels.
  const auto stride = static_cast<png_int_32>(strideBytes);
  if (!png_image_write_get_memory_size(image, size, 0, rgba, stride, nullptr)) return {};
  std::vector<std::uint8_t> out(size);
  if (!png_image_write_to_memory(&image, out.data(), &size, 0, rgba, stride, nullptr)) return {};
  out.resize(size);
  return out;
}

std::optional<RgbaImage> decodePng(const std::uint8_t* data, std::size_t size, std::string* error) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&image, data, size)) {
    if (error) *error = image.message;
    return std::nullopt;
  }
  // A small file can claim a huge picture: refuse before allocating for it.
  if (image.width > kMaxPngSide || image.height > kMaxPngSide ||
      std::uint64_t{image.width} * image.height > kMaxPngPixels) {
    if (error) {
      *error = "a " + std::to_string(image.width) + "x" + std::to_string(image.height) +
               " picture is larger than the " + std::to_string(kMaxPngSide) +
               " pixels a side and " + std::to_string(kMaxPngPixels) + " pixels allowed";
    }
    png_image_free(&image);
    return std::nullopt;
  }
  image.format = PNG_FORMAT_RGBA;
  RgbaImage out;
  out.width = static_cast<int>(image.width);
  out.height = static_cast<int>(image.height);
  out.rgba.resize(PNG_IMAGE_SIZE(image));
  if (!png_image_finish_read(&image, nullptr, out.rgba.data(), 0, nullptr)) {
    if (error) *error = image.message;
    png_image_free(&image);
    return std::nullopt;
  }
  return out;
}

std::optional<RgbaImage> loadPng(const std::filesystem::path& file, std::string* error) {
  // Only a regular file of a bounded size (not /dev/zero, not a pipe).
  const auto bytes = core::readRegularFile(file, core::kMaxImageFileBytes, error);
  if (!bytes) return std::nullopt;
  return decodePng(reinterpret_cast<const std::uint8_t*>(bytes->data()), bytes->size(), error);
}

}  // namespace tessera::platform
