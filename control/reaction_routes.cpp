// POST /api/v1/reactions (public) and GET /api/v1/reactions (docs/http-api.md, "Reactions").
#include <libsoup/soup.h>

#include <fmt/format.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "control/api_requests.hpp"
#include "control/detail/responses.hpp"
#include "control/http_server.hpp"
#include "core/log.hpp"

namespace tessera::control {
namespace {

constexpr const char* kModule = "http";
using detail::respondJson;
using detail::respondProblem;
using json = nlohmann::json;

double rounded(double perS) {
  return std::round(perS * 1000) / 1000;
}

}  // namespace

bool HttpServer::allowReaction(SoupServerMessage* msg) {
  const char* host = soup_server_message_get_remote_host(msg);
  const std::string client = host ? host : "?";
  const auto now = std::chrono::steady_clock::now();
  const auto decision = mReactionRate.admit(client, now);
  if (decision) return true;
  ++mReactionsRefused;
  const auto wait = decision.retryAfter.count();
  detail::setHeader(msg, "Retry-After", std::to_string(wait));
  if (decision.verdict == detail::AddressRateLimit::Verdict::kTooManyAddresses) {
    // A flood from many addresses: said once a minute, not once a request.
    if (now - mLastReactionFloodLog > std::chrono::minutes(1)) {
      mLastReactionFloodLog = now;
      core::logWarn(kModule, "reactions: {} addresses reacted within a minute; refusing new ones",
                    mReactionRate.addresses());
    }
    respondProblem(msg, 429, "Too Many Requests",
                   "too many viewers are reacting at once; retry in a minute");
  } else {
    respondProblem(msg, 429, "Too Many Requests",
                   fmt::format("at most {} reactions a minute from one address; retry in {} s",
                               mReactionRate.perWindow(), wait));
  }
  return false;
}

void HttpServer::serveReactions(SoupServerMessage* msg, const std::string& method) {
  if (method == "GET" || method == "HEAD") {
    const auto now = std::chrono::steady_clock::now();
    const auto snapshot = mReactions ? mReactions->snapshot() : nullptr;
    json kinds = json::array();
    json counts = json::object();
    for (const core::ReactionKind kind : core::kAllReactionKinds) {
      kinds.push_back(core::toString(kind));
      counts[core::toString(kind)] =
          snapshot ? snapshot->counts[static_cast<std::size_t>(kind)] : 0;
    }
    respondJson(msg, 200,
                json{{"enabled", reactionsOn()},
                     {"kinds", std::move(kinds)},
                     {"per_address_per_minute", mReactionRate.perWindow()},
                     {"per_second", snapshot ? rounded(snapshot->ratePerS(now)) : 0.0},
                     {"total", snapshot ? snapshot->total : 0},
                     {"counts", std::move(counts)}});
    return;
  }
  if (method != "POST") {
    detail::setHeader(msg, "Allow", "GET, HEAD, POST");
    respondProblem(msg, 405, "Method Not Allowed", method + " is not allowed on /api/v1/reactions");
    return;
  }
  if (!reactionsOn()) {
    respondProblem(msg, 404, "Not Found",
                   "reactions are off in this installation ([reactions] enabled = false)");
    return;
  }
  // The rate was counted before the body was read (screening.cpp).
  const auto parsed = parseReactionRequest(detail::requestBody(msg));
  if (const auto* error = std::get_if<RequestError>(&parsed)) {
    respondProblem(msg, error->status,
                   error->status == 400 ? "Bad Request" : "Unprocessable Content", error->detail);
    return;
  }
  const core::ReactionKind kind = std::get<ReactionRequest>(parsed).kind;
  const auto now = core::Clock::now();
  mReactions->add(kind, now);
  respondJson(msg, 202,
              json{{"kind", core::toString(kind)},
                   {"per_second", rounded(mReactions->snapshot()->ratePerS(now))}});
}

std::string HttpServer::reactionMetrics() const {
  const auto snapshot = mReactions ? mReactions->snapshot() : nullptr;
  std::string m =
      "# HELP tessera_reactions_total Viewers' reactions accepted, per kind.\n"
      "# TYPE tessera_reactions_total counter\n";
  for (const core::ReactionKind kind : core::kAllReactionKinds) {
    m += fmt::format("tessera_reactions_total{{kind=\"{}\"}} {}\n", core::toString(kind),
                     snapshot ? snapshot->counts[static_cast<std::size_t>(kind)] : 0);
  }
  m += fmt::format(
      "# HELP tessera_reactions_per_second Reactions per second, smoothed (CROWD_REACTIONS).\n"
      "# TYPE tessera_reactions_per_second gauge\n"
      "tessera_reactions_per_second {}\n"
      "# TYPE tessera_http_reactions_refused_total counter\n"
      "tessera_http_reactions_refused_total {}\n"
      "# TYPE tessera_http_reaction_rate_addresses gauge\n"
      "tessera_http_reaction_rate_addresses {}\n",
      snapshot ? rounded(snapshot->ratePerS(core::Clock::now())) : 0.0, mReactionsRefused,
      mReactionRate.addresses());
  return m;
}

}  // namespace tessera::control
