#include "platform/state_directory.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace tessera::platform {
namespace {

constexpr int kOpenDirectory = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
constexpr const char* kPidFile = "pid";

std::string errnoText(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

// Removes the entries of `dirFd` not named in `skip`, depth first, unlinking links themselves.
int removeEntries(int dirFd, int maxDepth, const std::vector<std::string>& skip) {
  // fdopendir takes the descriptor over: give it a copy.
  const int own = ::dup(dirFd);
  if (own < 0) return 1;
  DIR* dir = ::fdopendir(own);
  if (!dir) {
    ::close(own);
    return 1;
  }
  std::vector<std::string> names;
  while (const dirent* e = ::readdir(dir)) {
    const std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    if (std::find(skip.begin(), skip.end(), name) == skip.end()) names.push_back(name);
  }
  ::closedir(dir);
  int failed = 0;
  for (const std::string& name : names) {
    struct stat st {};
    if (::fstatat(dirFd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      ++failed;
    } else if (S_ISDIR(st.st_mode)) {
      const int sub = maxDepth > 0 ? ::openat(dirFd, name.c_str(), kOpenDirectory) : -1;
      if (sub < 0) {
        ++failed;
        continue;
      }
      failed += removeEntries(sub, maxDepth - 1, {});
      ::close(sub);
      if (::unlinkat(dirFd, name.c_str(), AT_REMOVEDIR) != 0) ++failed;
    } else if (::unlinkat(dirFd, name.c_str(), 0) != 0) {
      ++failed;
    }
  }
  return failed;
}

}  // namespace

int removeDirectoryContents(int dirFd, int maxDepth) {
  return removeEntries(dirFd, maxDepth, {});
}

std::optional<StateDirectory> StateDirectory::create(const std::filesystem::path& base,
                                                     std::string_view prefix, std::string* error) {
  std::string pattern = (base / std::string(prefix)).string() + "XXXXXX";
  // mkdtemp makes a new directory (never an existing one, never through a link) with mode 0700.
  if (!::mkdtemp(pattern.data())) {
    if (error) *error = errnoText("cannot create a private directory " + pattern);
    return std::nullopt;
  }
  const int fd = ::open(pattern.c_str(), kOpenDirectory);
  if (fd < 0) {
    if (error) *error = errnoText("cannot open " + pattern);
    ::rmdir(pattern.c_str());
    return std::nullopt;
  }
  // Who owns it: a later run removes the directory once this process is gone (a crash), and
  // leaves alone one whose pid file went at a clean exit (a recording kept on purpose).
  const int pidFd =
      ::openat(fd, kPidFile, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (pidFd >= 0) {
    const std::string pid = std::to_string(::getpid()) + "\n";
    [[maybe_unused]] const auto written = ::write(pidFd, pid.data(), pid.size());
    ::close(pidFd);
  }
  return StateDirectory(pattern, fd);
}

int StateDirectory::removeStale(const std::filesystem::path& base, std::string_view prefix) {
  DIR* dir = ::opendir(base.c_str());
  if (!dir) return 0;
  int removed = 0;
  const int baseFd = ::dirfd(dir);
  while (const dirent* entry = ::readdir(dir)) {
    const std::string name = entry->d_name;
    if (name.size() != prefix.size() + 6 || name.compare(0, prefix.size(), prefix) != 0) continue;
    struct stat st {};
    // A directory of ours, private, not a link: what create() makes.
    if (::fstatat(baseFd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode) ||
        st.st_uid != ::geteuid() || (st.st_mode & 077) != 0) {
      continue;
    }
    const int fd = ::openat(baseFd, name.c_str(), kOpenDirectory);
    if (fd < 0) continue;
    char text[32] = {};
    const int pidFd = ::openat(fd, kPidFile, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    const long pid =
        pidFd >= 0 && ::read(pidFd, text, sizeof text - 1) > 0 ? std::strtol(text, nullptr, 10) : 0;
    if (pidFd >= 0) ::close(pidFd);
    const bool gone = pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
    if (gone && removeDirectoryContents(fd) == 0 &&
        ::unlinkat(baseFd, name.c_str(), AT_REMOVEDIR) == 0) {
      ++removed;
    }
    ::close(fd);
  }
  ::closedir(dir);
  return removed;
}

StateDirectory::StateDirectory(std::filesystem::path path, int fd)
    : mPath(std::move(path)), mFd(fd) {}

StateDirectory::StateDirectory(StateDirectory&& o) noexcept
    : mPath(std::move(o.mPath)), mFd(std::exchange(o.mFd, -1)), mKept(std::move(o.mKept)) {}

StateDirectory::~StateDirectory() {
  if (mFd < 0) return;
  removeUnkept();
  ::close(mFd);
  // rmdir never follows a link; it fails (and the directory stays) while kept entries remain.
  if (mKept.empty()) ::rmdir(mPath.c_str());
}

std::optional<std::filesystem::path> StateDirectory::makeSubdirectory(std::string_view name,
                                                                      std::string* error) {
  const std::string n(name);
  if (n.empty() || n == "." || n == ".." || n.find('/') != std::string::npos) {
    if (error) *error = "not a plain directory name: " + n;
    return std::nullopt;
  }
  if (::mkdirat(mFd, n.c_str(), 0700) != 0) {
    if (error) *error = errnoText("cannot create " + (mPath / n).string());
    return std::nullopt;
  }
  return mPath / n;
}

void StateDirectory::keep(std::string_view name) {
  mKept.emplace_back(name);
}

int StateDirectory::removeUnkept() {
  return mFd < 0 ? 0 : removeEntries(mFd, 16, mKept);
}

}  // namespace tessera::platform
