#include "core/screen_warp.hpp"

#include <algorithm>
#include <cmath>

namespace tessera::core {
namespace {

double cross(PointD o, PointD a, PointD b) {
  return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);
}

}  // namespace

std::optional<PointD> Mat3::apply(PointD p) const {
  const double w = m[6] * p.x + m[7] * p.y + m[8];
  if (std::abs(w) < 1e-12) return std::nullopt;
  return PointD{(m[0] * p.x + m[1] * p.y + m[2]) / w, (m[3] * p.x + m[4] * p.y + m[5]) / w};
}

Mat3 operator*(const Mat3& a, const Mat3& b) {
  Mat3 r;
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) {
      double s = 0;
      for (int k = 0; k < 3; ++k) s += a.m[i * 3 + k] * b.m[k * 3 + j];
      r.m[i * 3 + j] = s;
    }
  }
  return r;
}

std::optional<Mat3> inverse(const Mat3& a) {
  const auto& m = a.m;
  const double c00 = m[4] * m[8] - m[5] * m[7];
  const double c01 = m[5] * m[6] - m[3] * m[8];
  const double c02 = m[3] * m[7] - m[4] * m[6];
  const double det = m[0] * c00 + m[1] * c01 + m[2] * c02;
  if (!std::isfinite(det) || std::abs(det) < 1e-12) return std::nullopt;
  Mat3 r;
  r.m = {c00, m[2] * m[7] - m[1] * m[8], m[1] * m[5] - m[2] * m[4],
         c01, m[0] * m[8] - m[2] * m[6], m[2] * m[3] - m[0] * m[5],
         c02, m[1] * m[6] - m[0] * m[7], m[0] * m[4] - m[1] * m[3]};
  for (double& x : r.m) x /= det;
  return r;
}

std::optional<Mat3> squareToQuad(const Quad& q) {
  const double dx1 = q[1].x - q[2].x, dx2 = q[3].x - q[2].x,
               dx3 = q[0].x - q[1].x + q[2].x - q[3].x;
  const double dy1 = q[1].y - q[2].y, dy2 = q[3].y - q[2].y,
               dy3 = q[0].y - q[1].y + q[2].y - q[3].y;
  double g = 0, h = 0;
  if (dx3 != 0 || dy3 != 0) {
    const double det = dx1 * dy2 - dx2 * dy1;
    if (std::abs(det) < 1e-12) return std::nullopt;
    g = (dx3 * dy2 - dx2 * dy3) / det;
    h = (dx1 * dy3 - dx3 * dy1) / det;
  }
  Mat3 r;
  r.m = {q[1].x - q[0].x + g * q[1].x,
         q[3].x - q[0].x + h * q[3].x,
         q[0].x,
         q[1].y - q[0].y + g * q[1].y,
         q[3].y - q[0].y + h * q[3].y,
         q[0].y,
         g,
         h,
         1};
  if (!inverse(r)) return std::nullopt;
  return r;
}

bool isConvexQuad(const Quad& q) {
  int sign = 0;
  for (int i = 0; i < 4; ++i) {
    const double c = cross(q[i], q[(i + 1) % 4], q[(i + 2) % 4]);
    if (!std::isfinite(c) || std::abs(c) < 1e-9) return false;
    const int s = c > 0 ? 1 : -1;
    if (sign != 0 && s != sign) return false;
    sign = s;
  }
  return true;
}

Quad fitQuad(SizePx picture, SizePx window) {
  const double scale = std::min(static_cast<double>(window.width) / picture.width,
                                static_cast<double>(window.height) / picture.height);
  const double w = picture.width * scale, h = picture.height * scale;
  const double x = (window.width - w) / 2, y = (window.height - h) / 2;
  return {PointD{x, y}, PointD{x + w, y}, PointD{x + w, y + h}, PointD{x, y + h}};
}

std::optional<Mat3> pictureFromFragment(const Quad& corners, int drawableHeight) {
  const auto toWindow = squareToQuad(corners);
  if (!toWindow) return std::nullopt;
  const auto fromWindow = inverse(*toWindow);
  if (!fromWindow) return std::nullopt;
  // gl_FragCoord counts rows from the bottom; the corners from the top.
  Mat3 flip;
  flip.m = {1, 0, 0, 0, -1, static_cast<double>(drawableHeight), 0, 0, 1};
  return *fromWindow * flip;
}

double blendFactor(double distancePx, double widthPx, double gamma) {
  if (widthPx <= 0) return 1;
  const double t = std::clamp(distancePx / widthPx, 0.0, 1.0);
  const double light = t * t * (3 - 2 * t);
  return std::pow(light, 1 / gamma);
}

double blendFactorAt(const EdgeBlend& b, double x, double y, double pictureWidth,
                     double pictureHeight) {
  return blendFactor(x, b.left, b.gamma) * blendFactor(pictureWidth - x, b.right, b.gamma) *
         blendFactor(y, b.top, b.gamma) * blendFactor(pictureHeight - y, b.bottom, b.gamma);
}

}  // namespace tessera::core
