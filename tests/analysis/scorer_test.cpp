// The scorers on pictures whose truth is known: solid colours, a still clip and a moving one, a
// picture and its blurred copy, and Debian's opencv-doc sample images for faces.
#include "analysis/scorer.hpp"

#include <catch2/catch.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "tests/support/frames.hpp"

using namespace tessera;
using analysis::FrameInput;
using analysis::Scorer;
using analysis::protocol::FrameFormat;
using analysis::protocol::Result;
using analysis::protocol::Thumbnail;

namespace {

// Workers score on one thread (runWorkerProcess sets it), and so does this test binary. With
// OpenCV's default pool, TBB's threads (not built with TSan) write the scorer's buffers inside
// detectMultiScale and hand them back through TBB's own atomics, which TSan cannot see: it then
// reports the Scorer's destructor freeing them as a race (seen once in CI).
[[maybe_unused]] const bool kOneOpenCvThread = [] {
  cv::setNumThreads(1);
  return true;
}();

// Debian's opencv-doc sample images (`make deps` installs the package).
const std::filesystem::path kSamples = "/usr/share/doc/opencv-doc/examples/data";

cv::Mat sample(const std::string& name) {
  const auto path = kSamples / name;
  INFO(path.string() << " (Debian package opencv-doc)");
  cv::Mat image = cv::imread(path.string(), cv::IMREAD_COLOR);
  REQUIRE_FALSE(image.empty());
  return image;
}

// A BGR picture as a packed I420 frame, like the tiles ingest produces (even sizes).
struct I420 {
  cv::Mat yuv;
  int width = 0;
  int height = 0;
  FrameInput input() const {
    return FrameInput::fromPacked(FrameFormat::kI420, width, height, yuv.data);
  }
};

I420 toI420(const cv::Mat& bgr, cv::Size size = {}) {
  cv::Mat scaled = bgr;
  if (size.width > 0) cv::resize(bgr, scaled, size, 0, 0, cv::INTER_AREA);
  I420 out;
  out.width = scaled.cols & ~1;
  out.height = scaled.rows & ~1;
  cv::cvtColor(scaled(cv::Rect(0, 0, out.width, out.height)), out.yuv, cv::COLOR_BGR2YUV_I420);
  return out;
}

Result scoreOf(Scorer& scorer, const FrameInput& in, bool faces = false,
               const Thumbnail& previous = {}) {
  Result r;
  REQUIRE(scorer.score(in, faces, previous, r));
  return r;
}

Scorer& plainScorer() {
  static Scorer scorer(std::nullopt);
  return scorer;
}

}  // namespace

TEST_CASE("solid colours: mean_rgb, brightness, palette and the black flag", "[analysis][scorer]") {
  struct Case {
    const char* name;
    test::Rgba colour;
    bool black;
  };
  const Case cases[] = {
      {"red", {255, 0, 0}, false},
      {"green", {0, 255, 0}, false},
      {"blue", {0, 0, 255}, false},
      {"white", {255, 255, 255}, false},
      {"grey", {128, 128, 128}, false},
      {"orange", {255, 128, 0}, false},
      {"black", {0, 0, 0}, true},
      {"near black", {10, 12, 8}, true},
      {"dark but not black", {60, 60, 60}, false},
  };
  for (const auto& c : cases) {
    const double luma = (0.299 * c.colour.r + 0.587 * c.colour.g + 0.114 * c.colour.b) / 255.0;
    SECTION(std::string("RGBA ") + c.name) {
      auto frame = test::solidFrame(64, 48, c.colour, 64 * 4 + 32);  // padded rows
      const Result r = scoreOf(plainScorer(), FrameInput::fromFrame(*frame));
      CHECK(r.meanRgb[0] == Approx(c.colour.r).margin(0.5));
      CHECK(r.meanRgb[1] == Approx(c.colour.g).margin(0.5));
      CHECK(r.meanRgb[2] == Approx(c.colour.b).margin(0.5));
      CHECK(r.brightness == Approx(luma).margin(0.005));
      CHECK(r.black == c.black);
      CHECK(r.sharpness == Approx(0).margin(1e-3));  // nothing in a flat picture has an edge
      CHECK(r.palette[0].weight == Approx(1.0));
      CHECK(static_cast<int>(r.palette[0].rgb[0]) == Approx(c.colour.r).margin(1));
      CHECK(static_cast<int>(r.palette[0].rgb[1]) == Approx(c.colour.g).margin(1));
      CHECK(static_cast<int>(r.palette[0].rgb[2]) == Approx(c.colour.b).margin(1));
    }
    SECTION(std::string("I420 ") + c.name) {
      // Limited-range YUV loses a little on the way: a few levels of tolerance.
      auto frame = test::solidI420Frame(160, 120, test::toYuv(c.colour), 192);  // padded rows
      const Result r = scoreOf(plainScorer(), FrameInput::fromFrame(*frame));
      CHECK(r.meanRgb[0] == Approx(c.colour.r).margin(4));
      CHECK(r.meanRgb[1] == Approx(c.colour.g).margin(4));
      CHECK(r.meanRgb[2] == Approx(c.colour.b).margin(4));
      CHECK(r.brightness == Approx(luma).margin(0.02));
      CHECK(r.black == c.black);
    }
  }
}

TEST_CASE("the palette finds three colours and their shares", "[analysis][scorer]") {
  // Vertical bands: half red, 30% blue, 20% white.
  cv::Mat bgr(120, 160, CV_8UC3, cv::Scalar(0, 0, 255));
  bgr(cv::Rect(80, 0, 48, 120)).setTo(cv::Scalar(255, 0, 0));
  bgr(cv::Rect(128, 0, 32, 120)).setTo(cv::Scalar(255, 255, 255));
  const I420 frame = toI420(bgr);
  const Result r = scoreOf(plainScorer(), frame.input());
  struct Expected {
    int r, g, b;
    float weight;
  };
  const Expected expected[] = {{255, 0, 0, 0.5f}, {0, 0, 255, 0.3f}, {255, 255, 255, 0.2f}};
  for (std::size_t i = 0; i < 3; ++i) {
    INFO("palette colour " << i);
    CHECK(r.palette[i].weight == Approx(expected[i].weight).margin(0.04));
    CHECK(static_cast<int>(r.palette[i].rgb[0]) == Approx(expected[i].r).margin(6));
    CHECK(static_cast<int>(r.palette[i].rgb[1]) == Approx(expected[i].g).margin(6));
    CHECK(static_cast<int>(r.palette[i].rgb[2]) == Approx(expected[i].b).margin(6));
  }
  // The same picture gives the same palette.
  const Result again = scoreOf(plainScorer(), frame.input());
  CHECK(again.palette == r.palette);
}

TEST_CASE("motion: 0 for a still clip, clearly more for a moving one", "[analysis][scorer]") {
  const cv::Mat picture = sample("fruits.jpg");
  Scorer& scorer = plainScorer();

  // A still clip: the same picture, frame after frame, with a little sensor-like noise.
  Thumbnail previous;
  cv::RNG rng(7);
  for (int i = 0; i < 8; ++i) {
    cv::Mat noisy = picture.clone();
    cv::Mat noise(noisy.size(), CV_16SC3);
    rng.fill(noise, cv::RNG::UNIFORM, -2, 3);
    noisy.convertTo(noisy, CV_16SC3);
    noisy = noisy + noise;
    noisy.convertTo(noisy, CV_8UC3);
    const I420 frame = toI420(noisy, {160, 120});
    const Result r = scoreOf(scorer, frame.input(), false, previous);
    CHECK(r.motionValid == (i > 0));
    if (i > 0) {
      CHECK(r.motion == 0.0f);
      CHECK(r.still);
    }
    previous = r.thumbnail;
  }

  // A moving clip: the camera pans 6 pixels a frame.
  previous = {};
  for (int i = 0; i < 8; ++i) {
    const cv::Mat view = picture(cv::Rect(i * 6, 0, picture.cols - 60, picture.rows - 40));
    const I420 frame = toI420(view, {160, 120});
    const Result r = scoreOf(scorer, frame.input(), false, previous);
    if (i > 0) {
      CHECK(r.motion > 0.05f);
      CHECK_FALSE(r.still);
    }
    previous = r.thumbnail;
  }

  // Without a previous frame there is nothing to compare: not measured, 0.
  const I420 frame = toI420(picture, {160, 120});
  const Result first = scoreOf(scorer, frame.input());
  CHECK_FALSE(first.motionValid);
  CHECK(first.motion == 0.0f);
  CHECK(first.thumbnail.width == Scorer::kThumbnailWidth);
  CHECK(first.thumbnail.height == Scorer::kThumbnailHeight);
  CHECK(first.thumbnail.pixels.size() ==
        std::size_t{Scorer::kThumbnailWidth * Scorer::kThumbnailHeight});
}

TEST_CASE("sharpness: a Gaussian-blurred copy scores clearly lower", "[analysis][scorer]") {
  for (const char* name : {"messi5.jpg", "baboon.jpg", "fruits.jpg"}) {
    INFO(name);
    const cv::Mat picture = sample(name);
    cv::Mat blurred;
    cv::GaussianBlur(picture, blurred, cv::Size(0, 0), 2.0);
    for (const cv::Size size : {cv::Size{160, 120}, cv::Size{}}) {
      INFO("size " << size.width << "x" << size.height << " (0 = native)");
      const Result sharp = scoreOf(plainScorer(), toI420(picture, size).input());
      const Result soft = scoreOf(plainScorer(), toI420(blurred, size).input());
      CHECK(sharp.sharpness > 2.5f * soft.sharpness);
    }
  }
  // RGBA and I420 of the same picture agree (both in full-range units).
  const cv::Mat picture = sample("baboon.jpg");
  cv::Mat small, rgba;
  cv::resize(picture, small, {160, 120}, 0, 0, cv::INTER_AREA);
  cv::cvtColor(small, rgba, cv::COLOR_BGR2RGBA);
  const Result fromRgba =
      scoreOf(plainScorer(), FrameInput::fromPacked(FrameFormat::kRgba, 160, 120, rgba.data));
  const Result fromI420 = scoreOf(plainScorer(), toI420(small).input());
  CHECK(fromI420.sharpness == Approx(fromRgba.sharpness).epsilon(0.25));
}

TEST_CASE("faces: two in messi5.jpg, none in baboon.jpg (Haar cascade)", "[analysis][scorer]") {
  Scorer scorer{std::filesystem::path(analysis::kDefaultFaceCascade)};
  INFO(scorer.faceError() << " (Debian package opencv-data)");
  REQUIRE(scorer.canDetectFaces());

  const Result messi = scoreOf(scorer, toI420(sample("messi5.jpg")).input(), true);
  CHECK(messi.facesDetected);
  CHECK(messi.faces == 2);
  CHECK(messi.faceMicros > 0);
  CHECK(messi.scoreMicros >= messi.faceMicros);

  const Result baboon = scoreOf(scorer, toI420(sample("baboon.jpg")).input(), true);
  CHECK(baboon.facesDetected);
  CHECK(baboon.faces == 0);

  // At tile size, a phone-like close-up (the larger face, cropped) is still found.
  const cv::Mat closeUp = sample("messi5.jpg")(cv::Rect(200, 30, 140, 105));
  const Result tile = scoreOf(scorer, toI420(closeUp, {160, 120}).input(), true);
  CHECK(tile.faces == 1);

  // Not asked: not detected, and the count is not claimed.
  const Result skipped = scoreOf(scorer, toI420(sample("messi5.jpg")).input(), false);
  CHECK_FALSE(skipped.facesDetected);
  CHECK(skipped.faceMicros == 0);
}

TEST_CASE("a scorer without a cascade never detects faces", "[analysis][scorer]") {
  Scorer missing(std::filesystem::path("/nonexistent/cascade.xml"));
  CHECK_FALSE(missing.canDetectFaces());
  CHECK_THAT(missing.faceError(), Catch::Contains("/nonexistent/cascade.xml"));
  const Result r = scoreOf(missing, toI420(sample("messi5.jpg")).input(), true);
  CHECK_FALSE(r.facesDetected);
}

TEST_CASE("frames that cannot be read are refused, not guessed", "[analysis][scorer]") {
  std::vector<std::uint8_t> pixels(64 * 64 * 4, 100);
  Result r;
  // Odd-sized I420 has no whole chroma sample for the last row and column.
  CHECK_FALSE(plainScorer().score(FrameInput::fromPacked(FrameFormat::kI420, 63, 48, pixels.data()),
                                  false, {}, r));
  CHECK_FALSE(plainScorer().score(FrameInput{}, false, {}, r));
  // A previous thumbnail of another size is not compared.
  Thumbnail odd{8, 8, std::vector<std::uint8_t>(64, 0)};
  REQUIRE(plainScorer().score(FrameInput::fromPacked(FrameFormat::kRgba, 64, 64, pixels.data()),
                              false, odd, r));
  CHECK_FALSE(r.motionValid);
}
