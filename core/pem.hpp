// Certificate authorities an artist gives tessera to trust a venue camera's or relay's private
// certificate ([[ingest.pull]] tls_ca_file): a PEM file of one or more certificates. Checked
// here without a TLS library (the configuration is parsed before any is loaded): the armour,
// the base64 and that each body is a DER SEQUENCE. The TLS library parses the rest at start-up.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tessera::core {

// At most this many certificates in one CA file (a system bundle holds about 150).
inline constexpr int kMaxPemCertificates = 1000;

// Why `pem` is not a list of PEM certificates (none, broken armour or base64, a private key
// among them), or nullopt with `count` set to the number of certificates. Bounded by its input.
std::optional<std::string> pemCertificatesProblem(std::string_view pem, int* count = nullptr);

}  // namespace tessera::core
