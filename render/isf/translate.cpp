// ISF/ShaderToy -> GLSL 3.30 core: a preamble declaring what ISF and tessera promise (source
// string 1), then the artist's code with old-GLSL names rewritten in place (source string 0).
#include "render/isf/isf.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <string_view>
#include <utility>
#include <vector>

#include "render/isf/detail/glsl_scan.hpp"

namespace tessera::render::isf {

namespace {

enum class Stage { kVertex, kFragment };

struct Rewritten {
  std::string code;     // same number of lines as the input
  std::string hoisted;  // "#line N 0\n#extension ...\n" for each #extension line
};

// An input whose uniform is not called by its name (see parse): name -> uniform.
using Renames = std::vector<std::pair<std::string_view, std::string_view>>;

// The directive name after '#' at `pos` (spaces allowed between), e.g. "version".
std::string_view directiveName(std::string_view s, std::size_t pos) {
  std::size_t i = pos + 1;
  while (i < s.size() && detail::isBlank(s[i])) ++i;
  const std::size_t start = i;
  while (i < s.size() && detail::isIdentChar(s[i])) ++i;
  return s.substr(start, i - start);
}

// The length of "[0]" (blanks allowed inside, not line breaks) at `pos`, or 0.
std::size_t indexZeroLength(std::string_view s, std::size_t pos) {
  std::size_t i = pos;
  const auto skip = [&] {
    while (i < s.size() && detail::isBlank(s[i])) ++i;
  };
  skip();
  if (i >= s.size() || s[i] != '[') return 0;
  ++i;
  skip();
  if (i >= s.size() || s[i] != '0') return 0;
  ++i;
  skip();
  if (i >= s.size() || s[i] != ']') return 0;
  return i + 1 - pos;
}

// A token of GLSL code outside comments and preprocessor lines, with the nesting it sits in
// (before the token itself opens or closes one).
struct Token {
  std::string_view text;
  std::size_t begin = 0;  // offset in the code
  int braceDepth = 0;     // { }
  int parenDepth = 0;     // ( ) and [ ]
};

// Identifiers, numbers and single punctuation characters of `code`.
std::vector<Token> tokenize(std::string_view code) {
  std::vector<Token> out;
  int brace = 0;
  int paren = 0;
  bool lineStart = true;
  std::size_t i = 0;
  while (i < code.size()) {
    if (const std::size_t end = detail::skipComment(code, i); end != i) {
      i = end;
      continue;
    }
    const char c = code[i];
    if (c == '\n') {
      lineStart = true;
      ++i;
      continue;
    }
    if (detail::isBlank(c)) {
      ++i;
      continue;
    }
    if (c == '#' && lineStart) {  // a directive, continued by a backslash at the end of a line
      while (i < code.size() && code[i] != '\n') {
        i += code[i] == '\\' && i + 1 < code.size() && code[i + 1] == '\n' ? 2 : 1;
      }
      continue;
    }
    lineStart = false;
    const std::size_t start = i;
    if (detail::isIdentStart(c)) {
      while (i < code.size() && detail::isIdentChar(code[i])) ++i;
    } else if (detail::isDigit(c)) {
      while (i < code.size() && (detail::isIdentChar(code[i]) || code[i] == '.')) ++i;
    } else {
      ++i;
    }
    out.push_back(Token{code.substr(start, i - start), start, brace, paren});
    if (c == '{') {
      ++brace;
    } else if (c == '}') {
      brace = std::max(0, brace - 1);
    } else if (c == '(' || c == '[') {
      ++paren;
    } else if (c == ')' || c == ']') {
      paren = std::max(0, paren - 1);
    }
  }
  return out;
}

bool isIdentifier(std::string_view text) {
  return !text.empty() && detail::isIdentStart(text[0]);
}

bool isPrecision(std::string_view text) {
  return text == "lowp" || text == "mediump" || text == "highp";
}

// True when the code defines `void main(...) {` itself (a prototype does not count).
bool definesMain(const std::vector<Token>& tokens) {
  for (std::size_t k = 1; k + 1 < tokens.size(); ++k) {
    const Token& t = tokens[k];
    if (t.text != "main" || t.braceDepth != 0 || t.parenDepth != 0) continue;
    if (tokens[k - 1].text != "void" || tokens[k + 1].text != "(") continue;
    for (std::size_t j = k + 2; j + 1 < tokens.size(); ++j) {
      if (tokens[j].text == ")" && tokens[j].parenDepth == 1) {
        if (tokens[j + 1].text == "{") return true;
        break;
      }
    }
  }
  return false;
}

// True when the code declares its own fragment output (`out vec4 color;` at global scope), as
// GLSL 1.30+ code does instead of writing gl_FragColor.
bool declaresOutput(const std::vector<Token>& tokens) {
  return std::any_of(tokens.begin(), tokens.end(), [](const Token& t) {
    return t.text == "out" && t.braceDepth == 0 && t.parenDepth == 0;
  });
}

// What ShaderToy promises; code written for hosts that declare them as uniforms repeats them.
constexpr std::string_view kShaderToyNames[] = {
    "iResolution", "iTime",     "iGlobalTime", "iTimeDelta",   "iFrame",
    "iFrameRate",  "iMouse",    "iDate",       "iSampleRate",  "iChannel0",
    "iChannel1",   "iChannel2", "iChannel3",   "iChannelTime", "iChannelResolution"};

// The byte ranges of global `uniform TYPE NAME[N], ...;` declarations in which every NAME is one
// of ShaderToy's built-ins: the preamble declares them already (some as macros).
std::vector<std::pair<std::size_t, std::size_t>> shaderToyUniforms(
    const std::vector<Token>& tokens) {
  std::vector<std::pair<std::size_t, std::size_t>> ranges;
  for (std::size_t k = 0; k < tokens.size(); ++k) {
    const Token& t = tokens[k];
    if (t.text != "uniform" || t.braceDepth != 0 || t.parenDepth != 0) continue;
    std::size_t j = k + 1;
    if (j < tokens.size() && isPrecision(tokens[j].text)) ++j;
    if (j >= tokens.size() || !isIdentifier(tokens[j].text)) continue;  // the type
    ++j;
    bool allBuiltins = true;
    bool wellFormed = false;
    while (j < tokens.size() && isIdentifier(tokens[j].text)) {
      allBuiltins = allBuiltins && std::find(std::begin(kShaderToyNames), std::end(kShaderToyNames),
                                             tokens[j].text) != std::end(kShaderToyNames);
      ++j;
      if (j < tokens.size() && tokens[j].text == "[") {  // an array size
        while (j < tokens.size() && !(tokens[j].text == "]" && tokens[j].parenDepth == 1)) ++j;
        ++j;
      }
      if (j < tokens.size() && tokens[j].text == ",") {
        ++j;
        continue;
      }
      wellFormed = j < tokens.size() && tokens[j].text == ";";
      break;
    }
    if (wellFormed && allBuiltins) ranges.emplace_back(t.begin, tokens[j].begin + 1);
    k = j;
  }
  return ranges;
}

// Blanks [begin, end) of `text` keeping line breaks, so later lines keep their numbers.
void blank(std::string& text, std::size_t begin, std::size_t end) {
  for (std::size_t i = begin; i < end && i < text.size(); ++i) {
    if (text[i] != '\n') text[i] = ' ';
  }
}

std::string_view replacement(std::string_view identifier, Stage stage) {
  if (identifier == "gl_FragColor") return "isf_FragColor";
  if (identifier == "texture2D" || identifier == "texture2DRect" || identifier == "textureCube") {
    return "texture";
  }
  if (identifier == "texture2DProj") return "textureProj";
  if (identifier == "texture2DLod") return "textureLod";
  if (identifier == "varying") return stage == Stage::kVertex ? "out" : "in";
  if (identifier == "attribute" && stage == Stage::kVertex) return "in";
  return identifier;
}

// Rewrites old GLSL in `code` without adding or removing a line break: whole identifiers outside
// comments, #version lines blanked, #extension lines moved to `hoisted`, and a renamed input's
// name, where it is not called as a function, replaced by its uniform.
Rewritten rewrite(std::string_view code, Stage stage, const Renames& renames) {
  Rewritten out;
  out.code.reserve(code.size() + code.size() / 16);
  int line = 1;
  bool lineStart = true;  // only blanks so far on this line
  std::size_t i = 0;
  while (i < code.size()) {
    const char c = code[i];
    if (const std::size_t end = detail::skipComment(code, i); end != i) {
      const std::string_view comment = code.substr(i, end - i);
      line += static_cast<int>(std::count(comment.begin(), comment.end(), '\n'));
      out.code.append(comment);
      i = end;
      continue;
    }
    if (c == '\n') {
      out.code += c;
      ++line;
      lineStart = true;
      ++i;
      continue;
    }
    if (detail::isBlank(c)) {
      out.code += c;
      ++i;
      continue;
    }
    if (c == '#' && lineStart) {
      const std::string_view name = directiveName(code, i);
      if (name == "version" || name == "extension") {
        std::size_t end = code.find('\n', i);
        if (end == std::string_view::npos) end = code.size();
        if (name == "extension") {
          std::string_view text = code.substr(i, end - i);
          if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
          out.hoisted += fmt::format("#line {} 0\n{}\n", line, text);
        }
        i = end;  // the line break itself is copied by the next iteration
        continue;
      }
    }
    lineStart = false;
    if (detail::isIdentStart(c)) {
      const std::size_t start = i;
      while (i < code.size() && detail::isIdentChar(code[i])) ++i;
      const std::string_view identifier = code.substr(start, i - start);
      if (identifier == "gl_FragData" && stage == Stage::kFragment) {
        if (const std::size_t n = indexZeroLength(code, i); n > 0) {
          out.code += "isf_FragColor";
          i += n;
          continue;
        }
      }
      const auto renamed = std::find_if(renames.begin(), renames.end(),
                                        [&](const auto& r) { return r.first == identifier; });
      if (renamed != renames.end()) {
        std::size_t next = i;
        while (next < code.size() && (detail::isBlank(code[next]) || code[next] == '\n')) ++next;
        if (next >= code.size() || code[next] != '(') {
          out.code.append(renamed->second);
          continue;
        }
      }
      out.code.append(replacement(identifier, stage));
      continue;
    }
    if (detail::isDigit(c)) {  // a number's suffix or exponent is not an identifier
      const std::size_t start = i;
      while (i < code.size() && (detail::isIdentChar(code[i]) || code[i] == '.')) ++i;
      out.code.append(code.substr(start, i - start));
      continue;
    }
    out.code += c;
    ++i;
  }
  return out;
}

const char* uniformType(InputType type) {
  switch (type) {
    case InputType::kEvent:
    case InputType::kBool:
      return "bool";
    case InputType::kLong:
      return "int";
    case InputType::kFloat:
      return "float";
    case InputType::kPoint2D:
      return "vec2";
    case InputType::kColor:
      return "vec4";
    case InputType::kImage:
    case InputType::kAudio:
    case InputType::kAudioFft:
      return "sampler2D";
  }
  return "float";
}

// `ownOutput`: the artist's fragment code declares its own `out` variable, so isf_FragColor is
// not declared (a second output would have no defined location).
std::string preamble(const Document& doc, Stage stage, const CrowdLimits& limits, bool ownOutput) {
  const bool fragment = stage == Stage::kFragment;
  // Textures read outside a fragment shader have no derivatives: level 0 explicitly.
  const auto sample = [&](std::string_view sampler, std::string_view coord) {
    return fragment ? fmt::format("texture({}, {})", sampler, coord)
                    : fmt::format("textureLod({}, {}, 0.0)", sampler, coord);
  };
  std::string p;
  p += "uniform int PASSINDEX;\n";
  p += "uniform vec2 RENDERSIZE;\n";
  p += "uniform float TIME;\n";
  p += "uniform float TIMEDELTA;\n";
  p += "uniform vec4 DATE;\n";
  p += "uniform int FRAMEINDEX;\n";
  if (fragment) {
    p += "in vec2 isf_FragNormCoord;\n";
    if (!ownOutput) p += "out vec4 isf_FragColor;\n";
  } else {
    p += "out vec2 isf_FragNormCoord;\n";
  }
  p += "#define vv_FragNormCoord isf_FragNormCoord\n";

  for (const Input& input : doc.inputs) {
    p += fmt::format("uniform {} {};\n", uniformType(input.type), input.uniform);
    if (doc.dialect == Dialect::kShaderToy && input.name == "iMouse") {
      // ShaderToy's iMouse is a vec4 (click position in zw, not tracked): a vec2 behind it.
      p += fmt::format("#define {} vec4({}, 0.0, 0.0)\n", input.name, input.uniform);
    }
  }
  for (const Pass& pass : doc.passes) {
    if (!pass.target.empty()) p += fmt::format("uniform sampler2D {};\n", pass.target);
  }
  for (const Imported& image : doc.imported) {
    p += fmt::format("uniform sampler2D {};\n", image.name);
  }

  p += fmt::format("#define IMG_PIXEL(img, coord) {}\n",
                   sample("img", "(coord) / vec2(textureSize(img, 0))"));
  p += fmt::format("#define IMG_NORM_PIXEL(img, coord) {}\n", sample("img", "coord"));
  p += fmt::format("#define IMG_THIS_PIXEL(img) {}\n", sample("img", "isf_FragNormCoord"));
  p += fmt::format("#define IMG_THIS_NORM_PIXEL(img) {}\n", sample("img", "isf_FragNormCoord"));
  p += "#define IMG_SIZE(img) vec2(textureSize(img, 0))\n";

  // The crowd: every feed's picture in texture arrays, its placement and scores in a data
  // texture FEED_MAX wide (docs/shaders.md).
  p += fmt::format("#define FEED_MAX {}\n", limits.maxFeeds);
  p += "uniform int FEED_COUNT;\n";
  p += "#define CROWD_COUNT FEED_COUNT\n";
  p += "uniform vec3 CROWD_COLOR;\n";
  p += "uniform float CROWD_MOTION;\n";
  p += "uniform float CROWD_BRIGHTNESS;\n";
  p += "uniform float CROWD_FACES;\n";
  p += "uniform float CROWD_REACTIONS;\n";
  p += "uniform sampler2DArray tessera_feedRgba;\n";
  p += "uniform sampler2DArray tessera_feedY;\n";
  p += "uniform sampler2DArray tessera_feedU;\n";
  p += "uniform sampler2DArray tessera_feedV;\n";
  p += "uniform sampler2D tessera_feedData;\n";
  p += "vec4 tessera_feedRow(int i, int row) {\n";
  p += "  if (i < 0 || i >= FEED_MAX) return vec4(0.0);\n";
  p += "  return texelFetch(tessera_feedData, ivec2(i, row), 0);\n";
  p += "}\n";
  p += "vec4 FEED_RECT(int i) { return tessera_feedRow(i, 0); }\n";
  p += "vec4 FEED_SCORES(int i) { return tessera_feedRow(i, 1); }\n";
  p += "vec3 FEED_COLOR(int i) { return tessera_feedRow(i, 2).rgb; }\n";
  p += "int FEED_ID(int i) { return int(tessera_feedRow(i, 3).z); }\n";
  p += "vec3 tessera_i420ToRgb(float y, float u, float v) {\n";  // BT.601 limited range
  p += "  y = 1.164383 * (y - 0.0627451);\n";
  p += "  u -= 0.5;\n";
  p += "  v -= 0.5;\n";
  p += "  return clamp(vec3(y + 1.596027 * v, y - 0.391762 * u - 0.812968 * v, "
       "y + 2.017232 * u), 0.0, 1.0);\n";
  p += "}\n";
  p += "vec4 FEED_PIXEL(int i, vec2 uv) {\n";
  p += "  if (i < 0 || i >= FEED_COUNT || i >= FEED_MAX) return vec4(0.0, 0.0, 0.0, 1.0);\n";
  p += "  vec4 tile = tessera_feedRow(i, 3);\n";
  // Tiles are stored top row first, each frame in its layer's top-left share tile.w (a feed is
  // scaled to the size its tile is drawn at; 0 in old data rows: the whole layer).
  p += "  float share = tile.w > 0.0 ? tile.w : 1.0;\n";
  p += "  vec3 p = vec3(vec2(uv.x, 1.0 - uv.y) * share, tile.x);\n";
  p += "  if (tile.y > 0.5) {\n";
  p += fmt::format("    return vec4(tessera_i420ToRgb({}.r, {}.r, {}.r), 1.0);\n",
                   sample("tessera_feedY", "p"), sample("tessera_feedU", "p"),
                   sample("tessera_feedV", "p"));
  p += "  }\n";
  p += fmt::format("  return {};\n", sample("tessera_feedRgba", "p"));
  p += "}\n";

  if (!fragment) {
    // A full-canvas triangle strip of 4 vertices from gl_VertexID; no vertex buffer needed.
    p += "void isf_vertShaderInit() {\n";
    p += "  vec2 corner = vec2(gl_VertexID & 1, (gl_VertexID >> 1) & 1);\n";
    p += "  gl_Position = vec4(corner * 2.0 - 1.0, 0.0, 1.0);\n";
    p += "  isf_FragNormCoord = corner;\n";
    p += "}\n";
    p += "#define vv_vertShaderInit isf_vertShaderInit\n";
  }

  if (fragment && doc.dialect == Dialect::kShaderToy) {
    p += "#define iTime TIME\n";
    p += "#define iGlobalTime TIME\n";
    p += "#define iTimeDelta TIMEDELTA\n";
    p += "#define iFrame FRAMEINDEX\n";
    p += "#define iDate DATE\n";
    p += "#define iResolution vec3(RENDERSIZE, 1.0)\n";
    p += "uniform vec3 iChannelResolution[4];\n";
    p += "uniform float iChannelTime[4];\n";
    p += "#define iSampleRate 44100.0\n";
    p += "#define iFrameRate (TIMEDELTA > 0.0 ? 1.0 / TIMEDELTA : 60.0)\n";
  }
  return p;
}

int lineCount(std::string_view text) {
  return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

}  // namespace

Sources translate(const Document& doc, std::string_view vertexBody, const CrowdLimits& limits) {
  Sources out;

  Renames renames;
  for (const Input& input : doc.inputs) {
    const bool shaderToyMouse = doc.dialect == Dialect::kShaderToy && input.name == "iMouse";
    if (input.uniform != input.name && !shaderToyMouse)
      renames.emplace_back(input.name, input.uniform);
  }

  std::string body = doc.body;
  const std::vector<Token> tokens = tokenize(doc.body);  // offsets hold for `body` too
  if (doc.dialect == Dialect::kShaderToy) {
    for (const auto& [begin, end] : shaderToyUniforms(tokens)) blank(body, begin, end);
  }
  const Rewritten fragmentBody = rewrite(body, Stage::kFragment, renames);
  const std::string fragmentPreamble =
      preamble(doc, Stage::kFragment, limits, declaresOutput(tokens));
  out.fragment = "#version 330 core\n";
  out.fragment += fragmentBody.hoisted;
  out.fragment += "#line 1 1\n";
  out.fragment += fragmentPreamble;
  out.fragment += "#line 1 0\n";
  out.fragment += fragmentBody.code;
  // A ShaderToy file written for a host that needs a main (grimoire, Processing, exports) brings
  // its own; a second one would not compile.
  if (doc.dialect == Dialect::kShaderToy && !definesMain(tokens)) {
    if (!out.fragment.ends_with('\n')) out.fragment += '\n';
    out.fragment += fmt::format("#line {} 1\n", lineCount(fragmentPreamble) + 1);
    out.fragment +=
        "void main() { vec4 c = vec4(0.0, 0.0, 0.0, 1.0); mainImage(c, gl_FragCoord.xy); "
        "isf_FragColor = vec4(c.rgb, 1.0); }\n";
  }

  const bool defaultVertex = std::all_of(vertexBody.begin(), vertexBody.end(),
                                         [](char c) { return detail::isBlank(c) || c == '\n'; });
  const Rewritten vertex =
      rewrite(defaultVertex ? std::string_view() : vertexBody, Stage::kVertex, renames);
  out.vertex = "#version 330 core\n";
  out.vertex += vertex.hoisted;
  out.vertex += "#line 1 1\n";
  out.vertex += preamble(doc, Stage::kVertex, limits, false);
  if (defaultVertex) {
    out.vertex += "void main() { isf_vertShaderInit(); }\n";
  } else {
    out.vertex += "#line 1 0\n";
    out.vertex += vertex.code;
  }
  return out;
}

namespace {

bool isNumber(std::string_view s) {
  return !s.empty() && s.size() <= 9 && std::all_of(s.begin(), s.end(), detail::isDigit);
}

// "0:12(5): error: x" / "0(12) : error C1: x" / "ERROR: 0:12: x" -> (source, line, column,
// rest); nullopt for other lines.
struct LogLine {
  std::string_view source, line, column;
  std::string rest;  // " error: x", for the mapped "PLACE:LINE:COL:" prefix
};

std::optional<LogLine> splitLogLine(std::string_view l) {
  const auto digits = [&](std::size_t& i) {
    const std::size_t start = i;
    while (i < l.size() && detail::isDigit(l[i])) ++i;
    return l.substr(start, i - start);
  };
  LogLine out;
  for (std::string_view severity : {"ERROR: ", "WARNING: "}) {  // AMD, Intel, glslang
    if (!l.starts_with(severity)) continue;
    std::size_t i = severity.size();
    out.source = digits(i);
    if (!isNumber(out.source) || i >= l.size() || l[i] != ':') return std::nullopt;
    ++i;
    out.line = digits(i);
    if (!isNumber(out.line) || i >= l.size() || l[i] != ':') return std::nullopt;
    ++i;
    const std::string_view kind = severity[0] == 'E' ? " error:" : " warning:";
    out.rest = fmt::format("{}{}", kind, l.substr(i));
    return out;
  }
  std::size_t i = 0;
  out.source = digits(i);
  if (!isNumber(out.source) || i >= l.size()) return std::nullopt;
  if (l[i] == ':') {  // Mesa
    ++i;
    out.line = digits(i);
    if (!isNumber(out.line) || i >= l.size() || l[i] != '(') return std::nullopt;
    ++i;
    out.column = digits(i);
    if (!isNumber(out.column) || l.substr(i, 2) != "):") return std::nullopt;
    out.rest = std::string(l.substr(i + 2));
    return out;
  }
  if (l[i] == '(') {  // NVIDIA
    ++i;
    out.line = digits(i);
    if (!isNumber(out.line) || i >= l.size() || l[i] != ')') return std::nullopt;
    ++i;
    while (i < l.size() && l[i] == ' ') ++i;
    if (i >= l.size() || l[i] != ':') return std::nullopt;
    out.rest = std::string(l.substr(i + 1));
    return out;
  }
  return std::nullopt;
}

}  // namespace

std::string remapLog(std::string_view log, const std::string& fileName) {
  std::string out;
  out.reserve(log.size() + log.size() / 4);
  std::size_t pos = 0;
  while (pos < log.size()) {
    std::size_t end = log.find('\n', pos);
    const bool lastLine = end == std::string_view::npos;
    if (lastLine) end = log.size();
    const std::string_view l = log.substr(pos, end - pos);
    const std::optional<LogLine> parts = splitLogLine(l);
    if (parts && parts->source == "0") {
      out +=
          fmt::format("{}:{}:{}{}", fileName, parts->line,
                      parts->column.empty() ? "" : fmt::format("{}:", parts->column), parts->rest);
    } else if (parts && parts->source == "1") {
      out += fmt::format("tessera preamble:{}:{}", parts->line, parts->rest);
    } else {
      out.append(l);
    }
    if (!lastLine) out += '\n';
    pos = end + 1;
  }
  return out;
}

}  // namespace tessera::render::isf
