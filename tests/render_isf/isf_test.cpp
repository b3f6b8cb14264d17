#include "render/isf/isf.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <string>

using namespace tessera::render::isf;

namespace {

// An ISF file: the header comment, then a one-line fragment body.
std::string isf(const std::string& json) {
  return "/*" + json + "*/\nvoid main() { gl_FragColor = vec4(1.0); }\n";
}

Document parseOk(const std::string& source) {
  Problem problem;
  std::optional<Document> doc = parse(source, &problem);
  INFO(source);
  INFO("problem at line " << problem.line << ": " << problem.message);
  REQUIRE(doc.has_value());
  return *doc;
}

Problem parseBad(const std::string& source) {
  Problem problem;
  INFO(source);
  REQUIRE_FALSE(parse(source, &problem).has_value());
  CHECK_FALSE(problem.message.empty());
  return problem;
}

int countLines(std::string_view s) {
  return static_cast<int>(std::count(s.begin(), s.end(), '\n'));
}

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

// The artist's line `n` (1-based) of the translated fragment source, counting from "#line 1 0".
std::string artistLine(const std::string& source, int n) {
  std::size_t pos = source.find("#line 1 0\n");
  REQUIRE(pos != std::string::npos);
  pos += 10;
  for (int i = 1; i < n; ++i) pos = source.find('\n', pos) + 1;
  return source.substr(pos, source.find('\n', pos) - pos);
}

const std::vector<std::string> kKnown{"$WIDTH", "$HEIGHT", "amount"};

double evaluate(const std::string& text) {
  std::string error;
  std::optional<Expression> e = Expression::parse(text, kKnown, &error);
  INFO(text << ": " << error);
  REQUIRE(e.has_value());
  CHECK(e->text() == text);
  return e->evaluate([](std::string_view name) {
    if (name == "$WIDTH") return 1920.0;
    if (name == "$HEIGHT") return 1080.0;
    if (name == "amount") return 3.0;
    return 0.0;
  });
}

}  // namespace

TEST_CASE("each input type reads DEFAULT, MIN, MAX and IDENTITY", "[isf][parse]") {
  struct Row {
    std::string input;
    InputType type;
    Value defaultValue;
    std::optional<Value> min, max, identity;
  };
  const std::vector<Row> rows{
      {R"({"NAME": "go", "TYPE": "event"})", InputType::kEvent, {0, 0, 0, 0}, {}, {}, {}},
      {R"({"NAME": "on", "TYPE": "bool", "DEFAULT": true})",
       InputType::kBool,
       {1, 0, 0, 0},
       {},
       {},
       {}},
      {R"({"NAME": "on", "TYPE": "bool", "DEFAULT": 0.0})",
       InputType::kBool,
       {0, 0, 0, 0},
       {},
       {},
       {}},
      {R"({"NAME": "on", "TYPE": "bool", "DEFAULT": 2})",
       InputType::kBool,
       {1, 0, 0, 0},
       {},
       {},
       {}},
      {R"({"NAME": "n", "TYPE": "long", "DEFAULT": 2, "MIN": 0, "MAX": 3})",
       InputType::kLong,
       {2, 0, 0, 0},
       Value{0, 0, 0, 0},
       Value{3, 0, 0, 0},
       {}},
      {R"({"NAME": "n", "TYPE": "long", "DEFAULT": 1.6})",
       InputType::kLong,
       {2, 0, 0, 0},
       {},
       {},
       {}},
      {R"({"NAME": "x", "TYPE": "float", "DEFAULT": 0.5, "MIN": -1, "MAX": 2.5, "IDENTITY": 0.25})",
       InputType::kFloat,
       {0.5f, 0, 0, 0},
       Value{-1, 0, 0, 0},
       Value{2.5f, 0, 0, 0},
       Value{0.25f, 0, 0, 0}},
      {R"({"NAME": "x", "TYPE": "float"})", InputType::kFloat, {0, 0, 0, 0}, {}, {}, {}},
      {R"({"NAME": "p", "TYPE": "point2D", "DEFAULT": [0.5, 0.25], "MIN": [0, 0], "MAX": [1, 2]})",
       InputType::kPoint2D,
       {0.5f, 0.25f, 0, 0},
       Value{0, 0, 0, 0},
       Value{1, 2, 0, 0},
       {}},
      {R"({"NAME": "c", "TYPE": "color", "DEFAULT": [1, 0, 0]})",
       InputType::kColor,
       {1, 0, 0, 1},
       {},
       {},
       {}},
      {R"({"NAME": "c", "TYPE": "color", "DEFAULT": [0, 1, 0, 0.5], "IDENTITY": [1, 1, 1, 1]})",
       InputType::kColor,
       {0, 1, 0, 0.5f},
       {},
       {},
       Value{1, 1, 1, 1}},
      {R"({"NAME": "c", "TYPE": "color"})", InputType::kColor, {0, 0, 0, 1}, {}, {}, {}},
      {R"({"NAME": "img", "TYPE": "image"})", InputType::kImage, {0, 0, 0, 0}, {}, {}, {}},
      {R"({"NAME": "snd", "TYPE": "audio"})", InputType::kAudio, {0, 0, 0, 0}, {}, {}, {}},
      {R"({"NAME": "fft", "TYPE": "audioFFT"})", InputType::kAudioFft, {0, 0, 0, 0}, {}, {}, {}},
  };
  for (const Row& row : rows) {
    const Document doc = parseOk(isf(R"({"INPUTS": [)" + row.input + "]}"));
    INFO(row.input);
    REQUIRE(doc.inputs.size() == 1);
    const Input& input = doc.inputs[0];
    CHECK(input.type == row.type);
    CHECK(input.uniform == input.name);
    CHECK(input.defaultValue == row.defaultValue);
    CHECK(input.min == row.min);
    CHECK(input.max == row.max);
    CHECK(input.identity == row.identity);
    CHECK(std::string(toString(input.type)) ==
          doc.inputs[0].name.substr(0, 0) + toString(row.type));
  }
}

TEST_CASE("type names and component counts", "[isf][parse]") {
  const std::map<InputType, std::pair<std::string, int>> expected{
      {InputType::kEvent, {"event", 1}},      {InputType::kBool, {"bool", 1}},
      {InputType::kLong, {"long", 1}},        {InputType::kFloat, {"float", 1}},
      {InputType::kPoint2D, {"point2D", 2}},  {InputType::kColor, {"color", 4}},
      {InputType::kImage, {"image", 0}},      {InputType::kAudio, {"audio", 0}},
      {InputType::kAudioFft, {"audioFFT", 0}}};
  for (const auto& [type, nameCount] : expected) {
    CHECK(toString(type) == nameCount.first);
    CHECK(componentCount(type) == nameCount.second);
  }
}

TEST_CASE("long inputs: VALUES and LABELS, or MIN..MAX", "[isf][parse]") {
  Document doc = parseOk(isf(R"({"INPUTS": [{"NAME": "mode", "TYPE": "long", "DEFAULT": 1,
      "VALUES": [0, 1, 5], "LABELS": ["Off", "On", "Five"], "LABEL": "Mode"}]})"));
  CHECK(doc.inputs[0].values == std::vector<int>{0, 1, 5});
  CHECK(doc.inputs[0].labels == std::vector<std::string>{"Off", "On", "Five"});
  CHECK(doc.inputs[0].label == "Mode");

  doc = parseOk(isf(R"({"INPUTS": [{"NAME": "n", "TYPE": "long", "MIN": -1, "MAX": 2}]})"));
  CHECK(doc.inputs[0].values == std::vector<int>{-1, 0, 1, 2});
  CHECK(doc.inputs[0].labels.empty());

  // Near the largest integer a float holds exactly.
  doc = parseOk(isf(R"({"INPUTS": [{"NAME": "n", "TYPE": "long", "MIN": 16777200,
      "MAX": 16777216}]})"));
  CHECK(doc.inputs[0].values.size() == 17);
  CHECK(doc.inputs[0].values.back() == 16777216);
  CHECK(contains(
      parseBad(isf(R"({"INPUTS": [{"NAME": "n", "TYPE": "long", "MAX": 16777217}]})")).message,
      "integer"));

  // A huge range is not spelled out.
  doc = parseOk(isf(R"({"INPUTS": [{"NAME": "n", "TYPE": "long", "MIN": 0, "MAX": 1000000}]})"));
  CHECK(doc.inputs[0].values.empty());
}

TEST_CASE("audio MAX is the sample count", "[isf][parse]") {
  const Document doc =
      parseOk(isf(R"({"INPUTS": [{"NAME": "wave", "TYPE": "audio", "MAX": 256}]})"));
  CHECK(doc.inputs[0].maxSamples == 256);
  CHECK_FALSE(doc.inputs[0].max.has_value());
}

TEST_CASE("metadata, passes and the body", "[isf][parse]") {
  const std::string source = R"(
/*{
  "ISFVSN": "2.0",
  "DESCRIPTION": "d",
  "CREDIT": "c",
  "CATEGORIES": ["Blur", "Crowd"],
  "INPUTS": [{"NAME": "inputImage", "TYPE": "image"}],
  "PASSES": [
    {"TARGET": "small", "PERSISTENT": true, "FLOAT": true, "WIDTH": 64, "HEIGHT": "$HEIGHT/2"},
    {"TARGET": "", "WIDTH": 0.5}
  ]
}*/
void main() {
  gl_FragColor = IMG_THIS_PIXEL(small);
}
)";
  const Document doc = parseOk(source);
  CHECK(doc.dialect == Dialect::kIsf);
  CHECK(doc.isfVersion == "2.0");
  CHECK(doc.description == "d");
  CHECK(doc.credit == "c");
  CHECK(doc.categories == std::vector<std::string>{"Blur", "Crowd"});
  CHECK(doc.isFilter());
  REQUIRE(doc.passes.size() == 2);
  CHECK(doc.passes[0].target == "small");
  CHECK(doc.passes[0].persistent);
  CHECK(doc.passes[0].floatTarget);
  CHECK(doc.passes[0].widthExpr == "64");
  CHECK(doc.passes[0].heightExpr == "$HEIGHT/2");
  CHECK(doc.passes[1].target.empty());
  CHECK_FALSE(doc.passes[1].persistent);
  CHECK(doc.passes[1].widthExpr == "0.5");
  CHECK(doc.passes[1].heightExpr.empty());

  // The header is blanked in place: same size, same lines, same columns.
  CHECK(doc.body.size() == source.size());
  CHECK(countLines(doc.body) == countLines(source));
  CHECK(doc.body.find("ISFVSN") == std::string::npos);
  const auto at = [](const std::string& s, std::string_view what) { return s.find(what); };
  CHECK(at(doc.body, "gl_FragColor = IMG") == at(source, "gl_FragColor = IMG"));
}

TEST_CASE("defaults: ISFVSN 2, one pass, no filter", "[isf][parse]") {
  const Document doc = parseOk("  \n/*{}*/ void main() {}");
  CHECK(doc.isfVersion == "2");
  REQUIRE(doc.passes.size() == 1);
  CHECK(doc.passes[0].target.empty());
  CHECK(doc.inputs.empty());
  CHECK_FALSE(doc.isFilter());
  CHECK(doc.body == "  \n       void main() {}");

  CHECK(parseOk(isf(R"({"ISFVSN": 2, "PASSES": []})")).isfVersion == "2");
  CHECK(parseOk(isf(R"({"PASSES": []})")).passes.size() == 1);
  // inputImage must be an image to make a filter.
  CHECK_FALSE(parseOk(isf(R"({"INPUTS": [{"NAME": "inputImage", "TYPE": "float"}]})")).isFilter());
  // JSON comments are allowed, and a byte order mark before the header.
  CHECK(parseOk("\xEF\xBB\xBF/*{ // note\n \"INPUTS\": [] }*/").passes.size() == 1);
}

TEST_CASE("IMPORTED: ISF 2 object and ISF 1 array", "[isf][parse]") {
  Document doc = parseOk(isf(R"({"IMPORTED": {"noise": {"PATH": "noise.png"},
                                             "logo": {"PATH": "img/logo.png"}}})"));
  REQUIRE(doc.imported.size() == 2);
  std::map<std::string, std::string> byName;
  for (const Imported& i : doc.imported) byName[i.name] = i.path.string();
  CHECK(byName ==
        std::map<std::string, std::string>{{"noise", "noise.png"}, {"logo", "img/logo.png"}});

  doc = parseOk(isf(R"({"IMPORTED": [{"NAME": "noise", "PATH": "noise.png"}]})"));
  REQUIRE(doc.imported.size() == 1);
  CHECK(doc.imported[0].name == "noise");
  CHECK(doc.imported[0].path == "noise.png");
}

TEST_CASE("ISF 1 PERSISTENT_BUFFERS mark pass targets persistent", "[isf][parse]") {
  Document doc = parseOk(isf(R"({"PERSISTENT_BUFFERS": ["trail"],
      "PASSES": [{"TARGET": "trail"}, {"TARGET": "other"}, {}]})"));
  REQUIRE(doc.passes.size() == 3);
  CHECK(doc.passes[0].persistent);
  CHECK_FALSE(doc.passes[1].persistent);
  CHECK_FALSE(doc.passes[2].persistent);

  doc = parseOk(isf(R"({"PERSISTENT_BUFFERS": {"trail": {"WIDTH": "$WIDTH/4", "FLOAT": true}},
      "PASSES": [{"TARGET": "trail"}, {}]})"));
  CHECK(doc.passes[0].persistent);
  CHECK(doc.passes[0].floatTarget);
  CHECK(doc.passes[0].widthExpr == "$WIDTH/4");
  CHECK(doc.passes[0].heightExpr.empty());
}

TEST_CASE("ShaderToy: no JSON header and a mainImage", "[isf][parse]") {
  const std::string source =
      "// Plasma\n/* not json */\n"
      "void mainImage(out vec4 fragColor, in vec2 fragCoord) { fragColor = vec4(1.0); }\n";
  const Document doc = parseOk(source);
  CHECK(doc.dialect == Dialect::kShaderToy);
  CHECK(doc.body == source);
  REQUIRE(doc.passes.size() == 1);
  REQUIRE(doc.inputs.size() == 5);
  for (int i = 0; i < 4; ++i) {
    CHECK(doc.inputs[i].name == "iChannel" + std::to_string(i));
    CHECK(doc.inputs[i].uniform == doc.inputs[i].name);
    CHECK(doc.inputs[i].type == InputType::kImage);
  }
  const Input* mouse = doc.findInput("iMouse");
  REQUIRE(mouse != nullptr);
  CHECK(mouse->type == InputType::kPoint2D);
  CHECK(mouse->uniform == "tessera_iMouse");
  CHECK(doc.findInput("iChannel4") == nullptr);

  // A leading comment that is not a JSON object does not make an ISF file.
  CHECK(parseOk("/*{ Plasma by me }*/\nvoid mainImage(out vec4 c, vec2 p) {}").dialect ==
        Dialect::kShaderToy);
  // So does a broken JSON header when the code has a mainImage (without one it is an error).
  CHECK(parseOk("/*{\"a\": }*/\nvoid mainImage(out vec4 c, vec2 p) {}").dialect ==
        Dialect::kShaderToy);
  // An ISF header wins over a mainImage in the code.
  CHECK(parseOk(isf("{}") + "void mainImage() {}").dialect == Dialect::kIsf);
  // mainImage only in a comment, or as part of a longer name, is not ShaderToy.
  CHECK(parseBad("// mainImage\nvoid main() {}").message.find("neither") != std::string::npos);
  CHECK(parseBad("void mainImage2() {}").message.find("ShaderToy") != std::string::npos);
}

TEST_CASE("the canvas input: inputImage for ISF filters, iChannel0 for ShaderToy reading it",
          "[isf][parse]") {
  const std::string toy = "void mainImage(out vec4 c, vec2 p) { c = texture(iChannel0, p); }";
  CHECK(std::string(parseOk(toy).canvasInput()) == "iChannel0");
  CHECK(parseOk(toy).isFilter());
  // iChannel0 only in a comment, or another channel: it draws on its own.
  const std::string comment = "// iChannel0\nvoid mainImage(out vec4 c, vec2 p) { c = vec4(1.0); }";
  CHECK(parseOk(comment).canvasInput() == nullptr);
  const std::string other = "void mainImage(out vec4 c, vec2 p) { c = texture(iChannel1, p); }";
  CHECK_FALSE(parseOk(other).isFilter());
  const Document filter = parseOk(isf(R"({"INPUTS": [{"NAME": "inputImage", "TYPE": "image"}]})"));
  CHECK(std::string(filter.canvasInput()) == "inputImage");
  const Document image = parseOk(isf(R"({"INPUTS": [{"NAME": "other", "TYPE": "image"}]})"));
  CHECK(image.canvasInput() == nullptr);
}

TEST_CASE("bad headers name the problem and its line", "[isf][parse]") {
  struct Row {
    std::string source;
    int line;
    std::string message;  // a part of the message
  };
  const std::vector<Row> rows{
      {"/*{\n  \"INPUTS\": [\n    {\"NAME\": \"a\", \"TYPE\": \"float\",}\n  ]\n}*/", 3,
       "ISF header JSON"},
      {"\n\n/*{\n\"DESCRIPTION\": \"x\"\n\"CREDIT\": \"y\"}*/", 5, "JSON"},
      {"/*{\"INPUTS\": [", 1, "never closed"},
      {"/*{\"INPUTS\": [*/", 1, "JSON"},
      {"/*{\"INPUTS\": {}}*/", 1, "INPUTS must be an array"},
      {"/*{\"INPUTS\": [\n 3\n]}*/", 1, "not an object"},
      {"/*{\n\"INPUTS\": [\n {\"TYPE\": \"float\"}\n]}*/", 2, "no NAME"},
      {"/*{\n\"INPUTS\": [\n {\"NAME\": \"a\"}\n]}*/", 3, "no TYPE"},
      {"/*{\n\"INPUTS\": [\n{\"NAME\": \"ok\", \"TYPE\": \"float\"},\n"
       " {\"NAME\": \"a\", \"TYPE\": \"floaty\"}\n]}*/",
       4, "unknown TYPE \"floaty\""},
      {"/*{\"INPUTS\": [{\"NAME\": \"a\", \"TYPE\": \"Float\"}]}*/", 1, "unknown TYPE"},
      {"/*{\"INPUTS\": [\n{\"NAME\": \"a\", \"TYPE\": \"float\"},\n"
       "{\"NAME\": \"a\", \"TYPE\": \"bool\"}]}*/",
       2, "used twice"},
      {"/*{\"INPUTS\": [\n\n{\"NAME\": \"2a\", \"TYPE\": \"float\"}]}*/", 3,
       "not a GLSL identifier"},
      {"/*{\"INPUTS\": [{\"NAME\": \"a-b\", \"TYPE\": \"float\"}]}*/", 1, "not a GLSL identifier"},
      {"/*{\"INPUTS\": [{\"NAME\": \"\", \"TYPE\": \"float\"}]}*/", 1, "empty"},
      {"/*{\"INPUTS\": [{\"NAME\": \"gl_Thing\", \"TYPE\": \"float\"}]}*/", 1, "gl_"},
      {"/*{\"INPUTS\": [{\"NAME\": \"tessera_x\", \"TYPE\": \"float\"}]}*/", 1, "tessera_"},
      {"/*{\"INPUTS\": [{\"NAME\": \"a__b\", \"TYPE\": \"float\"}]}*/", 1, "__"},
      {"/*{\"INPUTS\": [{\"NAME\": \"uniform\", \"TYPE\": \"float\"}]}*/", 1, "keyword"},
      {"/*{\"INPUTS\": [{\"NAME\": 5, \"TYPE\": \"float\"}]}*/", 1, "no NAME"},
      {"/*{\"INPUTS\": [{\"NAME\": \"a\", \"TYPE\": \"float\", \"LABEL\": 3}]}*/", 1, "LABEL"},
      {"/*{\"INPUTS\": [{\"NAME\": \"a\", \"TYPE\": \"float\", \"DEFAULT\": \"1\"}]}*/", 1,
       "DEFAULT must be a number"},
      {"/*{\"INPUTS\": [{\"NAME\": \"a\", \"TYPE\": \"float\", \"MAX\": [1]}]}*/", 1, "MAX"},
      {"/*{\"INPUTS\": [{\"NAME\": \"a\", \"TYPE\": \"float\", \"DEFAULT\": 1e300}]}*/", 1,
       "DEFAULT"},
      {"/*{\"INPUTS\": [{\"NAME\": \"a\", \"TYPE\": \"bool\", \"DEFAULT\": \"yes\"}]}*/", 1,
       "true, false"},
      {"/*{\"INPUTS\": [{\"NAME\": \"a\", \"TYPE\": \"long\", \"DEFAULT\": 1e12}]}*/", 1,
       "integer"},
      {"/*{\"INPUTS\": [{\"NAME\": \"a\", \"TYPE\": \"long\", \"VALUES\": [1, \"x\"]}]}*/", 1,
       "VALUES"},
      {"/*{\"INPUTS\": [{\"NAME\": \"a\", \"TYPE\": \"long\", \"VALUES\": [1, 2],"
       " \"LABELS\": [\"x\"]}]}*/",
       1, "1 LABELS for 2 VALUES"},
      {"/*{\"INPUTS\": [{\"NAME\": \"a\", \"TYPE\": \"long\", \"LABELS\": [1]}]}*/", 1, "LABELS"},
      {"/*{\"INPUTS\": [\n{\"NAME\": \"p\", \"TYPE\": \"point2D\", \"DEFAULT\": [1, 2, 3]}]}*/", 2,
       "[x, y]"},
      {"/*{\"INPUTS\": [{\"NAME\": \"p\", \"TYPE\": \"point2D\", \"MIN\": 0}]}*/", 1, "MIN"},
      {"/*{\"INPUTS\": [{\"NAME\": \"c\", \"TYPE\": \"color\", \"DEFAULT\": [1, 2]}]}*/", 1,
       "[r, g, b]"},
      {"/*{\"INPUTS\": [{\"NAME\": \"c\", \"TYPE\": \"color\", \"DEFAULT\": [1, 2, \"3\"]}]}*/", 1,
       "[r, g, b]"},
      {"/*{\"INPUTS\": [{\"NAME\": \"s\", \"TYPE\": \"audio\", \"MAX\": -1}]}*/", 1, "MAX"},
      {"/*{\"PASSES\": {}}*/", 1, "PASSES must be an array"},
      {"/*{\n\"PASSES\": [\n 1]}*/", 2, "not an object"},
      {"/*{\"PASSES\": [{\"TARGET\": 1}]}*/", 1, "TARGET must be a string"},
      {"/*{\"PASSES\": [\n{\"TARGET\": \"a\"},\n{\"TARGET\": \"a\"}]}*/", 2, "used twice"},
      {"/*{\"INPUTS\": [\n{\"NAME\": \"a\", \"TYPE\": \"float\"}],\n"
       "\"PASSES\": [\n{\"TARGET\": \"a\"}]}*/",
       4, "used twice"},
      {"/*{\"PASSES\": [{\"TARGET\": \"TIME\"}]}*/", 1, "built-in"},
      {"/*{\"PASSES\": [{\"TARGET\": \"x y\"}]}*/", 1, "identifier"},
      {"/*{\"PASSES\": [{\"PERSISTENT\": \"yes\"}]}*/", 1, "PERSISTENT"},
      {"/*{\"PASSES\": [{\"WIDTH\": [1]}]}*/", 1, "WIDTH must be"},
      {"/*{\"PASSES\": [\n{\"TARGET\": \"t\", \"WIDTH\": \"$WIDTH/\"}]}*/", 2, "column"},
      {"/*{\"PASSES\": [{\"HEIGHT\": \"$DEPTH\"}]}*/", 1, "unknown name"},
      {"/*{\"IMPORTED\": 3}*/", 1, "IMPORTED must be"},
      {"/*{\"IMPORTED\": {\n\"tex\": {\"PATH\": 3}}}*/", 2, "PATH"},
      {"/*{\"IMPORTED\": {\"tex\": {\"PATH\": [\"a\", \"b\"]}}}*/", 1, "cube"},
      {"/*{\"IMPORTED\": [{\"PATH\": \"a.png\"}]}*/", 1, "NAME"},
      {"/*{\"IMPORTED\": {\"IMG_PIXEL\": {\"PATH\": \"a.png\"}}}*/", 1, "built-in"},
      {"/*{\"INPUTS\": [{\"NAME\": \"t\", \"TYPE\": \"image\"}], "
       "\"IMPORTED\": {\"t\": {\"PATH\": \"a.png\"}}}*/",
       1, "used twice"},
      {"/*{\"PERSISTENT_BUFFERS\": 3}*/", 1, "PERSISTENT_BUFFERS"},
      {"/*{\"PERSISTENT_BUFFERS\": [3]}*/", 1, "PERSISTENT_BUFFERS"},
      {"void main() {}", 1, "neither an ISF header"},
      {"", 1, "neither"},
      {"\n\n/* a licence */\nvoid main() {}", 3, "neither"},
  };
  for (const Row& row : rows) {
    const Problem problem = parseBad(row.source);
    INFO(row.source << "\n-> line " << problem.line << ": " << problem.message);
    CHECK(problem.line == row.line);
    CHECK(contains(problem.message, row.message));
  }
}

TEST_CASE("every built-in name is refused as an input name", "[isf][parse]") {
  for (const char* name :
       {"TIME",         "TIMEDELTA",         "FRAMEINDEX",       "DATE",        "RENDERSIZE",
        "PASSINDEX",    "isf_FragNormCoord", "FEED_COUNT",       "FEED_MAX",    "CROWD_COUNT",
        "CROWD_COLOR",  "CROWD_MOTION",      "CROWD_BRIGHTNESS", "CROWD_FACES", "FEED_PIXEL",
        "FEED_RECT",    "FEED_SCORES",       "FEED_COLOR",       "FEED_ID",     "tessera_feedData",
        "gl_FragColor", "FEED_NEXT",         "CROWD_TAPS"}) {
    INFO(name);
    const Problem problem =
        parseBad(isf(std::string(R"({"INPUTS": [{"NAME": ")") + name + R"(", "TYPE": "float"}]})"));
    CHECK(contains(problem.message, name));
  }
  const Problem reactions =
      parseBad(isf(R"({"INPUTS": [{"NAME": "CROWD_REACTIONS", "TYPE": "float"}]})"));
  CHECK(contains(reactions.message, "CROWD_REACTIONS"));
}

TEST_CASE("a JSON error is placed at its line and column in the file", "[isf][parse]") {
  const Problem problem = parseBad("// x\n/* not first */\n");  // neither
  CHECK(problem.line == 1);
  const Problem json = parseBad("\n/*{\n  \"A\": 1,\n  \"B\" 2\n}*/\nvoid main() {}");
  CHECK(json.line == 4);
  CHECK(json.column == 7);
  CHECK_FALSE(contains(json.message, "json.exception"));
}

TEST_CASE("a multi-pass blur in the style of the ISF examples", "[isf][parse][expression]") {
  const std::string source = R"isf(/*{
	"CREDIT": "tessera tests, after the ISF multi-pass blur examples",
	"ISFVSN": "2",
	"CATEGORIES": ["Blur"],
	"INPUTS": [
		{"NAME": "inputImage", "TYPE": "image"},
		{"NAME": "blurAmount", "TYPE": "float", "MIN": 0.0, "MAX": 24.0, "DEFAULT": 12.0}
	],
	"PASSES": [
		{"TARGET": "thirdSize", "WIDTH": "floor($WIDTH/3.0)", "HEIGHT": "floor($HEIGHT/3.0)"},
		{"TARGET": "twelfthSize", "WIDTH": "floor($WIDTH/12.0)", "HEIGHT": "floor($HEIGHT/12.0)"},
		{"TARGET": "horizontal", "WIDTH": "floor($WIDTH/12.0)", "HEIGHT": "floor($HEIGHT/12.0)"},
		{"TARGET": "vertical", "WIDTH": "max(1.0, floor($WIDTH/($blurAmount + 1.0)))",
		 "HEIGHT": "ceil(HEIGHT / 7)"},
		{}
	]
}*/

void main() {
	if (PASSINDEX == 0) {
		gl_FragColor = IMG_NORM_PIXEL(inputImage, isf_FragNormCoord);
	} else if (PASSINDEX == 1) {
		gl_FragColor = IMG_NORM_PIXEL(thirdSize, isf_FragNormCoord);
	} else {
		vec4 sum = texture2D(twelfthSize, vv_FragNormCoord) + IMG_THIS_PIXEL(horizontal);
		gl_FragColor = sum * 0.5 + IMG_THIS_PIXEL(vertical) * 0.0;
	}
}
)isf";
  const Document doc = parseOk(source);
  CHECK(doc.isFilter());
  REQUIRE(doc.passes.size() == 5);
  std::vector<std::string> known{"$WIDTH", "$HEIGHT"};
  for (const Input& input : doc.inputs) known.push_back(input.name);
  const auto lookup = [](std::string_view name) {
    if (name == "$WIDTH") return 1920.0;
    if (name == "$HEIGHT") return 1080.0;
    if (name == "blurAmount") return 11.0;
    return 0.0;
  };
  const std::vector<std::pair<double, double>> sizes{{640, 360}, {160, 90}, {160, 90}, {160, 155}};
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    INFO("pass " << i);
    std::string error;
    const auto width = Expression::parse(doc.passes[i].widthExpr, known, &error);
    const auto height = Expression::parse(doc.passes[i].heightExpr, known, &error);
    REQUIRE(width);
    REQUIRE(height);
    CHECK(width->evaluate(lookup) == sizes[i].first);
    CHECK(height->evaluate(lookup) == sizes[i].second);
  }
  CHECK(doc.passes[4].target.empty());
  CHECK(doc.passes[4].widthExpr.empty());

  const Sources sources = translate(doc, "", CrowdLimits{});
  for (const char* target : {"thirdSize", "twelfthSize", "horizontal", "vertical"}) {
    CHECK(contains(sources.fragment, std::string("uniform sampler2D ") + target + ";"));
  }
  CHECK(artistLine(sources.fragment, 25) ==
        "\t\tvec4 sum = texture(twelfthSize, vv_FragNormCoord) + IMG_THIS_PIXEL(horizontal);");
  CHECK(artistLine(sources.fragment, 26) ==
        "\t\tisf_FragColor = sum * 0.5 + IMG_THIS_PIXEL(vertical) * 0.0;");
}

TEST_CASE("expressions evaluate", "[isf][expression]") {
  const std::vector<std::pair<std::string, double>> rows{
      {"1", 1},
      {" 2.5 ", 2.5},
      {".5", 0.5},
      {"1e3", 1000},
      {"2.5E-1", 0.25},
      {"$WIDTH", 1920},
      {"WIDTH", 1920},
      {"$WIDTH/2", 960},
      {"$WIDTH / 3.0", 640},
      {"amount", 3},
      {"$amount * 2", 6},
      {"1 + 2 * 3", 7},
      {"(1 + 2) * 3", 9},
      {"10 - 4 - 3", 3},
      {"24 / 4 / 2", 3},
      {"-2 * -3", 6},
      {"--2", 2},
      {"+4", 4},
      {"-(1 + 2)", -3},
      {"floor($WIDTH/7)", 274},
      {"ceil(1.2)", 2},
      {"round(2.5)", 3},
      {"round(-2.5)", -3},
      {"abs(-4)", 4},
      {"sqrt(16)", 4},
      {"sqrt(-16)", 0},
      {"max($WIDTH, $HEIGHT)", 1920},
      {"min($WIDTH, $HEIGHT)", 1080},
      {"pow(2, 10)", 1024},
      {"pow(-8, 0.5)", 0},
      {"1 / 0", 0},
      {"$WIDTH / (amount - 3)", 0},
      {"1e308 * 1e308", 0},
      {"max(1.0, floor($WIDTH / ($amount + 1.0)))", 480},
      {"((((((1))))))", 1},
  };
  for (const auto& [text, expected] : rows) {
    INFO(text);
    CHECK(evaluate(text) == Approx(expected));
  }
}

TEST_CASE("names unknown to lookup count as 0; NaN from lookup gives 0", "[isf][expression]") {
  std::string error;
  const auto e = Expression::parse("$WIDTH + 1", kKnown, &error);
  REQUIRE(e);
  CHECK(e->evaluate([](std::string_view) { return 0.0; }) == 1);
  CHECK(e->evaluate([](std::string_view) { return std::nan(""); }) == 1);
  CHECK(e->evaluate(nullptr) == 1);
}

TEST_CASE("bad expressions say what and where", "[isf][expression]") {
  const std::vector<std::pair<std::string, std::string>> rows{
      {"", "empty"},
      {"   ", "empty"},
      {"1 +", "unexpected end at column 4"},
      {"(1", "expected \")\" at column 3"},
      {"1)", "unexpected \")\" at column 2"},
      {"2 3", "unexpected \"3\" at column 3"},
      {"$DEPTH", "unknown name \"$DEPTH\" at column 1"},
      {"1 + other", "unknown name \"other\" at column 5"},
      {"$", "expected a name after \"$\" at column 1"},
      {"$1", "expected a name"},
      {"cos(1)", "unknown function \"cos\" at column 1"},
      {"floor(1, 2)", "floor() takes 1 argument"},
      {"max(1)", "max() takes 2 arguments"},
      {"max(1, 2, 3)", "max() takes 2 arguments"},
      {"1..2", "bad number \"1..2\" at column 1"},
      {"1 % 2", "unexpected \"%\" at column 3"},
      {"$max(1, 2)", "unknown name"},
      {std::string(40, '(') + "1" + std::string(40, ')'), "ok"},
      {std::string(100, '(') + "1" + std::string(100, ')'), "nested too deeply"},
      {std::string(1000, '-') + "1", "nested too deeply"},
      {std::string(2000, '1'), "longer than 1024"},
  };
  for (const auto& [text, message] : rows) {
    INFO(text);
    std::string error;
    const auto e = Expression::parse(text, kKnown, &error);
    if (message == "ok") {
      CHECK(e.has_value());
      continue;
    }
    CHECK_FALSE(e.has_value());
    INFO(error);
    CHECK(contains(error, message));
  }
}

TEST_CASE("translation rewrites whole identifiers outside comments", "[isf][translate]") {
  const std::string body =
      "#version 120\n"
      "#extension GL_OES_standard_derivatives : enable\n"
      "varying vec2 uv;\n"
      "float my_gl_FragColor = 1.0;\n"
      "// gl_FragColor texture2D stays in a comment\n"
      "/* texture2D(\n varying */ float texture2Dx = 2.0;\n"
      "void main() {\n"
      "  vec4 a = texture2D(img, uv) + texture2DProj(img, vec3(uv, 1.0));\n"
      "  vec4 b = texture2DLod(img, uv, 0.0) + texture2DRect(img, uv) + textureCube(cube, "
      "vec3(1));\n"
      "  gl_FragData [ 0 ] = a;\n"
      "  gl_FragColor = b * 1.0e2;\n"
      "}";
  Document doc;
  doc.body = body;
  doc.passes.emplace_back();
  const Sources sources = translate(doc, "", CrowdLimits{});
  const std::string& f = sources.fragment;

  CHECK(
      f.starts_with("#version 330 core\n#line 2 0\n"
                    "#extension GL_OES_standard_derivatives : enable\n#line 1 1\n"));
  const std::string code = f.substr(f.find("#line 1 0\n") + 10);
  CHECK(countLines(code) == countLines(body));
  CHECK(artistLine(f, 1) == "");
  CHECK(artistLine(f, 2) == "");
  CHECK(artistLine(f, 3) == "in vec2 uv;");
  CHECK(artistLine(f, 4) == "float my_gl_FragColor = 1.0;");
  CHECK(artistLine(f, 5) == "// gl_FragColor texture2D stays in a comment");
  CHECK(artistLine(f, 6) == "/* texture2D(");
  CHECK(artistLine(f, 7) == " varying */ float texture2Dx = 2.0;");
  CHECK(artistLine(f, 9) == "  vec4 a = texture(img, uv) + textureProj(img, vec3(uv, 1.0));");
  CHECK(artistLine(f, 10) ==
        "  vec4 b = textureLod(img, uv, 0.0) + texture(img, uv) + texture(cube, vec3(1));");
  CHECK(artistLine(f, 11) == "  isf_FragColor = a;");
  CHECK(artistLine(f, 12) == "  isf_FragColor = b * 1.0e2;");
  CHECK(f.ends_with("}"));
  CHECK_FALSE(contains(f, "#version 120"));

  // The default vertex shader.
  const std::string& v = sources.vertex;
  CHECK(v.starts_with("#version 330 core\n#line 1 1\n"));
  CHECK(contains(v, "out vec2 isf_FragNormCoord;"));
  CHECK(contains(v, "void isf_vertShaderInit() {"));
  CHECK(contains(v, "vec2 corner = vec2(gl_VertexID & 1, (gl_VertexID >> 1) & 1);"));
  CHECK(v.ends_with("void main() { isf_vertShaderInit(); }\n"));
  CHECK_FALSE(contains(v, "#line 1 0"));
  CHECK(translate(doc, " \n\t", CrowdLimits{}).vertex == v);
}

TEST_CASE("a companion vertex shader is rewritten for the vertex stage", "[isf][translate]") {
  Document doc;
  doc.passes.emplace_back();
  doc.body = "varying vec2 p;\nvoid main() { gl_FragColor = vec4(p, 0.0, 1.0); }\n";
  const std::string vertexBody =
      "attribute vec2 a;\nvarying vec2 p;\nvoid main() {\n  isf_vertShaderInit();\n"
      "  p = texture2D(img, a).xy + IMG_NORM_PIXEL(img, a).xy;\n}\n";
  const Sources sources = translate(doc, vertexBody, CrowdLimits{});
  const std::string& v = sources.vertex;
  CHECK(artistLine(v, 1) == "in vec2 a;");
  CHECK(artistLine(v, 2) == "out vec2 p;");
  CHECK(artistLine(v, 5) == "  p = texture(img, a).xy + IMG_NORM_PIXEL(img, a).xy;");
  CHECK_FALSE(contains(v, "void main() { isf_vertShaderInit(); }"));
  CHECK(contains(v, "#define IMG_NORM_PIXEL(img, coord) textureLod(img, coord, 0.0)"));
  CHECK(contains(v, "textureLod(tessera_feedRgba, p, 0.0)"));
  CHECK(artistLine(sources.fragment, 1) == "in vec2 p;");
}

TEST_CASE("the preamble declares every input, target and imported image", "[isf][translate]") {
  const Document doc = parseOk(isf(R"({
    "INPUTS": [
      {"NAME": "go", "TYPE": "event"}, {"NAME": "on", "TYPE": "bool"},
      {"NAME": "mode", "TYPE": "long"}, {"NAME": "amount", "TYPE": "float"},
      {"NAME": "center", "TYPE": "point2D"}, {"NAME": "tint", "TYPE": "color"},
      {"NAME": "inputImage", "TYPE": "image"}, {"NAME": "wave", "TYPE": "audio"},
      {"NAME": "spectrum", "TYPE": "audioFFT"}],
    "PASSES": [{"TARGET": "buffer"}, {}],
    "IMPORTED": {"noise": {"PATH": "noise.png"}}})"));
  const Sources sources = translate(doc, "", CrowdLimits{64});
  for (const std::string* source : {&sources.fragment, &sources.vertex}) {
    for (const char* line :
         {"uniform bool go;",
          "uniform bool on;",
          "uniform int mode;",
          "uniform float amount;",
          "uniform vec2 center;",
          "uniform vec4 tint;",
          "uniform sampler2D inputImage;",
          "uniform sampler2D wave;",
          "uniform sampler2D spectrum;",
          "uniform sampler2D buffer;",
          "uniform sampler2D noise;",
          "uniform int PASSINDEX;",
          "uniform vec2 RENDERSIZE;",
          "uniform float TIME;",
          "uniform float TIMEDELTA;",
          "uniform vec4 DATE;",
          "uniform int FRAMEINDEX;",
          "#define FEED_MAX 64\n",
          "uniform int FEED_COUNT;",
          "#define CROWD_COUNT FEED_COUNT",
          "uniform vec3 CROWD_COLOR;",
          "uniform float CROWD_MOTION;",
          "uniform float CROWD_BRIGHTNESS;",
          "uniform float CROWD_FACES;",
          "uniform float CROWD_REACTIONS;",
          "uniform sampler2DArray tessera_feedRgba;",
          "uniform sampler2DArray tessera_feedY;",
          "uniform sampler2DArray tessera_feedU;",
          "uniform sampler2DArray tessera_feedV;",
          "uniform sampler2D tessera_feedData;",
          "vec4 FEED_RECT(int i)",
          "vec4 FEED_SCORES(int i)",
          "vec3 FEED_COLOR(int i)",
          "int FEED_ID(int i)",
          "vec4 FEED_PIXEL(int i, vec2 uv)",
          "vec3(vec2(uv.x, 1.0 - uv.y) * share, ",  // a feed fills its layer's top-left share
          "y = 1.164383 * (y - 0.0627451);",
          "clamp(vec3(y + 1.596027 * v, y - 0.391762 * u - 0.812968 * v, y + 2.017232 * u), "
          "0.0, 1.0)",
          "#define IMG_SIZE(img) vec2(textureSize(img, 0))",
          "#define vv_FragNormCoord isf_FragNormCoord"}) {
      INFO(line);
      CHECK(contains(*source, line));
    }
  }
  const std::string& f = sources.fragment;
  CHECK(contains(f, "in vec2 isf_FragNormCoord;\nout vec4 isf_FragColor;\n"));
  CHECK(contains(f,
                 "#define IMG_PIXEL(img, coord) texture(img, (coord) / "
                 "vec2(textureSize(img, 0)))"));
  CHECK(contains(f, "#define IMG_NORM_PIXEL(img, coord) texture(img, coord)"));
  CHECK(contains(f, "#define IMG_THIS_PIXEL(img) texture(img, isf_FragNormCoord)"));
  CHECK(contains(f, "#define IMG_THIS_NORM_PIXEL(img) texture(img, isf_FragNormCoord)"));
  CHECK_FALSE(contains(f, "iResolution"));
  CHECK_FALSE(contains(f, "void main() { vec4 c"));
  const std::string& v = sources.vertex;
  CHECK(contains(v,
                 "#define IMG_PIXEL(img, coord) textureLod(img, (coord) / "
                 "vec2(textureSize(img, 0)), 0.0)"));
  CHECK(contains(v, "#define IMG_THIS_PIXEL(img) textureLod(img, isf_FragNormCoord, 0.0)"));
  CHECK_FALSE(contains(v, "out vec4 isf_FragColor"));
}

TEST_CASE("ShaderToy: macros, iMouse and a main() in source string 1", "[isf][translate]") {
  const std::string source =
      "// line 1\n"
      "void mainImage(out vec4 fragColor, in vec2 fragCoord) {\n"
      "  fragColor = texture(iChannel0, fragCoord / iResolution.xy) + iMouse / iTime;\n"
      "}";
  const Document doc = parseOk(source);
  const Sources sources = translate(doc, "", CrowdLimits{});
  const std::string& f = sources.fragment;
  for (const char* line :
       {"uniform vec2 tessera_iMouse;\n#define iMouse vec4(tessera_iMouse, 0.0, 0.0)\n",
        "uniform sampler2D iChannel0;", "uniform sampler2D iChannel3;", "#define iTime TIME\n",
        "#define iTimeDelta TIMEDELTA\n", "#define iFrame FRAMEINDEX\n", "#define iDate DATE\n",
        "#define iResolution vec3(RENDERSIZE, 1.0)\n", "uniform vec3 iChannelResolution[4];",
        "uniform float iChannelTime[4];", "#define iSampleRate 44100.0\n",
        "#define iFrameRate (TIMEDELTA > 0.0 ? 1.0 / TIMEDELTA : 60.0)\n"}) {
    INFO(line);
    CHECK(contains(f, line));
  }
  CHECK(artistLine(f, 3) ==
        "  fragColor = texture(iChannel0, fragCoord / iResolution.xy) + "
        "iMouse / iTime;");
  // The wrapper continues source string 1 after the preamble.
  const std::size_t preambleStart = f.find("#line 1 1\n") + 10;
  const std::size_t preambleEnd = f.find("#line 1 0\n");
  const int preambleLines = countLines(f.substr(preambleStart, preambleEnd - preambleStart));
  const std::string wrapper =
      "}\n#line " + std::to_string(preambleLines + 1) +
      " 1\nvoid main() { vec4 c = vec4(0.0, 0.0, 0.0, 1.0); mainImage(c, gl_FragCoord.xy); "
      "isf_FragColor = vec4(c.rgb, 1.0); }\n";
  CHECK(f.ends_with(wrapper));
  CHECK_FALSE(contains(sources.vertex, "iResolution"));
  CHECK(contains(sources.vertex, "#define iMouse"));
}

TEST_CASE("the body keeps the artist's line numbers", "[isf][translate]") {
  std::string source = "/*{\n\"INPUTS\": [\n{\"NAME\": \"x\", \"TYPE\": \"float\"}\n]\n}*/\n";
  for (int line = 6; line <= 40; ++line) {
    source += "float v" + std::to_string(line) + " = texture2D(a, b).x; // " +
              std::to_string(line) + "\n";
  }
  const Document doc = parseOk(source);
  const Sources sources = translate(doc, "", CrowdLimits{});
  for (int line = 6; line <= 40; ++line) {
    const std::string n = std::to_string(line);
    CHECK(artistLine(sources.fragment, line) == "float v" + n + " = texture(a, b).x; // " + n);
  }
  CHECK(artistLine(sources.fragment, 1) == "   ");
}

TEST_CASE("remapLog maps source 0 to the file and source 1 to the preamble", "[isf][log]") {
  const std::vector<std::pair<std::string, std::string>> rows{
      // Mesa
      {"0:12(5): error: `foo' undeclared", "blur.fs:12:5: error: `foo' undeclared"},
      {"0:3(10): warning: unused", "blur.fs:3:10: warning: unused"},
      {"1:40(2): error: oops", "tessera preamble:40: error: oops"},
      // NVIDIA
      {"0(12) : error C1008: undefined variable \"foo\"",
       "blur.fs:12: error C1008: undefined variable \"foo\""},
      {"1(7) : error C0000: syntax error", "tessera preamble:7: error C0000: syntax error"},
      // AMD, Intel, glslang
      {"ERROR: 0:12: 'foo' : undeclared identifier",
       "blur.fs:12: error: 'foo' : undeclared identifier"},
      {"WARNING: 0:4: 'x' : unused", "blur.fs:4: warning: 'x' : unused"},
      {"ERROR: 1:99: 'y' : redefinition", "tessera preamble:99: error: 'y' : redefinition"},
      // Everything else passes unchanged.
      {"ERROR: 2 compilation errors.  No code generated.",
       "ERROR: 2 compilation errors.  No code generated."},
      {"2:12(5): error: other string", "2:12(5): error: other string"},
      {"0:12: no column", "0:12: no column"},
      {"error: linking failed", "error: linking failed"},
      {"", ""},
  };
  for (const auto& [log, expected] : rows) {
    INFO(log);
    CHECK(remapLog(log, "blur.fs") == expected);
  }
  CHECK(remapLog("0:1(1): error: a\nlink failed\n0(2) : error C1: b\n", "x.fs") ==
        "x.fs:1:1: error: a\nlink failed\nx.fs:2: error C1: b\n");
}

TEST_CASE("idioms of shaders written for other hosts translate", "[isf][translate]") {
  struct Row {
    std::string what;
    std::string source;
    std::vector<std::pair<int, std::string>> lines;  // artist line -> translated text
    bool wrapper;                                    // the ShaderToy main() is added
    bool fragColor;                                  // "out vec4 isf_FragColor;" is declared
    std::vector<std::string> present;                // in the fragment source
  };
  const std::string header =
      "/*{\"INPUTS\": [{\"NAME\": \"mix\", \"TYPE\": \"float\"}, "
      "{\"NAME\": \"distance\", \"TYPE\": \"point2D\"}]}*/\n";
  const std::vector<Row> rows{
      {"ShaderToy with its own output and main (grimoire, exports)",
       "void mainImage(out vec4 c, in vec2 p) { c = vec4(1.0); }\n"
       "out vec4 color;\n"
       "void main() { mainImage(color, gl_FragCoord.xy); }\n",
       {{2, "out vec4 color;"}},
       false,
       false,
       {}},
      {"ShaderToy with a prototype and a main writing gl_FragColor (Processing)",
       "void mainImage(out vec4 c, in vec2 p);\n"
       "void main ( void )\n{ mainImage(gl_FragColor, gl_FragCoord.xy); }\n"
       "void mainImage(out vec4 c, in vec2 p) { c = vec4(p, 0.0, 1.0); }\n",
       {{3, "{ mainImage(isf_FragColor, gl_FragCoord.xy); }"}},
       false,
       true,
       {}},
      {"ShaderToy: a prototype of main or a name ending in main is not a main",
       "void main();\nfloat domain() { return 1.0; }\n"
       "void mainImage(out vec4 c, in vec2 p) { c = vec4(domain()); }\n",
       {{2, "float domain() { return 1.0; }"}},
       true,
       true,
       {}},
      {"ShaderToy: the host's uniform declarations of ShaderToy names are blanked",
       "uniform vec3 iResolution; // pixels\n"
       "uniform highp float iTime;\n"
       "uniform float iChannelTime[4], iTimeDelta;\n"
       "uniform sampler2D iChannel0;\n"
       "uniform float gain;\n"
       "void f(out float x) { x = 1.0; }\n"
       "void mainImage(out vec4 c, in vec2 p) { c = vec4(p / iResolution.xy, iTime, 1.0); }\n",
       {{1, "                          // pixels"},
        {2, std::string(26, ' ')},
        {3, std::string(42, ' ')},
        {4, std::string(28, ' ')},
        {5, "uniform float gain;"}},
       true,
       true,
       {"#define iResolution vec3(RENDERSIZE, 1.0)\n", "uniform sampler2D iChannel0;"}},
      {"ISF: an input named like a GLSL function is a renamed uniform where not called",
       header + "void main() {\n  gl_FragColor = mix (vec4(0.0), vec4(distance, 0.0, 1.0), mix);\n"
                "  float d = distance(distance, vec2(0.0));\n}\n",
       {{3,
         "  isf_FragColor = mix (vec4(0.0), vec4(tessera_in_distance, 0.0, 1.0), "
         "tessera_in_mix);"},
        {4, "  float d = distance(tessera_in_distance, vec2(0.0));"}},
       false,
       true,
       {"uniform float tessera_in_mix;\n", "uniform vec2 tessera_in_distance;\n"}},
      {"ISF: a GLSL 1.30 style body declaring its own output",
       "/*{}*/\nout vec4 fragColor;\nvoid main() { fragColor = vec4(1.0); }\n",
       {{2, "out vec4 fragColor;"}},
       false,
       false,
       {}},
  };
  for (const Row& row : rows) {
    INFO(row.what);
    const Document doc = parseOk(row.source);
    const Sources sources = translate(doc, "", CrowdLimits{});
    const std::string& f = sources.fragment;
    const std::string code = f.substr(f.find("#line 1 0\n") + 10);
    CHECK(countLines(code) - (row.wrapper ? 2 : 0) == countLines(row.source));
    for (const auto& [line, text] : row.lines) {
      INFO("line " << line);
      CHECK(artistLine(f, line) == text);
    }
    CHECK(contains(f, "mainImage(c, gl_FragCoord.xy);") == row.wrapper);
    CHECK(contains(f, "out vec4 isf_FragColor;") == row.fragColor);
    CHECK_FALSE(contains(f, "#define distance"));
    for (const std::string& text : row.present) {
      INFO(text);
      CHECK(contains(f, text));
    }
  }

  // The renamed uniform is what the renderer sets; the API keeps the input's name.
  const Document doc = parseOk(header + "void main() { gl_FragColor = vec4(mix); }\n");
  REQUIRE(doc.inputs.size() == 2);
  CHECK(doc.inputs[0].name == "mix");
  CHECK(doc.inputs[0].uniform == "tessera_in_mix");
  CHECK(doc.inputs[1].uniform == "tessera_in_distance");
  const Sources sources = translate(
      doc, "varying float v;\nvoid main() { isf_vertShaderInit(); v = mix; }\n", CrowdLimits{});
  CHECK(artistLine(sources.vertex, 2) ==
        "void main() { isf_vertShaderInit(); v = tessera_in_mix; }");
  CHECK(contains(sources.vertex, "uniform float tessera_in_mix;\n"));
}
