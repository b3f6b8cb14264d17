// TLS certificates for the HTTP server.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace tessera::platform {

struct TlsPaths {
  std::filesystem::path cert;
  std::filesystem::path key;
};

// Returns the self-signed certificate kept in `directory`, creating it (openssl, EC P-256, for
// localhost and 127.0.0.1 plus `hostname`) the first time. Phones refuse cameras on plain HTTP,
// so a gallery without its own certificate still gets HTTPS. nullopt (with `error`) on failure.
std::optional<TlsPaths> ensureSelfSignedCertificate(const std::filesystem::path& directory,
                                                    const std::string& hostname,
                                                    std::string* error);

// Where "auto" certificates live: $XDG_DATA_HOME/tessera/tls/NAME, else ~/.local/share/...
std::filesystem::path defaultCertificateDirectory(const std::string& installationName);

}  // namespace tessera::platform
