#include "render/isf/isf.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "render/isf/detail/glsl_scan.hpp"

namespace tessera::render::isf {

namespace {

using Json = nlohmann::json;
using detail::isBlank;
using detail::isIdentChar;
using detail::isIdentStart;

constexpr std::size_t kMaxNameBytes = 256;
// A long input given only MIN/MAX gets MIN..MAX as its choices, up to this many.
constexpr double kMaxImplicitLongValues = 1024;
// Larger magnitudes cannot be a float uniform.
constexpr double kMaxMagnitude = 1e30;

// Names the preamble declares (docs/shaders.md); an input, TARGET or IMPORTED name may not
// reuse them.
constexpr std::string_view kBuiltins[] = {"TIME",
                                          "TIMEDELTA",
                                          "FRAMEINDEX",
                                          "DATE",
                                          "RENDERSIZE",
                                          "PASSINDEX",
                                          "isf_FragNormCoord",
                                          "isf_FragColor",
                                          "isf_vertShaderInit",
                                          "vv_FragNormCoord",
                                          "vv_vertShaderInit",
                                          "IMG_PIXEL",
                                          "IMG_NORM_PIXEL",
                                          "IMG_THIS_PIXEL",
                                          "IMG_THIS_NORM_PIXEL",
                                          "IMG_SIZE",
                                          "FEED_COUNT",
                                          "FEED_MAX",
                                          "CROWD_COUNT",
                                          "CROWD_COLOR",
                                          "CROWD_MOTION",
                                          "CROWD_BRIGHTNESS",
                                          "CROWD_FACES",
                                          "CROWD_REACTIONS",
                                          "FEED_PIXEL",
                                          "FEED_RECT",
                                          "FEED_SCORES",
                                          "FEED_COLOR",
                                          "FEED_ID",
                                          "main",
                                          "texture"};

// GLSL 3.30 keywords and reserved words: a uniform cannot be called that.
constexpr std::string_view kGlslKeywords[] = {"attribute",
                                              "const",
                                              "uniform",
                                              "varying",
                                              "layout",
                                              "centroid",
                                              "flat",
                                              "smooth",
                                              "noperspective",
                                              "break",
                                              "continue",
                                              "do",
                                              "for",
                                              "while",
                                              "switch",
                                              "case",
                                              "default",
                                              "if",
                                              "else",
                                              "in",
                                              "out",
                                              "inout",
                                              "float",
                                              "int",
                                              "void",
                                              "bool",
                                              "true",
                                              "false",
                                              "invariant",
                                              "discard",
                                              "return",
                                              "mat2",
                                              "mat3",
                                              "mat4",
                                              "mat2x2",
                                              "mat2x3",
                                              "mat2x4",
                                              "mat3x2",
                                              "mat3x3",
                                              "mat3x4",
                                              "mat4x2",
                                              "mat4x3",
                                              "mat4x4",
                                              "vec2",
                                              "vec3",
                                              "vec4",
                                              "ivec2",
                                              "ivec3",
                                              "ivec4",
                                              "bvec2",
                                              "bvec3",
                                              "bvec4",
                                              "uint",
                                              "uvec2",
                                              "uvec3",
                                              "uvec4",
                                              "lowp",
                                              "mediump",
                                              "highp",
                                              "precision",
                                              "sampler1D",
                                              "sampler2D",
                                              "sampler3D",
                                              "samplerCube",
                                              "sampler2DArray",
                                              "sampler2DRect",
                                              "samplerBuffer",
                                              "isampler2D",
                                              "usampler2D",
                                              "struct",
                                              "common",
                                              "partition",
                                              "active",
                                              "asm",
                                              "class",
                                              "union",
                                              "enum",
                                              "typedef",
                                              "template",
                                              "this",
                                              "packed",
                                              "goto",
                                              "inline",
                                              "noinline",
                                              "volatile",
                                              "public",
                                              "static",
                                              "extern",
                                              "external",
                                              "interface",
                                              "long",
                                              "short",
                                              "double",
                                              "half",
                                              "fixed",
                                              "unsigned",
                                              "superp",
                                              "input",
                                              "output",
                                              "hvec2",
                                              "hvec3",
                                              "hvec4",
                                              "dvec2",
                                              "dvec3",
                                              "dvec4",
                                              "fvec2",
                                              "fvec3",
                                              "fvec4",
                                              "filter",
                                              "sizeof",
                                              "cast",
                                              "namespace",
                                              "using",
                                              "row_major",
                                              "patch",
                                              "sample",
                                              "subroutine"};

// GLSL 3.30 built-in functions. ISF turns an input into a uniform of its name, and a uniform
// called like a function hides it (an input "mix" breaks every mix() call), so such an input's
// uniform is renamed and the translation rewrites the name where it is not called.
constexpr std::string_view kGlslFunctions[] = {"radians",
                                               "degrees",
                                               "sin",
                                               "cos",
                                               "tan",
                                               "asin",
                                               "acos",
                                               "atan",
                                               "sinh",
                                               "cosh",
                                               "tanh",
                                               "asinh",
                                               "acosh",
                                               "atanh",
                                               "pow",
                                               "exp",
                                               "log",
                                               "exp2",
                                               "log2",
                                               "sqrt",
                                               "inversesqrt",
                                               "abs",
                                               "sign",
                                               "floor",
                                               "trunc",
                                               "round",
                                               "roundEven",
                                               "ceil",
                                               "fract",
                                               "mod",
                                               "modf",
                                               "min",
                                               "max",
                                               "clamp",
                                               "mix",
                                               "step",
                                               "smoothstep",
                                               "isnan",
                                               "isinf",
                                               "floatBitsToInt",
                                               "floatBitsToUint",
                                               "intBitsToFloat",
                                               "uintBitsToFloat",
                                               "length",
                                               "distance",
                                               "dot",
                                               "cross",
                                               "normalize",
                                               "faceforward",
                                               "reflect",
                                               "refract",
                                               "matrixCompMult",
                                               "outerProduct",
                                               "transpose",
                                               "determinant",
                                               "inverse",
                                               "lessThan",
                                               "lessThanEqual",
                                               "greaterThan",
                                               "greaterThanEqual",
                                               "equal",
                                               "notEqual",
                                               "any",
                                               "all",
                                               "not",
                                               "textureSize",
                                               "textureProj",
                                               "textureLod",
                                               "textureOffset",
                                               "texelFetch",
                                               "texelFetchOffset",
                                               "textureProjOffset",
                                               "textureLodOffset",
                                               "textureProjLod",
                                               "textureProjLodOffset",
                                               "textureGrad",
                                               "textureGradOffset",
                                               "textureProjGrad",
                                               "textureProjGradOffset",
                                               "dFdx",
                                               "dFdy",
                                               "fwidth",
                                               "noise1",
                                               "noise2",
                                               "noise3",
                                               "noise4"};

struct TypeName {
  InputType type;
  std::string_view name;
};
constexpr TypeName kTypeNames[] = {{InputType::kEvent, "event"},      {InputType::kBool, "bool"},
                                   {InputType::kLong, "long"},        {InputType::kFloat, "float"},
                                   {InputType::kPoint2D, "point2D"},  {InputType::kColor, "color"},
                                   {InputType::kImage, "image"},      {InputType::kAudio, "audio"},
                                   {InputType::kAudioFft, "audioFFT"}};

// Why `name` cannot be a GLSL name next to the preamble, or empty when it can.
std::string nameProblem(std::string_view name) {
  if (name.empty()) return "is empty";
  if (name.size() > kMaxNameBytes) return fmt::format("is longer than {} bytes", kMaxNameBytes);
  if (!isIdentStart(name[0]) || !std::all_of(name.begin(), name.end(), isIdentChar)) {
    return "is not a GLSL identifier ([A-Za-z_][A-Za-z0-9_]*)";
  }
  if (name.starts_with("gl_")) return "starts with \"gl_\", which GLSL reserves";
  if (name.find("__") != std::string_view::npos) return "contains \"__\", which GLSL reserves";
  for (std::string_view prefix : {"tessera_", "FEED_", "CROWD_"}) {  // docs/shaders.md
    if (name.starts_with(prefix))
      return fmt::format("starts with \"{}\", which tessera reserves", prefix);
  }
  if (std::find(std::begin(kBuiltins), std::end(kBuiltins), name) != std::end(kBuiltins)) {
    return "collides with a built-in";
  }
  if (std::find(std::begin(kGlslKeywords), std::end(kGlslKeywords), name) !=
      std::end(kGlslKeywords)) {
    return "is a GLSL keyword";
  }
  return {};
}

std::optional<double> finiteNumber(const Json& j) {
  if (!j.is_number()) return std::nullopt;
  const double v = j.get<double>();
  if (!std::isfinite(v) || std::abs(v) > kMaxMagnitude) return std::nullopt;
  return v;
}

// Long values travel as floats (Value), which hold integers exactly up to 2^24.
constexpr double kMaxLong = 16777216;

std::optional<int> intNumber(const Json& j) {
  const std::optional<double> v = finiteNumber(j);
  if (!v || std::abs(*v) > kMaxLong) return std::nullopt;
  return static_cast<int>(std::lround(*v));
}

// A JSON value of `type`'s shape (see Value); empty with `why` otherwise.
std::optional<Value> readValue(const Json& j, InputType type, std::string* why) {
  Value v{};
  switch (type) {
    case InputType::kEvent:
    case InputType::kBool:
      if (j.is_boolean()) {
        v[0] = j.get<bool>() ? 1.0f : 0.0f;
        return v;
      }
      if (const auto n = finiteNumber(j)) {
        v[0] = *n != 0 ? 1.0f : 0.0f;
        return v;
      }
      *why = "must be true, false or a number";
      return std::nullopt;
    case InputType::kLong:
      if (const auto n = intNumber(j)) {
        v[0] = static_cast<float>(*n);
        return v;
      }
      *why = "must be an integer (at most 16777216 in size)";
      return std::nullopt;
    case InputType::kFloat:
      if (const auto n = finiteNumber(j)) {
        v[0] = static_cast<float>(*n);
        return v;
      }
      *why = "must be a number";
      return std::nullopt;
    case InputType::kPoint2D:
    case InputType::kColor: {
      const bool color = type == InputType::kColor;
      const bool sizeOk = j.is_array() && (color ? j.size() == 3 || j.size() == 4 : j.size() == 2);
      if (sizeOk) {
        v[3] = 1.0f;
        bool ok = true;
        for (std::size_t i = 0; i < j.size() && ok; ++i) {
          const auto n = finiteNumber(j[i]);
          ok = n.has_value();
          if (ok) v[i] = static_cast<float>(*n);
        }
        if (ok) {
          if (!color) v[3] = 0.0f;
          return v;
        }
      }
      *why = color ? "must be [r, g, b] or [r, g, b, a] numbers" : "must be [x, y] numbers";
      return std::nullopt;
    }
    case InputType::kImage:
    case InputType::kAudio:
    case InputType::kAudioFft:
      break;
  }
  *why = "has no value";
  return std::nullopt;
}

// Maps a byte offset to a 1-based line and column.
Problem problemAt(std::string_view source, std::size_t offset, std::string message) {
  offset = std::min(offset, source.size());
  Problem p;
  p.line = 1;
  std::size_t lineStart = 0;
  for (std::size_t i = 0; i < offset; ++i) {
    if (source[i] == '\n') {
      ++p.line;
      lineStart = i + 1;
    }
  }
  p.column = static_cast<int>(offset - lineStart) + 1;
  p.message = std::move(message);
  return p;
}

std::string jsonErrorText(const std::string& what) {
  // "[json.exception.parse_error.101] parse error at line 1, column 2: syntax error ..." -> the
  // part after the position, which is relative to the header, not the file.
  const std::size_t at = what.find("parse error");
  if (at != std::string::npos) {
    const std::size_t colon = what.find(": ", at);
    if (colon != std::string::npos) return what.substr(colon + 2);
  }
  return what;
}

// Reads the JSON header (already parsed) of an ISF file into a Document.
class HeaderReader {
 public:
  HeaderReader(std::string_view source, std::size_t headerBegin, std::size_t headerEnd)
      : mSource(source), mBegin(headerBegin), mEnd(headerEnd) {}

  std::optional<Document> read(const Json& header, Problem* problem);

 private:
  bool fail(std::size_t offset, std::string message) {
    mProblem =
        problemAt(mSource, offset == std::string_view::npos ? mBegin : offset, std::move(message));
    return false;
  }
  // The offset of `"key"` followed by ':' in the header at or after `from`, or npos.
  std::size_t findKey(std::string_view key, std::size_t from) const;
  // The offset of `"key" : "value"` in the header at or after `from`, or npos.
  std::size_t findKeyValue(std::string_view key, std::string_view value, std::size_t from) const;
  std::size_t keyOr(std::string_view key, std::size_t fallback) const {
    const std::size_t at = findKey(key, mBegin);
    return at == std::string_view::npos ? fallback : at;
  }

  bool readInputs(const Json& inputs, Document& doc);
  bool readInput(const Json& entry, std::size_t index, Document& doc);
  bool readPasses(const Json& passes, Document& doc);
  bool readPersistentBuffers(const Json& buffers, Document& doc);
  bool readImported(const Json& imported, Document& doc);
  bool checkName(std::string_view what, std::string_view name, std::size_t offset);
  bool checkSize(const Json& j, std::string_view key, std::size_t offset, const Document& doc,
                 std::string* out);

  std::string_view mSource;
  std::size_t mBegin, mEnd;
  Problem mProblem;
  std::vector<std::string> mNames;  // every input, TARGET and IMPORTED name so far
};

std::size_t HeaderReader::findKey(std::string_view key, std::size_t from) const {
  const std::string quoted = fmt::format("\"{}\"", key);
  const std::string_view header = mSource.substr(0, mEnd);
  for (std::size_t at = header.find(quoted, from); at != std::string_view::npos;
       at = header.find(quoted, at + 1)) {
    std::size_t i = at + quoted.size();
    while (i < header.size() && (isBlank(header[i]) || header[i] == '\n')) ++i;
    if (i < header.size() && header[i] == ':') return at;
  }
  return std::string_view::npos;
}

std::size_t HeaderReader::findKeyValue(std::string_view key, std::string_view value,
                                       std::size_t from) const {
  const std::string quoted = fmt::format("\"{}\"", value);
  const std::string_view header = mSource.substr(0, mEnd);
  for (std::size_t at = findKey(key, from); at != std::string_view::npos;
       at = findKey(key, at + 1)) {
    std::size_t i = header.find(':', at + key.size() + 2);
    if (i == std::string_view::npos) break;
    ++i;
    while (i < header.size() && (isBlank(header[i]) || header[i] == '\n')) ++i;
    if (header.substr(i, quoted.size()) == quoted) return i;
  }
  return std::string_view::npos;
}

bool HeaderReader::checkName(std::string_view what, std::string_view name, std::size_t offset) {
  if (const std::string why = nameProblem(name); !why.empty()) {
    return fail(offset, fmt::format("{} name \"{}\" {}", what, name, why));
  }
  if (std::find(mNames.begin(), mNames.end(), name) != mNames.end()) {
    return fail(offset, fmt::format("{} name \"{}\" is used twice", what, name));
  }
  mNames.emplace_back(name);
  return true;
}

bool HeaderReader::checkSize(const Json& j, std::string_view key, std::size_t offset,
                             const Document& doc, std::string* out) {
  if (j.is_number()) {
    if (!finiteNumber(j)) return fail(offset, fmt::format("pass {} is out of range", key));
    *out = j.dump();
  } else if (j.is_string()) {
    *out = j.get<std::string>();
  } else {
    return fail(offset, fmt::format("pass {} must be a number or an expression string", key));
  }
  std::vector<std::string> known{"$WIDTH", "$HEIGHT"};
  for (const Input& input : doc.inputs) known.push_back(input.name);
  std::string error;
  if (!Expression::parse(*out, known, &error)) {
    return fail(offset, fmt::format("pass {} \"{}\": {}", key, *out, error));
  }
  return true;
}

std::optional<Document> HeaderReader::read(const Json& header, Problem* problem) {
  Document doc;
  doc.isfVersion = "2";
  const auto text = [](const Json& j) -> std::optional<std::string> {
    if (j.is_string()) return j.get<std::string>();
    if (j.is_number()) return j.dump();
    return std::nullopt;
  };
  bool ok = true;
  if (const auto it = header.find("ISFVSN"); it != header.end()) {
    if (auto v = text(*it)) doc.isfVersion = *v;
  }
  if (const auto it = header.find("DESCRIPTION"); it != header.end() && it->is_string()) {
    doc.description = it->get<std::string>();
  }
  if (const auto it = header.find("CREDIT"); it != header.end() && it->is_string()) {
    doc.credit = it->get<std::string>();
  }
  if (const auto it = header.find("CATEGORIES"); it != header.end() && it->is_array()) {
    for (const Json& c : *it) {
      if (c.is_string()) doc.categories.push_back(c.get<std::string>());
    }
  }
  if (const auto it = header.find("INPUTS"); ok && it != header.end()) ok = readInputs(*it, doc);
  // IMPORTED before PASSES so that both claim names in file order of meaning: inputs, images,
  // then targets (a TARGET reusing an input name is reported at the TARGET).
  if (const auto it = header.find("IMPORTED"); ok && it != header.end()) {
    ok = readImported(*it, doc);
  }
  if (const auto it = header.find("PASSES"); ok && it != header.end()) ok = readPasses(*it, doc);
  if (ok && doc.passes.empty()) doc.passes.emplace_back();
  if (const auto it = header.find("PERSISTENT_BUFFERS"); ok && it != header.end()) {
    ok = readPersistentBuffers(*it, doc);
  }
  if (!ok) {
    if (problem) *problem = mProblem;
    return std::nullopt;
  }
  return doc;
}

bool HeaderReader::readInputs(const Json& inputs, Document& doc) {
  if (!inputs.is_array()) return fail(keyOr("INPUTS", mBegin), "INPUTS must be an array");
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!readInput(inputs[i], i, doc)) return false;
  }
  return true;
}

bool HeaderReader::readInput(const Json& entry, std::size_t index, Document& doc) {
  const std::size_t inputsAt = keyOr("INPUTS", mBegin);
  if (!entry.is_object()) {
    return fail(inputsAt, fmt::format("INPUTS entry {} is not an object", index + 1));
  }
  const auto nameIt = entry.find("NAME");
  if (nameIt == entry.end() || !nameIt->is_string()) {
    return fail(inputsAt, fmt::format("INPUTS entry {} has no NAME string", index + 1));
  }
  Input input;
  input.name = nameIt->get<std::string>();
  const bool function = std::find(std::begin(kGlslFunctions), std::end(kGlslFunctions),
                                  input.name) != std::end(kGlslFunctions);
  input.uniform = function ? "tessera_in_" + input.name : input.name;
  std::size_t at = findKeyValue("NAME", input.name, inputsAt);
  if (at == std::string_view::npos) at = inputsAt;
  if (!checkName("input", input.name, at)) return false;

  const auto typeIt = entry.find("TYPE");
  if (typeIt == entry.end() || !typeIt->is_string()) {
    return fail(at, fmt::format("input \"{}\" has no TYPE string", input.name));
  }
  const std::string type = typeIt->get<std::string>();
  const auto known = std::find_if(std::begin(kTypeNames), std::end(kTypeNames),
                                  [&](const TypeName& t) { return t.name == type; });
  if (known == std::end(kTypeNames)) {
    return fail(at, fmt::format("input \"{}\" has an unknown TYPE \"{}\" (event, bool, long, "
                                "float, point2D, color, image, audio or audioFFT)",
                                input.name, type));
  }
  input.type = known->type;
  if (input.type == InputType::kColor) input.defaultValue[3] = 1.0f;

  if (const auto it = entry.find("LABEL"); it != entry.end()) {
    if (!it->is_string())
      return fail(at, fmt::format("input \"{}\": LABEL must be a string", input.name));
    input.label = it->get<std::string>();
  }

  if (componentCount(input.type) > 0 && input.type != InputType::kEvent) {
    for (const char* key : {"DEFAULT", "MIN", "MAX", "IDENTITY"}) {
      const auto it = entry.find(key);
      if (it == entry.end()) continue;
      std::string why;
      const std::optional<Value> v = readValue(*it, input.type, &why);
      if (!v) {
        return fail(at, fmt::format("input \"{}\" ({}): {} {}", input.name, type, key, why));
      }
      if (key[0] == 'D') {
        input.defaultValue = *v;
      } else if (key[0] == 'I') {
        input.identity = v;
      } else if (key[1] == 'I') {
        input.min = v;
      } else {
        input.max = v;
      }
    }
  }

  if (input.type == InputType::kLong) {
    if (const auto it = entry.find("VALUES"); it != entry.end()) {
      if (!it->is_array()) {
        return fail(at, fmt::format("input \"{}\": VALUES must be an array", input.name));
      }
      for (const Json& v : *it) {
        const std::optional<int> n = intNumber(v);
        if (!n) {
          return fail(at, fmt::format("input \"{}\": VALUES must hold integers", input.name));
        }
        input.values.push_back(*n);
      }
    } else if (input.min && input.max && (*input.max)[0] >= (*input.min)[0] &&
               (*input.max)[0] - (*input.min)[0] < kMaxImplicitLongValues) {
      for (int v = static_cast<int>((*input.min)[0]); v <= static_cast<int>((*input.max)[0]); ++v) {
        input.values.push_back(v);
      }
    }
    if (const auto it = entry.find("LABELS"); it != entry.end()) {
      if (!it->is_array()) {
        return fail(at, fmt::format("input \"{}\": LABELS must be an array", input.name));
      }
      for (const Json& l : *it) {
        if (!l.is_string()) {
          return fail(at, fmt::format("input \"{}\": LABELS must hold strings", input.name));
        }
        input.labels.push_back(l.get<std::string>());
      }
      if (input.labels.size() != input.values.size()) {
        return fail(at, fmt::format("input \"{}\": {} LABELS for {} VALUES", input.name,
                                    input.labels.size(), input.values.size()));
      }
    }
  }

  if (input.type == InputType::kAudio || input.type == InputType::kAudioFft) {
    if (const auto it = entry.find("MAX"); it != entry.end()) {
      const std::optional<int> n = intNumber(*it);
      if (!n || *n < 0) {
        return fail(at, fmt::format("input \"{}\": MAX must be a sample count", input.name));
      }
      input.maxSamples = *n;
    }
  }
  doc.inputs.push_back(std::move(input));
  return true;
}

bool HeaderReader::readImported(const Json& imported, Document& doc) {
  const std::size_t importedAt = keyOr("IMPORTED", mBegin);
  const auto add = [&](const std::string& name, const Json& entry, std::size_t at) {
    if (!checkName("IMPORTED", name, at)) return false;
    const auto path = entry.is_object() ? entry.find("PATH") : entry.end();
    if (path == entry.end() || !path->is_string()) {
      return fail(at, fmt::format("IMPORTED \"{}\" needs a PATH string (cube maps are not "
                                  "supported)",
                                  name));
    }
    doc.imported.push_back(Imported{name, std::filesystem::path(path->get<std::string>())});
    return true;
  };
  if (imported.is_object()) {
    for (const auto& [name, entry] : imported.items()) {
      const std::size_t at = findKey(name, importedAt);
      if (!add(name, entry, at == std::string_view::npos ? importedAt : at)) return false;
    }
    return true;
  }
  if (imported.is_array()) {
    for (const Json& entry : imported) {
      const auto name = entry.is_object() ? entry.find("NAME") : entry.end();
      if (name == entry.end() || !name->is_string()) {
        return fail(importedAt, "IMPORTED entries need a NAME string");
      }
      const std::size_t at = findKeyValue("NAME", name->get<std::string>(), importedAt);
      if (!add(name->get<std::string>(), entry, at == std::string_view::npos ? importedAt : at)) {
        return false;
      }
    }
    return true;
  }
  return fail(importedAt, "IMPORTED must be an object (or an ISF 1 array)");
}

std::optional<bool> flag(const Json& j) {
  if (j.is_boolean()) return j.get<bool>();
  if (const auto n = finiteNumber(j)) return *n != 0;
  return std::nullopt;
}

bool HeaderReader::readPasses(const Json& passes, Document& doc) {
  const std::size_t passesAt = keyOr("PASSES", mBegin);
  if (!passes.is_array()) return fail(passesAt, "PASSES must be an array");
  for (std::size_t i = 0; i < passes.size(); ++i) {
    const Json& entry = passes[i];
    if (!entry.is_object()) {
      return fail(passesAt, fmt::format("PASSES entry {} is not an object", i + 1));
    }
    Pass pass;
    std::size_t at = passesAt;
    if (const auto it = entry.find("TARGET"); it != entry.end()) {
      if (!it->is_string()) return fail(at, fmt::format("pass {}: TARGET must be a string", i + 1));
      pass.target = it->get<std::string>();
      if (!pass.target.empty()) {
        const std::size_t found = findKeyValue("TARGET", pass.target, passesAt);
        if (found != std::string_view::npos) at = found;
        if (!checkName("TARGET", pass.target, at)) return false;
      }
    }
    for (const char* key : {"PERSISTENT", "FLOAT"}) {
      const auto it = entry.find(key);
      if (it == entry.end()) continue;
      const std::optional<bool> v = flag(*it);
      if (!v) return fail(at, fmt::format("pass {}: {} must be true or false", i + 1, key));
      (key[0] == 'P' ? pass.persistent : pass.floatTarget) = *v;
    }
    if (const auto it = entry.find("WIDTH"); it != entry.end()) {
      if (!checkSize(*it, "WIDTH", at, doc, &pass.widthExpr)) return false;
    }
    if (const auto it = entry.find("HEIGHT"); it != entry.end()) {
      if (!checkSize(*it, "HEIGHT", at, doc, &pass.heightExpr)) return false;
    }
    doc.passes.push_back(std::move(pass));
  }
  return true;
}

bool HeaderReader::readPersistentBuffers(const Json& buffers, Document& doc) {
  const std::size_t buffersAt = keyOr("PERSISTENT_BUFFERS", mBegin);
  // ISF 1: the names of pass targets that keep their contents between frames, either as an
  // array or as an object whose values may carry WIDTH/HEIGHT/FLOAT for the target.
  const auto mark = [&](const std::string& name, const Json* settings) {
    for (Pass& pass : doc.passes) {
      if (pass.target != name) continue;
      pass.persistent = true;
      if (settings == nullptr || !settings->is_object()) continue;
      if (const auto it = settings->find("FLOAT"); it != settings->end()) {
        if (const auto v = flag(*it)) pass.floatTarget = pass.floatTarget || *v;
      }
      if (const auto it = settings->find("WIDTH");
          it != settings->end() && pass.widthExpr.empty()) {
        if (!checkSize(*it, "WIDTH", buffersAt, doc, &pass.widthExpr)) return false;
      }
      if (const auto it = settings->find("HEIGHT");
          it != settings->end() && pass.heightExpr.empty()) {
        if (!checkSize(*it, "HEIGHT", buffersAt, doc, &pass.heightExpr)) return false;
      }
    }
    return true;
  };
  if (buffers.is_array()) {
    for (const Json& name : buffers) {
      if (!name.is_string()) return fail(buffersAt, "PERSISTENT_BUFFERS must hold names");
      if (!mark(name.get<std::string>(), nullptr)) return false;
    }
    return true;
  }
  if (buffers.is_object()) {
    for (const auto& [name, settings] : buffers.items()) {
      if (!mark(name, &settings)) return false;
    }
    return true;
  }
  return fail(buffersAt, "PERSISTENT_BUFFERS must be an array or an object");
}

// Blanks [begin, end) of `text` keeping line breaks, so later lines keep their numbers.
void blank(std::string& text, std::size_t begin, std::size_t end) {
  for (std::size_t i = begin; i < end && i < text.size(); ++i) {
    if (text[i] != '\n') text[i] = ' ';
  }
}

Document shaderToy(std::string body) {
  Document doc;
  doc.dialect = Dialect::kShaderToy;
  doc.isfVersion = "2";
  for (int i = 0; i < 4; ++i) {
    Input channel;
    channel.name = channel.uniform = fmt::format("iChannel{}", i);
    channel.type = InputType::kImage;
    doc.inputs.push_back(std::move(channel));
  }
  Input mouse;
  mouse.name = "iMouse";
  mouse.uniform = "tessera_iMouse";
  mouse.type = InputType::kPoint2D;
  doc.inputs.push_back(std::move(mouse));
  doc.passes.emplace_back();
  doc.body = std::move(body);
  return doc;
}

}  // namespace

const char* toString(InputType type) {
  for (const TypeName& t : kTypeNames) {
    if (t.type == type) return t.name.data();
  }
  return "?";
}

int componentCount(InputType type) {
  switch (type) {
    case InputType::kEvent:
    case InputType::kBool:
    case InputType::kLong:
    case InputType::kFloat:
      return 1;
    case InputType::kPoint2D:
      return 2;
    case InputType::kColor:
      return 4;
    case InputType::kImage:
    case InputType::kAudio:
    case InputType::kAudioFft:
      return 0;
  }
  return 0;
}

const char* Document::canvasInput() const {
  if (dialect == Dialect::kShaderToy) {
    return detail::containsIdentifier(body, "iChannel0") ? "iChannel0" : nullptr;
  }
  const Input* input = findInput("inputImage");
  return input != nullptr && input->type == InputType::kImage ? "inputImage" : nullptr;
}

const Input* Document::findInput(std::string_view name) const {
  for (const Input& input : inputs) {
    if (input.name == name) return &input;
  }
  return nullptr;
}

std::optional<Document> parse(std::string_view source, Problem* problem) {
  const auto reject = [&](Problem p) -> std::optional<Document> {
    if (problem) *problem = std::move(p);
    return std::nullopt;
  };
  std::string body(source);
  std::size_t i = 0;
  if (source.starts_with("\xEF\xBB\xBF")) {  // a UTF-8 byte order mark: GLSL compilers refuse it
    blank(body, 0, 3);
    i = 3;
  }
  while (i < source.size() && (isBlank(source[i]) || source[i] == '\n')) ++i;

  std::optional<Problem> headerProblem;
  if (source.substr(i, 2) == "/*") {
    const std::size_t begin = i + 2;
    std::size_t first = begin;
    while (first < source.size() && (isBlank(source[first]) || source[first] == '\n')) ++first;
    const bool looksLikeJson = first < source.size() && source[first] == '{';
    const std::size_t close = source.find("*/", begin);
    if (looksLikeJson && close == std::string_view::npos) {
      return reject(problemAt(source, i, "the ISF header comment /* is never closed by */"));
    }
    if (looksLikeJson) {
      Json header;
      try {
        header = Json::parse(source.begin() + begin, source.begin() + close, nullptr,
                             /*allow_exceptions=*/true, /*ignore_comments=*/true);
      } catch (const Json::parse_error& e) {
        const std::size_t offset = begin + (e.byte > 0 ? e.byte - 1 : 0);
        headerProblem = problemAt(source, std::min(offset, close),
                                  "ISF header JSON: " + jsonErrorText(e.what()));
      } catch (const Json::exception& e) {
        headerProblem = problemAt(source, begin, "ISF header JSON: " + jsonErrorText(e.what()));
      }
      if (!headerProblem && header.is_object()) {
        try {
          HeaderReader reader(source, i, close + 2);
          std::optional<Document> doc = reader.read(header, problem);
          if (!doc) return std::nullopt;
          blank(body, i, close + 2);
          doc->body = std::move(body);
          return doc;
        } catch (const Json::exception& e) {  // a bug in the reader, not the artist's
          return reject(problemAt(source, i, fmt::format("ISF header: {}", e.what())));
        }
      }
    }
  }
  if (detail::containsIdentifier(source, "mainImage")) return shaderToy(std::move(body));
  if (headerProblem) return reject(*headerProblem);
  return reject(problemAt(source, i,
                          "neither an ISF header (a /*{ JSON }*/ comment at the top) nor a "
                          "ShaderToy mainImage function"));
}

}  // namespace tessera::render::isf
