// Artists' shaders as plain data: the ISF 2 JSON header (docs.isf.video), the pass-size
// expressions, ShaderToy detection, and translation of both into GLSL 3.30 core sources with
// the artist's own line numbers kept (#line), plus the mapping of a compiler log back onto the
// artist's file. Pure C++: no GL, so the parser and evaluator can be tested as tables and fuzzed.
//
// Thread: any; nothing here holds state between calls.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::render::isf {

enum class InputType {
  kEvent,     // bool uniform, true for one frame when triggered
  kBool,      // bool uniform
  kLong,      // int uniform; VALUES/LABELS give the choices
  kFloat,     // float uniform
  kPoint2D,   // vec2 uniform
  kColor,     // vec4 uniform, 0..1
  kImage,     // sampler2D
  kAudio,     // sampler2D (silent for now)
  kAudioFft,  // sampler2D (silent for now)
};
const char* toString(InputType type);  // the ISF spelling: "event", "point2D", "audioFFT"...

// A value of any non-image input: bool/event 0 or 1, long an integer, float in [0], point2D in
// [0..1], color in [0..3].
using Value = std::array<float, 4>;
int componentCount(InputType type);  // 1, 2 or 4; 0 for images and audio

struct Input {
  std::string name;
  std::string uniform;  // the GLSL uniform the renderer sets: the name, but ShaderToy's iMouse
                        // is "tessera_iMouse" (a vec2 behind a vec4 iMouse macro) and an input
                        // named like a GLSL function ("mix") is "tessera_in_mix"
  std::string label;    // LABEL, or empty
  InputType type = InputType::kFloat;
  Value defaultValue{};  // DEFAULT, or the type's zero (color: 0,0,0,1)
  std::optional<Value> min, max;
  std::optional<Value> identity;    // IDENTITY
  std::vector<int> values;          // long: VALUES (when absent and MIN/MAX given: MIN..MAX)
  std::vector<std::string> labels;  // long: LABELS, one per value
  int maxSamples = 0;               // audio/audioFFT: MAX
};

struct Pass {
  std::string target;  // TARGET; empty for the last pass drawing to the output
  bool persistent = false;
  bool floatTarget = false;
  std::string widthExpr;   // WIDTH, e.g. "$WIDTH/2"; empty = the render width
  std::string heightExpr;  // HEIGHT
};

struct Imported {
  std::string name;
  std::filesystem::path path;  // PATH as written (relative to the shader file)
};

enum class Dialect { kIsf, kShaderToy };

struct Document {
  Dialect dialect = Dialect::kIsf;
  std::string isfVersion;  // ISFVSN, "2" when absent
  std::string description, credit;
  std::vector<std::string> categories;
  std::vector<Input> inputs;  // ShaderToy: iChannel0..3 (images) and iMouse (point2D)
  std::vector<Pass> passes;   // at least one
  std::vector<Imported> imported;
  // The GLSL after the header, with the header's lines blanked so that line numbers match the
  // file. ShaderToy: the whole file.
  std::string body;
  // The image input a host fills with the canvas so far, making the shader a filter:
  // `inputImage` (the ISF convention) or, in ShaderToy code that reads it, `iChannel0`. Null
  // when the shader draws without one.
  const char* canvasInput() const;
  bool isFilter() const { return canvasInput() != nullptr; }
  const Input* findInput(std::string_view name) const;
};

// A problem in an artist's file, at a 1-based line (0 when not tied to one).
struct Problem {
  int line = 0;
  int column = 0;
  std::string message;
};

// Parses an ISF file (`/*{ json }*/` then GLSL) or, when there is no JSON header and the code
// defines mainImage, a ShaderToy shader. nullopt with `problem` for bad input: malformed JSON,
// an unknown input TYPE, DEFAULT of the wrong shape, a PASSES entry that is not an object, a
// TARGET used twice, an input name that is not a GLSL identifier or that collides with a
// built-in, neither a header nor mainImage. Never throws.
std::optional<Document> parse(std::string_view source, Problem* problem);

// A pass-size expression: numbers, $WIDTH, $HEIGHT, input names (their current value, $ optional
// for them as VVISF accepts both), + - * / unary minus, parentheses, floor ceil round abs sqrt
// max min pow (functions with 1 or 2 arguments). Parsed once, evaluated when sizes change.
class Expression {
 public:
  // nullopt with `error` (naming the position) for bad syntax, unknown functions or names
  // not in `knownNames` (passed as "$WIDTH", "$HEIGHT" and the input names).
  static std::optional<Expression> parse(std::string_view text,
                                         const std::vector<std::string>& knownNames,
                                         std::string* error);
  // `lookup` gives a name's value ("$WIDTH" etc.); names it does not know count as 0.
  // Division by zero gives 0; the result is always finite.
  double evaluate(const std::function<double(std::string_view)>& lookup) const;
  const std::string& text() const { return mText; }

  struct Node;  // defined in expression.cpp

 private:
  std::string mText;
  std::shared_ptr<const Node> mRoot;
};

// GLSL 3.30 core sources for one program; the artist's code is marked `#line N 0`, tessera's own
// lines use source string 1 so a log line "1:..." is our bug, not the artist's.
struct Sources {
  std::string vertex;
  std::string fragment;
};

// How many feeds the crowd functions index (FEED_PIXEL etc., see docs/shaders.md).
struct CrowdLimits {
  int maxFeeds = 256;
};

// Translates `doc` (and the companion vertex shader's text, empty for the default one) for a GL
// 3.3 core context: old GLSL (gl_FragColor, texture2D, varying, attribute, #version lines) is
// rewritten in place without moving lines; ISF built-ins, inputs, pass targets, imported images,
// IMG_* functions and the crowd functions are declared before the artist's code.
Sources translate(const Document& doc, std::string_view vertexBody, const CrowdLimits& limits);

// Rewrites a GLSL compiler/linker log so that artist lines read "FILE:LINE:COL: error: ..."
// (Mesa "0:12(5): error:", NVIDIA "0(12) : error", AMD "ERROR: 0:12:" forms). Lines of source
// string 1 are reported as "tessera preamble:LINE: ...". Other lines pass unchanged.
std::string remapLog(std::string_view log, const std::string& fileName);

}  // namespace tessera::render::isf
