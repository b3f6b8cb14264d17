#include "control/detail/responses.hpp"

#include <fmt/format.h>

#include "control/http_server.hpp"
#include "core/log.hpp"

namespace tessera::control::detail {

void respond(SoupServerMessage* msg, int status, const char* type, const std::string& body) {
  soup_server_message_set_status(msg, static_cast<guint>(status), nullptr);
  soup_server_message_set_response(msg, type, SOUP_MEMORY_COPY, body.data(), body.size());
}

void respondJson(SoupServerMessage* msg, int status, const nlohmann::json& body) {
  setHeader(msg, "Cache-Control", "no-store");
  respond(msg, status, "application/json", body.dump());
}

void respondProblem(SoupServerMessage* msg, int status, const std::string& title,
                    const std::string& detail) {
  respond(msg, status, "application/problem+json", problemJson(status, title, detail));
}

void setHeader(SoupServerMessage* msg, const char* name, const std::string& value) {
  soup_message_headers_replace(soup_server_message_get_response_headers(msg), name, value.c_str());
}

std::string requestHeader(SoupServerMessage* msg, const char* name) {
  const char* v = soup_message_headers_get_one(soup_server_message_get_request_headers(msg), name);
  return v ? v : "";
}

std::string requestBody(SoupServerMessage* msg) {
  GBytes* bytes = soup_message_body_flatten(soup_server_message_get_request_body(msg));
  gsize size = 0;
  const auto* data = static_cast<const char*>(g_bytes_get_data(bytes, &size));
  std::string text(data ? data : "", size);
  g_bytes_unref(bytes);
  return text;
}

std::string requestMediaType(SoupServerMessage* msg) {
  const std::string type = requestHeader(msg, "Content-Type");
  std::string t = type.substr(0, type.find(';'));
  while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.pop_back();
  for (auto& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return t;
}

std::optional<std::string> readSdpOffer(SoupServerMessage* msg, std::size_t maxBytes) {
  const std::string type = requestMediaType(msg);
  if (type != "application/sdp") {
    setHeader(msg, "Accept-Post", "application/sdp");
    respondProblem(msg, 415, "Unsupported Media Type",
                   "the offer must be sent as application/sdp, not " +
                       (type.empty() ? std::string("(none)") : type));
    return std::nullopt;
  }
  std::string offer = requestBody(msg);
  if (offer.size() > maxBytes) {
    respondProblem(msg, 413, "Content Too Large",
                   fmt::format("an SDP offer may have at most {} bytes", maxBytes));
    return std::nullopt;
  }
  return offer;
}

HeldMessage holdForAnswer(SoupServerMessage* msg) {
  soup_server_message_pause(msg);
  return std::make_shared<platform::GObjectPtr<SoupServerMessage>>(
      platform::GObjectPtr<SoupServerMessage>::retain(msg));
}

void refuseOffer(SoupServerMessage* msg, const char* what, const std::string& client, int status,
                 const std::string& detail, int retryAfterSeconds) {
  if (retryAfterSeconds > 0) setHeader(msg, "Retry-After", std::to_string(retryAfterSeconds));
  const char* title = status == 503   ? "Service Unavailable"
                      : status == 406 ? "Not Acceptable"
                      : status == 400 ? "Bad Request"
                                      : "Internal Server Error";
  core::logInfo("http", "{}: refused an offer from {}: {} {}", what, client, status, detail);
  respondProblem(msg, status, title, detail);
}

}  // namespace tessera::control::detail
