// What the WHIP endpoint (RFC 9725) asks of the ingest side, as plain values. The server
// implements it with ingest::WhipManager.
//
// Thread: every call and callback on the main-loop thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "core/clock_offset.hpp"
#include "core/moderation.hpp"

namespace tessera::control {

struct WhipAnswer {
  int status = 201;  // 201 or the error status
  std::string detail;
  std::string sessionId;
  std::string etag;
  std::string sdp;
  int retryAfterSeconds = 0;
};

enum class WhipPatchResult {
  kApplied,
  kNotFound,
  kPreconditionFailed,
  kUnprocessable,
  kBadRequest
};

// The answer to one request of the join page's clock exchange (POST /whip/{id}/clock).
struct WhipClockReply {
  enum class Status { kOk, kNotFound, kRateLimited };
  Status status = Status::kOk;
  bool roundAccepted = false;
  std::optional<double> offsetMs;  // the participant's clock minus the server's, so far
  std::chrono::milliseconds next{0};
  std::chrono::seconds retryAfter{0};
};

class WhipService {
 public:
  virtual ~WhipService() = default;
  // Negotiates an offer from participant `who` (its join page's id, its address); `done` is
  // called once, later.
  virtual void whipOffer(const std::string& sdp, const core::ParticipantKey& who,
                         std::function<void(const WhipAnswer&)> done) = 0;
  virtual bool whipDelete(const std::string& sessionId) = 0;
  // `problem` gets the reason for kBadRequest (naming the fragment's line).
  virtual WhipPatchResult whipPatch(const std::string& sessionId, const std::string& ifMatch,
                                    const std::string& fragment, std::string* problem) = 0;
  // A clock exchange request at server Unix time `nowUnixNs`, with the round the page completed.
  virtual WhipClockReply whipClock(const std::string& sessionId,
                                   const std::optional<core::ExchangeSample>& completed,
                                   std::int64_t nowUnixNs) = 0;
};

}  // namespace tessera::control
