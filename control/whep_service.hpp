// What the WHEP endpoint (draft-ietf-wish-whep) asks of the output side, as plain values. The
// server implements it with restream::WhepHub.
//
// Thread: every call and callback on the main-loop thread.
#pragma once

#include <functional>
#include <string>

namespace tessera::control {

struct WhepAnswer {
  int status = 201;  // 201, or the refusal's status (400, 406, 500, 503)
  std::string detail;
  std::string sessionId;
  std::string sdp;
  int retryAfterSeconds = 0;
};

class WhepService {
 public:
  virtual ~WhepService() = default;
  // Negotiates a viewer's offer; `done` is called once, now or later.
  virtual void whepOffer(const std::string& sdp, std::function<void(const WhepAnswer&)> done) = 0;
  virtual bool whepDelete(const std::string& sessionId) = 0;
};

}  // namespace tessera::control
