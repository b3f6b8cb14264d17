// Draws the canvas texture into a gallery window: the window's region of the canvas, corner-
// pinned (a per-pixel projective warp, core/screen_warp.hpp) and edge-blended. The shader
// evaluates core::pictureFromFragment and core::blendFactorAt; outside the quad is black.
//
// Thread: the one whose GL context is current (the gallery windows' presenter thread).
#pragma once

#include <memory>
#include <string>

#include "core/screen_warp.hpp"
#include "core/types.hpp"
#include "platform/gl.hpp"

namespace tessera::platform {

struct WarpView {
  core::Rect region;               // the part of the canvas shown, canvas pixels
  core::SizePx canvas;             // the canvas texture's size
  core::Mat3 pictureFromFragment;  // gl_FragCoord -> (u, v) in the picture, v down
  core::SizePx picture;            // the picture's size before the pin (blend widths' pixels)
  core::EdgeBlend blend;
};

class WarpPass {
 public:
  // Null (with `error`) when the program does not build.
  static std::unique_ptr<WarpPass> create(std::string* error);
  // Into the bound draw framebuffer's viewport; leaves blending off, texture unit 0 active and
  // no sampler bound (the state the renderer's passes expect).
  void draw(GLuint canvasTexture, const WarpView& view) const;

 private:
  WarpPass() = default;
  GlProgram mProgram;
  GlVertexArray mVertexArray;
  GlSampler mSampler;
  GLint mUvFromFrag = -1, mRegion = -1, mPicture = -1, mBlend = -1, mInvGamma = -1;
};

}  // namespace tessera::platform
