#include "tests/support/clips.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <stdexcept>

#include "platform/pipeline.hpp"

namespace tessera::test {

bool makeTestClip(const std::filesystem::path& file, const ClipSpec& spec, std::string* error) {
  const int frames = static_cast<int>(std::lround(spec.fps * spec.seconds));
  // ultrafast + one key frame a second keeps even a 4K clip quick to make and to seek in.
  const std::string description = fmt::format(
      "videotestsrc num-buffers={} pattern={} ! "
      "video/x-raw,format=I420,width={},height={},framerate={}/1 ! "
      "x264enc speed-preset=ultrafast key-int-max={} ! h264parse ! mp4mux ! "
      "filesink location=\"{}\"",
      frames, spec.pattern, spec.width, spec.height, spec.fps, spec.fps, file.string());
  std::string parseError;
  auto pipeline = platform::Pipeline::parse("test-clip", description, &parseError);
  if (!pipeline) {
    if (error) *error = "makeTestClip: " + parseError;
    return false;
  }
  if (!pipeline->play()) {
    if (error) *error = "makeTestClip: pipeline refused to play";
    return false;
  }
  if (!pipeline->waitForEos(std::chrono::seconds(60))) {
    if (error) *error = "makeTestClip: no EOS (error or timeout) writing " + file.string();
    return false;
  }
  return true;
}

ScratchDir::ScratchDir() {
  const std::filesystem::path base = std::filesystem::path(TESSERA_BINARY_DIR) / "test-scratch";
  std::filesystem::create_directories(base);
  std::string pattern = (base / "XXXXXX").string();
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("ScratchDir: mkdtemp failed");
  mPath = pattern;
}

ScratchDir::~ScratchDir() {
  std::error_code ignored;
  std::filesystem::remove_all(mPath, ignored);
}

std::string fileUri(const std::filesystem::path& file) {
  return "file://" + std::filesystem::absolute(file).string();
}

}  // namespace tessera::test
