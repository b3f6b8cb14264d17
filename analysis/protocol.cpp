#include "analysis/protocol.hpp"

#include <fmt/format.h>

#include <bit>
#include <cmath>
#include <cstring>

namespace tessera::analysis::protocol {
namespace {

constexpr std::uint8_t kHelloFaces = 1;
constexpr std::uint8_t kJobFaces = 1;
constexpr std::uint8_t kResultFaces = 1;
constexpr std::uint8_t kResultMotion = 2;
constexpr std::uint8_t kResultStill = 4;
constexpr std::uint8_t kResultBlack = 8;
constexpr std::uint8_t kResultKnownFlags =
    kResultFaces | kResultMotion | kResultStill | kResultBlack;

constexpr std::size_t kHelloFixedBytes = kHeaderBytes + 4 + 2 + 1 + 1 + 8 + 1;
constexpr std::size_t kJobFixedBytes = kHeaderBytes + 8 + 4 + 8 + 1 + 1 + 2 + 2 + 8 + 8 + 4 + 1 + 1;
constexpr std::size_t kResultFixedBytes =
    kHeaderBytes + 8 + 4 + 8 + 1 + 1 + 3 * 4 + 4 + 4 + 4 + 2 + 3 * (3 + 4) + 4 + 4 + 1 + 1;

class Writer {
 public:
  explicit Writer(std::vector<std::uint8_t>& out) : mOut(out) { mOut.clear(); }
  void u8(std::uint8_t v) { mOut.push_back(v); }
  void u16(std::uint16_t v) { put(v, 2); }
  void u32(std::uint32_t v) { put(v, 4); }
  void u64(std::uint64_t v) { put(v, 8); }
  void i64(std::int64_t v) { put(static_cast<std::uint64_t>(v), 8); }
  void f32(float v) { u32(std::bit_cast<std::uint32_t>(v)); }
  void bytes(const std::uint8_t* p, std::size_t n) { mOut.insert(mOut.end(), p, p + n); }
  void header(MessageType type) {
    bytes(kMagic.data(), kMagic.size());
    u16(kVersion);
    u8(static_cast<std::uint8_t>(type));
    u8(0);
  }

 private:
  void put(std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) mOut.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  std::vector<std::uint8_t>& mOut;
};

// Reads fields in order; the caller has checked the length before, so reads never run past the
// end (asserted).
class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> b) : mBytes(b) {}
  std::uint8_t u8() { return static_cast<std::uint8_t>(get(1)); }
  std::uint16_t u16() { return static_cast<std::uint16_t>(get(2)); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(get(4)); }
  std::uint64_t u64() { return get(8); }
  std::int64_t i64() { return static_cast<std::int64_t>(get(8)); }
  float f32() { return std::bit_cast<float>(u32()); }
  std::span<const std::uint8_t> bytes(std::size_t n) {
    auto s = mBytes.subspan(mPos, n);
    mPos += n;
    return s;
  }
  std::size_t remaining() const { return mBytes.size() - mPos; }

 private:
  std::uint64_t get(int n) {
    std::uint64_t v = 0;
    for (int i = 0; i < n; ++i) v |= static_cast<std::uint64_t>(mBytes[mPos + i]) << (8 * i);
    mPos += static_cast<std::size_t>(n);
    return v;
  }
  std::span<const std::uint8_t> mBytes;
  std::size_t mPos = 0;
};

DecodeError error(DecodeErrorKind kind, std::string detail) {
  return DecodeError{kind, std::move(detail)};
}

bool inRange(float v, float lo, float hi) {
  return std::isfinite(v) && v >= lo && v <= hi;
}

Message decodeHello(Reader& r, std::size_t size) {
  if (size < kHelloFixedBytes) return error(DecodeErrorKind::kBadLength, "hello too short");
  Hello h;
  h.pid = r.u32();
  h.maxInFlight = r.u16();
  const std::uint8_t flags = r.u8();
  const std::uint8_t reserved = r.u8();
  h.jobsDone = r.u64();
  const std::size_t nameBytes = r.u8();
  if (r.remaining() != nameBytes) {
    return error(DecodeErrorKind::kBadLength,
                 fmt::format("hello name of {} bytes in {} remaining", nameBytes, r.remaining()));
  }
  if ((flags & ~kHelloFaces) || reserved != 0) {
    return error(DecodeErrorKind::kBadValue, "hello has unknown flags");
  }
  h.faces = flags & kHelloFaces;
  if (h.maxInFlight < 1 || h.maxInFlight > kMaxInFlight) {
    return error(DecodeErrorKind::kBadValue,
                 fmt::format("hello max_in_flight {} not in 1..{}", h.maxInFlight, kMaxInFlight));
  }
  if (nameBytes > kMaxNameBytes) return error(DecodeErrorKind::kBadValue, "hello name too long");
  for (const std::uint8_t c : r.bytes(nameBytes)) {
    if (c < 0x20 || c > 0x7e) return error(DecodeErrorKind::kBadValue, "hello name not printable");
    h.name.push_back(static_cast<char>(c));
  }
  return h;
}

Message decodeJob(Reader& r, std::size_t size) {
  if (size < kJobFixedBytes) return error(DecodeErrorKind::kBadLength, "job too short");
  JobView j;
  j.header.jobId = r.u64();
  j.header.feedId = r.u32();
  j.header.sequence = r.u64();
  const std::uint8_t flags = r.u8();
  const std::uint8_t format = r.u8();
  j.header.width = r.u16();
  j.header.height = r.u16();
  j.header.deadlineNs = r.i64();
  j.header.clockDomain = r.u64();
  const std::size_t pixelBytes = r.u32();
  j.previousWidth = r.u8();
  j.previousHeight = r.u8();
  const std::size_t previousBytes =
      static_cast<std::size_t>(j.previousWidth) * static_cast<std::size_t>(j.previousHeight);
  if (r.remaining() != pixelBytes + previousBytes) {
    return error(
        DecodeErrorKind::kBadLength,
        fmt::format("job says {}+{} bytes, has {}", pixelBytes, previousBytes, r.remaining()));
  }
  if (flags & ~kJobFaces) return error(DecodeErrorKind::kBadValue, "job has unknown flags");
  j.header.detectFaces = flags & kJobFaces;
  if (format != static_cast<std::uint8_t>(FrameFormat::kI420) &&
      format != static_cast<std::uint8_t>(FrameFormat::kRgba)) {
    return error(DecodeErrorKind::kBadValue, fmt::format("job has unknown format {}", format));
  }
  j.header.format = static_cast<FrameFormat>(format);
  const std::size_t expected = packedFrameBytes(j.header.format, j.header.width, j.header.height);
  if (expected == 0) {
    return error(DecodeErrorKind::kBadValue,
                 fmt::format("job frame size {}x{}", j.header.width, j.header.height));
  }
  if (expected != pixelBytes) {
    return error(DecodeErrorKind::kBadLength,
                 fmt::format("job frame {}x{} needs {} bytes, has {}", j.header.width,
                             j.header.height, expected, pixelBytes));
  }
  if (j.previousWidth > kMaxThumbnailPx || j.previousHeight > kMaxThumbnailPx ||
      (j.previousWidth == 0) != (j.previousHeight == 0)) {
    return error(DecodeErrorKind::kBadValue, "job thumbnail size");
  }
  j.pixels = r.bytes(pixelBytes);
  j.previous = r.bytes(previousBytes);
  return j;
}

Message decodeResult(Reader& r, std::size_t size) {
  if (size < kResultFixedBytes) return error(DecodeErrorKind::kBadLength, "result too short");
  Result res;
  res.jobId = r.u64();
  res.feedId = r.u32();
  res.sequence = r.u64();
  const std::uint8_t status = r.u8();
  const std::uint8_t flags = r.u8();
  for (float& c : res.meanRgb) c = r.f32();
  res.brightness = r.f32();
  res.motion = r.f32();
  res.sharpness = r.f32();
  res.faces = r.u16();
  for (auto& p : res.palette) {
    for (auto& c : p.rgb) c = r.u8();
    p.weight = r.f32();
  }
  res.scoreMicros = r.u32();
  res.faceMicros = r.u32();
  res.thumbnail.width = r.u8();
  res.thumbnail.height = r.u8();
  const std::size_t thumbBytes = static_cast<std::size_t>(res.thumbnail.width) *
                                 static_cast<std::size_t>(res.thumbnail.height);
  if (r.remaining() != thumbBytes) {
    return error(DecodeErrorKind::kBadLength,
                 fmt::format("result thumbnail needs {} bytes, has {}", thumbBytes, r.remaining()));
  }
  if (status > static_cast<std::uint8_t>(ResultStatus::kBadFrame)) {
    return error(DecodeErrorKind::kBadValue, fmt::format("result status {}", status));
  }
  res.status = static_cast<ResultStatus>(status);
  if (flags & ~kResultKnownFlags) return error(DecodeErrorKind::kBadValue, "result flags");
  res.facesDetected = flags & kResultFaces;
  res.motionValid = flags & kResultMotion;
  res.still = flags & kResultStill;
  res.black = flags & kResultBlack;
  for (const float c : res.meanRgb) {
    if (!inRange(c, 0, 255)) return error(DecodeErrorKind::kBadValue, "result mean_rgb");
  }
  if (!inRange(res.brightness, 0, 1)) return error(DecodeErrorKind::kBadValue, "result brightness");
  if (!inRange(res.motion, 0, 1)) return error(DecodeErrorKind::kBadValue, "result motion");
  if (!inRange(res.sharpness, 0, 1e9f))
    return error(DecodeErrorKind::kBadValue, "result sharpness");
  if (res.faces > kMaxFaces) return error(DecodeErrorKind::kBadValue, "result faces");
  float total = 0;
  for (const auto& p : res.palette) {
    if (!inRange(p.weight, 0, 1)) return error(DecodeErrorKind::kBadValue, "result palette");
    total += p.weight;
  }
  if (total > 1.001f) return error(DecodeErrorKind::kBadValue, "result palette weights");
  if (res.thumbnail.width > kMaxThumbnailPx || res.thumbnail.height > kMaxThumbnailPx ||
      (res.thumbnail.width == 0) != (res.thumbnail.height == 0)) {
    return error(DecodeErrorKind::kBadValue, "result thumbnail size");
  }
  const auto thumb = r.bytes(thumbBytes);
  res.thumbnail.pixels.assign(thumb.begin(), thumb.end());
  return res;
}

void packPlane(Writer& w, const std::uint8_t* p, std::size_t stride, std::size_t rowBytes,
               int rows) {
  for (int y = 0; y < rows; ++y) w.bytes(p + static_cast<std::size_t>(y) * stride, rowBytes);
}

}  // namespace

const char* toString(DecodeErrorKind kind) {
  switch (kind) {
    case DecodeErrorKind::kTooShort:
      return "too_short";
    case DecodeErrorKind::kBadMagic:
      return "bad_magic";
    case DecodeErrorKind::kWrongVersion:
      return "wrong_version";
    case DecodeErrorKind::kUnknownType:
      return "unknown_type";
    case DecodeErrorKind::kBadLength:
      return "bad_length";
    case DecodeErrorKind::kBadValue:
      return "bad_value";
  }
  return "?";
}

std::size_t packedFrameBytes(FrameFormat format, int width, int height) {
  if (width < 2 || height < 2 || width > kMaxFramePx || height > kMaxFramePx) return 0;
  const auto w = static_cast<std::size_t>(width);
  const auto h = static_cast<std::size_t>(height);
  switch (format) {
    case FrameFormat::kI420:
      return w * h + 2 * ((w + 1) / 2) * ((h + 1) / 2);
    case FrameFormat::kRgba:
      return w * h * 4;
  }
  return 0;
}

Message decode(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < kHeaderBytes) {
    return error(DecodeErrorKind::kTooShort, fmt::format("{} bytes", bytes.size()));
  }
  if (!std::equal(kMagic.begin(), kMagic.end(), bytes.begin())) {
    return error(DecodeErrorKind::kBadMagic, "not a tessera analysis message");
  }
  Reader r(bytes);
  r.bytes(kMagic.size());
  const std::uint16_t version = r.u16();
  const std::uint8_t type = r.u8();
  const std::uint8_t reserved = r.u8();
  if (version != kVersion) {
    return error(DecodeErrorKind::kWrongVersion,
                 fmt::format("schema version {}, this build speaks {}", version, kVersion));
  }
  if (reserved != 0) return error(DecodeErrorKind::kBadValue, "header reserved byte is not 0");
  switch (static_cast<MessageType>(type)) {
    case MessageType::kHello:
      return decodeHello(r, bytes.size());
    case MessageType::kJob:
      return decodeJob(r, bytes.size());
    case MessageType::kResult:
      return decodeResult(r, bytes.size());
  }
  return error(DecodeErrorKind::kUnknownType, fmt::format("message type {}", type));
}

void encodeHello(const Hello& h, std::vector<std::uint8_t>& out) {
  Writer w(out);
  w.header(MessageType::kHello);
  w.u32(h.pid);
  w.u16(static_cast<std::uint16_t>(h.maxInFlight));
  w.u8(h.faces ? kHelloFaces : 0);
  w.u8(0);
  w.u64(h.jobsDone);
  const std::size_t n = std::min(h.name.size(), kMaxNameBytes);
  w.u8(static_cast<std::uint8_t>(n));
  w.bytes(reinterpret_cast<const std::uint8_t*>(h.name.data()), n);
}

bool encodeJob(JobHeader header, const core::VideoFrame& frame, const Thumbnail& previous,
               std::vector<std::uint8_t>& out) {
  header.width = frame.width;
  header.height = frame.height;
  header.format =
      frame.format == core::PixelFormat::kI420 ? FrameFormat::kI420 : FrameFormat::kRgba;
  const std::size_t pixelBytes = packedFrameBytes(header.format, frame.width, frame.height);
  if (pixelBytes == 0 || previous.width > kMaxThumbnailPx || previous.height > kMaxThumbnailPx ||
      previous.pixels.size() != static_cast<std::size_t>(previous.width * previous.height)) {
    return false;
  }
  Writer w(out);
  out.reserve(kJobFixedBytes + pixelBytes + previous.pixels.size());
  w.header(MessageType::kJob);
  w.u64(header.jobId);
  w.u32(header.feedId);
  w.u64(header.sequence);
  w.u8(header.detectFaces ? kJobFaces : 0);
  w.u8(static_cast<std::uint8_t>(header.format));
  w.u16(static_cast<std::uint16_t>(header.width));
  w.u16(static_cast<std::uint16_t>(header.height));
  w.i64(header.deadlineNs);
  w.u64(header.clockDomain);
  w.u32(static_cast<std::uint32_t>(pixelBytes));
  w.u8(static_cast<std::uint8_t>(previous.width));
  w.u8(static_cast<std::uint8_t>(previous.height));
  const auto width = static_cast<std::size_t>(frame.width);
  // Plane 0 is data/strideBytes (what RGBA producers fill in).
  const std::uint8_t* plane0 = frame.data ? frame.data : frame.planes[0];
  const std::size_t stride0 = frame.strideBytes ? frame.strideBytes : frame.planeStrides[0];
  if (!plane0 || (header.format == FrameFormat::kI420 && (!frame.planes[1] || !frame.planes[2]))) {
    out.clear();
    return false;
  }
  if (header.format == FrameFormat::kI420) {
    const std::size_t cw = (width + 1) / 2;
    const int ch = (frame.height + 1) / 2;
    packPlane(w, plane0, stride0, width, frame.height);
    packPlane(w, frame.planes[1], frame.planeStrides[1], cw, ch);
    packPlane(w, frame.planes[2], frame.planeStrides[2], cw, ch);
  } else {
    packPlane(w, plane0, stride0, width * 4, frame.height);
  }
  w.bytes(previous.pixels.data(), previous.pixels.size());
  return true;
}

void encodeResult(const Result& r, std::vector<std::uint8_t>& out) {
  Writer w(out);
  w.header(MessageType::kResult);
  w.u64(r.jobId);
  w.u32(r.feedId);
  w.u64(r.sequence);
  w.u8(static_cast<std::uint8_t>(r.status));
  w.u8(static_cast<std::uint8_t>((r.facesDetected ? kResultFaces : 0) |
                                 (r.motionValid ? kResultMotion : 0) |
                                 (r.still ? kResultStill : 0) | (r.black ? kResultBlack : 0)));
  for (const float c : r.meanRgb) w.f32(c);
  w.f32(r.brightness);
  w.f32(r.motion);
  w.f32(r.sharpness);
  w.u16(static_cast<std::uint16_t>(r.faces));
  for (const auto& p : r.palette) {
    for (const auto c : p.rgb) w.u8(c);
    w.f32(p.weight);
  }
  w.u32(r.scoreMicros);
  w.u32(r.faceMicros);
  w.u8(static_cast<std::uint8_t>(r.thumbnail.width));
  w.u8(static_cast<std::uint8_t>(r.thumbnail.height));
  w.bytes(r.thumbnail.pixels.data(), r.thumbnail.pixels.size());
}

}  // namespace tessera::analysis::protocol
