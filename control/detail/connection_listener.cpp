#include "control/detail/connection_listener.hpp"

#include <gio/gnetworking.h>

#include "core/log.hpp"

namespace tessera::control::detail {
namespace {
constexpr const char* kModule = "http";
}  // namespace

std::unique_ptr<ConnectionListener> ConnectionListener::listen(SoupServer* server,
                                                               GSocketAddress* address,
                                                               GTlsCertificate* tls,
                                                               std::string* error) {
  std::unique_ptr<ConnectionListener> self(new ConnectionListener());
  self->mServer = server;
  if (tls) self->mTls = platform::GObjectPtr<GTlsCertificate>::retain(tls);
  self->mService = platform::GObjectPtr<GSocketService>::adopt(g_socket_service_new());
  GError* raw = nullptr;
  GSocketAddress* bound = nullptr;
  if (!g_socket_listener_add_address(G_SOCKET_LISTENER(self->mService.get()), address,
                                     G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, nullptr, &bound,
                                     &raw)) {
    if (error) *error = raw ? raw->message : "?";
    if (raw) g_error_free(raw);
    return nullptr;
  }
  const auto effective = platform::GObjectPtr<GSocketAddress>::adopt(bound);
  self->mPort = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(effective.get()));
  g_signal_connect(self->mService.get(), "incoming", G_CALLBACK(&ConnectionListener::onIncoming),
                   self.get());
  g_socket_service_start(self->mService.get());
  return self;
}

ConnectionListener::~ConnectionListener() {
  if (!mService) return;
  g_signal_handlers_disconnect_by_data(mService.get(), this);
  g_socket_service_stop(mService.get());
  g_socket_listener_close(G_SOCKET_LISTENER(mService.get()));
}

gboolean ConnectionListener::onIncoming(GSocketService*, GSocketConnection* connection, GObject*,
                                        gpointer data) {
  auto* self = static_cast<ConnectionListener*>(data);
  ++self->mAccepted;
  const auto local = platform::GObjectPtr<GSocketAddress>::adopt(
      g_socket_connection_get_local_address(connection, nullptr));
  const auto remote = platform::GObjectPtr<GSocketAddress>::adopt(
      g_socket_connection_get_remote_address(connection, nullptr));
  g_socket_set_option(g_socket_connection_get_socket(connection), IPPROTO_TCP, TCP_NODELAY, TRUE,
                      nullptr);
  GError* raw = nullptr;
  platform::GObjectPtr<GIOStream> stream =
      platform::GObjectPtr<GIOStream>::retain(G_IO_STREAM(connection));
  if (self->mTls) {
    stream = platform::GObjectPtr<GIOStream>::adopt(
        g_tls_server_connection_new(G_IO_STREAM(connection), self->mTls.get(), &raw));
    if (!stream) {
      core::logWarn(kModule, "TLS connection refused: {}", raw ? raw->message : "?");
      if (raw) g_error_free(raw);
      return TRUE;  // dropping the connection closes it
    }
    g_object_set(stream.get(), "require-close-notify", FALSE, nullptr);
  }
  if (!soup_server_accept_iostream(self->mServer, stream.get(), local.get(), remote.get(), &raw)) {
    core::logWarn(kModule, "cannot serve a connection: {}", raw ? raw->message : "?");
    if (raw) g_error_free(raw);
  }
  return TRUE;
}

}  // namespace tessera::control::detail
