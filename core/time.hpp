// The server's clocks (docs/architecture.md, "Time").
//
// Every time inside the server is a steady_clock time point: GStreamer's system clock is the
// same CLOCK_MONOTONIC, so a pipeline's base time plus a buffer's running time is directly a
// steady time. Where a time crosses the network (the join page's clock exchange, a sender's
// RTCP NTP time) it is Unix time in nanoseconds; the two are tied by one offset taken at start,
// as libwebrtc ties its NTP clock to its monotonic one, so the server's "wall" clock never jumps
// when the system clock is corrected.
#pragma once

#include <chrono>
#include <cstdint>

namespace tessera::core {

using Clock = std::chrono::steady_clock;

// Unix time (ns) minus steady time (ns), read once for the process.
inline std::int64_t unixMinusSteadyNs() {
  static const std::int64_t offset = [] {
    const auto steady = Clock::now().time_since_epoch();
    const auto wall = std::chrono::system_clock::now().time_since_epoch();
    return std::chrono::duration_cast<std::chrono::nanoseconds>(wall - steady).count();
  }();
  return offset;
}

// The server's wall clock at a steady time point, as Unix nanoseconds.
inline std::int64_t toUnixNs(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count() +
         unixMinusSteadyNs();
}

// The steady time point at which the server's wall clock reads `unixNs`.
inline Clock::time_point fromUnixNs(std::int64_t unixNs) {
  return Clock::time_point(std::chrono::duration_cast<Clock::duration>(
      std::chrono::nanoseconds(unixNs - unixMinusSteadyNs())));
}

// A steady time point from nanoseconds on CLOCK_MONOTONIC (GStreamer's system clock).
inline Clock::time_point fromMonotonicNs(std::int64_t ns) {
  return Clock::time_point(
      std::chrono::duration_cast<Clock::duration>(std::chrono::nanoseconds(ns)));
}

// NTP time (RTCP's 64-bit form, seconds since 1900) as Unix nanoseconds, and back.
constexpr std::int64_t kNtpToUnixSeconds = 2208988800LL;
inline std::int64_t ntpNsToUnixNs(std::uint64_t ntpNs) {
  return static_cast<std::int64_t>(ntpNs) - kNtpToUnixSeconds * 1'000'000'000LL;
}

inline double toMs(Clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

// Milliseconds as written in config and APIs (fractions kept to the nanosecond).
inline std::chrono::nanoseconds fromMs(double ms) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::duration<double, std::milli>(ms));
}

}  // namespace tessera::core
