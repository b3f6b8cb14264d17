// The OSC datagram decoder (liblo underneath) and the address space never throw or crash on any
// bytes, and what they accept is bounded and re-encodes.
#include <cassert>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <variant>

#include "control/osc_commands.hpp"
#include "platform/osc.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tessera;
  const auto decoded = platform::decodeOscPacket(std::span<const std::uint8_t>(data, size));
  if (const auto* messages = std::get_if<std::vector<platform::OscMessage>>(&decoded)) {
    assert(messages->size() <= platform::kMaxOscMessagesPerPacket);
    for (const auto& m : *messages) {
      assert(!m.address.empty() && m.address.front() == '/');
      const auto parsed = control::parseOscCommand(m);
      if (const auto* r = std::get_if<control::OscRejected>(&parsed)) assert(!r->detail.empty());
      if (const auto* p = std::get_if<control::OscParamCommand>(&parsed)) {
        assert(p->value.text || (!p->value.numbers.empty() &&
                                 p->value.numbers.size() <= control::kMaxOscParamNumbers));
      }
    }
    // What was accepted re-encodes as one bundle (liblo's encoder and reference counts under
    // ASan) that decodes to as many messages.
    const auto bundle = platform::encodeOscBundle(*messages, std::chrono::system_clock::now());
    if (!bundle.empty() && bundle.size() <= platform::kMaxOscDatagramBytes) {
      const auto again = platform::decodeOscPacket(bundle);
      const auto* back = std::get_if<std::vector<platform::OscMessage>>(&again);
      assert(back && back->size() == messages->size());
    }
  } else {
    assert(!std::get<std::string>(decoded).empty());
  }
  return 0;
}
