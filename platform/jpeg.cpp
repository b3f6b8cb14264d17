#include "platform/jpeg.hpp"

#include <csetjmp>
#include <cstdio>
#include <cstdlib>

#include <jpeglib.h>

namespace tessera::platform {
namespace {

// libjpeg reports errors by calling error_exit, which must not return: jump back out.
struct ErrorManager {
  jpeg_error_mgr base;
  std::jmp_buf jump;
};

void onError(j_common_ptr info) {
  std::longjmp(reinterpret_cast<ErrorManager*>(info->err)->jump, 1);
}

// Frees what jpeg_mem_dest allocated and the compressor, however the encode ends.
struct Compressor {
  jpeg_compress_struct info{};
  unsigned char* out = nullptr;
  unsigned long size = 0;
  ~Compressor() {
    jpeg_destroy_compress(&info);
    std::free(out);  // NOLINT: jpeg_mem_dest allocates with malloc
  }
};

}  // namespace

std::vector<std::uint8_t> encodeJpeg(const std::uint8_t* rgb, int width, int height,
                                     std::size_t strideBytes, int quality) {
  if (!rgb || width <= 0 || height <= 0) return {};
  Compressor c;
  ErrorManager errors;
  c.info.err = jpeg_std_error(&errors.base);
  errors.base.error_exit = onError;
  if (setjmp(errors.jump)) return {};
  jpeg_create_compress(&c.info);
  jpeg_mem_dest(&c.info, &c.out, &c.size);
  c.info.image_width = static_cast<JDIMENSION>(width);
  c.info.image_height = static_cast<JDIMENSION>(height);
  c.info.input_components = 3;
  c.info.in_color_space = JCS_RGB;
  jpeg_set_defaults(&c.info);
  jpeg_set_quality(&c.info, quality, TRUE);
  jpeg_start_compress(&c.info, TRUE);
  while (c.info.next_scanline < c.info.image_height) {
    auto* row = const_cast<JSAMPROW>(rgb + c.info.next_scanline * strideBytes);
    jpeg_write_scanlines(&c.info, &row, 1);
  }
  jpeg_finish_compress(&c.info);
  return {c.out, c.out + c.size};
}

}  // namespace tessera::platform
