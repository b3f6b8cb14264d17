// Open Sound Control over UDP: liblo as the codec (messages in and out, bundles out), wrapped
// once here, and a non-blocking UDP socket watched by the GLib main loop. Nothing outside this
// file calls lo_* or touches the socket.
//
// Why not lo_server: liblo 0.31 binds UDP servers to every interface (no unicast bind address)
// and its error callback carries no user data, so per-server counts would need a global. Owning
// the socket binds exactly where configured and knows each datagram's source before decoding it.
//
// Thread: an OscSocket and its watch belong to the main-loop thread; the codec functions are pure
// and run anywhere.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "core/config.hpp"

namespace tessera::platform {

// One argument as a plain value: i/h -> int64, f/d -> double, s/S/c -> string, T/F -> bool,
// N/I (nil, impulse) -> monostate. Blobs, MIDI and timetags decode as monostate too (no inbound
// address takes them).
using OscValue = std::variant<std::monostate, bool, std::int64_t, double, std::string>;

struct OscMessage {
  std::string address;
  std::string types;  // OSC type tags without the leading ','
  std::vector<OscValue> args;
};

// Bounds on one inbound datagram (anything beyond is refused as malformed).
inline constexpr std::size_t kMaxOscDatagramBytes = 8192;
inline constexpr std::size_t kMaxOscMessagesPerPacket = 64;
inline constexpr int kMaxOscBundleDepth = 4;

// A datagram's messages (a bundle's elements in order; its timetag is ignored: commands act on
// arrival), or why the bytes are not OSC. Never throws.
using OscDecoded = std::variant<std::vector<OscMessage>, std::string>;
OscDecoded decodeOscPacket(std::span<const std::uint8_t> bytes);

// One bundle holding `messages` (int64 args are sent as 'i', double as 'f', strings 's', bools
// T/F), timetagged `at`. Empty on a message liblo refuses (an address not starting with '/').
std::vector<std::uint8_t> encodeOscBundle(const std::vector<OscMessage>& messages,
                                          std::chrono::system_clock::time_point at);
// One plain message (tests and the bench send these).
std::vector<std::uint8_t> encodeOscMessage(const OscMessage& message);

// The NTP timetag of `at` (seconds since 1900, 2^-32 fractions) as OSC carries it.
std::pair<std::uint32_t, std::uint32_t> oscTimetag(std::chrono::system_clock::time_point at);

// A UDP socket for OSC: bound where configured to receive, or unbound to send only.
class OscSocket {
 public:
  struct Datagram {
    std::size_t size = 0;  // bytes written to the caller's buffer (truncated datagrams are refused)
    bool truncated = false;
    std::string sourceHost;  // numeric IP of the sender
  };

  // Binds to `listen` (port 0 picks one); nullopt with `error` naming the address.
  static std::optional<OscSocket> bind(const core::ListenAddress& listen, std::string* error);
  // An unbound socket for sending to IPv4 and IPv6 targets.
  static std::optional<OscSocket> sender(std::string* error);

  OscSocket(OscSocket&& o) noexcept;
  OscSocket& operator=(OscSocket&& o) noexcept;
  OscSocket(const OscSocket&) = delete;
  OscSocket& operator=(const OscSocket&) = delete;
  ~OscSocket();

  int port() const { return mPort; }
  // The next waiting datagram, or nullopt when none is (never blocks).
  std::optional<Datagram> receive(std::span<std::uint8_t> buffer);
  // False (with `error`) when the kernel refuses the datagram; UDP never waits for the peer.
  bool sendTo(std::span<const std::uint8_t> bytes, const core::ListenAddress& to,
              std::string* error);
  // Calls `readable` on the main-loop thread whenever a datagram waits, until the socket goes.
  void watch(std::function<void()> readable);

 private:
  OscSocket() = default;
  void close();
  int mFd4 = -1;  // the bound socket, or the IPv4 sender
  int mFd6 = -1;  // the IPv6 sender (senders only)
  int mPort = 0;
  unsigned mWatch = 0;  // GLib source id
  std::unique_ptr<std::function<void()>> mReadable;
};

}  // namespace tessera::platform
