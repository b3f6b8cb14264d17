// The paintings on this machine's GL (llvmpipe here):
//  1. photomosaic fidelity: synthetic participants (a background of their own colour and a
//     contrasting ball, as the built-in synthetic feeds) assigned to the cells of the bundled
//     target; the canvas, reduced to the cell grid again, against the target: mean CIE76 delta E
//     and mean absolute RGB error per channel, for several feed counts and tints;
//  2. draw cost per frame of each layout and of a cross-fade: wall and process CPU time.
//
//   tessera_bench_paintings [--canvas 1280x720] [--frames 60] [--target FILE.png]
#include <time.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "compositor/photomosaic.hpp"
#include "compositor/scene.hpp"
#include "core/frame.hpp"
#include "core/synthetic_palette.hpp"
#include "platform/gl_surface.hpp"
#include "platform/png.hpp"
#include "render/tile_renderer.hpp"

using namespace tessera;
using Clock = std::chrono::steady_clock;

namespace {

constexpr core::SizePx kTile{160, 120};

double processCpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

// A synthetic participant's picture (as ingest's videotestsrc "ball" pattern: its own hue at one
// of six saturation/value levels, a ball of the opposite hue) and its mean colour.
struct Participant {
  core::FrameRef frame;
  compositor::Rgb mean;
};

Participant participant(int index) {
  const core::SyntheticColours colours = core::syntheticColours(index);
  const auto& bg = colours.background;
  const auto& fg = colours.ball;
  std::vector<std::uint8_t> px(static_cast<std::size_t>(kTile.width) * kTile.height * 4);
  double sum[3] = {0, 0, 0};
  const float cx = 40.0f + (index * 37) % 80, cy = 30.0f + (index * 23) % 60, r = 20;
  for (int y = 0; y < kTile.height; ++y) {
    for (int x = 0; x < kTile.width; ++x) {
      const bool ball = (x - cx) * (x - cx) + (y - cy) * (y - cy) < r * r;
      const auto& c = ball ? fg : bg;
      auto* p = &px[(static_cast<std::size_t>(y) * kTile.width + x) * 4];
      for (int k = 0; k < 3; ++k) {
        p[k] = static_cast<std::uint8_t>(std::lround(c[k]));
        sum[k] += p[k];
      }
      p[3] = 255;
    }
  }
  const double n = static_cast<double>(kTile.width) * kTile.height;
  Participant out;
  out.frame = core::VideoFrame::fromPixels(kTile.width, kTile.height, std::move(px));
  out.mean = {static_cast<float>(sum[0] / n), static_cast<float>(sum[1] / n),
              static_cast<float>(sum[2] / n)};
  return out;
}

std::vector<render::TileInstance> instancesOf(std::span<const compositor::Placement> tiles) {
  std::vector<render::TileInstance> out;
  for (const auto& p : tiles) {
    out.push_back({p.rect, static_cast<int>(p.feed.value) - 1, p.source, p.tint, p.alpha,
                   p.rotationRad, p.z});
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  core::SizePx canvas{1280, 720};
  int frames = 60;
  std::string targetPath = TESSERA_SOURCE_DIR "/installations/targets/sunset.png";
  const std::string shaderDir = TESSERA_SOURCE_DIR "/shaders";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--canvas") std::sscanf(argv[i + 1], "%dx%d", &canvas.width, &canvas.height);
    if (a == "--frames") frames = std::atoi(argv[i + 1]);
    if (a == "--target") targetPath = argv[i + 1];
  }
  std::string error;
  const auto image = platform::loadPng(targetPath, &error);
  if (!image) return std::fprintf(stderr, "%s\n", error.c_str()), 1;
  auto surface = platform::createHeadlessSurface(&error);
  if (!surface) return std::fprintf(stderr, "%s\n", error.c_str()), 1;
  std::printf("GL: %s\ncanvas %dx%d, target %s, tiles 160x120 RGBA\n\n",
              platform::glRendererDescription().c_str(), canvas.width, canvas.height,
              targetPath.c_str());

  constexpr int kMaxFeeds = 1024;
  auto renderer = render::TileRenderer::create(canvas, kTile, kMaxFeeds, shaderDir, &error);
  if (!renderer) return std::fprintf(stderr, "%s\n", error.c_str()), 1;
  std::vector<Participant> people;
  for (int i = 0; i < kMaxFeeds; ++i) {
    people.push_back(participant(i));
    renderer->upload(i, *people.back().frame);
  }
  std::vector<std::uint8_t> pixels(static_cast<std::size_t>(canvas.width) * canvas.height * 4);

  // 1. Fidelity.
  std::printf("photomosaic fidelity: canvas reduced to the cells vs the target\n");
  std::printf("%6s %6s %6s %6s %12s %14s %16s %14s\n", "cells", "feeds", "reuse", "tint",
              "mean dE76", "mean |RGB|", "assign-only dE", "nearest dE");
  for (const auto& [columns, rows] : {std::pair{32, 18}, std::pair{64, 36}}) {
    const auto target = std::make_shared<compositor::ColourGrid>(compositor::reduceToCells(
        image->rgba, image->width, image->height, static_cast<std::size_t>(image->width) * 4,
        columns, rows, canvas));
    for (const int n : {48, 256, 1024}) {
      std::vector<core::FeedId> feeds;
      core::ScoreTable scores;
      scores.version = 1;
      for (int i = 0; i < n; ++i) {
        feeds.push_back({static_cast<std::uint32_t>(i + 1)});
        core::Scores s;
        s.meanRgb = {people[i].mean[0], people[i].mean[1], people[i].mean[2]};
        scores.byFeed[feeds.back()] = s;
      }
      for (const auto& [reuse, tint] :
           {std::pair{1.0f, 0.0f}, std::pair{1.0f, 0.35f}, std::pair{1.0f, 0.6f},
            std::pair{2.0f, 0.0f}, std::pair{4.0f, 0.0f}, std::pair{4.0f, 0.35f}}) {
        compositor::SceneSpec spec;
        spec.kind = core::LayoutKind::kPhotomosaic;
        spec.photomosaic.target = target;
        spec.photomosaic.tint = tint;
        spec.photomosaic.reuse = reuse;
        spec.photomosaic.budget = std::chrono::microseconds::max();
        compositor::ScenePlanner planner(spec, canvas, kTile);
        const auto frame = planner.update(feeds, &scores, 0);
        renderer->draw(instancesOf(frame.tiles), true);
        renderer->readNow(pixels.data());
        const auto got = compositor::reduceToCells(pixels, canvas.width, canvas.height,
                                                   static_cast<std::size_t>(canvas.width) * 4,
                                                   columns, rows, canvas);
        double de = 0, rgb = 0, assigned = 0, nearest = 0;
        const std::size_t cells = target->cells.size();
        for (std::size_t c = 0; c < cells; ++c) {
          de += std::sqrt(compositor::deltaE2(got.cells[c], target->cells[c]));
          for (int k = 0; k < 3; ++k) rgb += std::abs(got.cells[c][k] - target->cells[c][k]) / 3;
          const auto& m = scores.byFeed.at(frame.tiles[c].feed).meanRgb;
          assigned += std::sqrt(compositor::deltaE2({m[0], m[1], m[2]}, target->cells[c]));
          float best = 1e9f;
          for (int i = 0; i < n; ++i) {
            best = std::min(best, compositor::deltaE2(people[i].mean, target->cells[c]));
          }
          nearest += std::sqrt(best);
        }
        std::printf("%3dx%-3d %5d %6.0f %6.2f %12.1f %14.1f %16.1f %14.1f\n", columns, rows, n,
                    reuse, tint, de / cells, rgb / cells, assigned / cells, nearest / cells);
      }
    }
  }

  // 2. Draw cost per frame.
  std::printf("\ndraw cost per frame (%d frames; every feed with a new picture each frame)\n",
              frames);
  std::printf("%-40s %6s %10s %10s\n", "", "feeds", "wall ms", "cpu ms");
  const auto target = std::make_shared<compositor::ColourGrid>(
      compositor::reduceToCells(image->rgba, image->width, image->height,
                                static_cast<std::size_t>(image->width) * 4, 32, 18, canvas));
  struct Case {
    const char* name;
    core::LayoutKind kind;
    int feeds;
    bool fade;
  };
  const Case cases[] = {
      {"grid", core::LayoutKind::kGrid, 256, false},
      {"photomosaic 32x18, tint 0.35", core::LayoutKind::kPhotomosaic, 256, false},
      {"photomosaic 32x18 + cross-fade overlay", core::LayoutKind::kPhotomosaic, 256, true},
      {"spotlight", core::LayoutKind::kSpotlight, 256, false},
      {"brush, 600 strokes", core::LayoutKind::kBrush, 256, false},
      {"brush, 600 strokes", core::LayoutKind::kBrush, 1024, false},
  };
  for (const Case& c : cases) {
    std::vector<core::FeedId> feeds;
    core::ScoreTable scores;
    scores.version = 1;
    for (int i = 0; i < c.feeds; ++i) {
      feeds.push_back({static_cast<std::uint32_t>(i + 1)});
      core::Scores s;
      s.meanRgb = {people[i].mean[0], people[i].mean[1], people[i].mean[2]};
      s.motion = static_cast<float>(i % 10) / 10;
      scores.byFeed[feeds.back()] = s;
    }
    compositor::SceneSpec spec;
    spec.kind = c.kind;
    spec.photomosaic.target = target;
    spec.photomosaic.tint = 0.35f;
    compositor::ScenePlanner planner(spec, canvas, kTile);
    renderer->snapshot();
    const double cpu0 = processCpuMs();
    const auto wall0 = Clock::now();
    for (int f = 0; f < frames; ++f) {
      const auto frame = planner.update(feeds, &scores, f / 30.0);
      const auto tiles = instancesOf(frame.tiles);
      if (frame.paint) {
        renderer->paint(tiles, frame.fade);
      } else {
        renderer->draw(tiles, true);
      }
      if (c.fade) renderer->overlaySnapshot(0.5f);
      renderer->startReadback();
      renderer->finishReadback(pixels.data(), false);
    }
    const double wall = std::chrono::duration<double, std::milli>(Clock::now() - wall0).count();
    const double cpu = processCpuMs() - cpu0;
    std::printf("%-40s %6d %10.2f %10.2f\n", c.name, c.feeds, wall / frames, cpu / frames);
  }
  return 0;
}
