// Response helpers shared by the HTTP route files.
#pragma once

#include <libsoup/soup.h>

#include <nlohmann/json.hpp>

#include <string>

namespace tessera::control::detail {

void respond(SoupServerMessage* msg, int status, const char* type, const std::string& body);
void respondJson(SoupServerMessage* msg, int status, const nlohmann::json& body);
// application/problem+json with a human-readable detail.
void respondProblem(SoupServerMessage* msg, int status, const std::string& title,
                    const std::string& detail);
void setHeader(SoupServerMessage* msg, const char* name, const std::string& value);
std::string requestHeader(SoupServerMessage* msg, const char* name);
std::string requestBody(SoupServerMessage* msg);
// The request's Content-Type without parameters, lowercase: "application/sdp; x" ->
// "application/sdp".
std::string requestMediaType(SoupServerMessage* msg);

}  // namespace tessera::control::detail
