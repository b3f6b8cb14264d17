#include "platform/tls.hpp"

#include <glib.h>

#include <memory>

#include "core/files.hpp"
#include "platform/gst_ptr.hpp"

namespace tessera::platform {

std::filesystem::path defaultCertificateDirectory(const std::string& installationName) {
  // The name is free text ("../..", "100% sure"): only its safe characters make the path.
  return std::filesystem::path(g_get_user_data_dir()) / "tessera" / "tls" /
         core::safeFileName(installationName);
}

std::optional<TlsPaths> ensureSelfSignedCertificate(const std::filesystem::path& directory,
                                                    const std::string& hostname,
                                                    std::string* error) {
  TlsPaths paths{directory / "cert.pem", directory / "key.pem"};
  if (std::filesystem::exists(paths.cert) && std::filesystem::exists(paths.key)) return paths;
  std::error_code ec;
  std::filesystem::create_directories(directory, ec);
  if (ec) {
    if (error) *error = "cannot create " + directory.string() + ": " + ec.message();
    return std::nullopt;
  }
  std::string san = "subjectAltName=DNS:localhost,IP:127.0.0.1";
  if (!hostname.empty() && hostname != "localhost" && hostname != "127.0.0.1") {
    const bool isIp = g_hostname_is_ip_address(hostname.c_str());
    san += std::string(isIp ? ",IP:" : ",DNS:") + hostname;
  }
  const std::string keyPath = paths.key.string(), certPath = paths.cert.string();
  const char* argv[] = {"openssl",
                        "req",
                        "-x509",
                        "-newkey",
                        "ec",
                        "-pkeyopt",
                        "ec_paramgen_curve:prime256v1",
                        "-nodes",
                        "-days",
                        "825",
                        "-subj",
                        "/CN=tessera",
                        "-addext",
                        san.c_str(),
                        "-keyout",
                        keyPath.c_str(),
                        "-out",
                        certPath.c_str(),
                        nullptr};
  gchar* out = nullptr;
  gchar* err = nullptr;
  gint status = 0;
  GError* spawnError = nullptr;
  const bool ran = g_spawn_sync(nullptr, const_cast<gchar**>(argv), nullptr, G_SPAWN_SEARCH_PATH,
                                nullptr, nullptr, &out, &err, &status, &spawnError);
  std::unique_ptr<gchar, GFreeDeleter> outOwner(out), errOwner(err);
  std::unique_ptr<GError, GErrorDeleter> spawnOwner(spawnError);
  if (!ran || !g_spawn_check_wait_status(status, nullptr)) {
    if (error) {
      *error = "openssl could not create a certificate: " +
               std::string(spawnOwner ? spawnOwner->message : (err ? err : "?"));
    }
    return std::nullopt;
  }
  std::filesystem::permissions(
      paths.key, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write, ec);
  return paths;
}

}  // namespace tessera::platform
