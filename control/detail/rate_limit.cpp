#include "control/detail/rate_limit.hpp"

#include <algorithm>

namespace tessera::control::detail {

AddressRateLimit::AddressRateLimit(int perWindow, std::chrono::seconds window,
                                   std::size_t maxAddresses)
    : mPerWindow(std::max(perWindow, 1)), mWindow(window), mMaxAddresses(maxAddresses) {}

AddressRateLimit::Decision AddressRateLimit::admit(const std::string& address,
                                                   Clock::time_point now) {
  if (mTimes.size() >= mMaxAddresses && !mTimes.contains(address)) {
    // Forget the addresses whose requests are all older than the window.
    std::erase_if(mTimes, [&](const auto& entry) {
      return entry.second.empty() || now - entry.second.back() > mWindow;
    });
    if (mTimes.size() >= mMaxAddresses) return {Verdict::kTooManyAddresses, mWindow};
  }
  auto& times = mTimes[address];
  while (!times.empty() && now - times.front() > mWindow) times.pop_front();
  if (times.size() >= static_cast<std::size_t>(mPerWindow)) {
    const auto wait =
        std::chrono::duration_cast<std::chrono::seconds>(times.front() + mWindow - now) +
        std::chrono::seconds(1);
    return {Verdict::kOverRate, wait};
  }
  times.push_back(now);
  return {};
}

}  // namespace tessera::control::detail
