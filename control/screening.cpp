// The early stage of every request (docs/http-api.md, "Limits"): once its headers are read and
// before any of its body is, a request is checked for ambiguous framing, authenticated where the
// route needs it and held to its route's body limit. A refused request is answered and its
// connection closed without reading the rest.
#include <libsoup/soup.h>

#include <fmt/format.h>

#include <string_view>

#include "control/api_requests.hpp"
#include "control/clock_request.hpp"
#include "control/detail/responses.hpp"
#include "control/detail/viewer_access.hpp"
#include "control/http_server.hpp"
#include "core/log.hpp"

namespace tessera::control {
namespace {

constexpr const char* kModule = "http";
using detail::respondProblem;

GQuark bodyLimitQuark() {
  static const GQuark quark = g_quark_from_static_string("tessera-body-limit");
  return quark;
}

// The whole HTTP/1.1 response `msg` holds now, as bytes for a connection libsoup gave up.
std::string rawResponse(SoupServerMessage* msg) {
  const guint status = soup_server_message_get_status(msg);
  std::string out = fmt::format("HTTP/1.1 {} {}\r\n", status, soup_status_get_phrase(status));
  SoupMessageHeaders* headers = soup_server_message_get_response_headers(msg);
  soup_message_headers_replace(headers, "Connection", "close");
  soup_message_headers_remove(headers, "Content-Length");
  SoupMessageHeadersIter it;
  soup_message_headers_iter_init(&it, headers);
  const char* name = nullptr;
  const char* value = nullptr;
  while (soup_message_headers_iter_next(&it, &name, &value)) {
    out += fmt::format("{}: {}\r\n", name, value);
  }
  GBytes* body = soup_message_body_flatten(soup_server_message_get_response_body(msg));
  gsize size = 0;
  const auto* data = static_cast<const char*>(g_bytes_get_data(body, &size));
  out += fmt::format("Content-Length: {}\r\n\r\n", size);
  if (data) out.append(data, size);
  g_bytes_unref(body);
  return out;
}

bool allDigits(std::string_view v) {
  if (v.empty()) return false;
  for (const char c : v) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

void HttpServer::handleEarly(SoupServer*, SoupServerMessage* msg, const char* path,
                             GHashTable* query, void* self) {
  auto* server = static_cast<HttpServer*>(self);
  const char* method = soup_server_message_get_method(msg);
  try {
    server->screen(msg, method ? method : "", path ? path : "/", query);
  } catch (const std::exception& e) {
    core::logError(kModule, "{} {}: screening: {}", method ? method : "", path ? path : "",
                   e.what());
    respondProblem(msg, 500, "Internal Server Error", e.what());
    server->refuse(msg);
  }
}

void HttpServer::screen(SoupServerMessage* msg, const std::string& method, const std::string& path,
                        GHashTable* query) {
  SoupMessageHeaders* request = soup_server_message_get_request_headers(msg);
  const char* host = soup_server_message_get_remote_host(msg);
  const std::string client = host ? host : "?";

  // Framing. Both Content-Length and Transfer-Encoding: a proxy in front may frame the body by
  // the other one and send what we would read as the next request (request smuggling).
  const char* length = soup_message_headers_get_list(request, "Content-Length");
  const char* transfer = soup_message_headers_get_list(request, "Transfer-Encoding");
  if ((length && transfer) || (length && !allDigits(length))) {
    core::logWarn(kModule,
                  "{} {} from {}: ambiguous framing (Content-Length: {}, "
                  "Transfer-Encoding: {}), refused",
                  method, path, client, length ? length : "-", transfer ? transfer : "-");
    respondProblem(msg, 400, "Bad Request",
                   length && transfer
                       ? "a request may not have both Content-Length and Transfer-Encoding"
                       : "Content-Length must be one decimal number");
    refuse(msg);
    return;
  }

  // The private channel. A CORS preflight carries no credentials by design, and answers none.
  if (mSettings.viewerToken && method != "OPTIONS" && detail::isViewerPath(path) &&
      !checkViewer(msg, method, path, query)) {
    if (path.rfind("/whep", 0) == 0) detail::setHeader(msg, "Access-Control-Allow-Origin", "*");
    refuse(msg);
    return;
  }

  // The route's credentials and body limit.
  std::size_t limit = kDefaultMaxBodyBytes;
  bool ok = true;
  bool countJoin = false;      // POST /whip: the join rate, once the body is known to fit
  bool countReaction = false;  // POST /api/v1/reactions: the same for each viewer's reactions
  bool countWhep = false;      // POST /whep: offers per address
  const bool whipSession = mWhip && path.rfind("/whip/", 0) == 0 && path.size() > 6;
  if (path == "/api/v1/scene" && method == "POST") {
    limit = kSceneMaxBodyBytes;
    ok = checkAdmin(msg);
  } else if (path == "/api/v1/params" && method == "PATCH") {
    limit = kParamsMaxBodyBytes;
    ok = checkAdmin(msg);
  } else if (path == "/api/v1/cue" && method == "POST") {
    limit = kCueMaxBodyBytes;
    ok = !mCue || checkAdmin(msg);
  } else if (path.rfind("/api/v1/feeds/", 0) == 0 || path == "/api/v1/events" ||
             path == "/api/v1/moderation") {
    ok = checkAdmin(msg);  // moderation, thumbnails, the admin page's events
  } else if (path == "/api/v1/reactions" && method == "POST") {
    limit = kReactionMaxBodyBytes;  // public: no admin token
    countReaction = reactionsOn();
  } else if (mWhep && path == "/whep" && method == "POST") {
    limit = mSettings.whipMaxBodyBytes;  // an SDP offer, as for WHIP
    countWhep = true;
  } else if (mWhip && path == "/whip" && method == "POST") {
    limit = mSettings.whipMaxBodyBytes;
    ok = checkWhipToken(msg);
    countJoin = true;
  } else if (whipSession && path.ends_with("/clock")) {
    limit = kClockMaxBodyBytes;  // the session URL is the credential
  } else if (whipSession && (method == "PATCH" || method == "DELETE")) {
    limit = kWhipPatchMaxBodyBytes;
    ok = checkWhipToken(msg);
  }
  if (!ok) {  // the check has set the answer
    if (path.rfind("/whip", 0) == 0) detail::setHeader(msg, "Access-Control-Allow-Origin", "*");
    refuse(msg);
    return;
  }
  const goffset declared = soup_message_headers_get_content_length(request);
  const SoupEncoding encoding = soup_message_headers_get_encoding(request);
  if (encoding == SOUP_ENCODING_CONTENT_LENGTH && declared > static_cast<goffset>(limit)) {
    core::logWarn(kModule, "{} {} from {}: a {}-byte body, refused unread (limit {})", method, path,
                  client, declared, limit);
    if (path.rfind("/whip", 0) == 0 || path.rfind("/whep", 0) == 0) {
      detail::setHeader(msg, "Access-Control-Allow-Origin", "*");
    }
    respondProblem(
        msg, 413, "Content Too Large",
        fmt::format("the body is {} bytes; {} {} takes at most {}", declared, method, path, limit));
    refuse(msg);
    return;
  }
  if (countJoin && !allowWhipPost(msg)) {
    detail::setHeader(msg, "Access-Control-Allow-Origin", "*");
    refuse(msg);
    return;
  }
  if (countWhep && !allowWhepPost(msg)) {
    detail::setHeader(msg, "Access-Control-Allow-Origin", "*");
    refuse(msg);
    return;
  }
  if (countReaction && !allowReaction(msg)) {
    refuse(msg);
    return;
  }
  if (encoding == SOUP_ENCODING_CHUNKED) {
    // No length up front: counted as it arrives, refused as soon as it passes the limit.
    g_object_set_qdata(G_OBJECT(msg), bodyLimitQuark(),
                       reinterpret_cast<gpointer>(static_cast<std::uintptr_t>(limit)));
    g_signal_connect(msg, "got-chunk", G_CALLBACK(&HttpServer::onGotChunk), this);
  }
}

bool HttpServer::checkViewer(SoupServerMessage* msg, const std::string& method,
                             const std::string& path, GHashTable* query) {
  const std::string& token = *mSettings.viewerToken;
  const auto* fromQuery =
      query ? static_cast<const char*>(g_hash_table_lookup(query, "t")) : nullptr;
  SoupMessageHeaders* request = soup_server_message_get_request_headers(msg);
  const char* auth = soup_message_headers_get_one(request, "Authorization");
  const char* cookies = soup_message_headers_get_list(request, "Cookie");
  // Every way is checked, whichever matches, so the time does not say which one did.
  const bool queryOk = fromQuery && detail::constantTimeEquals(fromQuery, token);
  const bool bearerOk = detail::bearerMatches(auth, token);
  const bool cookieOk = cookies && detail::cookieMatches(cookies, detail::kViewerCookie, token);
  if (queryOk || bearerOk || cookieOk) {
    if (queryOk && (path == "/" || path == "/index.html") &&
        (method == "GET" || method == "HEAD")) {
      // For the page's players, whose segment requests carry neither ?t= nor a header.
      soup_message_headers_append(
          soup_server_message_get_response_headers(msg), "Set-Cookie",
          fmt::format("{}={}; Path=/; HttpOnly; SameSite=Strict{}", detail::kViewerCookie, token,
                      mSettings.tls ? "; Secure" : "")
              .c_str());
    }
    return true;
  }
  const char* host = soup_server_message_get_remote_host(msg);
  core::logDebug(kModule, "{} {} from {}: no valid viewer token, refused", method, path,
                 host ? host : "?");
  detail::setHeader(msg, "WWW-Authenticate", "Bearer");
  respondProblem(msg, 401, "Unauthorized",
                 fromQuery || auth || cookies
                     ? "wrong viewer token: open the viewer link again"
                     : "this channel is private: open the viewer link with its ?t= token, or send "
                       "Authorization: Bearer <viewer_token>");
  return false;
}

void HttpServer::onGotChunk(SoupServerMessage* msg, GBytes*, void* self) {
  const auto limit =
      reinterpret_cast<std::uintptr_t>(g_object_get_qdata(G_OBJECT(msg), bodyLimitQuark()));
  const SoupMessageBody* body = soup_server_message_get_request_body(msg);
  if (static_cast<std::uintptr_t>(body->length) <= limit) return;
  auto* server = static_cast<HttpServer*>(self);
  g_signal_handlers_disconnect_by_func(msg, reinterpret_cast<gpointer>(&HttpServer::onGotChunk),
                                       self);
  const GUri* uri = soup_server_message_get_uri(msg);
  const char* path = uri ? g_uri_get_path(const_cast<GUri*>(uri)) : "?";
  const char* host = soup_server_message_get_remote_host(msg);
  core::logWarn(kModule, "{} {} from {}: a chunked body past {} bytes, refused",
                soup_server_message_get_method(msg), path, host ? host : "?", limit);
  if (std::string_view(path).rfind("/whip", 0) == 0) {
    detail::setHeader(msg, "Access-Control-Allow-Origin", "*");
  }
  respondProblem(msg, 413, "Content Too Large",
                 fmt::format("the body passed {} bytes, the most {} takes", limit, path));
  server->refuse(msg);
}

void HttpServer::refuse(SoupServerMessage* msg) {
  mConnections->refuse(msg, rawResponse(msg));
}

}  // namespace tessera::control
