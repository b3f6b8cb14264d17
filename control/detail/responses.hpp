// Response helpers shared by the HTTP route files.
#pragma once

#include <libsoup/soup.h>

#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <string>

#include "platform/gobject_ptr.hpp"

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

// WHIP and WHEP offers: the body when it is application/sdp of at most `maxBytes` (a chunked
// body has no Content-Length to refuse it by earlier); otherwise answers 415 or 413 and nullopt.
std::optional<std::string> readSdpOffer(SoupServerMessage* msg, std::size_t maxBytes);
// Pauses `msg` until its answer comes (ICE gathering takes milliseconds): the reference keeps it
// alive past the handler; answer it, then soup_server_message_unpause().
using HeldMessage = std::shared_ptr<platform::GObjectPtr<SoupServerMessage>>;
HeldMessage holdForAnswer(SoupServerMessage* msg);
// A refused offer: problem+json with the status's title, Retry-After when given, logged under
// `what` ("whip", "whep") with the client's address.
void refuseOffer(SoupServerMessage* msg, const char* what, const std::string& client, int status,
                 const std::string& detail, int retryAfterSeconds);

}  // namespace tessera::control::detail
