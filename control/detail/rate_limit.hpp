// A per-client-address rate limit over a sliding window (POST /whip, POST /api/v1/reactions):
// at most `perWindow` requests from one address within any `window`. The addresses remembered
// are bounded: past `maxAddresses`, those with nothing inside the window are forgotten first,
// and while every remembered one is busy a new address is refused (a flood from many addresses).
//
// Thread: one thread (the HTTP server's main-loop thread).
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <string>
#include <unordered_map>

namespace tessera::control::detail {

class AddressRateLimit {
 public:
  using Clock = std::chrono::steady_clock;

  enum class Verdict { kAllowed, kOverRate, kTooManyAddresses };
  struct Decision {
    Verdict verdict = Verdict::kAllowed;
    std::chrono::seconds retryAfter{0};  // when refused: until the window has room again
    explicit operator bool() const { return verdict == Verdict::kAllowed; }
  };

  AddressRateLimit(int perWindow, std::chrono::seconds window, std::size_t maxAddresses);

  // Counts a request from `address` at `now` if the address is within its rate.
  Decision admit(const std::string& address, Clock::time_point now);
  std::size_t addresses() const { return mTimes.size(); }
  int perWindow() const { return mPerWindow; }

 private:
  const int mPerWindow;
  const std::chrono::seconds mWindow;
  const std::size_t mMaxAddresses;
  std::unordered_map<std::string, std::deque<Clock::time_point>> mTimes;
};

}  // namespace tessera::control::detail
