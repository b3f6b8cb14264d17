// The shader runtime on llvmpipe: values are validated (tables), passes run with PASSINDEX a
// constant, a persistent float target accumulates exactly, reloads keep values, a scene's
// shaders survive a broken save, and the crowd texture holds what docs/shaders.md says.
#include "render/shader_program.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <thread>

#include "platform/gl_surface.hpp"
#include "platform/png.hpp"
#include "render/crowd.hpp"
#include "render/scene_shaders.hpp"

namespace tessera::render {
namespace {

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    path = std::filesystem::temp_directory_path() /
           ("tessera-shader-test-" + std::to_string(::getpid()) + "-" +
            std::to_string(reinterpret_cast<std::uintptr_t>(this)));
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::filesystem::path write(const std::string& name, const std::string& text) const {
    const auto file = path / name;
    const auto tmp = file.string() + ".tmp";
    std::ofstream(tmp) << text;
    std::filesystem::rename(tmp, file);
    return file;
  }
};

struct Gl {
  std::unique_ptr<platform::GlSurface> surface;
  Gl() {
    std::string error;
    surface = platform::createHeadlessSurface(&error);
    INFO(error);
    REQUIRE(surface);
  }
};

// An RGBA8 (or RGBA32F) render target with readback of one pixel (GL orientation).
struct Target {
  core::SizePx size;
  platform::GlFramebuffer fbo;
  platform::GlTexture texture;
  Target(core::SizePx s, bool floating = false) : size(s) {
    auto t = platform::makeTarget(s.width, s.height, floating ? GL_RGBA32F : GL_RGBA8);
    REQUIRE(t);
    fbo = std::move(t->framebuffer);
    texture = std::move(t->texture);
  }
  std::array<float, 4> at(int x, int y) const {
    std::array<float, 4> px{};
    glBindFramebuffer(GL_FRAMEBUFFER, fbo.id());
    glReadPixels(x, y, 1, 1, GL_RGBA, GL_FLOAT, px.data());
    return px;
  }
};

isf::Input floatInput(float min, float max) {
  isf::Input in;
  in.name = "x";
  in.type = isf::InputType::kFloat;
  in.min = isf::Value{min, 0, 0, 0};
  in.max = isf::Value{max, 0, 0, 0};
  return in;
}

}  // namespace

TEST_CASE("values are checked against the input's type and range", "[render][shader]") {
  struct Row {
    isf::Input input;
    isf::Value value;
    bool ok;
    isf::Value normalised;
  };
  isf::Input longChoice;
  longChoice.name = "mode";
  longChoice.type = isf::InputType::kLong;
  longChoice.values = {0, 2, 5};
  isf::Input boolean;
  boolean.name = "on";
  boolean.type = isf::InputType::kBool;
  isf::Input point;
  point.name = "p";
  point.type = isf::InputType::kPoint2D;
  point.min = isf::Value{0, 0, 0, 0};
  point.max = isf::Value{1, 2, 0, 0};
  isf::Input image;
  image.name = "img";
  image.type = isf::InputType::kImage;
  const Row rows[] = {
      {floatInput(0, 1), {0.5f, 9, 9, 9}, true, {0.5f, 0, 0, 0}},
      {floatInput(0, 1), {1.0f, 0, 0, 0}, true, {1.0f, 0, 0, 0}},
      {floatInput(0, 1), {1.01f, 0, 0, 0}, false, {}},
      {floatInput(0, 1), {-0.1f, 0, 0, 0}, false, {}},
      {floatInput(0, 1), {NAN, 0, 0, 0}, false, {}},
      {longChoice, {2.2f, 0, 0, 0}, true, {2, 0, 0, 0}},
      {longChoice, {3, 0, 0, 0}, false, {}},
      {boolean, {0.3f, 0, 0, 0}, true, {1, 0, 0, 0}},
      {boolean, {0, 0, 0, 0}, true, {0, 0, 0, 0}},
      {point, {0.5f, 1.5f, 7, 7}, true, {0.5f, 1.5f, 0, 0}},
      {point, {0.5f, 2.5f, 0, 0}, false, {}},
      {image, {0, 0, 0, 0}, false, {}},
  };
  for (const Row& r : rows) {
    isf::Value v = r.value;
    std::string error;
    INFO(r.input.name << " " << r.value[0] << "," << r.value[1]);
    CHECK(validateValue(r.input, v, &error) == r.ok);
    if (r.ok) {
      CHECK(v == r.normalised);
    } else {
      CHECK(error.find(r.input.name) != std::string::npos);
    }
  }
}

TEST_CASE("a persistent float target accumulates across frames, pass by pass",
          "[render][shader][gl]") {
  Gl gl;
  TempDir dir;
  // Pass 0 adds 1/64 to the persistent float buffer; pass 1 shows it, and its own PASSINDEX.
  const auto file = dir.write("acc.fs", R"ISF(/*{
  "INPUTS": [ {"NAME": "step", "TYPE": "float", "DEFAULT": 0.015625, "MIN": 0.0, "MAX": 1.0} ],
  "PASSES": [ {"TARGET": "acc", "PERSISTENT": true, "FLOAT": true, "WIDTH": "4", "HEIGHT": "$HEIGHT/2"}, {} ]
}*/
void main() {
  if (PASSINDEX == 0) {
    gl_FragColor = IMG_NORM_PIXEL(acc, isf_FragNormCoord) + vec4(step);
  } else {
    gl_FragColor = vec4(IMG_NORM_PIXEL(acc, vec2(0.5)).r, float(PASSINDEX) / 4.0,
                        IMG_SIZE(acc).y / 100.0, 1.0);
  }
}
)ISF");
  std::string error;
  auto program = ShaderProgram::load(file, {16}, &error);
  INFO(error);
  REQUIRE(program);
  Target out({8, 40}, true);
  ShaderClock clock;
  for (int f = 0; f < 10; ++f) {
    clock.frameIndex = f;
    program->render(out.fbo.id(), out.size, clock, nullptr);
  }
  const auto px = out.at(3, 3);
  CHECK(px[0] == Approx(10 / 64.0).margin(1e-5));  // float target: no 8-bit rounding
  CHECK(px[1] == Approx(0.25).margin(1e-5));       // PASSINDEX 1 in the second pass
  CHECK(px[2] == Approx(0.20).margin(1e-5));       // $HEIGHT/2 = 20 rows
  // A step out of range is refused and changes nothing.
  CHECK_FALSE(program->setValue("step", {2, 0, 0, 0}, &error));
  CHECK(error.find("0..1") != std::string::npos);
  CHECK((*program->value("step"))[0] == Approx(0.015625));
}

TEST_CASE("a reload keeps the values of inputs the new file still has", "[render][shader][gl]") {
  Gl gl;
  TempDir dir;
  const std::string header = R"(/*{ "INPUTS": [
    {"NAME": "a", "TYPE": "float", "DEFAULT": 0.1, "MIN": 0.0, "MAX": %MAX%},
    {"NAME": "c", "TYPE": "color", "DEFAULT": [0, 0, 0, 1]} ] }*/
void main() { gl_FragColor = vec4(a, c.g, 0.0, 1.0); }
)";
  auto text = [&](const char* max) {
    std::string t = header;
    t.replace(t.find("%MAX%"), 5, max);
    return t;
  };
  std::string error;
  auto first = ShaderProgram::load(dir.write("v.fs", text("1.0")), {16}, &error);
  REQUIRE(first);
  REQUIRE(first->setValue("a", {0.8f, 0, 0, 0}, &error));
  REQUIRE(first->setValue("c", {0, 0.5f, 0, 1}, &error));
  auto same = ShaderProgram::load(dir.path / "v.fs", {16}, &error);
  same->adoptValues(*first);
  CHECK((*same->value("a"))[0] == Approx(0.8));
  CHECK((*same->value("c"))[1] == Approx(0.5));
  // A narrower range in the new file: the old value no longer fits and the default stays.
  auto narrower = ShaderProgram::load(dir.write("v.fs", text("0.5")), {16}, &error);
  narrower->adoptValues(*first);
  CHECK((*narrower->value("a"))[0] == Approx(0.1));
  CHECK((*narrower->value("c"))[1] == Approx(0.5));
}

TEST_CASE("a scene's shader survives a broken save and takes the fixed one",
          "[render][shader][gl]") {
  Gl gl;
  TempDir dir;
  auto solid = [](const char* rgb) {
    return std::string("/*{ \"INPUTS\": [] }*/\nvoid main() {\n  gl_FragColor = vec4(") + rgb +
           ", 1.0);\n}\n";
  };
  core::SceneConfig config;
  config.name = "s";
  config.layout = core::LayoutKind::kShader;
  config.shader = dir.write("s.fs", solid("1.0, 0.0, 0.0"));
  SceneShaders shaders(0, config, {16});
  shaders.load();
  const core::SizePx size{16, 16};
  Target canvas(size);
  ChainTargets chain(size);
  CrowdData crowd(16);
  auto draw = [&] {
    shaders.render(canvas.fbo.id(), canvas.fbo.id(), size, chain, {}, crowd.binding(0, 0, 0, 0));
    return canvas.at(8, 8);
  };
  auto status = [&] {
    std::vector<ShaderState> s;
    shaders.appendStatus(s);
    REQUIRE(s.size() == 1);
    return s[0];
  };
  CHECK(draw()[0] == Approx(1.0));
  CHECK_FALSE(shaders.needsTiles());
  CHECK(status().loads == 1);

  // File times on some filesystems are coarse: make each save visibly newer.
  auto touchLater = [&](int seconds) {
    std::filesystem::last_write_time(*config.shader, std::filesystem::file_time_type::clock::now() +
                                                         std::chrono::seconds(seconds));
  };
  dir.write("s.fs", "/*{ \"INPUTS\": [] }*/\nvoid main() {\n  gl_FragColor = nope;\n}\n");
  touchLater(1);
  CHECK(shaders.reloadChanged());
  CHECK(draw()[0] == Approx(1.0));  // the last good one stays
  CHECK(status().running);
  CHECK(status().error.find("s.fs:3:") != std::string::npos);
  CHECK_FALSE(shaders.reloadChanged());  // nothing changed since

  dir.write("s.fs", solid("0.0, 1.0, 0.0"));
  touchLater(2);
  CHECK(shaders.reloadChanged());
  const auto px = draw();
  CHECK(px[0] == Approx(0.0));
  CHECK(px[1] == Approx(1.0));
  CHECK(status().error.empty());
  CHECK(status().loads == 2);
}

TEST_CASE("a scene's shaders draw at a scale and fill the canvas", "[render][shader][gl]") {
  Gl gl;
  TempDir dir;
  core::SceneConfig config;
  config.name = "s";
  config.layout = core::LayoutKind::kShader;
  config.shaderScale = 0.5;
  // RENDERSIZE / 256 in red and green; blue 1 on the top half of the picture.
  config.shader = dir.write("s.fs", R"ISF(/*{ "INPUTS": [] }*/
void main() {
  gl_FragColor = vec4(RENDERSIZE / 256.0, step(0.5, isf_FragNormCoord.y), 1.0);
}
)ISF");
  SceneShaders shaders(0, config, {16});
  shaders.load();
  REQUIRE(shaders.fixedScale());
  CHECK(*shaders.fixedScale() == Approx(0.5));
  const core::SizePx size{128, 64};
  Target canvas(size);
  ChainTargets chain(size);
  CrowdData crowd(16);
  shaders.render(canvas.fbo.id(), canvas.fbo.id(), size, chain, {}, crowd.binding(0, 0, 0, 0),
                 *shaders.fixedScale());
  CHECK(chain.size().width == 64);
  CHECK(chain.size().height == 32);
  // The canvas is stored top row first: its row 2 is the picture's top (blue), row 61 bottom.
  for (int x : {1, 64, 126}) {
    const auto top = canvas.at(x, 2), bottom = canvas.at(x, 61);
    CHECK(top[0] == Approx(64 / 256.0).margin(0.003));
    CHECK(top[1] == Approx(32 / 256.0).margin(0.003));
    CHECK(top[2] == Approx(1.0));
    CHECK(bottom[2] == Approx(0.0));
  }
}

TEST_CASE("saving a shader's IMPORTED image reloads it", "[render][shader][gl]") {
  Gl gl;
  TempDir dir;
  auto writePng = [&](std::uint8_t r, std::uint8_t b, int secondsLater) {
    const std::vector<std::uint8_t> rgba = {r, 0, b, 255, r, 0, b, 255, r, 0, b, 255, r, 0, b, 255};
    const auto png = platform::encodePng(rgba.data(), 2, 2, 8);
    const auto file = dir.path / "pic.png";
    std::ofstream(file, std::ios::binary)
        .write(reinterpret_cast<const char*>(png.data()), static_cast<std::streamsize>(png.size()));
    std::filesystem::last_write_time(
        file, std::filesystem::file_time_type::clock::now() + std::chrono::seconds(secondsLater));
  };
  writePng(255, 0, 0);
  core::SceneConfig config;
  config.name = "s";
  config.layout = core::LayoutKind::kShader;
  config.shader =
      dir.write("s.fs", R"ISF(/*{ "INPUTS": [], "IMPORTED": { "pic": { "PATH": "pic.png" } } }*/
void main() { gl_FragColor = IMG_NORM_PIXEL(pic, vec2(0.5)); }
)ISF");
  SceneShaders shaders(0, config, {16});
  shaders.load();
  const core::SizePx size{8, 8};
  Target canvas(size);
  ChainTargets chain(size);
  CrowdData crowd(16);
  auto draw = [&] {
    shaders.render(canvas.fbo.id(), canvas.fbo.id(), size, chain, {}, crowd.binding(0, 0, 0, 0));
    return canvas.at(4, 4);
  };
  CHECK(draw()[0] == Approx(1.0));
  CHECK_FALSE(shaders.reloadChanged());
  writePng(0, 255, 1);
  CHECK(shaders.reloadChanged());
  const auto px = draw();
  CHECK(px[0] == Approx(0.0));
  CHECK(px[2] == Approx(1.0));
}

TEST_CASE("the crowd texture holds rects bottom-left, scores, colours and layers",
          "[render][shader][gl]") {
  Gl gl;
  CrowdData crowd(8);
  core::Scores s;
  s.brightness = 0.25f;
  s.motion = 0.5f;
  s.sharpness = 120;
  s.faces = 2;
  s.meanRgb = {255, 51, 0};
  s.frameTime = std::chrono::steady_clock::now();
  const CrowdFeed feeds[] = {
      {core::FeedId{7}, 3, true, core::Rect{100, 50, 200, 100}, &s},
      {core::FeedId{9}, 1, false, std::nullopt, nullptr},
  };
  crowd.update(feeds, {400, 200});
  const CrowdBinding b = crowd.binding(11, 12, 13, 14);
  CHECK(b.feedCount == 2);
  CHECK(b.rgbaArray == 11);
  CHECK(b.motion == Approx(0.5));
  CHECK(b.brightness == Approx(0.25));  // the mean of the feeds analysed
  CHECK(b.faces == Approx(2));
  CHECK(b.colour[0] == Approx(1.0));
  std::vector<float> texels(8 * 4 * 4);
  glBindTexture(GL_TEXTURE_2D, b.data);
  glGetTexImage(GL_TEXTURE_2D, 0, GL_RGBA, GL_FLOAT, texels.data());
  auto texel = [&](int feed, int row, int c) { return texels[(row * 8 + feed) * 4 + c]; };
  // Rect (100, 50, 200x100) on 400x200, top-left origin -> (0.25, 0.25, 0.5, 0.5) bottom-left.
  CHECK(texel(0, 0, 0) == Approx(0.25));
  CHECK(texel(0, 0, 1) == Approx(0.25));
  CHECK(texel(0, 0, 2) == Approx(0.5));
  CHECK(texel(0, 0, 3) == Approx(0.5));
  CHECK(texel(0, 1, 1) == Approx(0.5));
  CHECK(texel(0, 1, 2) == Approx(120));
  CHECK(texel(0, 1, 3) == Approx(2));
  CHECK(texel(0, 2, 1) == Approx(0.2));
  CHECK(texel(0, 3, 0) == Approx(3));  // layer
  CHECK(texel(0, 3, 1) == Approx(1));  // I420
  CHECK(texel(0, 3, 2) == Approx(7));  // id
  CHECK(texel(1, 0, 2) == Approx(0));  // not on the canvas: zero size
  CHECK(texel(1, 3, 0) == Approx(1));
  CHECK(texel(1, 3, 2) == Approx(9));
}

}  // namespace tessera::render
