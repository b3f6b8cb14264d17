// shader_scale = "auto": a scene's shaders draw at a lower resolution (scaled up after) while
// the render thread's work per frame stays over 90 % of the frame period (2 seconds running),
// and a step back up once the work that step would add (the shaders' cost grows with their
// area) still fits in 75 % (3 seconds running). The first 2 seconds of a scene (its fade, the
// driver compiling its shaders) do not count. A GPU never needs it; a CPU rasteriser keeps the
// canvas on time.
//
// Thread: the render thread alone.
#pragma once

#include <algorithm>
#include <string>

#include "core/log.hpp"

namespace tessera::render {

class ShaderScaler {
 public:
  static constexpr float kStep = 0.85f;
  static constexpr float kMin = 0.5f;
  float scale() const { return mScale; }
  // Once a second, with that second's mean render work and shader time per frame.
  void update(double workMs, double shaderMs, double periodMs, const std::string& scene) {
    if (mWarmUp > 0) {
      --mWarmUp;
      return;
    }
    const float before = mScale;
    const float up = std::min(1.0f, mScale / kStep);
    const double workAfterUp = workMs + shaderMs * ((up * up) / (mScale * mScale) - 1);
    if (workMs > 0.9 * periodMs) {
      mUnder = 0;
      if (++mOver >= 2 && mScale > kMin) {
        mScale = std::max(kMin, mScale * kStep);
        mOver = 0;
      }
    } else if (mScale < 1 && workAfterUp < 0.75 * periodMs) {
      mOver = 0;
      if (++mUnder >= 3) {
        mScale = up;
        mUnder = 0;
      }
    } else {
      mOver = mUnder = 0;
    }
    if (mScale != before) {
      core::logInfo("render",
                    "scene \"{}\": shaders now draw at {:.0f} % of the canvas (render work "
                    "{:.1f} ms a frame of {:.1f})",
                    scene, mScale * 100, workMs, periodMs);
    }
  }

 private:
  float mScale = 1;
  int mWarmUp = 2;
  int mOver = 0;
  int mUnder = 0;
};

}  // namespace tessera::render
