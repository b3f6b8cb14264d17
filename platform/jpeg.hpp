// JPEG encode (libjpeg-turbo), for small previews: the admin page's thumbnails.
#pragma once

#include <cstdint>
#include <vector>

namespace tessera::platform {

// Encodes RGB8 (3 bytes a pixel, rows top-first, `strideBytes` apart) at `quality` 1-100; empty
// on failure.
std::vector<std::uint8_t> encodeJpeg(const std::uint8_t* rgb, int width, int height,
                                     std::size_t strideBytes, int quality);

}  // namespace tessera::platform
