// The process's one ZeroMQ context and the small ZeroMQ facts the analysis stage needs (CURVE
// keys, the clock jobs' deadlines are measured on). Opaque: code outside analysis/ owns a
// MessagingContext without ever including zmq.hpp.
//
// Thread: built and destroyed on the main thread; sockets made from it belong to one thread each.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace zmq {
class context_t;
}

namespace tessera::analysis {

class MessagingContext {
 public:
  MessagingContext();
  ~MessagingContext();
  MessagingContext(const MessagingContext&) = delete;
  MessagingContext& operator=(const MessagingContext&) = delete;

  zmq::context_t& get() { return *mContext; }

 private:
  std::unique_ptr<zmq::context_t> mContext;
};

// A CURVE key pair in Z85 (40 characters each).
struct CurveKeyPair {
  std::string publicKey;
  std::string secretKey;
};

CurveKeyPair generateCurveKeyPair();
// The public key of a Z85 secret key; nullopt when `secretKey` is not one.
std::optional<std::string> curvePublicKey(const std::string& secretKey);

// Nanoseconds on CLOCK_MONOTONIC (what std::chrono::steady_clock reads on Linux).
std::int64_t monotonicNowNs();
// Identifies this boot of this machine: two processes with the same value share
// CLOCK_MONOTONIC, so one can check the other's deadlines. 0 when unknown (never matches).
std::uint64_t clockDomain();

}  // namespace tessera::analysis
