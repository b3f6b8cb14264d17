// The encoded canvas pushed to an RTMP(S) server (FLV over rtmp2sink: YouTube, Twitch, nginx-rtmp)
// or to an SRT peer as an MPEG-TS stream (srtsink: caller, or listener waiting for a caller).
// The URI reaches the sink only as a property; its secrets appear only masked (core/push_uri.hpp).
#pragma once

#include "core/push_uri.hpp"
#include "restream/output.hpp"

namespace tessera::restream {

class PushOutput final : public Output {
 public:
  PushOutput(core::PushTarget target, int fps);

 private:
  std::string branchDescription() const override;
  void configure(platform::Pipeline& pipeline, int attempt) override;
  std::string scrub(std::string text) const override;

  const core::PushTarget mTarget;
};

}  // namespace tessera::restream
