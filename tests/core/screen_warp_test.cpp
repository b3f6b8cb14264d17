#include "core/screen_warp.hpp"

#include <catch2/catch.hpp>
#include <cmath>

using tessera::core::blendFactor;
using tessera::core::blendFactorAt;
using tessera::core::EdgeBlend;
using tessera::core::fitQuad;
using tessera::core::isConvexQuad;
using tessera::core::Mat3;
using tessera::core::pictureFromFragment;
using tessera::core::PointD;
using tessera::core::Quad;
using tessera::core::squareToQuad;

namespace {

PointD at(const Mat3& m, double x, double y) {
  const auto p = m.apply({x, y});
  REQUIRE(p);
  return *p;
}

// Where the diagonals of a quad cross: a projective map sends the square's centre there (a
// bilinear one would send it to the corners' mean instead).
PointD diagonalsCross(const Quad& q) {
  const double x1 = q[0].x, y1 = q[0].y, x2 = q[2].x, y2 = q[2].y;
  const double x3 = q[1].x, y3 = q[1].y, x4 = q[3].x, y4 = q[3].y;
  const double d = (x1 - x2) * (y3 - y4) - (y1 - y2) * (x3 - x4);
  const double t = ((x1 - x3) * (y3 - y4) - (y1 - y3) * (x3 - x4)) / d;
  return {x1 + t * (x2 - x1), y1 + t * (y2 - y1)};
}

}  // namespace

TEST_CASE("squareToQuad sends the unit square's corners to the quad's", "[core][warp]") {
  const Quad quads[] = {
      {PointD{0, 0}, {640, 0}, {640, 360}, {0, 360}},      // the window itself
      {PointD{80, 40}, {600, 20}, {560, 340}, {40, 300}},  // a keystoned projector
      {PointD{10, 10}, {110, 30}, {120, 130}, {20, 110}},  // a parallelogram (affine)
      {PointD{100, 0}, {540, 0}, {640, 360}, {0, 360}},    // a trapezoid
      {PointD{640, 0}, {0, 0}, {0, 360}, {640, 360}},      // mirrored (rear projection)
  };
  for (const Quad& q : quads) {
    const auto h = squareToQuad(q);
    REQUIRE(h);
    const PointD unit[] = {{0, 0}, {1, 0}, {1, 1}, {0, 1}};
    for (int i = 0; i < 4; ++i) {
      const PointD p = at(*h, unit[i].x, unit[i].y);
      CHECK(p.x == Approx(q[i].x).margin(1e-9));
      CHECK(p.y == Approx(q[i].y).margin(1e-9));
    }
    // Projective, not bilinear: the centre lands where the diagonals cross.
    const PointD c = at(*h, 0.5, 0.5);
    const PointD x = diagonalsCross(q);
    CHECK(c.x == Approx(x.x).margin(1e-9));
    CHECK(c.y == Approx(x.y).margin(1e-9));
    // Straight lines stay straight: the square's top edge's points stay on the quad's.
    for (double u : {0.1, 0.37, 0.8}) {
      const PointD p = at(*h, u, 0);
      const double side = (q[1].x - q[0].x) * (p.y - q[0].y) - (q[1].y - q[0].y) * (p.x - q[0].x);
      CHECK(side == Approx(0).margin(1e-6));
    }
    // The inverse takes it back.
    const auto back = tessera::core::inverse(*h);
    REQUIRE(back);
    for (double u : {0.0, 0.25, 0.9}) {
      for (double v : {0.0, 0.5, 1.0}) {
        const PointD p = at(*h, u, v);
        const PointD r = at(*back, p.x, p.y);
        CHECK(r.x == Approx(u).margin(1e-9));
        CHECK(r.y == Approx(v).margin(1e-9));
      }
    }
  }
}

TEST_CASE("a keystoned quad's centre differs from the corners' mean", "[core][warp]") {
  // Guards the test above: for this quad bilinear and projective answers are far apart.
  const Quad q{PointD{100, 0}, {540, 0}, {640, 360}, {0, 360}};
  const PointD c = at(*squareToQuad(q), 0.5, 0.5);
  CHECK(c.x == Approx(320));
  CHECK(std::abs(c.y - 180) > 10);  // the mean would be y = 180
}

TEST_CASE("degenerate and non-convex quads are refused", "[core][warp]") {
  CHECK_FALSE(squareToQuad({PointD{0, 0}, {1, 1}, {2, 2}, {3, 3}}));
  CHECK_FALSE(isConvexQuad({PointD{0, 0}, {1, 1}, {2, 2}, {3, 3}}));
  CHECK_FALSE(isConvexQuad({PointD{0, 0}, {100, 0}, {0, 100}, {100, 100}}));  // a bow tie
  CHECK_FALSE(isConvexQuad({PointD{0, 0}, {100, 0}, {20, 20}, {0, 100}}));    // a dart
  CHECK_FALSE(isConvexQuad({PointD{0, 0}, {0, 0}, {100, 100}, {0, 100}}));    // two corners one
  CHECK(isConvexQuad({PointD{0, 0}, {100, 0}, {100, 100}, {0, 100}}));
  CHECK(isConvexQuad({PointD{100, 0}, {0, 0}, {0, 100}, {100, 100}}));  // mirrored winding
}

TEST_CASE("fitQuad letterboxes and pillarboxes", "[core][warp]") {
  struct Row {
    tessera::core::SizePx picture, window;
    Quad expected;
  };
  const Row rows[] = {
      {{1280, 720}, {640, 360}, {PointD{0, 0}, {640, 0}, {640, 360}, {0, 360}}},
      {{1280, 720}, {640, 480}, {PointD{0, 60}, {640, 60}, {640, 420}, {0, 420}}},
      {{640, 720}, {1280, 720}, {PointD{320, 0}, {960, 0}, {960, 720}, {320, 720}}},
  };
  for (const Row& r : rows) {
    const Quad q = fitQuad(r.picture, r.window);
    for (int i = 0; i < 4; ++i) {
      CHECK(q[i].x == Approx(r.expected[i].x));
      CHECK(q[i].y == Approx(r.expected[i].y));
    }
  }
}

TEST_CASE("pictureFromFragment maps GL's bottom-up pixels to the picture", "[core][warp]") {
  const Quad window{PointD{0, 0}, {640, 0}, {640, 360}, {0, 360}};
  const auto m = pictureFromFragment(window, 360);
  REQUIRE(m);
  // The bottom-left pixel's centre in GL is the picture's bottom-left.
  PointD p = at(*m, 0.5, 0.5);
  CHECK(p.x == Approx(0.5 / 640));
  CHECK(p.y == Approx(359.5 / 360));
  p = at(*m, 639.5, 359.5);
  CHECK(p.x == Approx(639.5 / 640));
  CHECK(p.y == Approx(0.5 / 360));
  // A pinned quad: its top-left corner (window y down) is the picture's origin.
  const Quad pinned{PointD{80, 40}, {600, 20}, {560, 340}, {40, 300}};
  const auto k = pictureFromFragment(pinned, 360);
  REQUIRE(k);
  p = at(*k, 80, 360 - 40);
  CHECK(p.x == Approx(0).margin(1e-9));
  CHECK(p.y == Approx(0).margin(1e-9));
  p = at(*k, 560, 360 - 340);
  CHECK(p.x == Approx(1));
  CHECK(p.y == Approx(1));
}

TEST_CASE("edge blend: zero at the edge, one past the ramp, overlaps add to constant light",
          "[core][warp]") {
  for (double gamma : {1.0, 2.2, 2.4}) {
    CHECK(blendFactor(0, 100, gamma) == 0);
    CHECK(blendFactor(100, 100, gamma) == 1);
    CHECK(blendFactor(150, 100, gamma) == 1);
    CHECK(blendFactor(-5, 100, gamma) == 0);
    double previous = -1;
    for (double d = 0; d <= 100; d += 5) {
      const double f = blendFactor(d, 100, gamma);
      CHECK(f >= previous);  // monotonic
      previous = f;
      // Two projectors overlapping over the ramp: the light they throw adds up to one.
      const double light = std::pow(f, gamma) + std::pow(blendFactor(100 - d, 100, gamma), gamma);
      CHECK(light == Approx(1).margin(1e-9));
    }
  }
  // Gamma-correct: halfway through the ramp the signal is 0.5^(1/2.2), not 0.5.
  CHECK(blendFactor(50, 100, 2.2) == Approx(std::pow(0.5, 1 / 2.2)));
  CHECK(blendFactor(10, 0, 2.2) == 1);  // no ramp
  EdgeBlend b;
  b.left = 64;
  b.top = 10;
  CHECK(blendFactorAt(b, 32, 100, 640, 360) == Approx(blendFactor(32, 64, 2.2)));
  CHECK(blendFactorAt(b, 320, 180, 640, 360) == 1);
  CHECK(blendFactorAt(b, 0, 180, 640, 360) == 0);
  CHECK(blendFactorAt(b, 639, 359, 640, 360) == 1);  // no right or bottom ramp
}
