// A source element's error in the words a technician uses ("connection refused",
// "authentication failed", ...), from GStreamer's message and debug text. Pure; no secrets are
// removed here (core::PullTarget::redact does that).
#pragma once

#include <string>
#include <string_view>

namespace tessera::ingest {

// "authentication failed", "connection refused", "host not found", "not found", "timed out",
// "no video stream", "connection rejected", "stream ended", or "source error: MESSAGE" when
// nothing better is known.
std::string describeSourceError(std::string_view message, std::string_view debug);

}  // namespace tessera::ingest
