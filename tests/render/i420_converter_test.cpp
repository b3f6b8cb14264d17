#include "render/i420_converter.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>

#include "core/frame.hpp"
#include "platform/gst_frame.hpp"
#include "platform/pipeline.hpp"
#include "tests/render/gl_fixtures.hpp"
#include "tests/support/frames.hpp"

using tessera::core::i420Layout;
using tessera::core::I420Layout;
using tessera::core::SizePx;
using tessera::core::YuvMatrix;
using tessera::render::I420Converter;
using tessera::render::TileInstance;
using tessera::render::testing::GlRenderer;
using tessera::render::testing::shaderDir;
using tessera::test::Picture;
using tessera::test::Rgba;
using tessera::test::solidFrame;

namespace {

constexpr SizePx kTile{16, 12};
constexpr int kCodeTolerance = 2;

struct Coded {
  double y, u, v;
};

// The limited-range formula (ITU-R BT.709 / BT.601) on 8-bit RGB, unrounded.
Coded encode(double r, double g, double b, YuvMatrix m) {
  const double kr = m == YuvMatrix::kBt709 ? 0.2126 : 0.299;
  const double kb = m == YuvMatrix::kBt709 ? 0.0722 : 0.114;
  const double l = (kr * r + (1 - kr - kb) * g + kb * b) / 255;
  return {16 + 219 * l, 128 + 224 * (b / 255 - l) / (2 * (1 - kb)),
          128 + 224 * (r / 255 - l) / (2 * (1 - kr))};
}

std::unique_ptr<I420Converter> makeConverter(SizePx canvas, SizePx size) {
  std::string error;
  auto c = I420Converter::create(canvas, size, shaderDir(), &error);
  INFO("I420Converter::create: " << error);
  REQUIRE(c);
  return c;
}

std::vector<std::uint8_t> convertNow(GlRenderer& gl, I420Converter& c) {
  c.convert(gl->canvasTexture());
  std::vector<std::uint8_t> yuv(c.layout().bytes);
  c.readNow(yuv.data());
  return yuv;
}

// Patches in colours that exercise every channel, on even pixel boundaries (whole chroma
// blocks), each `cell` pixels square; the rest is the clear colour.
const std::vector<Rgba> kPatchColours = {
    {255, 0, 0},     {0, 255, 0},    {0, 0, 255},    {255, 255, 255}, {0, 0, 0},
    {128, 128, 128}, {200, 120, 40}, {30, 160, 220}, {255, 0, 255},   {250, 250, 10},
};

void drawPatches(GlRenderer& gl, float cell) {
  std::vector<TileInstance> tiles;
  for (std::size_t i = 0; i < kPatchColours.size(); ++i) {
    REQUIRE(
        gl->upload(static_cast<int>(i), *solidFrame(kTile.width, kTile.height, kPatchColours[i])));
    const float x = static_cast<float>(i % 5) * cell * 1.25f + cell * 0.25f;
    const float y = static_cast<float>(i / 5) * cell * 1.25f + cell * 0.25f;
    tiles.push_back({{x, y, cell, cell}, static_cast<int>(i)});
  }
  gl->draw(tiles);
}

std::string describe(const char* plane, int x, int y, int got, double want) {
  return std::string(plane) + " at (" + std::to_string(x) + ", " + std::to_string(y) +
         "): " + std::to_string(got) + ", formula " + std::to_string(want);
}

// Every Y sample against the formula on the RGBA canvas pixel it covers, every U/V sample
// against the formula on the mean of its 2x2 block. "" when all are within the tolerance.
std::string checkAgainstCanvas(const std::vector<std::uint8_t>& yuv, const I420Layout& l,
                               const Picture& canvas, YuvMatrix m) {
  const auto px = [&](int x, int y, int c) {
    return static_cast<double>(
        canvas.rgba[(static_cast<std::size_t>(y) * canvas.width + x) * 4 + c]);
  };
  for (int y = 0; y < canvas.height; ++y) {
    for (int x = 0; x < canvas.width; ++x) {
      const int got = yuv[l.offsets[0] + static_cast<std::size_t>(y) * l.strides[0] + x];
      const double want = encode(px(x, y, 0), px(x, y, 1), px(x, y, 2), m).y;
      if (std::abs(got - want) > kCodeTolerance) return describe("Y", x, y, got, want);
    }
  }
  for (int cy = 0; cy < canvas.height / 2; ++cy) {
    for (int cx = 0; cx < canvas.width / 2; ++cx) {
      double rgb[3] = {0, 0, 0};
      for (int c = 0; c < 3; ++c) {
        rgb[c] = (px(2 * cx, 2 * cy, c) + px(2 * cx + 1, 2 * cy, c) + px(2 * cx, 2 * cy + 1, c) +
                  px(2 * cx + 1, 2 * cy + 1, c)) /
                 4;
      }
      const Coded want = encode(rgb[0], rgb[1], rgb[2], m);
      const std::size_t at = static_cast<std::size_t>(cy) * l.strides[1] + cx;
      const int u = yuv[l.offsets[1] + at], v = yuv[l.offsets[2] + at];
      if (std::abs(u - want.u) > kCodeTolerance) return describe("U", cx, cy, u, want.u);
      if (std::abs(v - want.v) > kCodeTolerance) return describe("V", cx, cy, v, want.v);
    }
  }
  return "";
}

// What the encoder's pipeline produced before the GPU did it: RGBA through videoconvert to
// I420 with GStreamer's defaults (BT.709 at 720 lines). Empty when the pipeline failed.
std::vector<std::uint8_t> videoconvert(const Picture& rgba) {
  static const tessera::platform::GstRuntime gst;
  std::string error;
  auto pipeline = tessera::platform::Pipeline::parse(
      "videoconvert-reference",
      "appsrc name=src format=time caps=video/x-raw,format=RGBA,width=" +
          std::to_string(rgba.width) + ",height=" + std::to_string(rgba.height) +
          ",framerate=30/1 ! videoconvert ! video/x-raw,format=I420 ! appsink name=sink "
          "sync=false",
      &error);
  INFO("videoconvert pipeline: " << error);
  REQUIRE(pipeline);
  REQUIRE(pipeline->play(&error));
  auto frame = tessera::core::VideoFrame::fromPixels(rgba.width, rgba.height, rgba.rgba);
  auto buffer = tessera::platform::wrapFrame(frame);
  GST_BUFFER_PTS(buffer.get()) = 0;
  auto src = pipeline->element("src");
  gst_app_src_push_buffer(GST_APP_SRC(src.get()), buffer.release());
  gst_app_src_end_of_stream(GST_APP_SRC(src.get()));
  auto sink = pipeline->element("sink");
  GstSample* sample = gst_app_sink_try_pull_sample(GST_APP_SINK(sink.get()), 10 * GST_SECOND);
  std::vector<std::uint8_t> out;
  if (!sample) return out;
  GstMapInfo map;
  if (gst_buffer_map(gst_sample_get_buffer(sample), &map, GST_MAP_READ)) {
    out.assign(map.data, map.data + map.size);
    gst_buffer_unmap(gst_sample_get_buffer(sample), &map);
  }
  gst_sample_unref(sample);
  return out;
}

}  // namespace

TEST_CASE("I420 planes are laid out as GStreamer's I420 caps imply", "[render][i420]") {
  const I420Layout hd = i420Layout(1920, 1080);
  CHECK(hd.strides[0] == 1920);
  CHECK(hd.strides[1] == 960);
  CHECK(hd.offsets[1] == 1920u * 1080);
  CHECK(hd.offsets[2] == 1920u * 1080 + 960u * 540);
  CHECK(hd.bytes == 1920u * 1080 * 3 / 2);
  // 854 wide (a 480p rendition): Y rows padded to 856, chroma rows (427) to 428.
  const I420Layout sd = i420Layout(854, 480);
  CHECK(sd.strides[0] == 856);
  CHECK(sd.strides[1] == 428);
  CHECK(sd.offsets[1] == 856u * 480);
  CHECK(sd.offsets[2] == 856u * 480 + 428u * 240);
  CHECK(sd.bytes == 856u * 480 + 2u * 428 * 240);
  CHECK(tessera::core::yuvMatrixFor(720) == YuvMatrix::kBt709);
  CHECK(tessera::core::yuvMatrixFor(576) == YuvMatrix::kBt601);
}

TEST_CASE("the canvas is converted to BT.709 I420 on the GPU within 2 levels of the formula",
          "[render][gl][i420]") {
  const SizePx canvas{1280, 720};
  GlRenderer gl(canvas, kTile, 16);
  drawPatches(gl, 96);
  auto converter = makeConverter(canvas, canvas);
  CHECK(converter->matrix() == YuvMatrix::kBt709);
  const auto yuv = convertNow(gl, *converter);
  CHECK(tessera::platform::glErrorString().empty());
  const Picture rgba = gl.readNow();
  CHECK(checkAgainstCanvas(yuv, converter->layout(), rgba, YuvMatrix::kBt709) == "");

  // The codes everyone knows: red (63, 102, 240), white (235, 128, 128), black (16, 128, 128),
  // in the middle of their patches (0, 3 and 4).
  const auto& l = converter->layout();
  const auto sample = [&](int patch) {
    const int x = (patch % 5) * 120 + 24 + 48, y = (patch / 5) * 120 + 24 + 48;
    const std::size_t c = static_cast<std::size_t>(y / 2) * l.strides[1] + x / 2;
    return std::array<int, 3>{yuv[static_cast<std::size_t>(y) * l.strides[0] + x],
                              yuv[l.offsets[1] + c], yuv[l.offsets[2] + c]};
  };
  const auto near = [](std::array<int, 3> got, std::array<int, 3> want) {
    for (int i = 0; i < 3; ++i) {
      if (std::abs(got[i] - want[i]) > 1) return false;
    }
    return true;
  };
  CHECK(near(sample(0), {63, 102, 240}));
  CHECK(near(sample(3), {235, 128, 128}));
  CHECK(near(sample(4), {16, 128, 128}));
}

TEST_CASE("the I420 conversion scales to the encoded size in the same pass", "[render][gl][i420]") {
  // A 1280x720 canvas to 854x480 (BT.601 below 577 lines, rows padded to 4 bytes): a large
  // patch's inside keeps its colour at the scaled place.
  const SizePx canvas{1280, 720};
  GlRenderer gl(canvas, kTile, 16);
  const Rgba colour{200, 120, 40};
  REQUIRE(gl->upload(0, *solidFrame(kTile.width, kTile.height, colour)));
  const std::vector<TileInstance> tiles = {{{300, 150, 600, 420}, 0}};
  gl->draw(tiles);
  auto converter = makeConverter(canvas, {854, 480});
  CHECK(converter->matrix() == YuvMatrix::kBt601);
  const auto yuv = convertNow(gl, *converter);
  const auto& l = converter->layout();
  const Coded want = encode(colour.r, colour.g, colour.b, YuvMatrix::kBt601);
  const Coded clear = encode(5, 5, 8, YuvMatrix::kBt601);  // testing::kClear
  // The patch is x 200..600, y 100..380 at 854x480; check inside with a 4-pixel margin, and the
  // clear colour around it.
  int wrong = 0;
  for (int y = 0; y < 480; ++y) {
    for (int x = 0; x < 854; ++x) {
      const bool inside = x >= 204 && x < 596 && y >= 104 && y < 376;
      const bool outside = x < 196 || x >= 604 || y < 96 || y >= 384;
      if (!inside && !outside) continue;
      const int got = yuv[static_cast<std::size_t>(y) * l.strides[0] + x];
      if (std::abs(got - (inside ? want.y : clear.y)) > kCodeTolerance) ++wrong;
      if (x % 2 || y % 2) continue;
      const std::size_t c = static_cast<std::size_t>(y / 2) * l.strides[1] + x / 2;
      const Coded& w = inside ? want : clear;
      if (std::abs(yuv[l.offsets[1] + c] - w.u) > kCodeTolerance) ++wrong;
      if (std::abs(yuv[l.offsets[2] + c] - w.v) > kCodeTolerance) ++wrong;
    }
  }
  CHECK(wrong == 0);
}

TEST_CASE("the I420 readback returns what readNow saw, a frame late", "[render][gl][i420]") {
  const SizePx canvas{640, 360};
  GlRenderer gl(canvas, kTile, 16);
  auto converter = makeConverter(canvas, canvas);
  std::vector<std::uint8_t> dst(converter->layout().bytes);

  gl->fill(1, 0, 0);
  const auto frame1 = convertNow(gl, *converter);
  converter->startReadback();
  CHECK_FALSE(converter->finishReadback(dst.data(), false));  // still in flight
  gl->fill(0, 0, 1);
  const auto frame2 = convertNow(gl, *converter);
  converter->startReadback();
  REQUIRE(converter->finishReadback(dst.data(), false));
  CHECK(dst == frame1);
  REQUIRE(converter->finishReadback(dst.data(), true));
  CHECK(dst == frame2);
  CHECK(frame1 != frame2);
}

TEST_CASE("the GPU's I420 matches what videoconvert made of the same canvas within 2 levels",
          "[render][gl][i420][gst]") {
  const SizePx canvas{1280, 720};
  GlRenderer gl(canvas, kTile, 16);
  drawPatches(gl, 96);
  auto converter = makeConverter(canvas, canvas);
  const auto gpu = convertNow(gl, *converter);
  const Picture rgba = gl.readNow();
  const auto cpu = videoconvert(rgba);
  const auto& l = converter->layout();
  REQUIRE(cpu.size() == l.bytes);
  // Luma everywhere; chroma where its 4x4 neighbourhood is one colour (videoconvert filters
  // chroma across block edges by its siting, the GPU takes each block's mean).
  int worstY = 0, worstChroma = 0;
  for (std::size_t i = 0; i < l.offsets[1]; ++i)
    worstY = std::max(worstY, std::abs(gpu[i] - cpu[i]));
  const auto uniform = [&](int cx, int cy) {
    const auto at = [&](int x, int y) {
      x = std::clamp(x, 0, canvas.width - 1);
      y = std::clamp(y, 0, canvas.height - 1);
      return rgba.view().at(x, y);
    };
    const Rgba c = at(2 * cx, 2 * cy);
    for (int y = 2 * cy - 1; y <= 2 * cy + 2; ++y) {
      for (int x = 2 * cx - 1; x <= 2 * cx + 2; ++x) {
        if (!(at(x, y) == c)) return false;
      }
    }
    return true;
  };
  int compared = 0;
  for (int cy = 0; cy < canvas.height / 2; ++cy) {
    for (int cx = 0; cx < canvas.width / 2; ++cx) {
      if (!uniform(cx, cy)) continue;
      ++compared;
      for (int p = 1; p < 3; ++p) {
        const std::size_t at = l.offsets[p] + static_cast<std::size_t>(cy) * l.strides[p] + cx;
        worstChroma = std::max(worstChroma, std::abs(gpu[at] - cpu[at]));
      }
    }
  }
  CHECK(compared > 200000);
  CHECK(worstY <= kCodeTolerance);
  CHECK(worstChroma <= kCodeTolerance);
}
