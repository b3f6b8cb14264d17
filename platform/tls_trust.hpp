// Which TLS servers the pulled sources trust, and why one was refused.
//
// rtspsrc, souphttpsrc (with the HLS and DASH demuxers' own downloads) and rtmp2src all check a
// server's certificate through GIO's default TLS database, and rtmp2src has no property to be
// given another. So one database is installed for the process while a TlsTrust lives: per
// server (host:port) it checks the certificate against an artist's CA file, accepts any
// (tls_verify = false), or asks the system store as before; and it remembers why it refused a
// server's certificate, so a feed can say "TLS certificate not trusted" where the source
// element only says "internal data stream error".
//
// Thread: created, configured and destroyed on the main-loop thread. Certificates are checked
// on GIO's TLS handshake threads; the table of servers and refusals is behind a lock.
#pragma once

#include <gio/gio.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include "platform/gobject_ptr.hpp"

namespace tessera::platform {

class TlsTrust {
 public:
  // Installs the database as GIO's default (the system store stays the answer for any server
  // not configured here).
  TlsTrust();
  // Puts the previous default back; connections still open keep checking with this one.
  ~TlsTrust();
  TlsTrust(const TlsTrust&) = delete;
  TlsTrust& operator=(const TlsTrust&) = delete;

  // Certificates of host:port are checked against the certificates of `caFile` (PEM) instead of
  // the system store. When the file cannot be loaded, returns false with `error` and refuses
  // the server's certificates (never falls back to trusting it, nor to the system store).
  bool trustCaFile(const std::string& host, int port, const std::filesystem::path& caFile,
                   std::string* error);
  // Any certificate of host:port is accepted (tls_verify = false: insecure, the caller logs it).
  void trustAny(const std::string& host, int port);

  // Why a certificate of host:port was refused at or after `since`, in words a technician reads
  // ("TLS certificate not trusted: unknown CA"), or nullopt.
  std::optional<std::string> rejection(const std::string& host, int port,
                                       std::chrono::steady_clock::time_point since) const;

 private:
  GObjectPtr<GTlsDatabase> mDatabase;
  GObjectPtr<GTlsDatabase> mPrevious;  // the default before (the system store)
};

// Why GIO's TLS library cannot read `file` as a list of certificates, or nullopt.
std::optional<std::string> tlsCertificatesProblem(const std::filesystem::path& file);

// "TLS certificate not trusted: unknown CA, not issued for this host" for GIO's flags.
std::string describeCertificateFlags(GTlsCertificateFlags flags);

}  // namespace tessera::platform
