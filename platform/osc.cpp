#include "platform/osc.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <glib.h>
#include <lo/lo_lowlevel.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <utility>

namespace tessera::platform {
namespace {

struct MessageFree {
  void operator()(lo_message m) const { lo_message_free(m); }
};
using MessagePtr = std::unique_ptr<std::remove_pointer_t<lo_message>, MessageFree>;
struct BundleFree {
  void operator()(lo_bundle b) const { lo_bundle_free_recursive(b); }
};
using BundlePtr = std::unique_ptr<std::remove_pointer_t<lo_bundle>, BundleFree>;
struct MallocFree {
  void operator()(void* p) const { std::free(p); }
};
using Serialised = std::unique_ptr<void, MallocFree>;

constexpr char kBundleTag[8] = {'#', 'b', 'u', 'n', 'd', 'l', 'e', '\0'};

std::uint32_t readBigEndian32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

// liblo's arguments sit at 4-byte offsets in the message, but lo_arg (a union holding 64-bit
// members) needs 8: read each value's bytes, never through the union (UBSan, fuzz.osc).
template <typename T>
T argAs(const lo_arg* arg) {
  T value;
  std::memcpy(&value, reinterpret_cast<const unsigned char*>(arg), sizeof value);
  return value;
}

OscValue valueOf(char type, const lo_arg* arg) {
  const char* bytes = reinterpret_cast<const char*>(arg);
  switch (type) {
    case LO_INT32:
      return std::int64_t{argAs<std::int32_t>(arg)};
    case LO_INT64:
      return std::int64_t{argAs<std::int64_t>(arg)};
    case LO_FLOAT:
      return double{argAs<float>(arg)};
    case LO_DOUBLE:
      return argAs<double>(arg);
    case LO_STRING:
    case LO_SYMBOL:
      return std::string(bytes);
    case LO_CHAR:
      return std::string(1, static_cast<char>(argAs<std::int32_t>(arg)));
    case LO_TRUE:
      return true;
    case LO_FALSE:
      return false;
    default:
      return std::monostate{};
  }
}

// One message's bytes through liblo's validating decoder.
std::optional<std::string> decodeMessage(std::span<const std::uint8_t> bytes,
                                         std::vector<OscMessage>& out) {
  std::vector<std::uint8_t> copy(bytes.begin(), bytes.end());  // liblo takes non-const data
  int result = 0;
  MessagePtr m(lo_message_deserialise(copy.data(), copy.size(), &result));
  if (!m) return fmt::format("not an OSC message (liblo error {})", result);
  const char* path = lo_get_path(copy.data(), static_cast<ssize_t>(copy.size()));
  // liblo takes any string as the address; OSC's start with '/'.
  if (!path || path[0] != '/') return std::string("an address not starting with '/'");
  OscMessage msg;
  msg.address = path;
  const char* types = lo_message_get_types(m.get());
  msg.types = types ? types : "";
  lo_arg** argv = lo_message_get_argv(m.get());
  const int argc = lo_message_get_argc(m.get());
  for (int i = 0; i < argc && i < static_cast<int>(msg.types.size()); ++i) {
    msg.args.push_back(valueOf(msg.types[static_cast<std::size_t>(i)], argv[i]));
  }
  out.push_back(std::move(msg));
  return std::nullopt;
}

std::optional<std::string> decodeElement(std::span<const std::uint8_t> bytes, int depth,
                                         std::vector<OscMessage>& out) {
  if (bytes.size() < 8 || std::memcmp(bytes.data(), kBundleTag, 8) != 0) {
    if (out.size() >= kMaxOscMessagesPerPacket) {
      return fmt::format("more than {} messages", kMaxOscMessagesPerPacket);
    }
    return decodeMessage(bytes, out);
  }
  if (depth >= kMaxOscBundleDepth) {
    return fmt::format("bundles nested more than {} deep", kMaxOscBundleDepth);
  }
  if (bytes.size() < 16) return std::string("a bundle without its timetag");
  std::size_t at = 16;
  while (at < bytes.size()) {
    if (bytes.size() - at < 4) return std::string("a bundle element without its size");
    const std::uint32_t size = readBigEndian32(bytes.data() + at);
    at += 4;
    if (size == 0 || size % 4 != 0 || size > bytes.size() - at) {
      return fmt::format("a bundle element of {} bytes where {} remain", size, bytes.size() - at);
    }
    if (auto error = decodeElement(bytes.subspan(at, size), depth + 1, out)) return error;
    at += size;
  }
  return std::nullopt;
}

bool addArg(lo_message m, const OscValue& v) {
  if (const auto* i = std::get_if<std::int64_t>(&v)) {
    return lo_message_add_int32(m, static_cast<std::int32_t>(*i)) == 0;
  }
  if (const auto* d = std::get_if<double>(&v)) {
    return lo_message_add_float(m, static_cast<float>(*d)) == 0;
  }
  if (const auto* s = std::get_if<std::string>(&v))
    return lo_message_add_string(m, s->c_str()) == 0;
  if (const auto* b = std::get_if<bool>(&v)) {
    return (*b ? lo_message_add_true(m) : lo_message_add_false(m)) == 0;
  }
  return lo_message_add_nil(m) == 0;
}

MessagePtr makeMessage(const OscMessage& message) {
  MessagePtr m(lo_message_new());
  if (!m) return nullptr;
  for (const OscValue& v : message.args) {
    if (!addArg(m.get(), v)) return nullptr;
  }
  return m;
}

std::vector<std::uint8_t> copyOut(void* data, std::size_t size) {
  Serialised owned(data);
  if (!owned) return {};
  const auto* p = static_cast<const std::uint8_t*>(owned.get());
  return std::vector<std::uint8_t>(p, p + size);
}

std::optional<sockaddr_storage> socketAddress(const core::ListenAddress& a, socklen_t* length) {
  sockaddr_storage s{};
  if (auto* v4 = reinterpret_cast<sockaddr_in*>(&s);
      inet_pton(AF_INET, a.host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<std::uint16_t>(a.port));
    *length = sizeof(sockaddr_in);
    return s;
  }
  if (auto* v6 = reinterpret_cast<sockaddr_in6*>(&s);
      inet_pton(AF_INET6, a.host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<std::uint16_t>(a.port));
    *length = sizeof(sockaddr_in6);
    return s;
  }
  return std::nullopt;
}

int udpSocket(int family) {
  return ::socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
}

}  // namespace

OscDecoded decodeOscPacket(std::span<const std::uint8_t> bytes) {
  if (bytes.empty()) return std::string("an empty datagram");
  if (bytes.size() > kMaxOscDatagramBytes) {
    return fmt::format("{} bytes (at most {})", bytes.size(), kMaxOscDatagramBytes);
  }
  std::vector<OscMessage> out;
  if (auto error = decodeElement(bytes, 0, out)) return std::move(*error);
  return out;
}

std::pair<std::uint32_t, std::uint32_t> oscTimetag(std::chrono::system_clock::time_point at) {
  constexpr std::uint64_t kUnixToNtpSeconds = 2208988800ull;
  const auto sinceEpoch = at.time_since_epoch();
  const auto seconds = std::chrono::floor<std::chrono::seconds>(sinceEpoch);
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(sinceEpoch - seconds);
  const auto sec = static_cast<std::uint32_t>(seconds.count() + kUnixToNtpSeconds);
  const auto frac =
      static_cast<std::uint32_t>((static_cast<std::uint64_t>(ns.count()) << 32) / 1000000000ull);
  return {sec, frac};
}

std::vector<std::uint8_t> encodeOscBundle(const std::vector<OscMessage>& messages,
                                          std::chrono::system_clock::time_point at) {
  const auto [sec, frac] = oscTimetag(at);
  BundlePtr bundle(lo_bundle_new(lo_timetag{sec, frac}));
  if (!bundle) return {};
  for (const OscMessage& message : messages) {
    MessagePtr m = makeMessage(message);
    if (!m || message.address.empty() || message.address.front() != '/') return {};
    // The bundle takes its own reference; ours goes with `m`... unless liblo refused it.
    if (lo_bundle_add_message(bundle.get(), message.address.c_str(), m.get()) != 0) return {};
    m.release();  // lo_bundle_free_recursive frees it with the bundle
  }
  std::size_t size = 0;
  void* data = lo_bundle_serialise(bundle.get(), nullptr, &size);
  return copyOut(data, size);
}

std::vector<std::uint8_t> encodeOscMessage(const OscMessage& message) {
  MessagePtr m = makeMessage(message);
  if (!m || message.address.empty() || message.address.front() != '/') return {};
  std::size_t size = 0;
  void* data = lo_message_serialise(m.get(), message.address.c_str(), nullptr, &size);
  return copyOut(data, size);
}

std::optional<OscSocket> OscSocket::bind(const core::ListenAddress& listen, std::string* error) {
  socklen_t length = 0;
  auto address = socketAddress(listen, &length);
  if (!address) {
    *error = fmt::format("{}: not an IP address", listen.host);
    return std::nullopt;
  }
  OscSocket s;
  s.mFd4 = udpSocket(address->ss_family);
  if (s.mFd4 < 0) {
    *error = fmt::format("socket: {}", std::strerror(errno));
    return std::nullopt;
  }
  if (address->ss_family == AF_INET6) {
    const int only = 1;  // "[::]:9000" means IPv6; bind 0.0.0.0 for IPv4
    setsockopt(s.mFd4, IPPROTO_IPV6, IPV6_V6ONLY, &only, sizeof only);
  }
  if (::bind(s.mFd4, reinterpret_cast<const sockaddr*>(&*address), length) != 0) {
    *error =
        fmt::format("cannot bind UDP {}:{}: {}", listen.host, listen.port, std::strerror(errno));
    return std::nullopt;
  }
  sockaddr_storage bound{};
  socklen_t boundLength = sizeof bound;
  getsockname(s.mFd4, reinterpret_cast<sockaddr*>(&bound), &boundLength);
  s.mPort = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                              : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  return s;
}

std::optional<OscSocket> OscSocket::sender(std::string* error) {
  OscSocket s;
  s.mFd4 = udpSocket(AF_INET);
  s.mFd6 = udpSocket(AF_INET6);  // may fail on a host without IPv6: then only IPv4 targets work
  if (s.mFd4 < 0) {
    *error = fmt::format("socket: {}", std::strerror(errno));
    return std::nullopt;
  }
  return s;
}

OscSocket::OscSocket(OscSocket&& o) noexcept
    : mFd4(std::exchange(o.mFd4, -1)),
      mFd6(std::exchange(o.mFd6, -1)),
      mPort(o.mPort),
      mWatch(std::exchange(o.mWatch, 0u)),
      mReadable(std::move(o.mReadable)) {}

OscSocket& OscSocket::operator=(OscSocket&& o) noexcept {
  if (this != &o) {
    close();
    mFd4 = std::exchange(o.mFd4, -1);
    mFd6 = std::exchange(o.mFd6, -1);
    mPort = o.mPort;
    mWatch = std::exchange(o.mWatch, 0u);
    mReadable = std::move(o.mReadable);
  }
  return *this;
}

OscSocket::~OscSocket() {
  close();
}

void OscSocket::close() {
  if (mWatch) g_source_remove(mWatch);
  mWatch = 0;
  if (mFd4 >= 0) ::close(mFd4);
  if (mFd6 >= 0) ::close(mFd6);
  mFd4 = mFd6 = -1;
  mReadable.reset();
}

std::optional<OscSocket::Datagram> OscSocket::receive(std::span<std::uint8_t> buffer) {
  sockaddr_storage from{};
  socklen_t fromLength = sizeof from;
  const ssize_t n = ::recvfrom(mFd4, buffer.data(), buffer.size(), MSG_TRUNC,
                               reinterpret_cast<sockaddr*>(&from), &fromLength);
  if (n < 0) return std::nullopt;  // EAGAIN: nothing waits (other errors: the next wake-up)
  Datagram d;
  d.truncated = static_cast<std::size_t>(n) > buffer.size();
  d.size = d.truncated ? buffer.size() : static_cast<std::size_t>(n);
  char host[INET6_ADDRSTRLEN] = {};
  if (from.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&from)->sin_addr, host, sizeof host);
  } else if (from.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&from)->sin6_addr, host, sizeof host);
  }
  d.sourceHost = host;
  return d;
}

bool OscSocket::sendTo(std::span<const std::uint8_t> bytes, const core::ListenAddress& to,
                       std::string* error) {
  socklen_t length = 0;
  auto address = socketAddress(to, &length);
  if (!address) {
    *error = fmt::format("{}: not an IP address", to.host);
    return false;
  }
  const int fd = address->ss_family == AF_INET6 && mFd6 >= 0 ? mFd6 : mFd4;
  const ssize_t n = ::sendto(fd, bytes.data(), bytes.size(), MSG_DONTWAIT,
                             reinterpret_cast<const sockaddr*>(&*address), length);
  if (n < 0) {
    *error = std::strerror(errno);
    return false;
  }
  return true;
}

void OscSocket::watch(std::function<void()> readable) {
  if (mWatch) g_source_remove(mWatch);
  mReadable = std::make_unique<std::function<void()>>(std::move(readable));
  mWatch = g_unix_fd_add(
      mFd4, G_IO_IN,
      [](int, GIOCondition, gpointer data) -> gboolean {
        (*static_cast<std::function<void()>*>(data))();
        return G_SOURCE_CONTINUE;
      },
      mReadable.get());
}

}  // namespace tessera::platform
