#include "restream/push_output.hpp"

#include "core/log.hpp"

namespace tessera::restream {

PushOutput::PushOutput(core::PushTarget target, int fps)
    : Output(core::toString(target.kind), target.masked, fps), mTarget(std::move(target)) {}

std::string PushOutput::branchDescription() const {
  // Each connection's timestamps start at 0 (Output); the sink sends as frames come (sync off:
  // the encoder already paces them) and does not hold the pipeline's start for the network.
  if (mTarget.kind == core::PushKind::kSrt) {
    return "h264parse ! mpegtsmux alignment=7 ! srtsink name=sink sync=false async=false";
  }
  return "h264parse ! flvmux streamable=true ! rtmp2sink name=sink sync=false async=false";
}

std::string PushOutput::scrub(std::string text) const {
  // The whole URI, then what the masked form hides of it (the part after the last '/' of an
  // RTMP URI; SRT parameters), wherever an element's message repeats them.
  const auto hide = [&](const std::string& secret, const std::string& shown) {
    if (secret.size() < 3) return;
    for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at)) {
      text.replace(at, secret.size(), shown);
      at += shown.size();
    }
  };
  hide(mTarget.uri, mTarget.masked);
  if (mTarget.kind != core::PushKind::kSrt) {
    const auto slash = mTarget.uri.rfind('/');
    if (slash != std::string::npos && slash + 1 < mTarget.uri.size()) {
      hide(mTarget.uri.substr(slash + 1), "***");
    }
  } else if (const auto q = mTarget.uri.find('?'); q != std::string::npos) {
    hide(mTarget.uri.substr(q + 1), mTarget.masked.substr(mTarget.masked.find('?') + 1));
  }
  return text;
}

void PushOutput::configure(platform::Pipeline& pipeline, int attempt) {
  const auto sink = pipeline.element("sink");
  if (mTarget.kind == core::PushKind::kSrt) {
    g_object_set(sink.get(), "uri", mTarget.uri.c_str(), nullptr);
    // The supervisor reconnects (with backoff, reported); srtsink's own loop would hide it.
    gst_util_set_object_arg(G_OBJECT(sink.get()), "mode",
                            mTarget.listener() ? "listener" : "caller");
    if (!mTarget.listener()) g_object_set(sink.get(), "auto-reconnect", FALSE, nullptr);
  } else {
    g_object_set(sink.get(), "location", mTarget.uri.c_str(), nullptr);
  }
  core::logInfo(
      "restream", "{}: {}", name(),
      attempt == 0 ? (mTarget.listener() ? "waiting for a caller" : "connecting") : "reconnecting");
}

}  // namespace tessera::restream
