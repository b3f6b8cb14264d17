// Artists' shaders on this machine's GL (llvmpipe here):
//  1. file to first frame: read + parse + translate + compile + link + the first frame drawn,
//     for each shader given (default: the shipped ones and the 3-pass filter below);
//  2. frame time of a 3-pass ISF filter (downsample, horizontal blur, vertical blur + mix with
//     the input) at 1920x1080: wall and CPU milliseconds per frame;
//  3. what a scene's filter chain adds (the canvas flipped into the chain and back);
//  4. hot reload in a running render loop: a saved file to the first canvas frame showing it.
//
//   tessera_bench_shaders [--size 1920x1080] [--frames 60] [--reloads 10] [SHADER...]
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/config.hpp"
#include "core/mailbox.hpp"
#include "platform/gl_surface.hpp"
#include "render/crowd.hpp"
#include "render/render_loop.hpp"
#include "render/scene_shaders.hpp"
#include "render/shader_program.hpp"

using namespace tessera;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kThreePass = R"ISF(/*{
  "DESCRIPTION": "bench: 3-pass blur filter",
  "INPUTS": [
    {"NAME": "inputImage", "TYPE": "image"},
    {"NAME": "radius", "TYPE": "float", "DEFAULT": 3.0, "MIN": 0.0, "MAX": 8.0},
    {"NAME": "amount", "TYPE": "float", "DEFAULT": 0.6, "MIN": 0.0, "MAX": 1.0}
  ],
  "PASSES": [
    {"TARGET": "small", "WIDTH": "floor($WIDTH/2.0)", "HEIGHT": "floor($HEIGHT/2.0)"},
    {"TARGET": "blurX", "WIDTH": "floor($WIDTH/2.0)", "HEIGHT": "floor($HEIGHT/2.0)"},
    {}
  ]
}*/
vec4 blur(sampler2D img, vec2 uv, vec2 dir) {
  vec4 sum = vec4(0.0);
  for (int k = -3; k <= 3; ++k) sum += IMG_NORM_PIXEL(img, uv + dir * float(k) * radius / RENDERSIZE);
  return sum / 7.0;
}
void main() {
  vec2 uv = isf_FragNormCoord;
  if (PASSINDEX == 0) {
    gl_FragColor = IMG_NORM_PIXEL(inputImage, uv);
  } else if (PASSINDEX == 1) {
    gl_FragColor = blur(small, uv, vec2(1.0, 0.0));
  } else {
    gl_FragColor = mix(IMG_THIS_PIXEL(inputImage), blur(blurX, uv, vec2(0.0, 1.0)), amount);
  }
}
)ISF";

double cpuMs() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

double msSince(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * (v.size() - 1) + 0.5))];
}

void write(const std::filesystem::path& file, const std::string& text) {
  const auto tmp = file.string() + ".tmp";
  std::ofstream(tmp) << text;
  std::filesystem::rename(tmp, file);
}

std::string solid(int k) {
  return "/*{ \"INPUTS\": [] }*/\nvoid main() { gl_FragColor = vec4(" + std::to_string(k % 2) +
         ".0, " + std::to_string((k + 1) % 2) + ".0, 0.0, 1.0); }\n";
}

}  // namespace

int main(int argc, char** argv) {
  core::SizePx size{1920, 1080};
  int frames = 60, reloads = 10;
  std::vector<std::filesystem::path> files;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--size" && i + 1 < argc) {
      std::sscanf(argv[++i], "%dx%d", &size.width, &size.height);
    } else if (a == "--frames" && i + 1 < argc) {
      frames = std::atoi(argv[++i]);
    } else if (a == "--reloads" && i + 1 < argc) {
      reloads = std::atoi(argv[++i]);
    } else {
      files.emplace_back(a);
    }
  }
  const auto dir = std::filesystem::temp_directory_path() /
                   ("tessera-bench-shaders-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const auto threePass = dir / "three_pass.fs";
  write(threePass, kThreePass);
  if (files.empty()) {
    for (const char* f : {"stained_glass.fs", "kaleidoscope.fs", "motion_heat.fs"}) {
      if (std::filesystem::exists(std::filesystem::path(TESSERA_SOURCE_DIR "/shaders") / f)) {
        files.push_back(std::filesystem::path(TESSERA_SOURCE_DIR "/shaders") / f);
      }
    }
    files.push_back(threePass);
  }

  std::string error;
  {
    auto surface = platform::createHeadlessSurface(&error);
    if (!surface) return std::fprintf(stderr, "%s\n", error.c_str()), 1;
    std::printf("GL: %s\n\n", platform::glRendererDescription().c_str());
    auto target = platform::makeTarget(size.width, size.height);
    if (!target) return std::fprintf(stderr, "cannot draw at %dx%d\n", size.width, size.height), 1;
    const platform::GlFramebuffer& fbo = target->framebuffer;
    // A noisy input picture (a filter's inputImage).
    std::vector<std::uint8_t> noise(static_cast<std::size_t>(size.width) * size.height * 4);
    std::mt19937 rng(1);
    for (auto& b : noise) b = static_cast<std::uint8_t>(rng());
    auto input = render::uploadImage(noise.data(), size.width, size.height,
                                     static_cast<std::size_t>(size.width) * 4);

    // 1. File to first frame.
    std::printf(
        "1. file to first frame at %dx%d (median of 5; load = read, parse, translate, "
        "compile, link)\n",
        size.width, size.height);
    std::printf("%-24s %9s %15s %10s\n", "shader", "load ms", "first frame ms", "total ms");
    for (const auto& file : files) {
      std::vector<double> load, first;
      for (int k = 0; k < 5; ++k) {
        const auto t0 = Clock::now();
        auto program = render::ShaderProgram::load(file, {256}, &error);
        if (!program) return std::fprintf(stderr, "%s\n", error.c_str()), 1;
        load.push_back(msSince(t0));
        program->setImage("inputImage", input.id());
        const auto t1 = Clock::now();
        program->render(fbo.id(), size, {}, nullptr);
        glFinish();
        first.push_back(msSince(t1));
      }
      std::printf("%-24s %9.1f %15.1f %10.1f\n", file.filename().c_str(), percentile(load, 0.5),
                  percentile(first, 0.5), percentile(load, 0.5) + percentile(first, 0.5));
    }

    // 2. Frame time of each shader (the 3-pass filter is the one the issue names).
    std::printf("\n2. frame time at %dx%d over %d frames (glFinish each frame; no feeds)\n",
                size.width, size.height, frames);
    std::printf("%-24s %8s %8s %8s %9s\n", "shader", "p50 ms", "p95 ms", "max ms", "cpu ms");
    for (const auto& file : files) {
      auto program = render::ShaderProgram::load(file, {256}, &error);
      program->setImage("inputImage", input.id());
      render::ShaderClock clock;
      program->render(fbo.id(), size, clock, nullptr);  // warm up
      glFinish();
      std::vector<double> wall;
      const double cpu0 = cpuMs();
      for (int f = 0; f < frames; ++f) {
        clock.timeS = f / 30.0;
        clock.deltaS = 1 / 30.0;
        clock.frameIndex = f;
        const auto t = Clock::now();
        program->render(fbo.id(), size, clock, nullptr);
        glFinish();
        wall.push_back(msSince(t));
      }
      std::printf("%-24s %8.1f %8.1f %8.1f %9.1f\n", file.filename().c_str(), percentile(wall, 0.5),
                  percentile(wall, 0.95), percentile(wall, 1.0), (cpuMs() - cpu0) / frames);
    }
  }

  // 3. What a scene's chain adds to its shaders: the canvas copied (flipped) into the chain and
  // back, around a pass-through filter.
  {
    auto surface = platform::createHeadlessSurface(&error);
    const core::SizePx canvas{1280, 720};
    const auto through = dir / "through.fs";
    write(through,
          "/*{ \"INPUTS\": [ {\"NAME\": \"inputImage\", \"TYPE\": \"image\"} ] }*/\n"
          "void main() { gl_FragColor = IMG_THIS_PIXEL(inputImage); }\n");
    auto target = platform::makeTarget(canvas.width, canvas.height);
    const platform::GlFramebuffer& fbo = target->framebuffer;
    core::SceneConfig scene;
    scene.name = "bench";
    scene.filters = {through};
    render::SceneShaders shaders(0, scene, {256});
    shaders.load();
    render::ChainTargets chain(canvas);
    render::CrowdData crowd(256);
    auto program = render::ShaderProgram::load(through, {256}, &error);
    program->setImage("inputImage", chain.texture(0));
    auto time = [&](auto&& draw) {
      draw();
      glFinish();
      std::vector<double> wall;
      for (int f = 0; f < frames; ++f) {
        const auto t = Clock::now();
        draw();
        glFinish();
        wall.push_back(msSince(t));
      }
      return percentile(wall, 0.5);
    };
    const double alone = time([&] { program->render(chain.framebuffer(1), canvas, {}, nullptr); });
    const double inChain = time(
        [&] { shaders.render(fbo.id(), fbo.id(), canvas, chain, {}, crowd.binding(0, 0, 0, 0)); });
    std::printf(
        "\n3. a pass-through filter at 1280x720: alone %.1f ms, in a scene's chain %.1f ms "
        "(the canvas flipped into the chain and back: %.1f ms)\n",
        alone, inChain, inChain - alone);
  }

  // 4. Hot reload in a running render loop (720p canvas, no feeds).
  if (reloads > 0) {
    const auto live = dir / "live.fs";
    write(live, solid(0));
    core::SceneConfig scene;
    scene.name = "bench";
    scene.layout = core::LayoutKind::kShader;
    scene.shader = live;
    render::RenderSettings rs;
    rs.canvas = {1280, 720};
    rs.fps = 30;
    rs.maxFeeds = 16;
    rs.shaderDir = TESSERA_SOURCE_DIR "/shaders";
    rs.scenes.emplace_back();
    rs.scenes.back().kind = core::LayoutKind::kShader;
    rs.sceneConfigs = {scene};
    core::LatestMailbox<core::FeedTable> feeds;
    render::RenderLoop loop(rs, feeds, nullptr);
    if (!loop.start(&error)) return std::fprintf(stderr, "%s\n", error.c_str()), 1;
    auto showsRed = [&](bool red) {
      auto f = loop.canvas().peek();
      if (!f) return false;
      const std::uint8_t* p = f->data + (f->height / 2) * f->strideBytes + (f->width / 2) * 4;
      return red ? (p[0] > 200 && p[1] < 50) : (p[1] > 200 && p[0] < 50);
    };
    std::vector<double> latency;
    for (int k = 1; k <= reloads; ++k) {
      const auto until = Clock::now() + std::chrono::seconds(5);
      while (!showsRed(k % 2 == 0) && Clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
      // Saves land at random moments relative to the 250 ms poll.
      std::this_thread::sleep_for(std::chrono::milliseconds(100 + 37 * k % 150));
      const auto saved = Clock::now();
      write(live, solid(k));
      while (!showsRed(k % 2 == 1) && Clock::now() < saved + std::chrono::seconds(5)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      latency.push_back(msSince(saved));
    }
    loop.stop();
    std::printf(
        "\n4. hot reload, saved file to canvas frame showing it (%d reloads, 1280x720, "
        "poll %lld ms): p50 %.0f ms, p95 %.0f ms, max %.0f ms\n",
        reloads, static_cast<long long>(rs.shaderPollPeriod.count()), percentile(latency, 0.5),
        percentile(latency, 0.95), percentile(latency, 1.0));
  }
  std::filesystem::remove_all(dir);
  return 0;
}
