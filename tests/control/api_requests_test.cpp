// The control API's JSON request bodies: POST /api/v1/reactions.
#include "control/api_requests.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <variant>
#include <vector>

using tessera::control::parseReactionRequest;
using tessera::control::ReactionRequest;
using tessera::control::RequestError;
using tessera::core::ReactionKind;

TEST_CASE("reaction bodies: the kind, or 400 for the wrong shape and 422 for an unknown kind",
          "[control][requests]") {
  struct Row {
    std::string body;
    int status;  // 0: accepted
    ReactionKind kind = ReactionKind::kHeart;
  };
  const std::vector<Row> rows = {
      {R"({"kind": "heart"})", 0, ReactionKind::kHeart},
      {R"({"kind":"clap"})", 0, ReactionKind::kClap},
      {" {\n\"kind\" : \"wow\" } ", 0, ReactionKind::kWow},
      {R"({"kind": "fire"})", 0, ReactionKind::kFire},
      {R"({"kind": "applause"})", 422},
      {R"({"kind": "HEART"})", 422},
      {R"({"kind": ""})", 422},
      {R"({"kind": "<script>"})", 422},
      {"", 400},
      {"heart", 400},
      {R"("heart")", 400},
      {R"(["heart"])", 400},
      {R"({})", 400},
      {R"({"kind": 1})", 400},
      {R"({"kind": null})", 400},
      {R"({"kind": ["heart"]})", 400},
      {R"({"type": "heart"})", 400},
      {R"({"kind": "heart", "extra": 1})", 400},
      {R"({"kind": "heart")", 400},
      {R"({"kind": "heart"} {"kind": "fire"})", 400},
  };
  for (const Row& r : rows) {
    INFO(r.body);
    const auto parsed = parseReactionRequest(r.body);
    if (r.status == 0) {
      REQUIRE(std::holds_alternative<ReactionRequest>(parsed));
      CHECK(std::get<ReactionRequest>(parsed).kind == r.kind);
    } else {
      REQUIRE(std::holds_alternative<RequestError>(parsed));
      CHECK(std::get<RequestError>(parsed).status == r.status);
      CHECK_FALSE(std::get<RequestError>(parsed).detail.empty());
    }
  }
  // An unknown kind is named in the answer, quoted as JSON.
  const auto unknown = parseReactionRequest(R"({"kind": "a\"b"})");
  REQUIRE(std::holds_alternative<RequestError>(unknown));
  CHECK(std::get<RequestError>(unknown).detail.find(R"(unknown kind "a\"b")") == 0);
}
