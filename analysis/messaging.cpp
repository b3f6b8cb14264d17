#include "analysis/messaging.hpp"

#include <zmq.hpp>

#include <chrono>
#include <fstream>
#include <functional>

namespace tessera::analysis {

MessagingContext::MessagingContext() : mContext(std::make_unique<zmq::context_t>(1)) {}

MessagingContext::~MessagingContext() {
  // Sockets are closed by their owners before this; shutdown() stops any blocking call left.
  mContext->shutdown();
  mContext->close();
}

CurveKeyPair generateCurveKeyPair() {
  char pub[41] = {};
  char sec[41] = {};
  if (zmq_curve_keypair(pub, sec) != 0) throw zmq::error_t();
  return {pub, sec};
}

std::optional<std::string> curvePublicKey(const std::string& secretKey) {
  if (secretKey.size() != 40) return std::nullopt;
  char pub[41] = {};
  if (zmq_curve_public(pub, secretKey.c_str()) != 0) return std::nullopt;
  return std::string(pub);
}

std::int64_t monotonicNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::uint64_t clockDomain() {
  std::ifstream in("/proc/sys/kernel/random/boot_id");
  std::string id;
  if (!(in >> id) || id.empty()) return 0;
  const std::uint64_t h = std::hash<std::string>{}(id);
  return h == 0 ? 1 : h;
}

}  // namespace tessera::analysis
