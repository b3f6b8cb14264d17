// Files an installation names (the installation file, targets, shaders, certificates) are read
// only when they are regular files under a size bound: a device (/dev/zero), a FIFO or a huge
// file is refused with a message, never read until memory runs out or waited on for ever.
// Free text (an installation's name) reaches a path only through safeFileName.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace tessera::core {

// What the whole file may hold, by kind (docs/installation-format.md, "Limits").
inline constexpr std::size_t kMaxInstallationFileBytes = std::size_t{1} << 20;
inline constexpr std::size_t kMaxImageFileBytes = std::size_t{64} << 20;
inline constexpr std::size_t kMaxShaderFileBytes = std::size_t{1} << 20;
inline constexpr std::size_t kMaxCertificateFileBytes = std::size_t{1} << 20;

// Why `file` cannot be read as a regular file of at most `maxBytes` (missing, a directory, a
// device or pipe, too large), or nullopt when it can. Follows symbolic links, never opens.
std::optional<std::string> regularFileProblem(const std::filesystem::path& file,
                                              std::size_t maxBytes);

// The whole of a regular file of at most `maxBytes`. Opened without blocking (a FIFO is refused,
// not waited on) and checked on the open descriptor; reads at most `maxBytes` + 1 bytes even if
// the file grows meanwhile. On failure, `error` says why (naming the file).
std::optional<std::string> readRegularFile(const std::filesystem::path& file, std::size_t maxBytes,
                                           std::string* error);

// A file-name component made from free text: ASCII letters, digits, '-' and '_' kept, anything
// else (dots, slashes, '%', quotes, spaces, bytes >= 0x80) becomes '_', at most `maxLength`
// characters; `fallback` when nothing is left. Never ".", "..", empty or with a separator.
std::string safeFileName(std::string_view text, std::string_view fallback = "tessera",
                         std::size_t maxLength = 32);

}  // namespace tessera::core
