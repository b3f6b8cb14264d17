#include "platform/tls_trust.hpp"

#include <fmt/format.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

using tessera::platform::describeCertificateFlags;
using tessera::platform::GObjectPtr;
using tessera::platform::tlsCertificatesProblem;
using tessera::platform::TlsTrust;
namespace fs = std::filesystem;

namespace {

// A private CA and a server certificate it signed for 127.0.0.1 and localhost (openssl, like
// a venue's), in a directory removed at the end.
class Certificates {
 public:
  Certificates() {
    mDir = fs::temp_directory_path() / fmt::format("tessera-tls-trust-{}", ::getpid());
    fs::create_directories(mDir);
    std::ofstream(mDir / "ext") << "subjectAltName=IP:127.0.0.1,DNS:localhost\n";
    const std::string d = mDir.string();
    const std::string ec = "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";
    const std::string script = fmt::format(
        "(cd '{0}' && openssl req -x509 {1} -keyout ca.key -out ca.pem -days 2 -subj /CN=ca "
        "-addext basicConstraints=critical,CA:TRUE && openssl req {1} -keyout server.key -out "
        "server.csr -subj /CN=127.0.0.1 && openssl x509 -req -in server.csr -CA ca.pem -CAkey "
        "ca.key -CAcreateserial -out server.pem -days 2 -extfile ext) >/dev/null 2>&1",
        d, ec);
    mOk = std::system(script.c_str()) == 0;
  }
  ~Certificates() {
    std::error_code ec;
    fs::remove_all(mDir, ec);
  }
  bool ok() const { return mOk; }
  fs::path ca() const { return mDir / "ca.pem"; }
  fs::path server() const { return mDir / "server.pem"; }
  fs::path dir() const { return mDir; }

 private:
  fs::path mDir;
  bool mOk = false;
};

// What GIO's default database (the one every TLS client connection uses) says of `cert` as
// the certificate of host:port.
GTlsCertificateFlags check(GTlsCertificate* cert, const char* host, int port) {
  auto database = GObjectPtr<GTlsDatabase>::adopt(
      g_tls_backend_get_default_database(g_tls_backend_get_default()));
  auto identity = GObjectPtr<GSocketConnectable>::adopt(
      g_network_address_new(host, static_cast<guint16>(port)));
  return g_tls_database_verify_chain(database.get(), cert,
                                     G_TLS_DATABASE_PURPOSE_AUTHENTICATE_SERVER, identity.get(),
                                     nullptr, G_TLS_DATABASE_VERIFY_NONE, nullptr, nullptr);
}

}  // namespace

TEST_CASE("TlsTrust checks each server one way and says why it refused", "[platform][tls]") {
  Certificates certs;
  REQUIRE(certs.ok());
  GError* error = nullptr;
  auto cert = GObjectPtr<GTlsCertificate>::adopt(
      g_tls_certificate_new_from_file(certs.server().c_str(), &error));
  REQUIRE(cert);
  GTlsDatabase* before = g_tls_backend_get_default_database(g_tls_backend_get_default());
  {
    TlsTrust trust;
    const auto start = std::chrono::steady_clock::now();
    // Not configured: the system store, which does not know the private CA.
    CHECK(check(cert.get(), "127.0.0.1", 8443) == G_TLS_CERTIFICATE_UNKNOWN_CA);
    CHECK(trust.rejection("127.0.0.1", 8443, start) == "TLS certificate not trusted: unknown CA");
    CHECK_FALSE(trust.rejection("127.0.0.1", 8443, std::chrono::steady_clock::now()));
    CHECK_FALSE(trust.rejection("127.0.0.1", 9443, start));

    std::string why;
    REQUIRE(trust.trustCaFile("127.0.0.1", 8443, certs.ca(), &why));
    CHECK(check(cert.get(), "127.0.0.1", 8443) == 0);
    CHECK(check(cert.get(), "127.0.0.1", 9443) == G_TLS_CERTIFICATE_UNKNOWN_CA);  // per server

    // The CA vouches, but not for this name; host names are compared without case.
    REQUIRE(trust.trustCaFile("Other.Example", 8443, certs.ca(), &why));
    CHECK(check(cert.get(), "other.example", 8443) == G_TLS_CERTIFICATE_BAD_IDENTITY);
    CHECK(trust.rejection("other.example", 8443, start) ==
          "TLS certificate not trusted: not issued for this host");
    REQUIRE(trust.trustCaFile("LOCALHOST", 8443, certs.ca(), &why));
    CHECK(check(cert.get(), "localhost", 8443) == 0);

    trust.trustAny("127.0.0.1", 9443);  // tls_verify = false
    CHECK(check(cert.get(), "127.0.0.1", 9443) == 0);

    // A CA file that cannot be read refuses the server rather than trusting it.
    CHECK_FALSE(trust.trustCaFile("127.0.0.1", 7443, certs.dir() / "none.pem", &why));
    CHECK(why.find("none.pem") != std::string::npos);
    CHECK(check(cert.get(), "127.0.0.1", 7443) == G_TLS_CERTIFICATE_UNKNOWN_CA);
  }
  GTlsDatabase* after = g_tls_backend_get_default_database(g_tls_backend_get_default());
  CHECK(after == before);  // the previous default is back
  g_object_unref(after);
  if (before) g_object_unref(before);
}

TEST_CASE("tlsCertificatesProblem reads a CA file with the TLS library", "[platform][tls]") {
  Certificates certs;
  REQUIRE(certs.ok());
  CHECK_FALSE(tlsCertificatesProblem(certs.ca()));
  const fs::path broken = certs.dir() / "broken.pem";
  std::ofstream(broken) << "-----BEGIN CERTIFICATE-----\nMIIBlTCCATugAwIBAgIUAAAA\n"
                           "-----END CERTIFICATE-----\n";
  const auto problem = tlsCertificatesProblem(broken);
  REQUIRE(problem);
  CHECK(problem->rfind(broken.string() + ": ", 0) == 0);
}

TEST_CASE("describeCertificateFlags", "[platform][tls]") {
  CHECK(describeCertificateFlags(G_TLS_CERTIFICATE_UNKNOWN_CA) ==
        "TLS certificate not trusted: unknown CA");
  CHECK(describeCertificateFlags(
            GTlsCertificateFlags(G_TLS_CERTIFICATE_UNKNOWN_CA | G_TLS_CERTIFICATE_EXPIRED)) ==
        "TLS certificate not trusted: unknown CA, expired");
  CHECK(describeCertificateFlags(GTlsCertificateFlags(0)) == "TLS certificate not trusted");
}
