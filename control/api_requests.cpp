#include "control/api_requests.hpp"

#include <algorithm>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace tessera::control {
namespace {

using json = nlohmann::json;

json parseObject(std::string_view body) {
  json j = json::parse(body.begin(), body.end(), nullptr, false);
  return j.is_object() ? j : json(json::value_t::discarded);
}

}  // namespace

std::variant<SceneRequest, RequestError> parseSceneRequest(std::string_view body) {
  const json request = parseObject(body);
  if (request.is_discarded() || !request.contains("name") || !request["name"].is_string()) {
    return RequestError{400, "expected a JSON object {\"name\": \"<scene>\"}"};
  }
  return SceneRequest{request["name"].get<std::string>()};
}

std::variant<CueRequest, RequestError> parseCueRequest(std::string_view body) {
  constexpr const char* kShape = "expected a JSON object {\"flash\": true | false}";
  const json request = parseObject(body);
  if (request.is_discarded()) return RequestError{400, kShape};
  for (const auto& [key, value] : request.items()) {
    if (key != "flash" || !value.is_boolean()) {
      return RequestError{422, fmt::format("\"{}\": {}, got {}", key, kShape, value.dump())};
    }
  }
  if (!request.contains("flash")) {
    return RequestError{422, std::string("missing \"flash\": ") + kShape};
  }
  return CueRequest{request["flash"].get<bool>()};
}

std::variant<ParamsRequest, RequestError> parseParamsRequest(std::string_view body) {
  constexpr const char* kShape =
      "expected a JSON object {\"scene\": SCENE (optional), \"shader\": NAME (optional), "
      "\"values\": {INPUT: VALUE, ...}}";
  const json request = parseObject(body);
  if (request.is_discarded() || !request.contains("values") || !request["values"].is_object() ||
      request["values"].empty()) {
    return RequestError{400, kShape};
  }
  ParamsRequest out;
  for (const auto& [key, value] : request.items()) {
    if (key == "values") continue;
    if ((key != "scene" && key != "shader") || !value.is_string()) {
      return RequestError{400, fmt::format("unexpected \"{}\": {}", key, kShape)};
    }
    (key == "scene" ? out.scene : out.shader) = value.get<std::string>();
  }
  for (const auto& [name, v] : request["values"].items()) {
    ParamValue p;
    p.name = name;
    if (v.is_boolean()) {
      p.numbers = {v.get<bool>() ? 1.0 : 0.0};
    } else if (v.is_number()) {
      p.numbers = {v.get<double>()};
    } else if (v.is_string()) {
      p.text = v.get<std::string>();
    } else if (v.is_array() && !v.empty() && v.size() <= 4 &&
               std::all_of(v.begin(), v.end(), [](const json& e) { return e.is_number(); })) {
      for (const json& e : v) p.numbers.push_back(e.get<double>());
    } else {
      return RequestError{422, fmt::format("values.{}: expected a number, a boolean, a string or "
                                           "an array of 1-4 numbers, got {}",
                                           name, v.dump())};
    }
    out.values.push_back(std::move(p));
  }
  out.valuesJson = request["values"].dump();
  return out;
}

std::variant<ReactionRequest, RequestError> parseReactionRequest(std::string_view body) {
  constexpr const char* kShape =
      "expected a JSON object {\"kind\": \"heart\" | \"clap\" | \"wow\" | \"fire\"}";
  const json request = parseObject(body);
  if (request.is_discarded() || request.size() != 1 || !request.contains("kind") ||
      !request["kind"].is_string()) {
    return RequestError{400, kShape};
  }
  const auto& name = request["kind"].get_ref<const std::string&>();
  const auto kind = core::reactionKindFrom(name);
  if (!kind) {
    // The name is echoed as JSON (quoted, escaped), never as raw text.
    return RequestError{
        422, fmt::format("unknown kind {}: {}",
                         json(name).dump(-1, ' ', false, json::error_handler_t::replace), kShape)};
  }
  return ReactionRequest{*kind};
}

}  // namespace tessera::control
