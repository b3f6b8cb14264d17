// Scores one video frame with OpenCV: mean colour, brightness, motion against the previous
// frame's thumbnail, sharpness (variance of the Laplacian), a k-means palette (k = 3), the black
// flag and, when asked, a Haar-cascade face count. Stateless between frames (the previous
// thumbnail travels with the job), so any worker can score any frame of any feed.
//
// Thread: one Scorer per thread (it keeps scratch buffers). OpenCV stays behind the pimpl.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "analysis/protocol.hpp"
#include "core/frame.hpp"

namespace tessera::analysis {

// Where Debian's opencv-data puts the frontal-face Haar cascade.
inline constexpr const char* kDefaultFaceCascade =
    "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml";

// A view of the pixels of one frame (nothing is owned).
struct FrameInput {
  protocol::FrameFormat format = protocol::FrameFormat::kI420;
  int width = 0;
  int height = 0;
  const std::uint8_t* planes[3] = {nullptr, nullptr, nullptr};
  std::size_t strides[3] = {0, 0, 0};

  static FrameInput fromFrame(const core::VideoFrame& frame);
  // `pixels` packed as protocol::packedFrameBytes says (a job's payload).
  static FrameInput fromPacked(protocol::FrameFormat format, int width, int height,
                               const std::uint8_t* pixels);
};

class Scorer {
 public:
  static constexpr int kThumbnailWidth = 32;
  static constexpr int kThumbnailHeight = 24;
  // Luma differences up to this (0-255) are codec or sensor noise, not motion.
  static constexpr int kMotionNoise = 3;
  // A thumbnail pixel that changed by this much over the noise counts as fully moved.
  static constexpr int kMotionFull = 48;
  // Smallest face looked for, in pixels (the cascade's own window is 24x24).
  static constexpr int kMinFacePx = 24;

  // Loads the cascade; without one (or when it does not load) faces are never detected.
  explicit Scorer(const std::optional<std::filesystem::path>& faceCascade);
  ~Scorer();
  Scorer(const Scorer&) = delete;
  Scorer& operator=(const Scorer&) = delete;

  bool canDetectFaces() const;
  // Why faces cannot be detected (empty when they can).
  const std::string& faceError() const;

  // Scores `frame` into `out` (every score field, flags, timings and the thumbnail; ids and status
  // are the caller's). `previous` may be empty: motion is then not measured. False (and `out`
  // untouched) when the frame cannot be read (an odd-sized I420 frame, no pixels).
  bool score(const FrameInput& frame, bool detectFaces, const protocol::Thumbnail& previous,
             protocol::Result& out);

 private:
  struct Impl;
  std::unique_ptr<Impl> mImpl;
};

}  // namespace tessera::analysis
