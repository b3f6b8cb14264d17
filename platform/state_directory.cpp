#include "platform/state_directory.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

namespace tessera::platform {
namespace {

constexpr int kOpenDirectory = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

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
  return StateDirectory(pattern, fd);
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
