// The control API's JSON request bodies (docs/http-api.md): POST /api/v1/scene, POST /api/v1/cue,
// PATCH /api/v1/params, POST /api/v1/reactions. Untrusted bytes: the parsers never throw; every
// refusal has a status and a detail for the problem+json answer. Bodies are bounded before they are
// read (kMax*BodyBytes).
//
// Thread: any (pure).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "control/api_model.hpp"
#include "core/reactions.hpp"

namespace tessera::control {

struct RequestError {
  int status;  // 400 not the JSON shape expected, 422 a value of the wrong type
  std::string detail;
};

inline constexpr std::size_t kSceneMaxBodyBytes = 4 * 1024;
inline constexpr std::size_t kCueMaxBodyBytes = 1024;
inline constexpr std::size_t kParamsMaxBodyBytes = 64 * 1024;
// {"kind": "heart"} is 17 bytes; room for spaces, not for anything else.
inline constexpr std::size_t kReactionMaxBodyBytes = 256;

struct SceneRequest {
  std::string name;
};
struct CueRequest {
  bool flash = false;
};
struct ParamsRequest {
  std::optional<std::string> scene, shader;
  std::vector<ParamValue> values;
  std::string valuesJson;  // the "values" object as sent, echoed in the answer
};
struct ReactionRequest {
  core::ReactionKind kind = core::ReactionKind::kHeart;
};

std::variant<SceneRequest, RequestError> parseSceneRequest(std::string_view body);
std::variant<CueRequest, RequestError> parseCueRequest(std::string_view body);
std::variant<ParamsRequest, RequestError> parseParamsRequest(std::string_view body);
// 400 unless exactly {"kind": STRING}; 422 for a kind that is not heart, clap, wow or fire.
std::variant<ReactionRequest, RequestError> parseReactionRequest(std::string_view body);

}  // namespace tessera::control
