#include "render/shader_preview.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <memory>

#include "compositor/layout.hpp"
#include "core/synthetic_palette.hpp"
#include "platform/gl_surface.hpp"
#include "render/crowd.hpp"
#include "render/shader_program.hpp"

namespace tessera::render {
namespace {

constexpr core::SizePx kTile{160, 120};

// Every feed at its tile rectangle on the near-black canvas the grid scene clears to.
constexpr const char* kGridShader = R"ISF(/*{ "INPUTS": [] }*/
void main() {
  vec4 c = vec4(0.02, 0.02, 0.03, 1.0);
  for (int i = 0; i < FEED_COUNT; ++i) {
    vec4 r = FEED_RECT(i);
    vec2 p = (isf_FragNormCoord - r.xy) / r.zw;
    if (p.x >= 0.0 && p.y >= 0.0 && p.x < 1.0 && p.y < 1.0) {
      c = vec4(FEED_PIXEL(i, p).rgb, 1.0);
      break;
    }
  }
  gl_FragColor = c;
}
)ISF";

std::optional<float> number(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  if (s.empty()) return std::nullopt;
  // std::from_chars for float is in libstdc++ 11+; strtof needs a terminated string.
  const std::string text(s);
  char* end = nullptr;
  const float v = std::strtof(text.c_str(), &end);
  if (end != text.c_str() + text.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == sep) {
      parts.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return parts;
}

// Synthetic participants: each layer a flat colour of the built-in palette with a ball of the
// contrasting colour, placed by the grid; scores derived from the index, so pictures repeat.
struct SyntheticCrowd {
  platform::GlTexture array;
  std::vector<core::Scores> scores;
  std::unique_ptr<CrowdData> data;

  SyntheticCrowd(int feeds, int maxFeeds, core::SizePx canvas) {
    feeds = std::min(feeds, maxFeeds);
    array = platform::makeTexture();
    glBindTexture(GL_TEXTURE_2D_ARRAY, array.id());
    glTexImage3D(GL_TEXTURE_2D_ARRAY, 0, GL_RGBA8, kTile.width, kTile.height, std::max(feeds, 1), 0,
                 GL_RGBA, GL_UNSIGNED_BYTE, nullptr);
    glTexParameteri(GL_TEXTURE_2D_ARRAY, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
    glTexParameteri(GL_TEXTURE_2D_ARRAY, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
    glTexParameteri(GL_TEXTURE_2D_ARRAY, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D_ARRAY, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    std::vector<std::uint8_t> px(static_cast<std::size_t>(kTile.width) * kTile.height * 4);
    std::vector<core::FeedId> ids;
    scores.resize(static_cast<std::size_t>(feeds));
    for (int i = 0; i < feeds; ++i) {
      const auto c = core::syntheticColours(i);
      const float bx = kTile.width * (0.25f + 0.5f * std::fmod(i * 0.37f, 1.0f));
      const float by = kTile.height * (0.3f + 0.4f * std::fmod(i * 0.61f, 1.0f));
      const float r = kTile.height * 0.18f;
      for (int y = 0; y < kTile.height; ++y) {
        for (int x = 0; x < kTile.width; ++x) {
          const bool ball = (x - bx) * (x - bx) + (y - by) * (y - by) < r * r;
          const auto& rgb = ball ? c.ball : c.background;
          std::uint8_t* p = &px[(static_cast<std::size_t>(y) * kTile.width + x) * 4];
          for (int k = 0; k < 3; ++k) p[k] = static_cast<std::uint8_t>(std::lround(rgb[k]));
          p[3] = 255;
        }
      }
      glTexSubImage3D(GL_TEXTURE_2D_ARRAY, 0, 0, 0, i, kTile.width, kTile.height, 1, GL_RGBA,
                      GL_UNSIGNED_BYTE, px.data());
      core::Scores& s = scores[static_cast<std::size_t>(i)];
      s.meanRgb = c.background;
      s.brightness =
          (0.299f * c.background[0] + 0.587f * c.background[1] + 0.114f * c.background[2]) / 255.0f;
      s.motion = static_cast<float>((i * 37) % 100) / 100.0f;
      s.sharpness = 100.0f + static_cast<float>(i);
      s.faces = i % 3;
      s.frameTime = std::chrono::steady_clock::now();
      ids.push_back(core::FeedId{static_cast<std::uint32_t>(i + 1)});
    }
    const compositor::Layout grid = compositor::gridLayout(ids, canvas, kTile);
    std::vector<CrowdFeed> crowd;
    for (int i = 0; i < feeds; ++i) {
      CrowdFeed f;
      f.id = ids[static_cast<std::size_t>(i)];
      f.layer = i;
      f.rect = grid.tiles[static_cast<std::size_t>(i)].rect;
      f.scores = &scores[static_cast<std::size_t>(i)];
      crowd.push_back(f);
    }
    data = std::make_unique<CrowdData>(maxFeeds);
    data->update(crowd, canvas);
  }
};

}  // namespace

std::optional<isf::Value> parseValueText(const isf::Input& input, std::string_view text,
                                         std::string* error) {
  auto fail = [&](std::string_view expected) -> std::optional<isf::Value> {
    if (error) {
      *error = fmt::format("{} ({}) takes {}, not \"{}\"", input.name, toString(input.type),
                           expected, text);
    }
    return std::nullopt;
  };
  switch (input.type) {
    case isf::InputType::kEvent:
    case isf::InputType::kBool:
      if (text == "true" || text == "1" || text == "on") return isf::Value{1, 0, 0, 0};
      if (text == "false" || text == "0" || text == "off") return isf::Value{0, 0, 0, 0};
      return fail("true or false");
    case isf::InputType::kLong: {
      for (std::size_t i = 0; i < input.labels.size() && i < input.values.size(); ++i) {
        if (input.labels[i] == text)
          return isf::Value{static_cast<float>(input.values[i]), 0, 0, 0};
      }
      int v = 0;
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec != std::errc() || end != text.data() + text.size()) {
        return fail("an integer or one of its LABELS");
      }
      return isf::Value{static_cast<float>(v), 0, 0, 0};
    }
    case isf::InputType::kFloat: {
      auto v = number(text);
      if (!v) return fail("a number");
      return isf::Value{*v, 0, 0, 0};
    }
    case isf::InputType::kPoint2D: {
      const auto parts = split(text, ',');
      auto x = parts.size() == 2 ? number(parts[0]) : std::nullopt;
      auto y = parts.size() == 2 ? number(parts[1]) : std::nullopt;
      if (!x || !y) return fail("X,Y");
      return isf::Value{*x, *y, 0, 0};
    }
    case isf::InputType::kColor: {
      if (!text.empty() && text.front() == '#' && (text.size() == 7 || text.size() == 9)) {
        isf::Value v{0, 0, 0, 1};
        for (std::size_t i = 0; i + 1 < text.size(); i += 2) {
          unsigned byte = 0;
          const auto [end, ec] =
              std::from_chars(text.data() + 1 + i, text.data() + 3 + i, byte, 16);
          if (ec != std::errc() || end != text.data() + 3 + i) return fail("#RRGGBB[AA]");
          v[i / 2] = static_cast<float>(byte) / 255.0f;
        }
        return v;
      }
      const auto parts = split(text, ',');
      if (parts.size() != 3 && parts.size() != 4) return fail("R,G,B[,A] (0-1) or #RRGGBB[AA]");
      isf::Value v{0, 0, 0, 1};
      for (std::size_t i = 0; i < parts.size(); ++i) {
        auto c = number(parts[i]);
        if (!c) return fail("R,G,B[,A] (0-1) or #RRGGBB[AA]");
        v[i] = *c;
      }
      return v;
    }
    case isf::InputType::kImage:
    case isf::InputType::kAudio:
    case isf::InputType::kAudioFft:
      return fail("an image (use --image NAME=FILE)");
  }
  return std::nullopt;
}

std::optional<isf::Value> makeValue(const isf::Input& input, const std::vector<double>& numbers,
                                    const std::optional<std::string>& text, std::string* error) {
  std::optional<isf::Value> value;
  const int n = isf::componentCount(input.type);
  if (n == 0) {
    if (error)
      *error = fmt::format("{} is an {} input, not a value", input.name, toString(input.type));
    return std::nullopt;
  }
  if (text) {
    value = parseValueText(input, *text, error);
  } else if (static_cast<int>(numbers.size()) == n ||
             (input.type == isf::InputType::kColor && numbers.size() == 3)) {
    isf::Value v{0, 0, 0, 1};
    for (std::size_t c = 0; c < numbers.size(); ++c) {
      // Beyond float's range a number would become inf (or a long's garbage): say so as written.
      if (!std::isfinite(numbers[c]) || std::abs(numbers[c]) > std::numeric_limits<float>::max()) {
        if (error) {
          *error = fmt::format("input \"{}\" ({}): {} is not a finite number in float range",
                               input.name, toString(input.type), numbers[c]);
        }
        return std::nullopt;
      }
      v[c] = static_cast<float>(numbers[c]);
    }
    // A long beyond int's range: named as written (as a float it would print as 1.00000002e+20).
    const double first = numbers.empty() ? 0 : numbers[0];
    if (input.type == isf::InputType::kLong &&
        (first < std::numeric_limits<int>::min() || first > std::numeric_limits<int>::max())) {
      if (error) {
        *error = input.values.empty()
                     ? fmt::format("input \"{}\" (long): {} is not an integer in {}..{}",
                                   input.name, first, std::numeric_limits<int>::min(),
                                   std::numeric_limits<int>::max())
                     : fmt::format("input \"{}\" (long): {} is not one of its VALUES [{}]",
                                   input.name, first, fmt::join(input.values, ", "));
      }
      return std::nullopt;
    }
    value = v;
  } else if (error) {
    *error = fmt::format("input \"{}\" ({}) takes {} number(s), got {}", input.name,
                         toString(input.type), n, numbers.size());
  }
  if (!value || !validateValue(input, *value, error)) return std::nullopt;
  return value;
}

PreviewOutcome renderPreview(const PreviewOptions& o) {
  using Status = PreviewOutcome::Status;
  PreviewOutcome out;
  auto result = [&](Status s, std::string message) {
    out.status = s;
    out.message = std::move(message);
    return std::move(out);
  };
  std::string error;
  auto surface = platform::createHeadlessSurface(&error);
  if (!surface) return result(Status::kFailure, "no headless GL context: " + error);
  GLint maxSide = 0;
  glGetIntegerv(GL_MAX_TEXTURE_SIZE, &maxSide);
  if (o.size.width < 1 || o.size.height < 1 || o.size.width > maxSide || o.size.height > maxSide) {
    return result(Status::kBadArgument, fmt::format("--size {}x{}: this GL draws at most {}x{}",
                                                    o.size.width, o.size.height, maxSide, maxSide));
  }
  auto program = ShaderProgram::load(o.shader, isf::CrowdLimits{o.maxFeeds}, &error);
  if (!program) return result(Status::kShaderError, error);
  for (const auto& [name, text] : o.values) {
    const isf::Input* input = program->document().findInput(name);
    if (!input) {
      return result(Status::kBadArgument, fmt::format("--set {}: {} has no input named {}", name,
                                                      o.shader.filename().string(), name));
    }
    auto value = parseValueText(*input, text, &error);
    if (!value || !program->setValue(name, *value, &error)) {
      return result(Status::kBadArgument, "--set " + error);
    }
  }
  std::vector<platform::GlTexture> images;
  for (const auto& [name, file] : o.images) {
    const isf::Input* input = program->document().findInput(name);
    if (!input || isf::componentCount(input->type) != 0) {
      return result(Status::kBadArgument, fmt::format("--image {}: {} has no image input named {}",
                                                      name, o.shader.filename().string(), name));
    }
    auto image = platform::loadPng(file, &error);
    if (!image) {
      return result(Status::kBadArgument,
                    fmt::format("--image {}={}: {}", name, file.string(), error));
    }
    images.push_back(uploadImage(image->rgba.data(), image->width, image->height,
                                 static_cast<std::size_t>(image->width) * 4));
    program->setImage(name, images.back().id());
  }
  std::unique_ptr<SyntheticCrowd> crowd;
  CrowdBinding binding;
  const bool crowdInputs = o.feeds > 0 || o.reactionsPerS > 0;
  std::optional<platform::GlTarget> gridTarget;
  if (o.feeds > 0) {
    crowd = std::make_unique<SyntheticCrowd>(o.feeds, o.maxFeeds, o.size);
    binding = crowd->data->binding(crowd->array.id(), 0, 0, 0);
    const char* canvasInput = program->document().canvasInput();
    const bool inputGiven =
        canvasInput && std::any_of(o.images.begin(), o.images.end(),
                                   [&](const auto& i) { return i.first == canvasInput; });
    if (program->isFilter() && !inputGiven) {
      // A filter previews over the participants' grid, as it would run in a scene.
      auto grid = ShaderProgram::fromText(kGridShader, "(tessera grid)", {o.maxFeeds}, &error);
      if (!grid) return result(Status::kFailure, "the preview grid shader: " + error);
      gridTarget = platform::makeTarget(o.size.width, o.size.height);
      if (!gridTarget) return result(Status::kFailure, "cannot draw the preview grid");
      grid->render(gridTarget->framebuffer.id(), o.size, {}, &binding);
      program->setImage(canvasInput, gridTarget->texture.id());
    }
  }
  binding.reactions = static_cast<float>(o.reactionsPerS);

  auto target = platform::makeTarget(o.size.width, o.size.height);
  if (!target) return result(Status::kFailure, "cannot draw into a picture of that size");
  const GLuint framebuffer = target->framebuffer.id();
  const auto date = ShaderClock::dateNow();
  for (int k = 0; k < std::max(o.frames, 1); ++k) {
    ShaderClock clock;
    clock.timeS = o.timeS + k / o.fps;
    clock.deltaS = k == 0 ? 0.0 : 1.0 / o.fps;
    clock.frameIndex = k;
    clock.date = date;
    program->render(framebuffer, o.size, clock, crowdInputs ? &binding : nullptr);
  }
  std::vector<std::uint8_t> pixels(static_cast<std::size_t>(o.size.width) * o.size.height * 4);
  glBindFramebuffer(GL_FRAMEBUFFER, framebuffer);
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glReadPixels(0, 0, o.size.width, o.size.height, GL_RGBA, GL_UNSIGNED_BYTE, pixels.data());
  if (auto e = platform::glErrorString(); !e.empty()) {
    return result(Status::kFailure, "GL error while drawing: " + e);
  }
  out.image.width = o.size.width;
  out.image.height = o.size.height;
  out.image.rgba.resize(pixels.size());
  const std::size_t row = static_cast<std::size_t>(o.size.width) * 4;
  for (int y = 0; y < o.size.height; ++y) {
    std::copy_n(pixels.data() + static_cast<std::size_t>(o.size.height - 1 - y) * row, row,
                out.image.rgba.data() + static_cast<std::size_t>(y) * row);
  }
  return result(Status::kOk, {});
}

}  // namespace tessera::render

namespace tessera::render {

std::vector<core::ConfigProblem> checkShaders(const core::Config& config, std::string* note) {
  std::vector<core::ConfigProblem> problems;
  bool any = false;
  for (const auto& s : config.scenes) any = any || s.shader || !s.filters.empty();
  if (!any) return problems;
  std::string error;
  auto surface = platform::createHeadlessSurface(&error);
  if (!surface && note) *note = "shaders parsed but not compiled: no headless GL (" + error + ")";
  const isf::CrowdLimits limits{config.ingest.maxFeeds};
  for (std::size_t i = 0; i < config.scenes.size(); ++i) {
    const core::SceneConfig& scene = config.scenes[i];
    std::vector<std::pair<std::string, std::filesystem::path>> files;
    if (scene.shader) files.emplace_back(fmt::format("scenes[{}].shader", i), *scene.shader);
    for (std::size_t k = 0; k < scene.filters.size(); ++k) {
      files.emplace_back(fmt::format("scenes[{}].filters[{}]", i, k), scene.filters[k]);
    }
    std::vector<std::unique_ptr<ShaderProgram>> programs;
    std::vector<isf::Document> docs;
    std::vector<std::filesystem::path> docFiles;  // the file of each of `docs`
    for (const auto& [key, file] : files) {
      if (surface) {
        auto program = ShaderProgram::load(file, limits, &error);
        if (!program) {
          problems.push_back({config.file.string(), scene.line, key, error});
          continue;
        }
        docs.push_back(program->document());
        docFiles.push_back(file);
      } else {
        auto text = readShaderText(file, &error);
        auto doc = text ? parseShader(*text, file, &error) : std::nullopt;
        if (!doc) {
          problems.push_back({config.file.string(), scene.line, key, error});
          continue;
        }
        docs.push_back(std::move(*doc));
        docFiles.push_back(file);
      }
    }
    for (const auto& p : scene.params) {
      const std::string key = fmt::format("scenes[{}].params.{}", i, p.name);
      bool taken = false;
      for (std::size_t d = 0; d < docs.size(); ++d) {
        const isf::Input* input = docs[d].findInput(p.name);
        if (!input) continue;
        taken = true;
        if (!makeValue(*input, p.numbers, p.text, &error)) {
          problems.push_back({config.file.string(), p.line, key,
                              fmt::format("{}: {}", docFiles[d].string(), error)});
        }
      }
      if (!taken && !docs.empty()) {
        problems.push_back({config.file.string(), p.line, key,
                            "no shader of this scene has an input of that name"});
      }
    }
  }
  return problems;
}

}  // namespace tessera::render
