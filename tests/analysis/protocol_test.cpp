// The worker message schema: round trips, and every way untrusted bytes can be wrong.
#include "analysis/protocol.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "tests/support/frames.hpp"

using namespace tessera;
using namespace tessera::analysis::protocol;

namespace {

Result sampleResult() {
  Result r;
  r.jobId = 0x0102030405060708ull;
  r.feedId = 42;
  r.sequence = 99;
  r.facesDetected = true;
  r.motionValid = true;
  r.still = false;
  r.black = true;
  r.meanRgb = {12.5f, 200.25f, 0};
  r.brightness = 0.5f;
  r.motion = 0.125f;
  r.sharpness = 1234.5f;
  r.faces = 3;
  r.palette = {ResultPalette{{1, 2, 3}, 0.5f}, ResultPalette{{4, 5, 6}, 0.25f},
               ResultPalette{{7, 8, 9}, 0.25f}};
  r.scoreMicros = 1500;
  r.faceMicros = 1000;
  r.thumbnail = {4, 3, std::vector<std::uint8_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}};
  return r;
}

std::vector<std::uint8_t> encoded(const Result& r) {
  std::vector<std::uint8_t> out;
  encodeResult(r, out);
  return out;
}

std::vector<std::uint8_t> encoded(const Hello& h) {
  std::vector<std::uint8_t> out;
  encodeHello(h, out);
  return out;
}

DecodeErrorKind errorOf(const std::vector<std::uint8_t>& bytes) {
  const Message m = decode(bytes);
  const auto* e = std::get_if<DecodeError>(&m);
  REQUIRE(e != nullptr);
  return e->kind;
}

// Overwrites the f32 at `offset` (results: mean_rgb starts after header+8+4+8+1+1 = 30).
void putFloat(std::vector<std::uint8_t>& b, std::size_t offset, float v) {
  std::uint32_t u;
  std::memcpy(&u, &v, 4);
  for (int i = 0; i < 4; ++i) b[offset + i] = static_cast<std::uint8_t>(u >> (8 * i));
}

constexpr std::size_t kMeanRgbOffset = 30;
constexpr std::size_t kBrightnessOffset = kMeanRgbOffset + 12;
constexpr std::size_t kSharpnessOffset = kBrightnessOffset + 8;
constexpr std::size_t kFacesOffset = kSharpnessOffset + 4;

}  // namespace

TEST_CASE("hello, job and result survive a round trip", "[analysis][protocol]") {
  Hello hello{1234, 3, true, 77, "gallery-2 pid 1234"};
  const auto helloBytes = encoded(hello);
  REQUIRE(std::holds_alternative<Hello>(decode(helloBytes)));
  CHECK(std::get<Hello>(decode(helloBytes)) == hello);

  const Result result = sampleResult();
  const auto resultBytes = encoded(result);
  REQUIRE(std::holds_alternative<Result>(decode(resultBytes)));
  CHECK(std::get<Result>(decode(resultBytes)) == result);

  // A job packs an I420 frame with padded rows into tight planes.
  auto frame = test::solidI420Frame(16, 8, test::Yuv{81, 90, 240}, 24, 7);
  JobHeader header;
  header.jobId = 5;
  header.feedId = 9;
  header.sequence = 11;
  header.detectFaces = true;
  header.deadlineNs = -3;
  header.clockDomain = 0xabcdef;
  Thumbnail previous{2, 2, {9, 8, 7, 6}};
  std::vector<std::uint8_t> jobBytes;
  REQUIRE(encodeJob(header, *frame, previous, jobBytes));
  const Message m = decode(jobBytes);
  REQUIRE(std::holds_alternative<JobView>(m));
  const JobView& job = std::get<JobView>(m);
  header.width = 16;
  header.height = 8;
  header.format = FrameFormat::kI420;
  CHECK(job.header == header);
  REQUIRE(job.pixels.size() == packedFrameBytes(FrameFormat::kI420, 16, 8));
  CHECK(job.pixels.size() == 16 * 8 + 2 * 8 * 4);
  // Y then U then V, no padding byte (7) anywhere.
  CHECK(std::all_of(job.pixels.begin(), job.pixels.begin() + 128, [](auto v) { return v == 81; }));
  CHECK(std::all_of(job.pixels.begin() + 128, job.pixels.begin() + 160,
                    [](auto v) { return v == 90; }));
  CHECK(std::all_of(job.pixels.begin() + 160, job.pixels.end(), [](auto v) { return v == 240; }));
  CHECK(job.previousWidth == 2);
  CHECK(job.previousHeight == 2);
  CHECK(std::vector<std::uint8_t>(job.previous.begin(), job.previous.end()) == previous.pixels);

  // RGBA with padded rows, no previous thumbnail.
  auto rgba = test::solidFrame(5, 3, test::kRed, 5 * 4 + 12);
  REQUIRE(encodeJob(header, *rgba, {}, jobBytes));
  const Message m2 = decode(jobBytes);
  REQUIRE(std::holds_alternative<JobView>(m2));
  CHECK(std::get<JobView>(m2).header.format == FrameFormat::kRgba);
  CHECK(std::get<JobView>(m2).pixels.size() == 5 * 3 * 4);
  CHECK(std::get<JobView>(m2).previous.empty());
}

TEST_CASE("a message of another schema version is refused as such", "[analysis][protocol]") {
  auto bytes = encoded(sampleResult());
  bytes[4] = 2;  // version 2, little-endian
  CHECK(errorOf(bytes) == DecodeErrorKind::kWrongVersion);
  const auto e = std::get<DecodeError>(decode(bytes));
  CHECK_THAT(e.detail, Catch::Contains("version 2"));
  bytes[4] = 0;
  bytes[5] = 1;  // version 256
  CHECK(errorOf(bytes) == DecodeErrorKind::kWrongVersion);
}

TEST_CASE("garbage is refused with a reason, never thrown", "[analysis][protocol]") {
  struct Case {
    const char* name;
    std::vector<std::uint8_t> bytes;
    DecodeErrorKind kind;
  };
  auto result = encoded(sampleResult());
  auto withType = [&](std::uint8_t type) {
    auto b = result;
    b[6] = type;
    return b;
  };
  auto trailing = result;
  trailing.push_back(0);
  auto badMagic = result;
  badMagic[0] = 'X';
  auto reserved = result;
  reserved[7] = 1;  // found by the fuzzer: a byte the decoder ignored would not re-encode
  const std::vector<Case> cases = {
      {"empty", {}, DecodeErrorKind::kTooShort},
      {"a few bytes", {'T', 'S', 'R'}, DecodeErrorKind::kTooShort},
      {"another magic", badMagic, DecodeErrorKind::kBadMagic},
      {"text", {'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd'}, DecodeErrorKind::kBadMagic},
      {"unknown type", withType(9), DecodeErrorKind::kUnknownType},
      {"a result read as a hello", withType(1), DecodeErrorKind::kBadLength},
      {"a result read as a job", withType(2), DecodeErrorKind::kBadLength},
      {"a trailing byte", trailing, DecodeErrorKind::kBadLength},
      {"a reserved header byte set", reserved, DecodeErrorKind::kBadValue},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    CHECK(errorOf(c.bytes) == c.kind);
  }
}

TEST_CASE("every truncation of a valid message is refused", "[analysis][protocol]") {
  std::vector<std::vector<std::uint8_t>> messages = {encoded(sampleResult()),
                                                     encoded(Hello{1, 2, false, 0, "w"})};
  std::vector<std::uint8_t> job;
  REQUIRE(encodeJob({}, *test::solidI420Frame(8, 4, {}), Thumbnail{2, 1, {1, 2}}, job));
  messages.push_back(job);
  for (const auto& full : messages) {
    for (std::size_t n = 0; n < full.size(); ++n) {
      INFO("type " << int{full[6]} << ", first " << n << " of " << full.size() << " bytes");
      std::vector<std::uint8_t> cut(full.begin(), full.begin() + static_cast<long>(n));
      const Message m = decode(cut);
      CHECK(std::holds_alternative<DecodeError>(m));
    }
  }
}

TEST_CASE("values out of range are refused", "[analysis][protocol]") {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  struct Case {
    const char* name;
    std::size_t offset;
    float value;
  };
  const Case floats[] = {
      {"mean_rgb NaN", kMeanRgbOffset, nan},
      {"mean_rgb above 255", kMeanRgbOffset + 4, 256},
      {"mean_rgb negative", kMeanRgbOffset + 8, -1},
      {"brightness above 1", kBrightnessOffset, 1.5f},
      {"motion NaN", kBrightnessOffset + 4, nan},
      {"sharpness infinite", kSharpnessOffset, inf},
      {"sharpness negative", kSharpnessOffset, -5},
  };
  for (const auto& c : floats) {
    INFO(c.name);
    auto b = encoded(sampleResult());
    putFloat(b, c.offset, c.value);
    CHECK(errorOf(b) == DecodeErrorKind::kBadValue);
  }
  {
    INFO("faces above the maximum");
    auto b = encoded(sampleResult());
    b[kFacesOffset] = 0xff;
    b[kFacesOffset + 1] = 0xff;
    CHECK(errorOf(b) == DecodeErrorKind::kBadValue);
  }
  {
    INFO("palette weights above 1 in total");
    Result r = sampleResult();
    r.palette[0].weight = 0.9f;
    CHECK(errorOf(encoded(r)) == DecodeErrorKind::kBadValue);
  }
  {
    INFO("unknown status");
    auto b = encoded(sampleResult());
    b[28] = 7;
    CHECK(errorOf(b) == DecodeErrorKind::kBadValue);
  }
  {
    INFO("unknown flag bits");
    auto b = encoded(sampleResult());
    b[29] |= 0x80;
    CHECK(errorOf(b) == DecodeErrorKind::kBadValue);
  }
  {
    INFO("a thumbnail larger than the schema allows");
    Result r = sampleResult();
    r.thumbnail = {65, 1, std::vector<std::uint8_t>(65, 0)};
    CHECK(errorOf(encoded(r)) == DecodeErrorKind::kBadValue);
  }
  {
    INFO("a worker name that is not printable");
    CHECK(errorOf(encoded(Hello{1, 2, false, 0, "bad\nname"})) == DecodeErrorKind::kBadValue);
  }
  {
    INFO("a worker asking for no jobs, or too many");
    CHECK(errorOf(encoded(Hello{1, 0, false, 0, "w"})) == DecodeErrorKind::kBadValue);
    CHECK(errorOf(encoded(Hello{1, kMaxInFlight + 1, false, 0, "w"})) ==
          DecodeErrorKind::kBadValue);
  }
}

TEST_CASE("jobs whose frame size and payload disagree are refused", "[analysis][protocol]") {
  std::vector<std::uint8_t> job;
  REQUIRE(encodeJob({}, *test::solidI420Frame(8, 4, {}), {}, job));
  // Width field (offset 8+8+4+8+1+1 = 30) claims 10 pixels: the payload no longer matches.
  auto wider = job;
  wider[30] = 10;
  CHECK(errorOf(wider) == DecodeErrorKind::kBadLength);
  // A 1-pixel-wide frame is not a frame.
  auto tiny = job;
  tiny[30] = 1;
  CHECK(errorOf(tiny) == DecodeErrorKind::kBadValue);
  // Unknown pixel format.
  auto format = job;
  format[29] = 9;
  CHECK(errorOf(format) == DecodeErrorKind::kBadValue);
  // A frame too small to encode is refused by the encoder too.
  CHECK_FALSE(encodeJob({}, *test::solidFrame(1, 1, test::kRed), {}, job));
}

TEST_CASE("mutated messages never crash the decoder, and what passes is in range",
          "[analysis][protocol]") {
  // A small deterministic fuzz: flip, insert and drop bytes of valid messages.
  std::mt19937 rng(1234);
  std::vector<std::vector<std::uint8_t>> seeds = {encoded(sampleResult()),
                                                  encoded(Hello{7, 2, true, 1, "w"})};
  std::vector<std::uint8_t> job;
  REQUIRE(encodeJob({}, *test::solidI420Frame(8, 4, {}), Thumbnail{2, 2, {1, 2, 3, 4}}, job));
  seeds.push_back(job);
  int decodedOk = 0;
  for (int i = 0; i < 20000; ++i) {
    auto b = seeds[static_cast<std::size_t>(i) % seeds.size()];
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !b.empty(); ++e) {
      const std::size_t at = rng() % b.size();
      switch (rng() % 3) {
        case 0:
          b[at] = static_cast<std::uint8_t>(rng());
          break;
        case 1:
          b.insert(b.begin() + static_cast<long>(at), static_cast<std::uint8_t>(rng()));
          break;
        default:
          b.erase(b.begin() + static_cast<long>(at));
      }
    }
    const Message m = decode(b);
    if (const auto* r = std::get_if<Result>(&m)) {
      ++decodedOk;
      CHECK(std::isfinite(r->brightness));
      CHECK(r->brightness >= 0);
      CHECK(r->brightness <= 1);
      CHECK(r->motion >= 0);
      CHECK(r->motion <= 1);
      CHECK(r->faces <= kMaxFaces);
      CHECK(r->thumbnail.pixels.size() ==
            static_cast<std::size_t>(r->thumbnail.width * r->thumbnail.height));
    } else if (const auto* j = std::get_if<JobView>(&m)) {
      ++decodedOk;
      CHECK(j->pixels.size() ==
            packedFrameBytes(j->header.format, j->header.width, j->header.height));
    } else if (std::holds_alternative<Hello>(m)) {
      ++decodedOk;
    }
  }
  // Some mutations only touch values (ids, pixels) and stay valid; most do not.
  CHECK(decodedOk > 0);
  CHECK(decodedOk < 20000);
}
