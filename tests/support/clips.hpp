// Test media made on the spot with a real GStreamer pipeline, so no binary clips live in git.
#pragma once

#include <filesystem>
#include <string>

namespace tessera::test {

struct ClipSpec {
  int width = 320;
  int height = 240;
  int fps = 30;
  double seconds = 1.0;
  std::string pattern = "smpte";  // a videotestsrc pattern name
};

// Writes an H.264 MP4 (videotestsrc ! x264enc ! h264parse ! mp4mux ! filesink) and waits for
// EOS, so the file is finalised. False (with `error`) when the pipeline fails or times out.
bool makeTestClip(const std::filesystem::path& file, const ClipSpec& spec, std::string* error);

// A fresh directory for scratch files (under the build tree), removed with everything in it
// when the object is destroyed.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return mPath; }

 private:
  std::filesystem::path mPath;
};

// "file:///abs/path" for a local file.
std::string fileUri(const std::filesystem::path& file);

}  // namespace tessera::test
