// The HTTP server's listening socket and every connection it accepted (docs/http-api.md,
// "Limits"). tessera accepts connections itself instead of letting libsoup do it:
// - libsoup 3.2 leaks an idle keep-alive connection that the client closes (its socket stays in
//   CLOSE-WAIT for good, one fd each). A connection handed over with soup_server_accept_iostream()
//   is closed by libsoup after its response; responses say "Connection: close" so clients know.
// - the listen backlog, the connection caps and the request timeout are ours to set.
//
// Thread: the main-loop thread (GSocketService and libsoup dispatch there).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include <gio/gio.h>

#include "platform/gobject_ptr.hpp"

typedef struct _SoupServer SoupServer;
typedef struct _SoupServerMessage SoupServerMessage;

namespace tessera::control::detail {

struct ConnectionLimits {
  int listenBacklog = 1024;
  std::size_t maxConnections = 512;           // open connections; beyond: closed at once
  std::size_t maxConnectionsPerAddress = 32;  // from one client address; beyond: closed at once
  // From accept until the request (headers and body) has been read; then closed.
  std::chrono::milliseconds requestTimeout{10'000};
  // From the request read until the response has left; then closed.
  std::chrono::milliseconds responseTimeout{60'000};
};

struct ConnectionStats {
  std::uint64_t accepted = 0;
  std::uint64_t refused = 0;   // over maxConnections or maxConnectionsPerAddress
  std::uint64_t timedOut = 0;  // closed by requestTimeout or responseTimeout
  std::size_t open = 0;
};

class Connections {
 public:
  Connections(SoupServer* server, ConnectionLimits limits);
  ~Connections();
  Connections(const Connections&) = delete;
  Connections& operator=(const Connections&) = delete;

  // Binds `address` and starts accepting; `tls`: HTTPS with this certificate. False with `error`.
  bool listen(GSocketAddress* address, GTlsCertificate* tls, std::string* error);
  int port() const { return mPort; }
  // Called when libsoup has read `msg`'s request: its connection now has responseTimeout.
  void requestRead(SoupServerMessage* msg);
  // A response that streams (the admin events): its connection is closed `fromNow` from now
  // instead of responseTimeout after its request; zero closes it at the next sweep.
  void setDeadline(SoupServerMessage* msg, std::chrono::milliseconds fromNow);
  // Stops reading `msg` at once; then (from an idle callback, outside libsoup's I/O loop) takes
  // its connection from libsoup, sends `response` (a whole HTTP response) and closes it: the
  // rest of a refused request's body is never read.
  void refuse(SoupServerMessage* msg, std::string response);
  ConnectionStats stats() const;

 private:
  struct Connection {
    platform::GObjectPtr<GSocketConnection> socket;
    platform::GObjectPtr<GIOStream> stream;  // the socket, or TLS over it
    std::string address;
    std::string endpoint;  // "address port" (endpointOf): how a message finds its connection
    std::chrono::steady_clock::time_point deadline;
    bool closing = false;  // shut down: closed for good at the deadline
  };

  static gboolean onIncoming(GSocketService*, GSocketConnection* socket, GObject*, void* self);
  static gboolean onSweep(void* self);
  static gboolean onRefusals(void* self);
  void sendRefusals();
  void accept(GSocketConnection* socket);
  Connection* find(SoupServerMessage* msg);
  void sweep();
  void remove(std::unordered_map<std::uint64_t, Connection>::iterator it);
  void startSweeping();

  SoupServer* const mServer;
  const ConnectionLimits mLimits;
  platform::GObjectPtr<GSocketService> mService;
  platform::GObjectPtr<GTlsCertificate> mTls;
  std::unordered_map<std::uint64_t, Connection> mConnections;
  std::unordered_map<std::string, std::size_t> mPerAddress;
  std::unordered_map<std::string, std::uint64_t> mByEndpoint;  // bounded by mConnections
  struct Refusal {
    platform::GObjectPtr<SoupServerMessage> msg;  // paused until its connection is taken
    std::string response;
  };
  std::vector<Refusal> mRefusals;
  guint mRefusalSource = 0;
  std::uint64_t mNextId = 1;
  guint mSweepSource = 0;
  int mPort = 0;
  ConnectionStats mStats;
  std::chrono::steady_clock::time_point mLastRefusalLog;
};

}  // namespace tessera::control::detail
