// Minimal leveled logging to stderr. Every line names its origin: "ingest: feed 42: ...".
#pragma once

#include <fmt/format.h>
#include <optional>
#include <string>
#include <string_view>

namespace tessera::core {

enum class LogLevel { kDebug, kInfo, kWarn, kError };

std::optional<LogLevel> parseLogLevel(std::string_view name);
void setLogLevel(LogLevel level);
bool logEnabled(LogLevel level);
void logLine(LogLevel level, std::string_view module, std::string_view message);

// The format is checked at compile time: text from files, the network or the config is always
// an argument ("{}"), never the format, so a brace or a "%n" in it is printed, not interpreted.
template <typename... Args>
void log(LogLevel level, std::string_view module, fmt::format_string<Args...> fmtStr,
         Args&&... args) {
  if (!logEnabled(level)) return;
  logLine(level, module, fmt::format(fmtStr, std::forward<Args>(args)...));
}

#define TESSERA_LOG_FN(name, level)                                                        \
  template <typename... Args>                                                              \
  void name(std::string_view module, fmt::format_string<Args...> fmtStr, Args&&... args) { \
    log(level, module, fmtStr, std::forward<Args>(args)...);                               \
  }
TESSERA_LOG_FN(logDebug, LogLevel::kDebug)
TESSERA_LOG_FN(logInfo, LogLevel::kInfo)
TESSERA_LOG_FN(logWarn, LogLevel::kWarn)
TESSERA_LOG_FN(logError, LogLevel::kError)
#undef TESSERA_LOG_FN

}  // namespace tessera::core
