// The control API's JSON body parsers (scene, cue, params, reaction) never throw or crash, and what
// they accept has the shape the routes rely on. The first byte picks the parser.
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>

#include "control/api_requests.hpp"

using namespace tessera::control;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto checkError = [](const RequestError& e) {
    assert((e.status == 400 || e.status == 422) && !e.detail.empty());
  };
  switch (data[0] % 4) {
    case 0: {
      const auto r = parseSceneRequest(body);
      if (const auto* e = std::get_if<RequestError>(&r)) checkError(*e);
      break;
    }
    case 1: {
      const auto r = parseCueRequest(body);
      if (const auto* e = std::get_if<RequestError>(&r)) checkError(*e);
      break;
    }
    case 3: {
      const auto r = parseReactionRequest(body);
      if (const auto* e = std::get_if<RequestError>(&r)) checkError(*e);
      break;
    }
    default: {
      const auto r = parseParamsRequest(body);
      if (const auto* e = std::get_if<RequestError>(&r)) {
        checkError(*e);
      } else {
        const auto& p = std::get<ParamsRequest>(r);
        assert(!p.values.empty() && !p.valuesJson.empty());
        for (const auto& v : p.values) {
          assert(v.text.has_value() != !v.numbers.empty());
          assert(v.numbers.size() <= 4);
        }
      }
      break;
    }
  }
  return 0;
}
