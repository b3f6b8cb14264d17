#include "analysis/scorer.hpp"

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <numeric>

namespace tessera::analysis {
namespace {

using Clock = std::chrono::steady_clock;

// Palette samples: a coarse grid of the frame's own pixels (nearest, not averaged, so the
// palette holds colours that are really in the picture).
constexpr int kPaletteGridWidth = 16;
constexpr int kPaletteGridHeight = 12;
constexpr int kPaletteColours = 3;
// Cluster centres closer than this (RGB distance) are one colour.
constexpr float kSameColourDistance = 12;
// A thumbnail pixel with a channel above this is not "black"; a picture is black when at most
// kBlackShare of its pixels are not.
constexpr std::uint8_t kBlackLevel = 32;
constexpr double kBlackShare = 0.01;
// BT.601 limited-range luma (16..235) to full range.
constexpr double kLimitedToFull = 255.0 / 219.0;

std::uint32_t microsSince(Clock::time_point t) {
  return static_cast<std::uint32_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t).count());
}

}  // namespace

FrameInput FrameInput::fromFrame(const core::VideoFrame& frame) {
  FrameInput in;
  in.format = frame.format == core::PixelFormat::kI420 ? protocol::FrameFormat::kI420
                                                       : protocol::FrameFormat::kRgba;
  in.width = frame.width;
  in.height = frame.height;
  for (int p = 0; p < 3; ++p) {
    in.planes[p] = frame.planes[p];
    in.strides[p] = frame.planeStrides[p];
  }
  // Plane 0 is data/strideBytes (what RGBA producers fill in).
  if (frame.data) in.planes[0] = frame.data;
  if (frame.strideBytes) in.strides[0] = frame.strideBytes;
  return in;
}

FrameInput FrameInput::fromPacked(protocol::FrameFormat format, int width, int height,
                                  const std::uint8_t* pixels) {
  FrameInput in;
  in.format = format;
  in.width = width;
  in.height = height;
  const auto w = static_cast<std::size_t>(width);
  if (format == protocol::FrameFormat::kI420) {
    const std::size_t cw = (w + 1) / 2;
    const std::size_t ch = static_cast<std::size_t>(height + 1) / 2;
    in.planes[0] = pixels;
    in.planes[1] = pixels + w * static_cast<std::size_t>(height);
    in.planes[2] = in.planes[1] + cw * ch;
    in.strides[0] = w;
    in.strides[1] = in.strides[2] = cw;
  } else {
    in.planes[0] = pixels;
    in.strides[0] = w * 4;
  }
  return in;
}

struct Scorer::Impl {
  cv::CascadeClassifier cascade;
  bool faces = false;
  std::string faceError;
  // Scratch, reused from frame to frame.
  cv::Mat packedI420, bgr, greyOwned, laplacian, thumbnail, colourThumbnail, equalised, grid,
      samples, labels, centres;
  std::vector<cv::Rect> rects;
};

Scorer::Scorer(const std::optional<std::filesystem::path>& faceCascade)
    : mImpl(std::make_unique<Impl>()) {
  if (!faceCascade) {
    mImpl->faceError = "no face cascade configured";
    return;
  }
  std::error_code ec;
  if (!std::filesystem::exists(*faceCascade, ec)) {
    mImpl->faceError = "face cascade not found: " + faceCascade->string();
    return;
  }
  try {
    mImpl->faces = mImpl->cascade.load(faceCascade->string());
  } catch (const cv::Exception& e) {
    mImpl->faces = false;
  }
  if (!mImpl->faces) mImpl->faceError = "cannot load face cascade " + faceCascade->string();
}

Scorer::~Scorer() = default;

bool Scorer::canDetectFaces() const {
  return mImpl->faces;
}

const std::string& Scorer::faceError() const {
  return mImpl->faceError;
}

bool Scorer::score(const FrameInput& frame, bool detectFaces, const protocol::Thumbnail& previous,
                   protocol::Result& out) {
  const auto started = Clock::now();
  Impl& m = *mImpl;
  const int w = frame.width;
  const int h = frame.height;
  if (w < 2 || h < 2 || !frame.planes[0]) return false;

  // Colour (BGR, as OpenCV likes it) and grey. I420's luma plane is the grey picture already,
  // in limited range; it is rescaled where the value matters.
  cv::Mat grey;
  bool limitedRange = false;
  if (frame.format == protocol::FrameFormat::kI420) {
    if (w % 2 || h % 2 || !frame.planes[1] || !frame.planes[2]) return false;
    const auto cw = static_cast<std::size_t>(w / 2);
    const int ch = h / 2;
    // cvtColor wants the three planes packed one after another.
    m.packedI420.create(h + h / 2, w, CV_8UC1);
    std::uint8_t* dst = m.packedI420.data;
    for (int y = 0; y < h; ++y, dst += w) {
      std::memcpy(dst, frame.planes[0] + static_cast<std::size_t>(y) * frame.strides[0],
                  static_cast<std::size_t>(w));
    }
    for (int p = 1; p < 3; ++p) {
      for (int y = 0; y < ch; ++y, dst += cw) {
        std::memcpy(dst, frame.planes[p] + static_cast<std::size_t>(y) * frame.strides[p], cw);
      }
    }
    cv::cvtColor(m.packedI420, m.bgr, cv::COLOR_YUV2BGR_I420);
    grey = m.packedI420.rowRange(0, h);
    limitedRange = true;
  } else {
    const cv::Mat rgba(h, w, CV_8UC4, const_cast<std::uint8_t*>(frame.planes[0]), frame.strides[0]);
    cv::cvtColor(rgba, m.bgr, cv::COLOR_RGBA2BGR);
    cv::cvtColor(m.bgr, m.greyOwned, cv::COLOR_BGR2GRAY);
    grey = m.greyOwned;
  }

  const cv::Scalar mean = cv::mean(m.bgr);
  out.meanRgb = {static_cast<float>(mean[2]), static_cast<float>(mean[1]),
                 static_cast<float>(mean[0])};
  for (float& c : out.meanRgb) c = std::clamp(c, 0.0f, 255.0f);
  out.brightness =
      std::clamp(static_cast<float>((0.299 * mean[2] + 0.587 * mean[1] + 0.114 * mean[0]) / 255.0),
                 0.0f, 1.0f);

  // Sharpness: variance of the Laplacian, in full-range units whatever the input.
  cv::Laplacian(grey, m.laplacian, CV_16S);
  cv::Scalar lapMean, lapStd;
  cv::meanStdDev(m.laplacian, lapMean, lapStd);
  double variance = lapStd[0] * lapStd[0];
  if (limitedRange) variance *= kLimitedToFull * kLimitedToFull;
  out.sharpness = static_cast<float>(std::min(variance, 1e9));

  // Thumbnail (full-range grey): what motion and the black flag are measured on.
  cv::resize(grey, m.thumbnail, cv::Size(kThumbnailWidth, kThumbnailHeight), 0, 0, cv::INTER_AREA);
  if (limitedRange) {
    m.thumbnail.convertTo(m.thumbnail, CV_8U, kLimitedToFull, -16.0 * kLimitedToFull);
  }
  auto& thumb = out.thumbnail;
  thumb.width = kThumbnailWidth;
  thumb.height = kThumbnailHeight;
  thumb.pixels.assign(m.thumbnail.datastart, m.thumbnail.dataend);

  const std::size_t n = thumb.pixels.size();

  // Black: (nearly) no part of the picture has any channel above kBlackLevel. Measured on
  // colour, so a saturated blue (luma 29) is not black.
  cv::resize(m.bgr, m.colourThumbnail, cv::Size(kThumbnailWidth, kThumbnailHeight), 0, 0,
             cv::INTER_AREA);
  std::size_t lit = 0;
  for (const std::uint8_t* p = m.colourThumbnail.datastart; p < m.colourThumbnail.dataend; p += 3) {
    if (std::max({p[0], p[1], p[2]}) > kBlackLevel) ++lit;
  }
  out.black = static_cast<double>(lit) <= kBlackShare * static_cast<double>(n);

  out.motionValid = previous.width == thumb.width && previous.height == thumb.height &&
                    previous.pixels.size() == n;
  out.motion = 0;
  out.still = false;
  if (out.motionValid) {
    int maxDiff = 0;
    double energy = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const int d = std::abs(int{thumb.pixels[i]} - int{previous.pixels[i]});
      maxDiff = std::max(maxDiff, d);
      energy += std::min(1.0, std::max(0, d - kMotionNoise) / double{kMotionFull});
    }
    out.motion = static_cast<float>(energy / static_cast<double>(n));
    out.still = maxDiff <= kMotionNoise;
  }

  // Palette: k-means (k = 3) over a grid of the frame's pixels, seeded the same way every time so
  // the same picture gives the same palette.
  cv::resize(m.bgr, m.grid, cv::Size(kPaletteGridWidth, kPaletteGridHeight), 0, 0,
             cv::INTER_NEAREST);
  m.grid.reshape(1, kPaletteGridWidth * kPaletteGridHeight).convertTo(m.samples, CV_32F);
  cv::theRNG().state = 0x7e55e7a;
  cv::kmeans(m.samples, kPaletteColours, m.labels,
             cv::TermCriteria(cv::TermCriteria::EPS + cv::TermCriteria::COUNT, 10, 1.0), 1,
             cv::KMEANS_PP_CENTERS, m.centres);
  std::array<int, kPaletteColours> counts{};
  for (int i = 0; i < m.labels.rows; ++i) {
    const int label = m.labels.at<int>(i);
    if (label >= 0 && label < kPaletteColours) ++counts[static_cast<std::size_t>(label)];
  }
  // Clusters with (nearly) the same centre are one colour: a flat picture has one, not three.
  auto centre = [&](int c, int ch) {
    return c < m.centres.rows ? m.centres.at<float>(c, ch) : 0.f;
  };
  for (int a = 0; a < kPaletteColours; ++a) {
    for (int b = a + 1; b < kPaletteColours; ++b) {
      float d2 = 0;
      for (int ch = 0; ch < 3; ++ch)
        d2 += (centre(a, ch) - centre(b, ch)) * (centre(a, ch) - centre(b, ch));
      if (d2 < kSameColourDistance * kSameColourDistance && counts[static_cast<std::size_t>(b)]) {
        counts[static_cast<std::size_t>(a)] += counts[static_cast<std::size_t>(b)];
        counts[static_cast<std::size_t>(b)] = 0;
      }
    }
  }
  std::array<int, kPaletteColours> order{};
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    return counts[static_cast<std::size_t>(a)] > counts[static_cast<std::size_t>(b)];
  });
  for (int k = 0; k < kPaletteColours; ++k) {
    const int own = order[static_cast<std::size_t>(k)];
    // A colour merged into another keeps weight 0 and shows the main colour, not black.
    const int shown = counts[static_cast<std::size_t>(own)] ? own : order[0];
    auto& p = out.palette[static_cast<std::size_t>(k)];
    for (int ch = 0; ch < 3; ++ch) {
      p.rgb[static_cast<std::size_t>(ch)] =
          static_cast<std::uint8_t>(std::clamp(std::lround(centre(shown, 2 - ch)), 0L, 255L));
    }
    p.weight = static_cast<float>(counts[static_cast<std::size_t>(own)]) /
               static_cast<float>(std::max(1, m.labels.rows));
  }

  out.facesDetected = false;
  out.faceMicros = 0;
  if (detectFaces && m.faces) {
    const auto facesStarted = Clock::now();
    cv::equalizeHist(grey, m.equalised);
    m.cascade.detectMultiScale(m.equalised, m.rects, 1.1, 4, 0, cv::Size(kMinFacePx, kMinFacePx));
    out.faces = static_cast<int>(std::min<std::size_t>(m.rects.size(), protocol::kMaxFaces));
    out.facesDetected = true;
    out.faceMicros = microsSince(facesStarted);
  }
  out.scoreMicros = microsSince(started);
  return true;
}

}  // namespace tessera::analysis
