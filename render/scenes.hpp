// The installation's scenes as the compositor's SceneSpecs: photomosaic targets are loaded (PNG)
// and reduced to their cell colours here, once, at start-up.
#pragma once

#include <string>
#include <vector>

#include "compositor/scene.hpp"
#include "core/config.hpp"

namespace tessera::render {

// One SceneSpec per scene, in order. A target that cannot be read or decoded is a problem naming
// `file`, the scene's line and `scenes[i].target`; such a scene falls back to the grid.
std::vector<compositor::SceneSpec> loadScenes(const std::vector<core::SceneConfig>& scenes,
                                              core::SizePx canvas, const std::string& file,
                                              std::vector<core::ConfigProblem>* problems);

}  // namespace tessera::render
