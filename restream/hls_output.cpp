#include "restream/hls_output.hpp"

#include <fmt/format.h>

namespace tessera::restream {

HlsOutput::HlsOutput(HlsSettings settings)
    : Output("hls", "/hls/" + playlistName(settings), settings.fps),
      mSettings(std::move(settings)) {}

std::string HlsOutput::playlistName(const HlsSettings& s) {
  return s.rendition.empty() ? "index.m3u8" : "index-" + s.rendition + ".m3u8";
}

std::string HlsOutput::branchDescription() const {
  // The encoder puts a keyframe every segment_seconds, so every segment starts cleanly. Only
  // numbers here: the directory is set as properties (configure).
  return fmt::format(
      "h264parse ! hlssink2 name=hls target-duration={seg} playlist-length={len} "
      "max-files={files} send-keyframe-requests=false",
      fmt::arg("seg", mSettings.segmentSeconds), fmt::arg("len", mSettings.playlistLength),
      fmt::arg("files", mSettings.playlistLength + 4));
}

std::string HlsOutput::segmentLocation(const std::filesystem::path& directory, int attempt,
                                       const std::string& rendition) {
  // hlssink2 formats `location` with printf (the segment number): a '%' of the directory is
  // written "%%" so that only our "%05d" is a conversion.
  std::string escaped;
  for (const char c : directory.string()) {
    escaped += c;
    if (c == '%') escaped += '%';
  }
  // The rendition is "NNNp" (digits and 'p', made by OutputStage): no '%' to escape.
  const std::string prefix = rendition.empty() ? "" : rendition + "-";
  return escaped + "/" + prefix +
         (attempt > 0 ? fmt::format("segment-r{}-%05d.ts", attempt) : "segment%05d.ts");
}

void HlsOutput::configure(platform::Pipeline& pipeline, int attempt) {
  const std::string location = segmentLocation(mSettings.directory, attempt, mSettings.rendition);
  g_object_set(pipeline.element("hls").get(), "location", location.c_str(), "playlist-location",
               playlist().c_str(), nullptr);
}

}  // namespace tessera::restream
