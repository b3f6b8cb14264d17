#include "render/scenes.hpp"

#include <fmt/format.h>

#include <memory>

#include "platform/png.hpp"

namespace tessera::render {
namespace {

compositor::SpotlightScore spotlightScore(core::SceneScore score) {
  switch (score) {
    case core::SceneScore::kNone:
      return compositor::SpotlightScore::kNone;
    case core::SceneScore::kMotion:
      return compositor::SpotlightScore::kMotion;
    case core::SceneScore::kFaces:
      return compositor::SpotlightScore::kFaces;
    case core::SceneScore::kBrightness:
      return compositor::SpotlightScore::kBrightness;
    case core::SceneScore::kSharpness:
      return compositor::SpotlightScore::kSharpness;
  }
  return compositor::SpotlightScore::kNone;
}

}  // namespace

std::vector<compositor::SceneSpec> loadScenes(const std::vector<core::SceneConfig>& scenes,
                                              core::SizePx canvas, const std::string& file,
                                              std::vector<core::ConfigProblem>* problems) {
  std::vector<compositor::SceneSpec> specs;
  for (std::size_t i = 0; i < scenes.size(); ++i) {
    const core::SceneConfig& c = scenes[i];
    compositor::SceneSpec s;
    s.name = c.name;
    s.kind = c.layout;
    s.fadeSeconds = c.fadeSeconds;
    s.glideSeconds = c.glideSeconds;
    s.photomosaic.tint = static_cast<float>(c.tint);
    s.photomosaic.hysteresis = static_cast<float>(c.hysteresis);
    s.photomosaic.reuse = static_cast<float>(c.reuse);
    s.spotlight.score = spotlightScore(c.score);
    s.spotlight.emphasis = static_cast<float>(c.emphasis);
    if (c.pinned) s.spotlight.pinned = core::FeedId{*c.pinned};
    s.spotlight.pinnedShare = static_cast<float>(c.pinnedShare);
    s.brush.strokes = c.strokes;
    s.brush.strokeSizePx = static_cast<float>(c.strokeSize);
    s.brush.fadeSeconds = static_cast<float>(c.strokeFadeSeconds);
    s.brush.flowSpeedPxS = static_cast<float>(c.flowSpeed);
    s.brush.flowScalePx = static_cast<float>(c.flowScale);
    s.brush.tint = static_cast<float>(c.tint);
    if (c.layout == core::LayoutKind::kPhotomosaic) {
      std::string error = "no target image";
      std::optional<platform::RgbaImage> image;
      if (c.target) image = platform::loadPng(*c.target, &error);
      if (image && image->width > 0 && image->height > 0) {
        s.photomosaic.target = std::make_shared<compositor::ColourGrid>(compositor::reduceToCells(
            image->rgba, image->width, image->height, static_cast<std::size_t>(image->width) * 4,
            c.columns, c.rows, canvas));
      } else {
        if (problems) {
          problems->push_back(
              {file, c.line, fmt::format("scenes[{}].target", i),
               fmt::format("cannot use {} as a target image (PNG): {}",
                           c.target ? c.target->string() : std::string("(none)"), error)});
        }
        s.kind = core::LayoutKind::kGrid;
      }
    }
    specs.push_back(std::move(s));
  }
  return specs;
}

}  // namespace tessera::render
