// What the WHIP endpoint (RFC 9725) asks of the ingest side, as plain values. The server
// implements it with ingest::WhipManager.
//
// Thread: every call and callback on the main-loop thread.
#pragma once

#include <functional>
#include <string>

namespace tessera::control {

struct WhipAnswer {
  int status = 201;  // 201 or the error status
  std::string detail;
  std::string sessionId;
  std::string etag;
  std::string sdp;
  int retryAfterSeconds = 0;
};

enum class WhipPatchResult { kApplied, kNotFound, kPreconditionFailed, kUnprocessable };

class WhipService {
 public:
  virtual ~WhipService() = default;
  // Negotiates an offer; `done` is called once, later.
  virtual void whipOffer(const std::string& sdp, std::function<void(const WhipAnswer&)> done) = 0;
  virtual bool whipDelete(const std::string& sessionId) = 0;
  virtual WhipPatchResult whipPatch(const std::string& sessionId, const std::string& ifMatch,
                                    const std::string& fragment) = 0;
};

}  // namespace tessera::control
