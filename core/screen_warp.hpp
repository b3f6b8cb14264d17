// The geometry of a gallery window ([[output.windows]]): which part of the canvas it shows, the
// corner-pin (a projective warp of that picture onto four points of the window, for projectors
// that do not hit the wall square) and the edge blend (overlapping projectors fade into each
// other). Pure: the window's shader evaluates the same maps, and tests check them as tables.
#pragma once

#include <array>
#include <optional>

#include "core/types.hpp"

namespace tessera::core {

struct PointD {
  double x = 0;
  double y = 0;
};

// Four points: top-left, top-right, bottom-right, bottom-left (window pixels, y down).
using Quad = std::array<PointD, 4>;

// A 3x3 matrix, row-major, acting on (x, y, 1) columns.
struct Mat3 {
  std::array<double, 9> m{1, 0, 0, 0, 1, 0, 0, 0, 1};
  // The projective image of `p`; nullopt where it goes to infinity.
  std::optional<PointD> apply(PointD p) const;
};
Mat3 operator*(const Mat3& a, const Mat3& b);
std::optional<Mat3> inverse(const Mat3& a);

// The projective map taking the unit square's corners (0,0), (1,0), (1,1), (0,1) to `quad`'s
// four points in order (Heckbert's square-to-quad); nullopt when three points are on a line.
std::optional<Mat3> squareToQuad(const Quad& quad);

// True when the four points, in order, form a convex quadrilateral with a non-zero area (the
// only shapes a corner-pin maps one-to-one); either winding.
bool isConvexQuad(const Quad& quad);

// The largest rectangle of `picture`'s aspect centred in `window` (letterboxed or pillarboxed):
// the corners a window uses without a corner-pin.
Quad fitQuad(SizePx picture, SizePx window);

// Where a window's shader finds each pixel: gl_FragCoord (x right, y up from the bottom of a
// `drawable` high) to the picture's (u, v) in 0..1 (v down), for a picture pinned to
// `corners`. nullopt for a degenerate quad.
std::optional<Mat3> pictureFromFragment(const Quad& corners, int drawableHeight);

// [[output.windows]] blend: ramps at the picture's edges, widths in picture pixels (the
// picture before its corner-pin, as large as the quad's window).
struct EdgeBlend {
  double left = 0;
  double right = 0;
  double top = 0;
  double bottom = 0;
  double gamma = 2.2;
  bool any() const { return left > 0 || right > 0 || top > 0 || bottom > 0; }
};

// The signal multiplier `distancePx` inside an edge whose ramp is `widthPx` wide. The light
// (signal^gamma) follows smoothstep, so two projectors overlapping by the same width, one
// ramping up where the other ramps down, add up to constant light: f(d)^g + f(w-d)^g = 1.
double blendFactor(double distancePx, double widthPx, double gamma);

// The product of the four edges' factors at picture pixel (x, y) of a `picture`-sized picture.
double blendFactorAt(const EdgeBlend& blend, double x, double y, double pictureWidth,
                     double pictureHeight);

}  // namespace tessera::core
