#include "render/crowd.hpp"

#include <algorithm>

namespace tessera::render {

CrowdData::CrowdData(int maxFeeds)
    : mMaxFeeds(maxFeeds), mRows(static_cast<std::size_t>(maxFeeds) * 4 * 4, 0.0f) {
  mTexture = platform::makeTexture();
  glBindTexture(GL_TEXTURE_2D, mTexture.id());
  glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA32F, maxFeeds, 4, 0, GL_RGBA, GL_FLOAT, mRows.data());
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
  mBinding.data = mTexture.id();
}

void CrowdData::update(std::span<const CrowdFeed> feeds, core::SizePx canvas) {
  std::fill(mRows.begin(), mRows.end(), 0.0f);
  const std::size_t n = std::min(feeds.size(), static_cast<std::size_t>(mMaxFeeds));
  const std::size_t row = static_cast<std::size_t>(mMaxFeeds) * 4;
  const float cw = static_cast<float>(std::max(canvas.width, 1));
  const float ch = static_cast<float>(std::max(canvas.height, 1));
  std::array<float, 3> colour{};
  float motion = 0, brightness = 0, faces = 0;
  int scored = 0;
  const auto now = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < n; ++i) {
    const CrowdFeed& f = feeds[i];
    float* rect = &mRows[i * 4];
    float* scores = &mRows[row + i * 4];
    float* mean = &mRows[2 * row + i * 4];
    float* meta = &mRows[3 * row + i * 4];
    if (f.rect) {
      rect[0] = f.rect->x / cw;
      rect[1] = 1.0f - (f.rect->y + f.rect->h) / ch;
      rect[2] = f.rect->w / cw;
      rect[3] = f.rect->h / ch;
    }
    if (f.scores) {
      const core::Scores& s = *f.scores;
      scores[0] = s.brightness;
      scores[1] = s.motion;
      scores[2] = s.sharpness;
      scores[3] = static_cast<float>(s.faces);
      for (int c = 0; c < 3; ++c) {
        mean[c] = s.meanRgb[c] / 255.0f;
        colour[c] += mean[c];
      }
      mean[3] = static_cast<float>(s.ageMsAt(now)) / 1000.0f;
      motion += s.motion;
      brightness += s.brightness;
      faces += static_cast<float>(s.faces);
      ++scored;
    }
    meta[0] = static_cast<float>(f.layer);
    meta[1] = f.yuv ? 1.0f : 0.0f;
    meta[2] = static_cast<float>(f.id.value);
    meta[3] = f.scale;
  }
  glBindTexture(GL_TEXTURE_2D, mTexture.id());
  glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, mMaxFeeds, 4, GL_RGBA, GL_FLOAT, mRows.data());
  mBinding.feedCount = static_cast<int>(n);
  for (int c = 0; c < 3; ++c) mBinding.colour[c] = scored ? colour[c] / scored : 0.0f;
  mBinding.motion = motion;
  mBinding.brightness = scored ? brightness / scored : 0.0f;
  mBinding.faces = faces;
}

CrowdBinding CrowdData::binding(GLuint rgbaArray, GLuint yArray, GLuint uArray,
                                GLuint vArray) const {
  CrowdBinding b = mBinding;
  b.rgbaArray = rgbaArray;
  b.yArray = yArray;
  b.uArray = uArray;
  b.vArray = vArray;
  return b;
}

}  // namespace tessera::render
