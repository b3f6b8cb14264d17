// `tessera shader render`: one shader drawn headless to a picture, for previews and CI, with
// optional synthetic participants so crowd shaders show something.
//
// Thread: the caller's; it creates (and destroys) its own headless GL context.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/config.hpp"
#include "core/types.hpp"

#include "platform/png.hpp"
#include "render/isf/isf.hpp"

namespace tessera::render {

struct PreviewOptions {
  std::filesystem::path shader;
  core::SizePx size{640, 360};
  double timeS = 0;  // TIME of the first frame
  int frames = 1;    // frames drawn (TIME advancing by 1/fps); the last one is kept
  double fps = 60;
  std::vector<std::pair<std::string, std::string>> values;            // --set NAME=VALUE
  std::vector<std::pair<std::string, std::filesystem::path>> images;  // --image NAME=FILE (PNG)
  int feeds = 0;             // synthetic participants for the crowd inputs
  double reactionsPerS = 0;  // CROWD_REACTIONS
  int maxFeeds = 256;
};

struct PreviewOutcome {
  enum class Status { kOk, kShaderError, kBadArgument, kFailure };
  Status status = Status::kOk;
  std::string message;        // the compile log, or what was wrong
  platform::RgbaImage image;  // rows top-first
};

PreviewOutcome renderPreview(const PreviewOptions& options);

// `tessera check`: compiles every scene's shaders (on a headless GL context when one can be
// made; otherwise parses and translates them only, and says so in `note`) and checks the scenes'
// params against their inputs. One problem per failing shader (the message is the compile log in
// the shader's own lines) and per param that no shader takes or whose value is refused.
std::vector<core::ConfigProblem> checkShaders(const core::Config& config, std::string* note);

// A value written as text for an input: bool/event true|false|1|0|on|off; long an integer or
// one of its LABELS; float a number; point2D "x,y"; color "r,g,b[,a]" (0-1) or "#rrggbb[aa]".
// Range checks are ShaderProgram::setValue's.
std::optional<isf::Value> parseValueText(const isf::Input& input, std::string_view text,
                                         std::string* error);

// A value as an installation file or the API gives it: `text` (see parseValueText) or numbers,
// as many as the input's type has (a colour may omit alpha), checked by validateValue.
std::optional<isf::Value> makeValue(const isf::Input& input, const std::vector<double>& numbers,
                                    const std::optional<std::string>& text, std::string* error);

}  // namespace tessera::render
