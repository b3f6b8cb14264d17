// Render-thread cost of the tile renderer alone, on this machine's GL (llvmpipe here): upload,
// draw and readback per canvas frame for N tiles, when every tile or half of them change; with
// --i420 WxH, also the canvas converted to I420 at that size on the GPU and read back (what
// [output] i420_conversion = "gpu" adds per frame).
//
//   tessera_bench_render [--canvas 1920x1080] [--frames 90] [--feeds 16,64,256] [--i420 WxH]
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "compositor/layout.hpp"
#include "core/frame.hpp"
#include "platform/gl_surface.hpp"
#include "render/i420_converter.hpp"
#include "render/tile_renderer.hpp"

using namespace tessera;
using Clock = std::chrono::steady_clock;

namespace {
double msSince(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}
}  // namespace

int main(int argc, char** argv) {
  core::SizePx canvas{1920, 1080};
  int frames = 90;
  std::vector<int> counts{16, 64, 256};
  core::SizePx i420{0, 0};
  std::string shaderDir = TESSERA_SOURCE_DIR "/shaders";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--canvas") std::sscanf(argv[i + 1], "%dx%d", &canvas.width, &canvas.height);
    if (a == "--frames") frames = std::atoi(argv[i + 1]);
    if (a == "--shaders") shaderDir = argv[i + 1];
    if (a == "--i420") std::sscanf(argv[i + 1], "%dx%d", &i420.width, &i420.height);
    if (a == "--feeds") {
      counts.clear();
      for (char* p = std::strtok(argv[i + 1], ","); p; p = std::strtok(nullptr, ","))
        counts.push_back(std::atoi(p));
    }
  }
  std::string error;
  auto surface = platform::createHeadlessSurface(&error);
  if (!surface) return std::fprintf(stderr, "%s\n", error.c_str()), 1;
  std::printf("GL: %s\ncanvas %dx%d, %d frames per row, tiles 160x120 I420\n\n",
              platform::glRendererDescription().c_str(), canvas.width, canvas.height, frames);
  std::printf("%6s %8s %10s %10s %12s %10s %10s %9s\n", "feeds", "changed", "upload ms", "draw ms",
              "readback ms", "i420 ms", "total ms", "cpu ms");

  const core::SizePx tile{160, 120};
  std::mt19937 rng(1);
  for (int n : counts) {
    auto renderer = render::TileRenderer::create(canvas, tile, std::max(n, 1), shaderDir, &error);
    if (!renderer) return std::fprintf(stderr, "%s\n", error.c_str()), 1;
    std::vector<core::FeedId> ids;
    for (int i = 0; i < n; ++i) ids.push_back({static_cast<std::uint32_t>(i + 1)});
    const auto layout = compositor::gridLayout(ids, canvas, tile);
    std::vector<core::FrameRef> pictures;
    for (int k = 0; k < 8; ++k) {
      std::vector<std::uint8_t> yuv(160 * 120 * 3 / 2);
      for (auto& b : yuv) b = static_cast<std::uint8_t>(rng());
      pictures.push_back(core::VideoFrame::fromI420(160, 120, std::move(yuv)));
    }
    std::vector<std::uint8_t> out(static_cast<std::size_t>(canvas.width) * canvas.height * 4);
    std::unique_ptr<render::I420Converter> converter;
    if (i420.width > 0) {
      converter = render::I420Converter::create(canvas, i420, shaderDir, &error);
      if (!converter) return std::fprintf(stderr, "%s\n", error.c_str()), 1;
    }
    std::vector<std::uint8_t> yuvOut(converter ? converter->layout().bytes : 0);
    for (int divisor : {1, 2}) {  // every tile changes each frame, or half (15 fps feeds)
      double upload = 0, draw = 0, readback = 0, yuv = 0;
      const std::clock_t cpu0 = std::clock();
      const auto wall0 = Clock::now();
      std::vector<render::TileInstance> all, changed;
      for (int i = 0; i < n; ++i) all.push_back({layout.tiles[i].rect, i});
      for (int f = 0; f < frames; ++f) {
        auto t = Clock::now();
        changed.clear();
        for (int i = 0; i < n; ++i) {
          if ((i + f) % divisor) continue;
          renderer->upload(i, *pictures[(i + f) % pictures.size()]);
          changed.push_back(all[i]);
        }
        upload += msSince(t);
        t = Clock::now();
        renderer->draw(f == 0 ? all : changed, f == 0);
        renderer->startReadback();
        draw += msSince(t);
        t = Clock::now();
        renderer->finishReadback(out.data(), false);
        readback += msSince(t);
        if (converter) {
          t = Clock::now();
          converter->convert(renderer->canvasTexture());
          converter->startReadback();
          converter->finishReadback(yuvOut.data(), false);
          yuv += msSince(t);
        }
      }
      const double wall = msSince(wall0);
      const double cpu = 1000.0 * (std::clock() - cpu0) / CLOCKS_PER_SEC;
      std::printf("%6d %7d%% %10.2f %10.2f %12.2f %10.2f %10.2f %9.2f\n", n, 100 / divisor,
                  upload / frames, draw / frames, readback / frames, yuv / frames, wall / frames,
                  cpu / frames);
    }
  }
  return 0;
}
