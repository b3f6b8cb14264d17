#include "control/detail/connections.hpp"

#include <libsoup/soup.h>

#include <vector>

#include "core/log.hpp"

namespace tessera::control::detail {
namespace {

constexpr const char* kModule = "http";
// How long a refused or timed-out connection may take to drain before it is closed for good.
constexpr std::chrono::milliseconds kLinger{2'000};

std::string addressOf(GSocketAddress* address) {
  if (!G_IS_INET_SOCKET_ADDRESS(address)) return "?";
  gchar* text =
      g_inet_address_to_string(g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(address)));
  std::string result = text ? text : "?";
  g_free(text);
  return result;
}

// A connection's client end, "address port": what a SoupServerMessage gives back of it. (libsoup
// hands messages a remote address object of its own, not the one given to accept_iostream, so
// data attached to ours never came back: every connection kept its 10 s request deadline, and
// the admin event stream was cut after 10 s.)
std::string endpointOf(GSocketAddress* address) {
  if (!G_IS_INET_SOCKET_ADDRESS(address)) return {};
  return addressOf(address) + " " +
         std::to_string(g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(address)));
}

}  // namespace

Connections::Connections(SoupServer* server, ConnectionLimits limits)
    : mServer(server), mLimits(limits) {}

Connections::~Connections() {
  if (mService) {
    g_socket_service_stop(mService.get());
    g_socket_listener_close(G_SOCKET_LISTENER(mService.get()));
    g_signal_handlers_disconnect_by_data(mService.get(), this);
  }
  if (mSweepSource) g_source_remove(mSweepSource);
  if (mRefusalSource) g_source_remove(mRefusalSource);
}

bool Connections::listen(GSocketAddress* address, GTlsCertificate* tls, std::string* error) {
  mTls = platform::GObjectPtr<GTlsCertificate>::retain(tls);
  mService = platform::GObjectPtr<GSocketService>::adopt(g_socket_service_new());
  g_socket_listener_set_backlog(G_SOCKET_LISTENER(mService.get()), mLimits.listenBacklog);
  GSocketAddress* bound = nullptr;
  GError* raw = nullptr;
  if (!g_socket_listener_add_address(G_SOCKET_LISTENER(mService.get()), address,
                                     G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, nullptr, &bound,
                                     &raw)) {
    if (error) *error = raw ? raw->message : "?";
    if (raw) g_error_free(raw);
    mService.reset();
    return false;
  }
  mPort = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
  g_object_unref(bound);
  g_signal_connect(mService.get(), "incoming", G_CALLBACK(&Connections::onIncoming), this);
  g_socket_service_start(mService.get());
  return true;
}

gboolean Connections::onIncoming(GSocketService*, GSocketConnection* socket, GObject*, void* self) {
  static_cast<Connections*>(self)->accept(socket);
  return TRUE;
}

void Connections::accept(GSocketConnection* socket) {
  auto remote = platform::GObjectPtr<GSocketAddress>::adopt(
      g_socket_connection_get_remote_address(socket, nullptr));
  auto local = platform::GObjectPtr<GSocketAddress>::adopt(
      g_socket_connection_get_local_address(socket, nullptr));
  const std::string address = remote ? addressOf(remote.get()) : "?";
  auto atLimit = [&] {
    const auto per = mPerAddress.find(address);
    return mConnections.size() >= mLimits.maxConnections ||
           (per != mPerAddress.end() && per->second >= mLimits.maxConnectionsPerAddress);
  };
  // Connections libsoup has closed since the last sweep do not count.
  if (atLimit()) sweep();
  std::size_t& fromAddress = mPerAddress[address];
  if (!remote || !local || mConnections.size() >= mLimits.maxConnections ||
      fromAddress >= mLimits.maxConnectionsPerAddress) {
    ++mStats.refused;
    if (fromAddress == 0) mPerAddress.erase(address);
    // One line a second at most: a flood must not flood the log too.
    const auto now = std::chrono::steady_clock::now();
    if (now - mLastRefusalLog >= std::chrono::seconds(1)) {
      mLastRefusalLog = now;
      core::logWarn(kModule,
                    "refused a connection from {}: {} open, {} from it (limits {} and {}); {} "
                    "refused so far",
                    address, mConnections.size(), fromAddress, mLimits.maxConnections,
                    mLimits.maxConnectionsPerAddress, mStats.refused);
    }
    g_io_stream_close(G_IO_STREAM(socket), nullptr, nullptr);
    return;
  }
  Connection c;
  c.socket = platform::GObjectPtr<GSocketConnection>::retain(socket);
  if (mTls) {
    GError* raw = nullptr;
    c.stream = platform::GObjectPtr<GIOStream>::adopt(
        g_tls_server_connection_new(G_IO_STREAM(socket), mTls.get(), &raw));
    if (!c.stream) {
      core::logWarn(kModule, "connection from {}: TLS: {}", address, raw ? raw->message : "?");
      if (raw) g_error_free(raw);
      g_io_stream_close(G_IO_STREAM(socket), nullptr, nullptr);
      return;
    }
  } else {
    c.stream = platform::GObjectPtr<GIOStream>::retain(G_IO_STREAM(socket));
  }
  c.address = address;
  c.deadline = std::chrono::steady_clock::now() + mLimits.requestTimeout;
  const std::uint64_t id = mNextId++;
  c.endpoint = endpointOf(remote.get());
  // Listed before libsoup takes it: a request already waiting is read (and its handler run)
  // inside soup_server_accept_iostream, and must find its connection to set its deadline.
  GIOStream* stream = c.stream.get();
  ++fromAddress;
  if (!c.endpoint.empty()) mByEndpoint[c.endpoint] = id;
  mConnections.emplace(id, std::move(c));
  GError* raw = nullptr;
  if (!soup_server_accept_iostream(mServer, stream, local.get(), remote.get(), &raw)) {
    core::logWarn(kModule, "connection from {}: {}", address, raw ? raw->message : "?");
    if (raw) g_error_free(raw);
    g_io_stream_close(stream, nullptr, nullptr);
    if (const auto it = mConnections.find(id); it != mConnections.end()) remove(it);
    return;
  }
  ++mStats.accepted;
  startSweeping();
}

Connections::Connection* Connections::find(SoupServerMessage* msg) {
  GSocketAddress* remote = soup_server_message_get_remote_address(msg);
  if (!remote) return nullptr;
  const auto byEndpoint = mByEndpoint.find(endpointOf(remote));
  if (byEndpoint == mByEndpoint.end()) return nullptr;
  const auto it = mConnections.find(byEndpoint->second);
  return it == mConnections.end() ? nullptr : &it->second;
}

void Connections::requestRead(SoupServerMessage* msg) {
  if (Connection* c = find(msg); c && !c->closing) {
    c->deadline = std::chrono::steady_clock::now() + mLimits.responseTimeout;
  }
}

void Connections::setDeadline(SoupServerMessage* msg, std::chrono::milliseconds fromNow) {
  if (Connection* c = find(msg); c && !c->closing) {
    c->deadline = std::chrono::steady_clock::now() + fromNow;
  }
}

void Connections::refuse(SoupServerMessage* msg, std::string response) {
  // Taking the connection inside a got-headers or got-chunk handler would free libsoup's I/O
  // state under its own read loop: pause now, take it from an idle callback.
  soup_server_message_pause(msg);
  mRefusals.push_back({platform::GObjectPtr<SoupServerMessage>::retain(msg), std::move(response)});
  if (!mRefusalSource) mRefusalSource = g_idle_add(&Connections::onRefusals, this);
}

gboolean Connections::onRefusals(void* self) {
  auto* connections = static_cast<Connections*>(self);
  connections->mRefusalSource = 0;
  connections->sendRefusals();
  return G_SOURCE_REMOVE;
}

void Connections::sendRefusals() {
  std::vector<Refusal> refusals = std::move(mRefusals);
  mRefusals.clear();
  for (Refusal& r : refusals) {
    Connection* c = find(r.msg.get());
    GIOStream* stolen = soup_server_message_steal_connection(r.msg.get());
    if (stolen) {
      // A few hundred bytes to a socket that has only sent so far: they fit its send buffer.
      // If they do not, the client gets the close without them.
      GOutputStream* out = g_io_stream_get_output_stream(stolen);
      if (G_IS_POLLABLE_OUTPUT_STREAM(out)) {
        g_pollable_output_stream_write_nonblocking(G_POLLABLE_OUTPUT_STREAM(out), r.response.data(),
                                                   r.response.size(), nullptr, nullptr);
      }
      g_object_unref(stolen);
    }
    if (!c) continue;
    // Half-close: the client reads the response, then the end; nothing more is read from it.
    g_socket_shutdown(g_socket_connection_get_socket(c->socket.get()), FALSE, TRUE, nullptr);
    c->closing = true;
    c->deadline = std::chrono::steady_clock::now() + kLinger;
  }
  startSweeping();
}

void Connections::startSweeping() {
  if (mSweepSource || mConnections.empty()) return;
  mSweepSource = g_timeout_add(250, &Connections::onSweep, this);
}

gboolean Connections::onSweep(void* self) {
  auto* connections = static_cast<Connections*>(self);
  connections->sweep();
  if (!connections->mConnections.empty()) return G_SOURCE_CONTINUE;
  connections->mSweepSource = 0;
  return G_SOURCE_REMOVE;
}

void Connections::sweep() {
  const auto now = std::chrono::steady_clock::now();
  for (auto it = mConnections.begin(); it != mConnections.end();) {
    Connection& c = it->second;
    GSocket* socket = g_socket_connection_get_socket(c.socket.get());
    if (g_io_stream_is_closed(c.stream.get()) || g_socket_is_closed(socket)) {
      auto done = it++;
      remove(done);
      continue;
    }
    if (now >= c.deadline) {
      if (!c.closing) {
        // libsoup reads the end of the stream and closes the connection itself.
        ++mStats.timedOut;
        core::logInfo(kModule, "connection from {}: timed out, closing it", c.address);
        g_socket_shutdown(socket, TRUE, TRUE, nullptr);
        c.closing = true;
        c.deadline = now + kLinger;
      } else {
        g_socket_close(socket, nullptr);
        auto done = it++;
        remove(done);
        continue;
      }
    }
    ++it;
  }
}

void Connections::remove(std::unordered_map<std::uint64_t, Connection>::iterator it) {
  const auto per = mPerAddress.find(it->second.address);
  if (per != mPerAddress.end() && --per->second == 0) mPerAddress.erase(per);
  const auto byEndpoint = mByEndpoint.find(it->second.endpoint);
  if (byEndpoint != mByEndpoint.end() && byEndpoint->second == it->first) {
    mByEndpoint.erase(byEndpoint);
  }
  mConnections.erase(it);
}

ConnectionStats Connections::stats() const {
  ConnectionStats s = mStats;
  s.open = mConnections.size();
  return s;
}

}  // namespace tessera::control::detail
