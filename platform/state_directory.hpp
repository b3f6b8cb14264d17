// A private directory for one run's files (the HLS output): made with mkdtemp under a base
// directory ($TMPDIR), so its name cannot be guessed or planted beforehand and its mode is 0700.
// It holds a pid file while the run lasts, so that a later run can clean up after a crash.
// On destruction it is removed, entry by entry through directory descriptors (openat/unlinkat with
// O_NOFOLLOW: a link inside is removed, never followed), except the sub-directories kept on
// purpose; then the directory stays with only those.
//
// Thread: made, used and destroyed on one thread (the main-loop thread).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::platform {

class StateDirectory {
 public:
  // "<base>/<prefix>XXXXXX"; `prefix` must already be a safe file name (core::safeFileName).
  static std::optional<StateDirectory> create(const std::filesystem::path& base,
                                              std::string_view prefix, std::string* error);

  // Removes "<base>/<prefix>XXXXXX" directories that earlier runs left when they died: ours
  // (owner, mode 0700, not a link) whose pid file names a process that no longer exists. A
  // directory kept on purpose at a clean exit has no pid file and stays. Returns how many went.
  static int removeStale(const std::filesystem::path& base, std::string_view prefix);

  StateDirectory(StateDirectory&& o) noexcept;
  StateDirectory& operator=(StateDirectory&&) = delete;
  StateDirectory(const StateDirectory&) = delete;
  ~StateDirectory();

  const std::filesystem::path& path() const { return mPath; }
  // A new private sub-directory (0700), made relative to this directory's descriptor.
  std::optional<std::filesystem::path> makeSubdirectory(std::string_view name, std::string* error);
  // `name` (a direct entry) survives the removal; the directory itself then stays too.
  void keep(std::string_view name);
  // Removes everything not kept now (also done by the destructor). Returns the entries it could
  // not remove (0 when all went).
  int removeUnkept();

 private:
  StateDirectory(std::filesystem::path path, int fd);

  std::filesystem::path mPath;
  int mFd = -1;  // O_DIRECTORY | O_NOFOLLOW descriptor of mPath
  std::vector<std::string> mKept;
};

// Removes every entry below the directory `dirFd` refers to, depth first, never following a
// symbolic link (a link is unlinked itself); at most `maxDepth` levels. Returns the entries it
// could not remove.
int removeDirectoryContents(int dirFd, int maxDepth = 16);

}  // namespace tessera::platform
