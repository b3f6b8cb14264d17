#include "compositor/layout.hpp"

namespace tessera::compositor {

core::Rect coverSource(const core::Rect& rect, core::SizePx picture) {
  if (rect.w <= 0 || rect.h <= 0 || picture.width <= 0 || picture.height <= 0) {
    return {0, 0, 1, 1};
  }
  const double rectAspect = static_cast<double>(rect.w) / rect.h;
  const double pictureAspect = static_cast<double>(picture.width) / picture.height;
  if (rectAspect < pictureAspect) {
    // The rect is narrower: show the middle columns of the picture.
    const auto w = static_cast<float>(rectAspect / pictureAspect);
    return {(1 - w) / 2, 0, w, 1};
  }
  const auto h = static_cast<float>(pictureAspect / rectAspect);
  return {0, (1 - h) / 2, 1, h};
}

}  // namespace tessera::compositor
