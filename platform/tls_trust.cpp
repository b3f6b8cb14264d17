#include "platform/tls_trust.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

namespace tessera::platform {
namespace {

// Refusals kept per server at most (a server is one entry; bounded like every map here).
constexpr std::size_t kMaxRefusedServers = 1024;

struct Policy {
  GObjectPtr<GTlsDatabase> anchors;  // null with acceptAny false: refuse
  bool acceptAny = false;
};

struct Refusal {
  GTlsCertificateFlags flags;
  std::chrono::steady_clock::time_point at;
};

// The C++ side of the database object: lives as long as the GObject (a TLS connection may hold
// it after TlsTrust is gone).
struct TrustState {
  std::mutex mutex;
  std::map<std::string, Policy> policies;  // "host:port"
  std::map<std::string, Refusal> refusals;
  GObjectPtr<GTlsDatabase> system;  // may be null (no TLS backend)
};

std::string serverKey(std::string host, int port) {
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  std::transform(host.begin(), host.end(), host.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return fmt::format("{}:{}", host, port);
}

// The server a TLS client connection is checking: GSocketClient and libsoup name it by host
// and port (a GNetworkAddress), or by socket address.
std::string serverKey(GSocketConnectable* identity) {
  if (identity && G_IS_NETWORK_ADDRESS(identity)) {
    auto* address = G_NETWORK_ADDRESS(identity);
    const char* host = g_network_address_get_hostname(address);
    return serverKey(host ? host : "", g_network_address_get_port(address));
  }
  if (identity && G_IS_INET_SOCKET_ADDRESS(identity)) {
    auto* address = G_INET_SOCKET_ADDRESS(identity);
    char* host = g_inet_address_to_string(g_inet_socket_address_get_address(address));
    std::string key = serverKey(host ? host : "", g_inet_socket_address_get_port(address));
    g_free(host);
    return key;
  }
  return {};
}

}  // namespace
}  // namespace tessera::platform

// The GObject: a GTlsDatabase that routes each check by server.
struct TesseraTlsTrust {
  GTlsDatabase parent;
  tessera::platform::TrustState* state;
};
struct TesseraTlsTrustClass {
  GTlsDatabaseClass parent_class;
};
G_DEFINE_TYPE(TesseraTlsTrust, tessera_tls_trust, G_TYPE_TLS_DATABASE)

namespace tessera::platform {
namespace {

TrustState& stateOf(GTlsDatabase* database) {
  return *reinterpret_cast<TesseraTlsTrust*>(database)->state;
}

GTlsCertificateFlags verifyChain(GTlsDatabase* database, GTlsCertificate* chain,
                                 const gchar* purpose, GSocketConnectable* identity,
                                 GTlsInteraction* interaction, GTlsDatabaseVerifyFlags flags,
                                 GCancellable* cancellable, GError** error) {
  TrustState& state = stateOf(database);
  const std::string key = serverKey(identity);
  GObjectPtr<GTlsDatabase> anchors;
  {
    std::lock_guard lock(state.mutex);
    const auto it = key.empty() ? state.policies.end() : state.policies.find(key);
    if (it != state.policies.end() && it->second.acceptAny) return GTlsCertificateFlags(0);
    anchors = GObjectPtr<GTlsDatabase>::retain(it != state.policies.end() ? it->second.anchors.get()
                                                                          : state.system.get());
  }
  GTlsCertificateFlags result = G_TLS_CERTIFICATE_UNKNOWN_CA;  // no anchors: nobody vouches
  if (anchors) {
    result = g_tls_database_verify_chain(anchors.get(), chain, purpose, identity, interaction,
                                         flags, cancellable, error);
  }
  if (result != 0 && !key.empty()) {
    std::lock_guard lock(state.mutex);
    if (state.refusals.size() < kMaxRefusedServers || state.refusals.count(key)) {
      state.refusals[key] = {result, std::chrono::steady_clock::now()};
    }
  }
  return result;
}

// Everything but the check itself is the system store's business.
gchar* createHandle(GTlsDatabase* database, GTlsCertificate* certificate) {
  GTlsDatabase* system = stateOf(database).system.get();
  return system ? g_tls_database_create_certificate_handle(system, certificate) : nullptr;
}

GTlsCertificate* lookupForHandle(GTlsDatabase* database, const gchar* handle,
                                 GTlsInteraction* interaction, GTlsDatabaseLookupFlags flags,
                                 GCancellable* cancellable, GError** error) {
  GTlsDatabase* system = stateOf(database).system.get();
  return system ? g_tls_database_lookup_certificate_for_handle(system, handle, interaction, flags,
                                                               cancellable, error)
                : nullptr;
}

GTlsCertificate* lookupIssuer(GTlsDatabase* database, GTlsCertificate* certificate,
                              GTlsInteraction* interaction, GTlsDatabaseLookupFlags flags,
                              GCancellable* cancellable, GError** error) {
  GTlsDatabase* system = stateOf(database).system.get();
  return system ? g_tls_database_lookup_certificate_issuer(system, certificate, interaction, flags,
                                                           cancellable, error)
                : nullptr;
}

GList* lookupIssuedBy(GTlsDatabase* database, GByteArray* issuer, GTlsInteraction* interaction,
                      GTlsDatabaseLookupFlags flags, GCancellable* cancellable, GError** error) {
  GTlsDatabase* system = stateOf(database).system.get();
  return system ? g_tls_database_lookup_certificates_issued_by(system, issuer, interaction, flags,
                                                               cancellable, error)
                : nullptr;
}

}  // namespace
}  // namespace tessera::platform

static void tessera_tls_trust_init(TesseraTlsTrust* self) {
  self->state = new tessera::platform::TrustState();
}

static void tesseraTlsTrustFinalize(GObject* object) {
  delete reinterpret_cast<TesseraTlsTrust*>(object)->state;
  G_OBJECT_CLASS(tessera_tls_trust_parent_class)->finalize(object);
}

static void tessera_tls_trust_class_init(TesseraTlsTrustClass* klass) {
  G_OBJECT_CLASS(klass)->finalize = tesseraTlsTrustFinalize;
  GTlsDatabaseClass* database = G_TLS_DATABASE_CLASS(klass);
  database->verify_chain = tessera::platform::verifyChain;
  database->create_certificate_handle = tessera::platform::createHandle;
  database->lookup_certificate_for_handle = tessera::platform::lookupForHandle;
  database->lookup_certificate_issuer = tessera::platform::lookupIssuer;
  database->lookup_certificates_issued_by = tessera::platform::lookupIssuedBy;
}

namespace tessera::platform {

TlsTrust::TlsTrust() {
  mDatabase = GObjectPtr<GTlsDatabase>::adopt(
      G_TLS_DATABASE(g_object_new(tessera_tls_trust_get_type(), nullptr)));
  GTlsBackend* backend = g_tls_backend_get_default();
  mPrevious = GObjectPtr<GTlsDatabase>::adopt(g_tls_backend_get_default_database(backend));
  stateOf(mDatabase.get()).system = GObjectPtr<GTlsDatabase>::retain(mPrevious.get());
  g_tls_backend_set_default_database(backend, mDatabase.get());
}

TlsTrust::~TlsTrust() {
  g_tls_backend_set_default_database(g_tls_backend_get_default(), mPrevious.get());
}

bool TlsTrust::trustCaFile(const std::string& host, int port, const std::filesystem::path& caFile,
                           std::string* error) {
  GError* raw = nullptr;
  auto anchors = GObjectPtr<GTlsDatabase>::adopt(g_tls_file_database_new(caFile.c_str(), &raw));
  if (!anchors && error) {
    *error = fmt::format("{}: {}", caFile.string(), raw ? raw->message : "cannot be read");
  }
  if (raw) g_error_free(raw);
  const bool loaded = static_cast<bool>(anchors);
  TrustState& state = stateOf(mDatabase.get());
  std::lock_guard lock(state.mutex);
  state.policies[serverKey(host, port)] = {std::move(anchors), false};
  return loaded;
}

void TlsTrust::trustAny(const std::string& host, int port) {
  TrustState& state = stateOf(mDatabase.get());
  std::lock_guard lock(state.mutex);
  state.policies[serverKey(host, port)] = {GObjectPtr<GTlsDatabase>(), true};
}

std::optional<std::string> TlsTrust::rejection(const std::string& host, int port,
                                               std::chrono::steady_clock::time_point since) const {
  TrustState& state = stateOf(mDatabase.get());
  std::lock_guard lock(state.mutex);
  const auto it = state.refusals.find(serverKey(host, port));
  if (it == state.refusals.end() || it->second.at < since) return std::nullopt;
  return describeCertificateFlags(it->second.flags);
}

std::optional<std::string> tlsCertificatesProblem(const std::filesystem::path& file) {
  GError* raw = nullptr;
  GList* list = g_tls_certificate_list_new_from_file(file.c_str(), &raw);
  std::optional<std::string> problem;
  if (raw) {
    problem = fmt::format("{}: {}", file.string(), raw->message);
    g_error_free(raw);
  } else if (!list) {
    problem = fmt::format("{}: no certificate in it", file.string());
  }
  g_list_free_full(list, g_object_unref);
  return problem;
}

std::string describeCertificateFlags(GTlsCertificateFlags flags) {
  constexpr std::pair<GTlsCertificateFlags, const char*> kWords[] = {
      {G_TLS_CERTIFICATE_UNKNOWN_CA, "unknown CA"},
      {G_TLS_CERTIFICATE_BAD_IDENTITY, "not issued for this host"},
      {G_TLS_CERTIFICATE_NOT_ACTIVATED, "not valid yet"},
      {G_TLS_CERTIFICATE_EXPIRED, "expired"},
      {G_TLS_CERTIFICATE_REVOKED, "revoked"},
      {G_TLS_CERTIFICATE_INSECURE, "insecure algorithm"},
      {G_TLS_CERTIFICATE_GENERIC_ERROR, "unreadable"},
  };
  std::string words;
  for (const auto& [flag, word] : kWords) {
    if (flags & flag) words += (words.empty() ? "" : ", ") + std::string(word);
  }
  return "TLS certificate not trusted" + (words.empty() ? "" : ": " + words);
}

}  // namespace tessera::platform
