// Accepts the HTTP server's TCP connections and hands each to libsoup as a stream.
//
// libsoup 3.2 (Debian 12) leaks when it accepts connections itself (soup_server_listen): a
// GSocket (~340 B) per connection the client closes, ~1.9 KB per idle keep-alive connection the
// client closes. Streams handed in with soup_server_accept_iostream are released completely, so
// the server listens with a GSocketService of its own (bench/bench_whip_churn.py measures it).
//
// Thread: the main-loop thread.
#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>

#include <memory>
#include <string>

#include "platform/gobject_ptr.hpp"

namespace tessera::control::detail {

class ConnectionListener {
 public:
  // Listens on `address`; with `tls`, every connection is wrapped in a TLS server connection.
  // Null (with `error`) when the address cannot be bound.
  static std::unique_ptr<ConnectionListener> listen(SoupServer* server, GSocketAddress* address,
                                                    GTlsCertificate* tls, std::string* error);
  ~ConnectionListener();
  ConnectionListener(const ConnectionListener&) = delete;
  ConnectionListener& operator=(const ConnectionListener&) = delete;

  int port() const { return mPort; }
  std::uint64_t accepted() const { return mAccepted; }

 private:
  ConnectionListener() = default;
  static gboolean onIncoming(GSocketService*, GSocketConnection* connection, GObject*,
                             gpointer self);

  SoupServer* mServer = nullptr;  // not owned: the HttpServer outlives its listener
  platform::GObjectPtr<GSocketService> mService;
  platform::GObjectPtr<GTlsCertificate> mTls;
  int mPort = 0;
  std::uint64_t mAccepted = 0;
};

}  // namespace tessera::control::detail
