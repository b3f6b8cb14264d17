// The crowd as shaders see it: one RGBA32F texel row per fact (tile rectangle, scores, colour,
// texture layer) and column per feed, plus the aggregates (CROWD_*). See docs/shaders.md.
//
// Thread: the render thread (or `tessera shader render`'s), with the GL context current.
#pragma once

#include <optional>
#include <span>

#include "core/scores.hpp"
#include "core/types.hpp"
#include "platform/gl.hpp"
#include "render/shader_program.hpp"

namespace tessera::render {

struct CrowdFeed {
  core::FeedId id{};
  int layer = 0;                         // in the tile arrays
  bool yuv = false;                      // the layer holds I420 planes (else RGBA)
  std::optional<core::Rect> rect;        // canvas pixels, top-left origin; none: not on the canvas
  const core::Scores* scores = nullptr;  // null before the first analysis
  float scale = 1;                       // the share of the layer its frame fills, top left
};

class CrowdData {
 public:
  explicit CrowdData(int maxFeeds);
  // Feeds beyond maxFeeds are left out. `canvas` turns rectangles into 0..1, bottom-left origin.
  void update(std::span<const CrowdFeed> feeds, core::SizePx canvas);
  // The binding for ShaderProgram::render, with the tile arrays the feeds' layers live in.
  CrowdBinding binding(GLuint rgbaArray, GLuint yArray, GLuint uArray, GLuint vArray) const;
  int maxFeeds() const { return mMaxFeeds; }

 private:
  int mMaxFeeds;
  platform::GlTexture mTexture;
  std::vector<float> mRows;  // 4 rows x maxFeeds x RGBA
  CrowdBinding mBinding;
};

}  // namespace tessera::render
