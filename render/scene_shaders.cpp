#include "render/scene_shaders.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/log.hpp"
#include "render/shader_preview.hpp"

namespace tessera::render {
namespace {

constexpr const char* kModule = "render";

std::optional<std::filesystem::file_time_type> stampOf(const std::filesystem::path& file) {
  std::error_code ec;
  auto t = std::filesystem::last_write_time(file, ec);
  if (ec) return std::nullopt;
  return t;
}

// Copies between the canvas (rows top-first) and a chain texture (GL orientation): flipped, and
// scaled when the shaders draw at less than the canvas's size.
void blitFlipped(GLuint from, core::SizePx fromSize, GLuint to, core::SizePx toSize) {
  platform::blitScaled(from, to, fromSize.width, fromSize.height, toSize.width, toSize.height,
                       true);
}

std::string describe(const std::filesystem::path& file, bool layout) {
  return fmt::format("{} {}", layout ? "layout shader" : "filter", file.filename().string());
}

}  // namespace

void ChainTargets::resize(core::SizePx size) {
  if (size.width == mSize.width && size.height == mSize.height) return;
  mSize = size;
  // RGBA8 is always drawable (GL 3.3 requires it).
  for (auto& target : mTargets) target = std::move(*platform::makeTarget(size.width, size.height));
}

SceneShaders::SceneShaders(std::size_t scene, const core::SceneConfig& config,
                           isf::CrowdLimits limits, const std::filesystem::path& defaultShader)
    : mScene(scene), mSceneName(config.name), mParams(config.params), mLimits(limits) {
  if (config.shaderScale) mFixedScale = static_cast<float>(*config.shaderScale);
  if (config.layout == core::LayoutKind::kShader && (config.shader || !defaultShader.empty())) {
    Slot s;
    s.file = config.shader ? *config.shader : defaultShader;

    s.layout = true;
    mSlots.push_back(std::move(s));
    mHasLayout = true;
  }
  for (const auto& f : config.filters) {
    Slot s;
    s.file = f;
    mSlots.push_back(std::move(s));
  }
}

void SceneShaders::load() {
  for (Slot& s : mSlots) loadSlot(s, true);
}

bool SceneShaders::loadSlot(Slot& slot, bool initial) {
  // Times are taken before reading, so a save during the load is seen at the next look.
  auto vs = slot.file;
  vs.replace_extension(".vs");
  slot.watched.clear();
  slot.watched.emplace_back(slot.file, stampOf(slot.file));
  slot.watched.emplace_back(vs, stampOf(vs));
  std::vector<std::filesystem::path> images;
  if (slot.program) images = slot.program->importedFiles();
  std::string error;
  auto program = ShaderProgram::load(slot.file, mLimits, &error);
  if (program) images = program->importedFiles();
  for (const auto& image : images) slot.watched.emplace_back(image, stampOf(image));
  if (!program) {
    slot.error = error;
    core::logError(kModule, "scene \"{}\": {}: {}{}", mSceneName, describe(slot.file, slot.layout),
                   slot.program ? "keeping the last good version; " : "", error);
    return false;
  }
  if (slot.program) {
    program->adoptValues(*slot.program);
  }
  slot.program = std::move(program);
  if (!slot.program->document().isFilter() && !slot.layout) {
    core::logWarn(
        kModule,
        "scene \"{}\": {} reads no inputImage (ShaderToy: iChannel0): it replaces the canvas",
        mSceneName, describe(slot.file, slot.layout));
  }
  if (initial) applyParams(slot);
  slot.error.clear();
  ++slot.loads;
  core::logInfo(kModule, "scene \"{}\": {} {} ({} input(s), {} pass(es))", mSceneName,
                describe(slot.file, slot.layout), initial ? "loaded" : "reloaded",
                slot.program->document().inputs.size(), slot.program->document().passes.size());
  return true;
}

void SceneShaders::applyParams(Slot& slot) {
  for (const auto& p : mParams) {
    const isf::Input* input = slot.program->document().findInput(p.name);
    if (!input) continue;
    std::string error;
    const auto value = makeValue(*input, p.numbers, p.text, &error);
    if (!value || !slot.program->setValue(p.name, *value, &error)) {
      core::logError(kModule, "scene \"{}\": line {}: params.{}: {}: {}", mSceneName, p.line,
                     p.name, slot.file.string(), error);
    }
  }
}

bool SceneShaders::reloadChanged() {
  bool any = false;
  for (Slot& s : mSlots) {
    const bool changed = std::any_of(s.watched.begin(), s.watched.end(),
                                     [](const auto& w) { return stampOf(w.first) != w.second; });
    if (changed) {
      loadSlot(s, false);
      any = true;
    }
  }
  return any;
}

bool SceneShaders::needsTiles() const {
  if (!mHasLayout) return true;
  const Slot& layout = mSlots.front();
  return !layout.program || layout.program->isFilter();
}

void SceneShaders::render(GLuint tilesFramebuffer, GLuint outputFramebuffer, core::SizePx canvas,
                          ChainTargets& targets, const ShaderClock& clock,
                          const CrowdBinding& crowd, float scale) {
  scale = std::clamp(scale, 0.25f, 1.0f);
  const core::SizePx size{std::max(1, static_cast<int>(std::lround(canvas.width * scale))),
                          std::max(1, static_cast<int>(std::lround(canvas.height * scale)))};
  targets.resize(size);
  int current = -1;  // the chain texture holding the picture so far; -1: still the canvas
  for (Slot& s : mSlots) {
    if (!s.program) continue;
    if (s.program->isFilter()) {
      if (current < 0) {
        blitFlipped(tilesFramebuffer, canvas, targets.framebuffer(0), size);
        current = 0;
      }
      s.program->setImage(s.program->document().canvasInput(), targets.texture(current));
    }
    const int next = current == 0 ? 1 : 0;
    s.program->render(targets.framebuffer(next), size, clock, &crowd);
    current = next;
  }
  if (current >= 0) {
    blitFlipped(targets.framebuffer(current), size, outputFramebuffer, canvas);
  } else {
    platform::blit(tilesFramebuffer, outputFramebuffer, canvas.width, canvas.height);
  }
}

bool SceneShaders::setValue(std::size_t slot, const std::string& name, const isf::Value& value,
                            std::string* error) {
  if (slot >= mSlots.size() || !mSlots[slot].program) {
    if (error) *error = "that shader is not running";
    return false;
  }
  return mSlots[slot].program->setValue(name, value, error);
}

void SceneShaders::appendStatus(std::vector<ShaderState>& out) const {
  std::size_t filter = 0;
  for (const Slot& s : mSlots) {
    ShaderState st;
    st.scene = mScene;
    st.sceneName = mSceneName;
    st.layout = s.layout;
    st.index = s.layout ? 0 : filter++;
    st.file = s.file;
    st.running = s.program != nullptr;
    st.error = s.error;
    st.loads = s.loads;
    if (s.program) {
      st.inputs = s.program->document().inputs;
      st.values = s.program->values();
    }
    out.push_back(std::move(st));
  }
}

}  // namespace tessera::render
