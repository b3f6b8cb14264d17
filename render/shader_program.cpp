#include "render/shader_program.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <fstream>
#include <limits>
#include <sstream>

#include "core/files.hpp"

namespace tessera::render {
namespace {

constexpr std::size_t kMaxShaderBytes = core::kMaxShaderFileBytes;
constexpr int kMaxTargetSide = 8192;

void setSampling(GLenum target) {
  glTexParameteri(target, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
  glTexParameteri(target, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
  glTexParameteri(target, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
  glTexParameteri(target, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
}

platform::GlTexture solidTexture(std::uint8_t grey, std::uint8_t alpha) {
  const std::uint8_t px[4] = {grey, grey, grey, alpha};
  return uploadImage(px, 1, 1, 4);
}

bool isImageType(isf::InputType t) {
  return t == isf::InputType::kImage || t == isf::InputType::kAudio ||
         t == isf::InputType::kAudioFft;
}

}  // namespace

std::optional<std::string> readShaderText(const std::filesystem::path& file, std::string* error) {
  // Only a regular file of a bounded size: never a device or a pipe.
  return core::readRegularFile(file, kMaxShaderBytes, error);
}

std::optional<isf::Document> parseShader(std::string_view text, const std::filesystem::path& file,
                                         std::string* error) {
  isf::Problem problem;
  auto doc = isf::parse(text, &problem);
  if (!doc && error) {
    *error = problem.line > 0 ? fmt::format("{}:{}:{}: error: {}", file.string(), problem.line,
                                            std::max(problem.column, 1), problem.message)
                              : fmt::format("{}: error: {}", file.string(), problem.message);
  }
  return doc;
}

std::array<float, 4> ShaderClock::dateNow() {
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  return {static_cast<float>(local.tm_year + 1900), static_cast<float>(local.tm_mon + 1),
          static_cast<float>(local.tm_mday),
          static_cast<float>(local.tm_hour * 3600 + local.tm_min * 60 + local.tm_sec)};
}

platform::GlTexture uploadImage(const std::uint8_t* rgba, int width, int height,
                                std::size_t strideBytes) {
  std::vector<std::uint8_t> flipped(static_cast<std::size_t>(width) * height * 4);
  const std::size_t row = static_cast<std::size_t>(width) * 4;
  for (int y = 0; y < height; ++y) {
    std::copy_n(rgba + static_cast<std::size_t>(height - 1 - y) * strideBytes, row,
                flipped.data() + static_cast<std::size_t>(y) * row);
  }
  auto texture = platform::makeTexture();
  glBindTexture(GL_TEXTURE_2D, texture.id());
  glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
  glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, width, height, 0, GL_RGBA, GL_UNSIGNED_BYTE,
               flipped.data());
  setSampling(GL_TEXTURE_2D);
  return texture;
}

struct ShaderProgram::Target {
  std::string name;
  bool floatTarget = false;  // persistence needs nothing more: targets keep their pictures
  std::optional<isf::Expression> width, height;
  platform::GlTarget targets[2];
  int current = 0;  // the texture holding the latest picture; the pass draws into the other
  core::SizePx size{0, 0};
  GLint location = -1;
  int unit = -1;
};

ShaderProgram::~ShaderProgram() = default;

std::unique_ptr<ShaderProgram> ShaderProgram::load(const std::filesystem::path& file,
                                                   const isf::CrowdLimits& limits,
                                                   std::string* error) {
  std::string scratch;
  if (!error) error = &scratch;
  auto text = readShaderText(file, error);
  if (!text) return nullptr;
  return fromText(*text, file, limits, error);
}

std::unique_ptr<ShaderProgram> ShaderProgram::fromText(std::string_view text,
                                                       const std::filesystem::path& file,
                                                       const isf::CrowdLimits& limits,
                                                       std::string* error) {
  std::string scratch;
  if (!error) error = &scratch;
  auto doc = parseShader(text, file, error);
  if (!doc) return nullptr;
  std::unique_ptr<ShaderProgram> p(new ShaderProgram);
  p->mFile = file;
  p->mMaxFeeds = limits.maxFeeds;
  std::string vertexBody;
  if (doc->dialect == isf::Dialect::kIsf) {
    auto vs = file;
    vs.replace_extension(".vs");
    if (std::filesystem::exists(vs)) {
      auto vsText = readShaderText(vs, error);
      if (!vsText) return nullptr;
      vertexBody = std::move(*vsText);
      p->mVertexFile = vs;
    }
  }
  p->mDoc = std::move(*doc);
  const isf::Sources sources = isf::translate(p->mDoc, vertexBody, limits);
  if (!p->link(sources, error)) return nullptr;

  // Pass sizes: the expressions are checked now, evaluated when the output size is known.
  std::vector<std::string> names = {"$WIDTH", "$HEIGHT"};
  for (const isf::Input& in : p->mDoc.inputs) names.push_back(in.name);
  int unit = kCrowdUnits;
  for (std::size_t i = 0; i < p->mDoc.inputs.size(); ++i) {
    if (isImageType(p->mDoc.inputs[i].type)) p->mInputUnits[i] = unit++;
  }
  for (std::size_t i = 0; i < p->mDoc.passes.size(); ++i) {
    const isf::Pass& pass = p->mDoc.passes[i];
    if (pass.target.empty()) {
      p->mTargets.push_back(nullptr);
      continue;
    }
    auto t = std::make_unique<Target>();
    t->name = pass.target;
    t->floatTarget = pass.floatTarget;
    for (auto [expr, slot, key] : {std::tuple{&pass.widthExpr, &t->width, "WIDTH"},
                                   std::tuple{&pass.heightExpr, &t->height, "HEIGHT"}}) {
      if (expr->empty()) continue;
      std::string why;
      *slot = isf::Expression::parse(*expr, names, &why);
      if (!*slot) {
        *error =
            fmt::format("{}: error: PASSES[{}].{} \"{}\": {}", file.string(), i, key, *expr, why);
        return nullptr;
      }
    }
    t->unit = unit++;
    p->mTargets.push_back(std::move(t));
  }
  const auto base = file.parent_path();
  for (const isf::Imported& imp : p->mDoc.imported) {
    std::string why;
    auto image = platform::loadPng(base / imp.path, &why);
    if (!image) {
      *error = fmt::format("{}: error: IMPORTED {}: cannot load {}: {}", file.string(), imp.name,
                           (base / imp.path).string(), why);
      return nullptr;
    }
    Imported i;
    i.texture = uploadImage(image->rgba.data(), image->width, image->height,
                            static_cast<std::size_t>(image->width) * 4);
    i.unit = unit++;
    i.name = imp.name;
    p->mImported.push_back(std::move(i));
    p->mImportedFiles.push_back(base / imp.path);
  }
  GLint maxUnits = 16;
  glGetIntegerv(GL_MAX_TEXTURE_IMAGE_UNITS, &maxUnits);
  if (unit > maxUnits) {
    *error = fmt::format(
        "{}: error: needs {} textures (images, targets, imports and tessera's {} "
        "crowd textures); this GPU has {}",
        file.string(), unit, kCrowdUnits, maxUnits);
    return nullptr;
  }
  // Texture units are the same in every pass's program.
  const char* crowd[kCrowdUnits] = {"tessera_feedRgba", "tessera_feedY", "tessera_feedU",
                                    "tessera_feedV", "tessera_feedData"};
  for (const Program& program : p->mPrograms) {
    const GLuint id = program.program.id();
    glUseProgram(id);
    for (std::size_t i = 0; i < p->mDoc.inputs.size(); ++i) {
      if (p->mInputUnits[i] >= 0) glUniform1i(program.inputs[i], p->mInputUnits[i]);
    }
    for (const auto& t : p->mTargets) {
      if (t) glUniform1i(glGetUniformLocation(id, t->name.c_str()), t->unit);
    }
    for (const Imported& imp : p->mImported) {
      glUniform1i(glGetUniformLocation(id, imp.name.c_str()), imp.unit);
    }
    for (int i = 0; i < kCrowdUnits; ++i) glUniform1i(glGetUniformLocation(id, crowd[i]), i);
  }
  glUseProgram(0);

  p->mBlack = solidTexture(0, 0);
  p->mSilence = solidTexture(128, 255);
  p->mEmptyArray = platform::makeTexture();
  glBindTexture(GL_TEXTURE_2D_ARRAY, p->mEmptyArray.id());
  const std::uint8_t zero[4] = {0, 0, 0, 255};
  glTexImage3D(GL_TEXTURE_2D_ARRAY, 0, GL_RGBA8, 1, 1, 1, 0, GL_RGBA, GL_UNSIGNED_BYTE, zero);
  setSampling(GL_TEXTURE_2D_ARRAY);
  p->mEmptyData = platform::makeTexture();
  glBindTexture(GL_TEXTURE_2D, p->mEmptyData.id());
  std::vector<float> zeros(static_cast<std::size_t>(limits.maxFeeds) * 4 * 4, 0.0f);
  glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA32F, limits.maxFeeds, 4, 0, GL_RGBA, GL_FLOAT,
               zeros.data());
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
  p->mVertexArray = platform::makeVertexArray();
  if (auto e = platform::glErrorString(); !e.empty()) {
    *error = fmt::format("{}: error: setting up the shader's textures: {}", file.string(), e);
    return nullptr;
  }
  return p;
}

bool ShaderProgram::link(const isf::Sources& sources, std::string* error) {
  const auto& inputs = mDoc.inputs;
  mValues.resize(inputs.size());
  mInputTextures.assign(inputs.size(), 0);
  mInputUnits.assign(inputs.size(), -1);
  for (std::size_t i = 0; i < inputs.size(); ++i) mValues[i] = inputs[i].defaultValue;
  const std::string declaration = "uniform int PASSINDEX;";
  for (std::size_t pass = 0; pass < mDoc.passes.size(); ++pass) {
    const std::string constant = fmt::format("const int PASSINDEX = {};", pass);
    std::string vertex = sources.vertex, fragment = sources.fragment;
    for (std::string* s : {&vertex, &fragment}) {
      if (const auto at = s->find(declaration); at != std::string::npos) {
        s->replace(at, declaration.size(), constant);
      }
    }
    std::string log;
    auto program = platform::buildProgram(vertex, fragment, &log);
    if (!program) {
      const bool isVertex = log.rfind("vertex shader: ", 0) == 0;
      const std::string name =
          isVertex && !mVertexFile.empty() ? mVertexFile.string() : mFile.string();
      const auto colon = log.find(": ");
      std::string body = colon == std::string::npos ? log : log.substr(colon + 2);
      *error = isf::remapLog(body, name);
      while (!error->empty() && (error->back() == '\n' || error->back() == ' ')) error->pop_back();
      if (error->empty()) *error = fmt::format("{}: error: the shader did not compile", name);
      return false;
    }
    Program p;
    p.program = std::move(*program);
    const GLuint id = p.program.id();
    p.inputs.resize(inputs.size());
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      p.inputs[i] = glGetUniformLocation(id, inputs[i].uniform.c_str());
    }
    p.loc.renderSize = glGetUniformLocation(id, "RENDERSIZE");
    p.loc.time = glGetUniformLocation(id, "TIME");
    p.loc.timeDelta = glGetUniformLocation(id, "TIMEDELTA");
    p.loc.date = glGetUniformLocation(id, "DATE");
    p.loc.frameIndex = glGetUniformLocation(id, "FRAMEINDEX");
    p.loc.feedCount = glGetUniformLocation(id, "FEED_COUNT");
    p.loc.crowdColour = glGetUniformLocation(id, "CROWD_COLOR");
    p.loc.crowdMotion = glGetUniformLocation(id, "CROWD_MOTION");
    p.loc.crowdBrightness = glGetUniformLocation(id, "CROWD_BRIGHTNESS");
    p.loc.crowdFaces = glGetUniformLocation(id, "CROWD_FACES");
    p.loc.crowdReactions = glGetUniformLocation(id, "CROWD_REACTIONS");
    p.loc.channelResolution = glGetUniformLocation(id, "iChannelResolution");
    p.loc.channelTime = glGetUniformLocation(id, "iChannelTime");
    mPrograms.push_back(std::move(p));
  }
  return true;
}

bool validateValue(const isf::Input& in, isf::Value& value, std::string* error) {
  const int n = isf::componentCount(in.type);
  const auto fail = [&](std::string message) {
    if (error) *error = fmt::format("input \"{}\" ({}): {}", in.name, toString(in.type), message);
    return false;
  };
  if (n == 0) return fail("an image or audio input, not a value");
  // Which component a message means: x, y of a point; r, g, b, a of a colour.
  const auto component = [&](int c) -> std::string {
    if (n == 1) return {};
    return fmt::format("{} = ", in.type == isf::InputType::kPoint2D ? "xy"[c] : "rgba"[c]);
  };
  for (int c = 0; c < n; ++c) {
    if (!std::isfinite(value[c])) return fail(component(c) + "not a finite number");
  }
  if (in.type == isf::InputType::kLong) {
    // Checked before rounding: a value beyond int's range has no nearest int.
    const double v = value[0];
    const bool representable = v >= std::numeric_limits<int>::min() &&
                               v <= static_cast<double>(std::numeric_limits<int>::max());
    if (!in.values.empty()) {
      if (!representable || std::find(in.values.begin(), in.values.end(),
                                      static_cast<int>(std::lround(v))) == in.values.end()) {
        return fail(fmt::format("{} is not one of its VALUES [{}]", v, fmt::join(in.values, ", ")));
      }
    } else if (!representable) {
      return fail(fmt::format("{} is not an integer in {}..{}", v, std::numeric_limits<int>::min(),
                              std::numeric_limits<int>::max()));
    }
  }
  // The declared MIN..MAX; a colour's components are 0..1 unless it declares its own.
  if (in.type == isf::InputType::kFloat || in.type == isf::InputType::kPoint2D ||
      in.type == isf::InputType::kColor ||
      (in.type == isf::InputType::kLong && in.values.empty())) {
    const bool colour = in.type == isf::InputType::kColor;
    for (int c = 0; c < n; ++c) {
      const float lo = in.min ? (*in.min)[c] : colour ? 0.0f : -INFINITY;
      const float hi = in.max ? (*in.max)[c] : colour ? 1.0f : INFINITY;
      if (value[c] < lo || value[c] > hi) {
        return fail(
            fmt::format("{}{} is outside its range {}..{}", component(c), value[c], lo, hi));
      }
    }
  }
  if (in.type == isf::InputType::kBool || in.type == isf::InputType::kEvent) {
    value = {value[0] != 0 ? 1.0f : 0.0f, 0, 0, 0};
  } else if (in.type == isf::InputType::kLong) {
    value = {static_cast<float>(std::lround(value[0])), 0, 0, 0};
  } else if (in.type == isf::InputType::kFloat) {
    value = {value[0], 0, 0, 0};
  } else if (in.type == isf::InputType::kPoint2D) {
    value = {value[0], value[1], 0, 0};
  }
  return true;
}

bool ShaderProgram::setValue(std::string_view name, const isf::Value& value, std::string* error) {
  const auto& inputs = mDoc.inputs;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].name != name) continue;
    isf::Value v = value;
    if (!validateValue(inputs[i], v, error)) return false;
    mValues[i] = v;
    return true;
  }
  if (error) *error = fmt::format("{} has no input named {}", mFile.filename().string(), name);
  return false;
}

std::optional<isf::Value> ShaderProgram::value(std::string_view name) const {
  for (std::size_t i = 0; i < mDoc.inputs.size(); ++i) {
    if (mDoc.inputs[i].name == name) return mValues[i];
  }
  return std::nullopt;
}

void ShaderProgram::adoptValues(const ShaderProgram& other) {
  for (std::size_t i = 0; i < mDoc.inputs.size(); ++i) {
    const isf::Input& in = mDoc.inputs[i];
    if (in.type == isf::InputType::kEvent) continue;
    for (std::size_t j = 0; j < other.mDoc.inputs.size(); ++j) {
      const isf::Input& o = other.mDoc.inputs[j];
      if (o.name == in.name && o.type == in.type) {
        if (isImageType(in.type)) {
          mInputTextures[i] = other.mInputTextures[j];
        } else {
          // Through setValue: the new file may have narrowed the range.
          setValue(in.name, other.mValues[j], nullptr);
        }
      }
    }
  }
}

bool ShaderProgram::setImage(std::string_view name, GLuint texture) {
  for (std::size_t i = 0; i < mDoc.inputs.size(); ++i) {
    if (mDoc.inputs[i].name == name && mInputUnits[i] >= 0) {
      mInputTextures[i] = texture;
      return true;
    }
  }
  return false;
}

double ShaderProgram::lookup(std::string_view name, core::SizePx size) const {
  if (name == "$WIDTH") return size.width;
  if (name == "$HEIGHT") return size.height;
  if (!name.empty() && name.front() == '$') name.remove_prefix(1);
  for (std::size_t i = 0; i < mDoc.inputs.size(); ++i) {
    if (mDoc.inputs[i].name == name) return mValues[i][0];
  }
  return 0;
}

void ShaderProgram::resizeTargets(core::SizePx size) {
  // Sizes depend on the output size and (through expressions) on input values.
  bool same = size.width == mTargetsFor.width && size.height == mTargetsFor.height &&
              mTargetInputs.size() == mValues.size();
  for (std::size_t i = 0; same && i < mValues.size(); ++i) same = mTargetInputs[i] == mValues[i][0];
  if (same) return;
  mTargetsFor = size;
  mTargetInputs.resize(mValues.size());
  for (std::size_t i = 0; i < mValues.size(); ++i) mTargetInputs[i] = mValues[i][0];

  auto fn = [&](std::string_view n) { return lookup(n, size); };
  for (auto& t : mTargets) {
    if (!t) continue;
    auto side = [&](const std::optional<isf::Expression>& e, int whole) {
      const double v = e ? std::floor(e->evaluate(fn)) : whole;
      return static_cast<int>(std::clamp(v, 1.0, static_cast<double>(kMaxTargetSide)));
    };
    const core::SizePx want{side(t->width, size.width), side(t->height, size.height)};
    if (want.width == t->size.width && want.height == t->size.height) continue;
    t->size = want;
    // RGBA8 and RGBA32F are always drawable (GL 3.3 requires both).
    for (auto& target : t->targets) {
      target = std::move(
          *platform::makeTarget(want.width, want.height, t->floatTarget ? GL_RGBA32F : GL_RGBA8));
    }
  }
}

void ShaderProgram::setUniforms(const Program& program, const ShaderClock& clock,
                                const CrowdBinding* crowd, const float* channelResolution) {
  const Locations& loc = program.loc;
  glUniform1f(loc.time, static_cast<float>(clock.timeS));
  glUniform1f(loc.timeDelta, static_cast<float>(clock.deltaS));
  glUniform4fv(loc.date, 1, clock.date.data());
  glUniform1i(loc.frameIndex, clock.frameIndex);
  glUniform1i(loc.feedCount, crowd ? std::min(crowd->feedCount, mMaxFeeds) : 0);
  const std::array<float, 3> noColour{};
  glUniform3fv(loc.crowdColour, 1, crowd ? crowd->colour.data() : noColour.data());
  glUniform1f(loc.crowdMotion, crowd ? crowd->motion : 0.0f);
  glUniform1f(loc.crowdBrightness, crowd ? crowd->brightness : 0.0f);
  glUniform1f(loc.crowdFaces, crowd ? crowd->faces : 0.0f);
  glUniform1f(loc.crowdReactions, crowd ? crowd->reactions : 0.0f);
  for (std::size_t i = 0; i < mDoc.inputs.size(); ++i) {
    const GLint at = program.inputs[i];
    const isf::Value& v = mValues[i];
    switch (mDoc.inputs[i].type) {
      case isf::InputType::kEvent:
      case isf::InputType::kBool:
      case isf::InputType::kLong:
        glUniform1i(at, static_cast<int>(v[0]));
        break;
      case isf::InputType::kFloat:
        glUniform1f(at, v[0]);
        break;
      case isf::InputType::kPoint2D:
        glUniform2f(at, v[0], v[1]);
        break;
      case isf::InputType::kColor:
        glUniform4fv(at, 1, v.data());
        break;
      default:
        break;  // images: bound to their units once per frame
    }
  }
  if (loc.channelResolution >= 0) glUniform3fv(loc.channelResolution, 4, channelResolution);
  if (loc.channelTime >= 0) {
    const float t = static_cast<float>(clock.timeS);
    const float times[4] = {t, t, t, t};
    glUniform1fv(loc.channelTime, 4, times);
  }
}

void ShaderProgram::render(GLuint outputFramebuffer, core::SizePx size, const ShaderClock& clock,
                           const CrowdBinding* crowd) {
  resizeTargets(size);
  glDisable(GL_BLEND);
  glBindVertexArray(mVertexArray.id());

  // Textures, bound once for every pass: the crowd, images, imports, targets.
  const GLuint arrays[4] = {crowd && crowd->rgbaArray ? crowd->rgbaArray : mEmptyArray.id(),
                            crowd && crowd->yArray ? crowd->yArray : mEmptyArray.id(),
                            crowd && crowd->uArray ? crowd->uArray : mEmptyArray.id(),
                            crowd && crowd->vArray ? crowd->vArray : mEmptyArray.id()};
  for (int i = 0; i < 4; ++i) {
    glActiveTexture(GL_TEXTURE0 + i);
    glBindTexture(GL_TEXTURE_2D_ARRAY, arrays[i]);
  }
  glActiveTexture(GL_TEXTURE0 + 4);
  glBindTexture(GL_TEXTURE_2D, crowd && crowd->data ? crowd->data : mEmptyData.id());
  float channelResolution[12] = {};
  int channel = 0;
  for (std::size_t i = 0; i < mDoc.inputs.size(); ++i) {
    if (mInputUnits[i] < 0) continue;
    GLuint texture = mInputTextures[i];
    if (!texture) {
      texture = mDoc.inputs[i].type == isf::InputType::kAudio ? mSilence.id() : mBlack.id();
    }
    glActiveTexture(GL_TEXTURE0 + mInputUnits[i]);
    glBindTexture(GL_TEXTURE_2D, texture);
    if (mDoc.dialect == isf::Dialect::kShaderToy && channel < 4) {
      // ShaderToy reports 0x0 for a channel with nothing bound.
      GLint w = 0, h = 0;
      if (mInputTextures[i]) {
        glGetTexLevelParameteriv(GL_TEXTURE_2D, 0, GL_TEXTURE_WIDTH, &w);
        glGetTexLevelParameteriv(GL_TEXTURE_2D, 0, GL_TEXTURE_HEIGHT, &h);
      }
      channelResolution[channel * 3] = static_cast<float>(w);
      channelResolution[channel * 3 + 1] = static_cast<float>(h);
      channelResolution[channel * 3 + 2] = 1;
      ++channel;
    }
  }
  for (const Imported& imp : mImported) {
    glActiveTexture(GL_TEXTURE0 + imp.unit);
    glBindTexture(GL_TEXTURE_2D, imp.texture.id());
  }
  for (const auto& t : mTargets) {
    if (!t) continue;
    glActiveTexture(GL_TEXTURE0 + t->unit);
    glBindTexture(GL_TEXTURE_2D, t->targets[t->current].texture.id());
  }

  // Passes: a targeted pass reads its target's latest picture and draws into the other texture.
  for (std::size_t i = 0; i < mDoc.passes.size(); ++i) {
    const Program& program = mPrograms[i];
    glUseProgram(program.program.id());
    setUniforms(program, clock, crowd, channelResolution);
    Target* t = mTargets[i].get();
    const core::SizePx passSize = t ? t->size : size;
    glBindFramebuffer(GL_FRAMEBUFFER,
                      t ? t->targets[1 - t->current].framebuffer.id() : outputFramebuffer);
    glViewport(0, 0, passSize.width, passSize.height);
    glUniform2f(program.loc.renderSize, static_cast<float>(passSize.width),
                static_cast<float>(passSize.height));
    glDrawArrays(GL_TRIANGLE_STRIP, 0, 4);
    if (t) {
      t->current = 1 - t->current;
      glActiveTexture(GL_TEXTURE0 + t->unit);
      glBindTexture(GL_TEXTURE_2D, t->targets[t->current].texture.id());
    }
  }
  // The last pass is the output; when it also has a TARGET, show that target.
  if (Target* last = mTargets.empty() ? nullptr : mTargets.back().get()) {
    glBindFramebuffer(GL_READ_FRAMEBUFFER, last->targets[last->current].framebuffer.id());
    glBindFramebuffer(GL_DRAW_FRAMEBUFFER, outputFramebuffer);
    glBlitFramebuffer(0, 0, last->size.width, last->size.height, 0, 0, size.width, size.height,
                      GL_COLOR_BUFFER_BIT, GL_LINEAR);
  }
  glActiveTexture(GL_TEXTURE0);
  glUseProgram(0);
  glBindVertexArray(0);
  // Events are true for one frame.
  for (std::size_t i = 0; i < mDoc.inputs.size(); ++i) {
    if (mDoc.inputs[i].type == isf::InputType::kEvent) mValues[i][0] = 0;
  }
}

}  // namespace tessera::render
