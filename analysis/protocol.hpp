// The messages between the server and its analysis workers: a versioned binary schema, decoded
// and validated at the socket. Pure C++ (no ZeroMQ, no OpenCV), so it is tested and fuzzed alone.
//
// Every message starts with an 8-byte header: magic "TSRA", version (u16), type (u8), 0 (u8).
// Integers are little-endian, floats IEEE-754 binary32. A message is one ZeroMQ frame.
//
//   worker -> server  Hello   on connect and every second: who it is, how many jobs it takes
//   server -> worker  Job     one frame of one feed to score (with the previous frame's thumbnail)
//   worker -> server  Result  the scores of a job, or why there are none
//
// Decoding never throws: untrusted bytes give a DecodeError saying what was wrong.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "core/frame.hpp"

namespace tessera::analysis::protocol {

inline constexpr std::array<std::uint8_t, 4> kMagic = {'T', 'S', 'R', 'A'};
inline constexpr std::uint16_t kVersion = 1;
inline constexpr std::size_t kHeaderBytes = 8;

inline constexpr int kMaxFramePx = 4096;  // width or height of a job's frame
inline constexpr int kMaxThumbnailPx = 64;
inline constexpr std::size_t kMaxNameBytes = 64;
inline constexpr int kMaxInFlight = 16;
inline constexpr int kMaxFaces = 1000;

enum class MessageType : std::uint8_t { kHello = 1, kJob = 2, kResult = 3 };

enum class FrameFormat : std::uint8_t {
  kI420 = 1,  // Y, then U, then V, each packed (no row padding)
  kRgba = 2,
};

// A small grey picture (full-range luma, packed rows), what motion is measured against.
struct Thumbnail {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> pixels;
  bool empty() const { return pixels.empty(); }
  bool operator==(const Thumbnail&) const = default;
};

struct Hello {
  std::uint32_t pid = 0;
  int maxInFlight = 2;  // jobs the worker accepts at once (1..kMaxInFlight)
  bool faces = false;   // it can detect faces (its cascade loaded)
  std::uint64_t jobsDone = 0;
  std::string name;  // "worker 3 on host" — shown in logs and metrics; printable ASCII
  bool operator==(const Hello&) const = default;
};

struct JobHeader {
  std::uint64_t jobId = 0;
  std::uint32_t feedId = 0;
  std::uint64_t sequence = 0;  // the feed's frame sequence number
  bool detectFaces = false;
  // The job must not be scored after this instant of the server's CLOCK_MONOTONIC (ns). Only a
  // worker on the same machine (same `clockDomain`) can compare it with its own clock.
  std::int64_t deadlineNs = 0;
  std::uint64_t clockDomain = 0;
  int width = 0;
  int height = 0;
  FrameFormat format = FrameFormat::kI420;
  bool operator==(const JobHeader&) const = default;
};

// A decoded job; the pixel and thumbnail spans point into the received message.
struct JobView {
  JobHeader header;
  std::span<const std::uint8_t> pixels;  // packed as `format` says
  int previousWidth = 0;                 // the previous frame's thumbnail, when there is one
  int previousHeight = 0;
  std::span<const std::uint8_t> previous;
};

enum class ResultStatus : std::uint8_t {
  kOk = 0,
  kExpired = 1,   // the job's deadline passed before it was scored: dropped, not scored late
  kBadFrame = 2,  // the worker could not read the frame
};

struct ResultPalette {
  std::array<std::uint8_t, 3> rgb{};
  float weight = 0;
  bool operator==(const ResultPalette&) const = default;
};

struct Result {
  std::uint64_t jobId = 0;
  std::uint32_t feedId = 0;
  std::uint64_t sequence = 0;
  ResultStatus status = ResultStatus::kOk;
  bool facesDetected = false;  // `faces` holds a fresh count
  bool motionValid = false;    // `motion` was measured against a previous frame
  bool still = false;          // the picture is identical to the previous one (within noise)
  bool black = false;
  std::array<float, 3> meanRgb{};
  float brightness = 0;
  float motion = 0;
  float sharpness = 0;
  int faces = 0;
  std::array<ResultPalette, 3> palette{};
  std::uint32_t scoreMicros = 0;  // time spent scoring, faces included
  std::uint32_t faceMicros = 0;   // of which face detection
  Thumbnail thumbnail;            // of this frame, for the next job's motion
  bool operator==(const Result&) const = default;
};

enum class DecodeErrorKind {
  kTooShort,
  kBadMagic,
  kWrongVersion,
  kUnknownType,
  kBadLength,  // the length does not match what the fields say
  kBadValue,   // a field is out of range
};

struct DecodeError {
  DecodeErrorKind kind = DecodeErrorKind::kTooShort;
  std::string detail;
};

const char* toString(DecodeErrorKind kind);

using Message = std::variant<Hello, JobView, Result, DecodeError>;

// Decodes one message. A JobView points into `bytes`, which must outlive it.
Message decode(std::span<const std::uint8_t> bytes);

// Encoders append to `out` (cleared first), so a caller can reuse one buffer.
void encodeHello(const Hello& hello, std::vector<std::uint8_t>& out);
void encodeResult(const Result& result, std::vector<std::uint8_t>& out);
// Packs `frame` (I420 or RGBA, any strides) into the job; the header's size and format are
// taken from the frame. `previous` may be empty. False when the frame cannot be sent.
bool encodeJob(JobHeader header, const core::VideoFrame& frame, const Thumbnail& previous,
               std::vector<std::uint8_t>& out);

// Bytes a packed frame of this format and size takes; 0 when the size is not valid.
std::size_t packedFrameBytes(FrameFormat format, int width, int height);

}  // namespace tessera::analysis::protocol
