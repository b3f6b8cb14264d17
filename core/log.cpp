#include "core/log.hpp"

#include <chrono>
#include <cstdio>
#include <mutex>

namespace tessera::core {
namespace {

// The one process-wide setting the log has; set once from main before threads start.
LogLevel gLevel = LogLevel::kInfo;
std::mutex gWriteMutex;

const char* levelName(LogLevel l) {
  switch (l) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "?";
}

}  // namespace

std::optional<LogLevel> parseLogLevel(std::string_view name) {
  if (name == "debug") return LogLevel::kDebug;
  if (name == "info") return LogLevel::kInfo;
  if (name == "warn" || name == "warning") return LogLevel::kWarn;
  if (name == "error") return LogLevel::kError;
  return std::nullopt;
}

void setLogLevel(LogLevel level) {
  gLevel = level;
}
bool logEnabled(LogLevel level) {
  return level >= gLevel;
}

void logLine(LogLevel level, std::string_view module, std::string_view message) {
  using namespace std::chrono;
  const auto now = system_clock::now();
  const auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  const std::time_t t = system_clock::to_time_t(now);
  std::tm tm{};
  localtime_r(&t, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%H:%M:%S", &tm);
  std::lock_guard lock(gWriteMutex);
  std::fprintf(stderr, "%s.%03d %-5s %.*s: %.*s\n", stamp, static_cast<int>(ms), levelName(level),
               static_cast<int>(module.size()), module.data(), static_cast<int>(message.size()),
               message.data());
}

}  // namespace tessera::core
