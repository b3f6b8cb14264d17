#include "core/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>

namespace tessera::core {
namespace {

// What a non-regular file is, for messages.
const char* kindOf(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
  if (S_ISFIFO(mode)) return "a pipe";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

std::optional<std::string> statProblem(const std::filesystem::path& file, const struct stat& st,
                                       std::size_t maxBytes) {
  if (!S_ISREG(st.st_mode)) {
    return fmt::format("{} is {}, not a regular file", file.string(), kindOf(st.st_mode));
  }
  if (static_cast<std::uintmax_t>(st.st_size) > maxBytes) {
    return fmt::format("{} is {} bytes, more than the {} allowed", file.string(), st.st_size,
                       maxBytes);
  }
  return std::nullopt;
}

class Fd {
 public:
  explicit Fd(int fd) : mFd(fd) {}
  ~Fd() {
    if (mFd >= 0) ::close(mFd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return mFd; }

 private:
  int mFd;
};

}  // namespace

std::optional<std::string> regularFileProblem(const std::filesystem::path& file,
                                              std::size_t maxBytes) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) {
    return fmt::format("{}: {}", file.string(), std::strerror(errno));
  }
  return statProblem(file, st, maxBytes);
}

std::optional<std::string> readRegularFile(const std::filesystem::path& file, std::size_t maxBytes,
                                           std::string* error) {
  const auto fail = [&](std::string message) -> std::optional<std::string> {
    if (error) *error = std::move(message);
    return std::nullopt;
  };
  // O_NONBLOCK: opening a FIFO with no writer would otherwise wait for one.
  const Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (fd.get() < 0) return fail(fmt::format("{}: {}", file.string(), std::strerror(errno)));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return fail(fmt::format("{}: {}", file.string(), std::strerror(errno)));
  }
  if (auto problem = statProblem(file, st, maxBytes)) return fail(std::move(*problem));
  std::string bytes(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t have = 0;
  for (;;) {
    if (have == bytes.size()) {
      if (have > maxBytes) {
        return fail(fmt::format("{} grew beyond the {} bytes allowed", file.string(), maxBytes));
      }
      bytes.resize(std::min(maxBytes + 1, have + 4096));
    }
    const ssize_t n = ::read(fd.get(), bytes.data() + have, bytes.size() - have);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(fmt::format("{}: {}", file.string(), std::strerror(errno)));
    if (n == 0) break;
    have += static_cast<std::size_t>(n);
  }
  bytes.resize(have);
  return bytes;
}

std::string safeFileName(std::string_view text, std::string_view fallback, std::size_t maxLength) {
  std::string out;
  for (const char c : text) {
    if (out.size() >= maxLength) break;
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_';
    out += keep ? c : '_';
  }
  if (out.find_first_not_of('_') == std::string::npos) return std::string(fallback);
  return out;
}

}  // namespace tessera::core
