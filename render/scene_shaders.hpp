// A scene's shaders: the layout shader (layout = "shader": it draws the canvas) and the chain of
// ISF filters the scene ends in (each one's inputImage is the canvas so far). Each file is kept
// as its last good program and watched: a saved file is swapped in; one that does not compile
// leaves the last good program on screen and its error (in the artist's line numbers) in the
// report.
//
// Thread: the render thread, with the GL context current.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/types.hpp"
#include "platform/gl.hpp"
#include "render/shader_program.hpp"

namespace tessera::render {

// What the API shows of one shader file.
struct ShaderState {
  std::size_t scene = 0;
  std::string sceneName;
  bool layout = false;  // the layout shader, else filter number `index`
  std::size_t index = 0;
  std::filesystem::path file;
  bool running = false;     // a program is on screen (the last good one)
  std::string error;        // the last load's error; empty when it loaded
  std::uint64_t loads = 0;  // successful loads (1 at start, +1 per reload)
  std::vector<isf::Input> inputs;
  std::vector<isf::Value> values;  // per input
};

struct ShaderStatus {
  std::uint64_t version = 0;  // increases with every change
  std::vector<ShaderState> shaders;
};

// Where a scene's shaders draw: two textures in GL orientation, ping-ponged, at the size the
// shaders draw at (the canvas, or less: see SceneShaders::render's `scale`).
class ChainTargets {
 public:
  explicit ChainTargets(core::SizePx size) { resize(size); }
  void resize(core::SizePx size);
  core::SizePx size() const { return mSize; }
  GLuint texture(int i) const { return mTargets[i].texture.id(); }
  GLuint framebuffer(int i) const { return mTargets[i].framebuffer.id(); }

 private:
  core::SizePx mSize{0, 0};
  platform::GlTarget mTargets[2];
};

class SceneShaders {
 public:
  // A `shader` scene without a shader file draws `defaultShader` (tessera's stained glass).
  SceneShaders(std::size_t scene, const core::SceneConfig& config, isf::CrowdLimits limits,
               const std::filesystem::path& defaultShader = {});

  // Loads every file (errors are logged and reported; such a slot draws nothing yet).
  void load();
  // Reloads the files that changed on disk since they were last read; true when any did.
  bool reloadChanged();
  bool empty() const { return mSlots.empty(); }
  bool hasLayoutShader() const { return mHasLayout; }
  // The tiles must be drawn first: there is no layout shader running, or it reads inputImage.
  bool needsTiles() const;
  // Runs the chain over `tilesFramebuffer` (the scene's tiles, rows top-first, `canvas` pixels)
  // and writes the result to `outputFramebuffer` (same orientation); with no shader running,
  // copies the tiles there. The shaders draw at `scale` (0.25..1) of the canvas's width and
  // height (RENDERSIZE), scaled up into the output.
  void render(GLuint tilesFramebuffer, GLuint outputFramebuffer, core::SizePx canvas,
              ChainTargets& targets, const ShaderClock& clock, const CrowdBinding& crowd,
              float scale = 1);
  // The scene's fixed shader_scale, or none for "auto".
  std::optional<float> fixedScale() const { return mFixedScale; }
  // Sets an input of slot `slot` (0 = the layout shader when there is one, then the filters).
  bool setValue(std::size_t slot, const std::string& name, const isf::Value& value,
                std::string* error);
  void appendStatus(std::vector<ShaderState>& out) const;

 private:
  struct Slot {
    std::filesystem::path file;
    bool layout = false;
    std::unique_ptr<ShaderProgram> program;  // the last good one
    std::string error;
    std::uint64_t loads = 0;
    // The files read (shader, .vs companion, IMPORTED images) and their times when read.
    std::vector<std::pair<std::filesystem::path, std::optional<std::filesystem::file_time_type>>>
        watched;
  };
  bool loadSlot(Slot& slot, bool initial);
  void applyParams(Slot& slot);

  std::size_t mScene;
  std::string mSceneName;
  std::vector<core::SceneConfig::Param> mParams;
  isf::CrowdLimits mLimits;
  std::vector<Slot> mSlots;
  bool mHasLayout = false;
  std::optional<float> mFixedScale;
};

}  // namespace tessera::render
