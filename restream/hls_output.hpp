// The encoded canvas written as HLS by hlssink2 into a directory the server made private.
// Timestamps stay on the render clock (an hour of running is an hour of HLS). After a failure
// (a full disk) it starts again with new segment names, so nothing already written is replaced.
#pragma once

#include <filesystem>

#include "restream/output.hpp"

namespace tessera::restream {

struct HlsSettings {
  int fps = 30;
  int segmentSeconds = 2;
  int playlistLength = 6;
  // Must exist and be private to this process (the server makes it with
  // platform::StateDirectory); any text is a valid path here (it is never launch text).
  std::filesystem::path directory;
  // A rendition's name ("480p"): its playlist is index-480p.m3u8 and its segments 480p-*.ts.
  // Empty: index.m3u8 and segment*.ts.
  std::string rendition;
};

class HlsOutput final : public Output {
 public:
  explicit HlsOutput(HlsSettings settings);

  const std::filesystem::path& directory() const { return mSettings.directory; }
  std::filesystem::path playlist() const { return mSettings.directory / playlistName(mSettings); }
  static std::string playlistName(const HlsSettings& s);
  // hlssink2's segment `location` for `directory`: its '%' escaped for hlssink2's printf;
  // `attempt` > 0 (a restart) gives the segments names of their own.
  static std::string segmentLocation(const std::filesystem::path& directory, int attempt = 0,
                                     const std::string& rendition = {});

 private:
  std::string branchDescription() const override;
  void configure(platform::Pipeline& pipeline, int attempt) override;
  bool meterSource() const override { return true; }
  bool zeroBasedTimestamps() const override { return false; }

  const HlsSettings mSettings;
};

}  // namespace tessera::restream
