// An artist's shader (ISF 2 or ShaderToy) loaded, translated, compiled and ready to draw: its
// input values, its passes' render targets (persistent ones kept between frames, float ones in
// RGBA32F), its imported images, and the crowd bound as textures the render thread already has.
//
// Thread: the thread whose GL context is current (the render thread, or `tessera shader render`'s
// main thread) for the object's whole life.
#pragma once

#include <array>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/types.hpp"
#include "platform/gl.hpp"
#include "platform/png.hpp"
#include "render/isf/isf.hpp"

namespace tessera::render {

// What a shader sees of time.
struct ShaderClock {
  double timeS = 0;   // TIME, iTime
  double deltaS = 0;  // TIMEDELTA, iTimeDelta
  int frameIndex = 0;
  std::array<float, 4> date{};  // DATE: year, month (1-12), day, seconds since midnight
  static std::array<float, 4> dateNow();
};

// The crowd as textures (borrowed; see docs/shaders.md for what the shaders read).
struct CrowdBinding {
  GLuint rgbaArray = 0;  // GL_TEXTURE_2D_ARRAY, RGBA tiles
  GLuint yArray = 0;     // GL_TEXTURE_2D_ARRAY, I420 planes
  GLuint uArray = 0;
  GLuint vArray = 0;
  GLuint data = 0;  // GL_TEXTURE_2D RGBA32F, FEED_MAX x 4 (isf::translate documents the rows)
  int feedCount = 0;
  std::array<float, 3> colour{};  // CROWD_COLOR, 0-1
  float motion = 0;               // CROWD_MOTION: sum of the feeds' motion
  float brightness = 0;           // CROWD_BRIGHTNESS: mean
  float faces = 0;                // CROWD_FACES: sum
  float reactions = 0;            // CROWD_REACTIONS: viewers' reactions per second, smoothed
};

// An RGBA8 texture in GL's orientation (row 0 = bottom) from a picture with rows top-first.
platform::GlTexture uploadImage(const std::uint8_t* rgba, int width, int height,
                                std::size_t strideBytes);

// A shader file's text (at most 1 MiB). Nullopt with `error` naming the file.
std::optional<std::string> readShaderText(const std::filesystem::path& file, std::string* error);
// isf::parse with its problem as "FILE:LINE:COL: error: ..." in `error`.
std::optional<isf::Document> parseShader(std::string_view text, const std::filesystem::path& file,
                                         std::string* error);

// Checks a value for input `in` (a value type, within MIN..MAX or one of VALUES) and normalises
// it (bools to 0/1, longs rounded). False with `error` naming the input and the range.
bool validateValue(const isf::Input& in, isf::Value& value, std::string* error);

class ShaderProgram {
 public:
  // Reads `file` (and a companion vertex shader next to it with the extension .vs), parses,
  // translates, compiles and links it and loads its IMPORTED images. Null with `error` (one or
  // more lines "FILE:LINE:COL: error: ..." in the artist's own line numbers) on failure.
  static std::unique_ptr<ShaderProgram> load(const std::filesystem::path& file,
                                             const isf::CrowdLimits& limits, std::string* error);
  // The same from text already read; `file` names it in errors and locates a companion .vs and
  // IMPORTED images.
  static std::unique_ptr<ShaderProgram> fromText(std::string_view text,
                                                 const std::filesystem::path& file,
                                                 const isf::CrowdLimits& limits,
                                                 std::string* error);
  ~ShaderProgram();
  ShaderProgram(const ShaderProgram&) = delete;
  ShaderProgram& operator=(const ShaderProgram&) = delete;

  const std::filesystem::path& file() const { return mFile; }
  const std::filesystem::path& vertexFile() const { return mVertexFile; }  // empty: none
  // The IMPORTED images' files, as read.
  const std::vector<std::filesystem::path>& importedFiles() const { return mImportedFiles; }
  const isf::Document& document() const { return mDoc; }

  // Sets a non-image input. False with `error` for an unknown name, an image input, or a value
  // outside the input's MIN..MAX or VALUES (values are not clamped silently).
  bool setValue(std::string_view name, const isf::Value& value, std::string* error);
  std::optional<isf::Value> value(std::string_view name) const;
  // Values of every input in document order (images: zeros).
  const std::vector<isf::Value>& values() const { return mValues; }
  // Takes the values of inputs `other` also has (same name and type): a reload keeps the
  // artist's settings.
  void adoptValues(const ShaderProgram& other);
  // An image input's texture (borrowed, GL orientation). 0 = none: transparent black.
  bool setImage(std::string_view name, GLuint texture);
  bool isFilter() const { return mDoc.isFilter(); }

  // Draws every pass; the last one into `outputFramebuffer` (`size` pixels, GL orientation).
  // `crowd` null: no feeds (FEED_COUNT 0). Leaves GL_BLEND disabled.
  void render(GLuint outputFramebuffer, core::SizePx size, const ShaderClock& clock,
              const CrowdBinding* crowd);

 private:
  ShaderProgram() = default;
  struct Target;
  bool link(const isf::Sources& sources, std::string* error);
  void resizeTargets(core::SizePx size);
  double lookup(std::string_view name, core::SizePx size) const;

  std::filesystem::path mFile;
  std::filesystem::path mVertexFile;
  std::vector<std::filesystem::path> mImportedFiles;
  isf::Document mDoc;
  platform::GlVertexArray mVertexArray;
  std::vector<isf::Value> mValues;                // per input
  std::vector<GLuint> mInputTextures;             // per input: image inputs' borrowed textures
  std::vector<int> mInputUnits;                   // texture unit per image input, -1 otherwise
  std::vector<std::unique_ptr<Target>> mTargets;  // per pass (null: no TARGET)
  struct Imported {
    std::string name;
    platform::GlTexture texture;

    int unit = -1;
  };
  std::vector<Imported> mImported;
  platform::GlTexture mBlack;       // unset images: 1x1 transparent black
  platform::GlTexture mSilence;     // audio: mid-grey (silence), audioFFT uses mBlack
  platform::GlTexture mEmptyArray;  // no crowd: a 1x1x1 black array
  platform::GlTexture mEmptyData;   // no crowd: FEED_MAX x 4 zeros
  int mMaxFeeds = 0;
  core::SizePx mTargetsFor{0, 0};
  std::vector<double> mTargetInputs;  // input values the target sizes were evaluated with
  struct Locations {
    GLint renderSize = -1, time = -1, timeDelta = -1, date = -1, frameIndex = -1;
    GLint feedCount = -1, crowdColour = -1, crowdMotion = -1, crowdBrightness = -1, crowdFaces = -1,
          crowdReactions = -1;
    GLint channelResolution = -1, channelTime = -1;
  };
  // One program per pass, PASSINDEX a constant in each: the compiler drops the other passes'
  // branches (a software rasteriser would otherwise run them all, masked).
  struct Program {
    platform::GlProgram program;
    Locations loc;
    std::vector<GLint> inputs;  // per input
  };
  std::vector<Program> mPrograms;
  void setUniforms(const Program& program, const ShaderClock& clock, const CrowdBinding* crowd,
                   const float* channelResolution);
};

// Sampler units of the crowd textures in every shader program.
inline constexpr int kCrowdUnits = 5;

}  // namespace tessera::render
