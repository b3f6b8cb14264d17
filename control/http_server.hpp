// The HTTP API and pages, on libsoup 3 running in the GLib main loop.
//
// Thread: the main-loop thread (libsoup dispatches every request there).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "control/api_model.hpp"
#include "control/cue_service.hpp"
#include "control/detail/connections.hpp"
#include "control/detail/rate_limit.hpp"
#include "control/moderation_service.hpp"
#include "control/status_polls.hpp"
#include "control/whep_service.hpp"
#include "control/whip_service.hpp"
#include "core/reactions.hpp"
#include "platform/gobject_ptr.hpp"
#include "platform/tls.hpp"

typedef struct _SoupServer SoupServer;
typedef struct _SoupServerMessage SoupServerMessage;
typedef struct _GHashTable GHashTable;

namespace tessera::control {

class AdminEvents;

struct HttpSettings {
  std::string listen = "0.0.0.0:8080";    // host:port; port 0 picks a free one
  std::optional<std::string> adminToken;  // absent = admin API refused
  // The private channel: viewer routes (detail/viewer_access.hpp) need it; absent = public.
  std::optional<std::string> viewerToken;
  std::filesystem::path webDir;           // web/ (pages, static files, node_modules)
  std::optional<platform::TlsPaths> tls;  // HTTPS with this certificate when set

  // WHIP ingest (RFC 9725), served when a WhipService is given.
  std::optional<std::string> whipToken;      // bearer token phones present; absent = open
  std::vector<std::string> iceServers;       // announced as Link rel="ice-server"
  int whipPostsPerMinute = 30;               // per client address
  std::size_t whipMaxBodyBytes = 64 * 1024;  // an SDP offer is a few KiB
  // WHEP viewers (POST /whep), served when a WhepService is set: offers per client address.
  int whepPostsPerMinute = 30;
  // Viewers' reactions (POST /api/v1/reactions), counted into the tally given to the server.
  bool reactionsEnabled = true;
  int reactionsPerAddressPerMinute = 60;
  // Connections: backlog, caps and timeouts (docs/http-api.md, "Limits").
  detail::ConnectionLimits connections;

  // The join page.
  std::string installationName;
  std::string consent;
  int tileWidth = 160;
  int tileHeight = 120;
  int fps = 15;
};

class HttpServer {
 public:
  HttpServer(HttpSettings settings, ApiModel& model, WhipService* whip = nullptr);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts serving; false (with `error`) when the address cannot be used.
  bool start(std::string* error);
  // The port actually bound (useful with port 0).
  int port() const { return mPort; }
  const char* scheme() const { return mSettings.tls ? "https" : "http"; }
  // The public join URL encoded in /join/qr.png (known once the port is).
  void setJoinUrl(std::string url) {
    mJoinUrl = std::move(url);
    mQrPng.clear();
  }
  std::uint64_t requests() const { return mRequests; }
  // Serves /api/v1/cue from `cue` (the server's; null: 404). Before start().
  void setCueService(CueService* cue) { mCue = cue; }
  // Counts POST /api/v1/reactions into `tally` (null or reactionsEnabled false: 404). Before
  // start(); the tally outlives the server.
  void setReactionTally(core::ReactionTally* tally) { mReactions = tally; }
  // Serves /whep from `whep` (null: 404). Before start().
  void setWhepService(WhepService* whep) { mWhep = whep; }
  // Serves the moderation routes (POST /api/v1/feeds/{id}/hide ...) and GET /whip/{id}/status
  // from `moderation` (null: 404). Before start().
  void setModerationService(ModerationService* moderation);
  detail::ConnectionStats connectionStats() const {
    return mConnections ? mConnections->stats() : detail::ConnectionStats{};
  }
  // A trickle-ICE fragment is a few hundred bytes per candidate.
  static constexpr std::size_t kWhipPatchMaxBodyBytes = 16 * 1024;
  // Bodies on routes that read none (or on routes added without a limit of their own).
  static constexpr std::size_t kDefaultMaxBodyBytes = 4 * 1024;
  // Client addresses each rate limit (WHIP joins, reactions) remembers; past it, expired ones
  // are forgotten first.
  static constexpr std::size_t kMaxRateLimitedAddresses = 4096;
  static constexpr std::chrono::milliseconds kThumbnailPeriod{500};
  static constexpr std::size_t kMaxThumbnails = 1024;

 private:
  static void handle(SoupServer*, SoupServerMessage* msg, const char* path, GHashTable* query,
                     void* self);
  void route(SoupServerMessage* msg, const std::string& method, const std::string& path);
  void serveFile(SoupServerMessage* msg, const std::filesystem::path& file, const char* type,
                 bool noCache);
  void serveHealth(SoupServerMessage* msg);
  void serveFeeds(SoupServerMessage* msg);
  void serveOutputs(SoupServerMessage* msg);
  void serveCanvasPng(SoupServerMessage* msg);
  void serveHls(SoupServerMessage* msg, const std::string& name);
  void serveScene(SoupServerMessage* msg);
  void serveParams(SoupServerMessage* msg);
  void servePatchParams(SoupServerMessage* msg);

  bool checkAdmin(SoupServerMessage* msg);
  // Every request once its headers are read, before its body: framing, authentication, the
  // route's body limit (refused requests are answered and closed unread).
  static void handleEarly(SoupServer*, SoupServerMessage* msg, const char* path, GHashTable* query,
                          void* self);
  void screen(SoupServerMessage* msg, const std::string& method, const std::string& path,
              GHashTable* query);
  // The viewer token from ?t=, a bearer header or the viewer cookie; sets the cookie when the
  // viewer page is opened with a valid ?t=, answers 401 otherwise.
  bool checkViewer(SoupServerMessage* msg, const std::string& method, const std::string& path,
                   GHashTable* query);
  static void onGotChunk(SoupServerMessage* msg, GBytes*, void* self);
  void refuse(SoupServerMessage* msg);
  // WHIP and the join page (whip_routes.cpp).
  void serveWhipEndpoint(SoupServerMessage* msg, const std::string& method);
  void serveWhipSession(SoupServerMessage* msg, const std::string& method, const std::string& id);
  void serveWhipPost(SoupServerMessage* msg);
  // POST /whip/{id}/clock: the join page's clock exchange (clock_routes.cpp).
  void serveWhipClock(SoupServerMessage* msg, const std::string& method, const std::string& id);
  bool checkWhipToken(SoupServerMessage* msg);
  bool allowWhipPost(SoupServerMessage* msg);
  void serveJoinInfo(SoupServerMessage* msg);
  std::optional<std::string> joinViewerLink(SoupServerMessage* msg) const;
  void serveJoinQr(SoupServerMessage* msg);
  // WHEP viewers (whep_routes.cpp).
  void serveWhepEndpoint(SoupServerMessage* msg, const std::string& method);
  void serveWhepSession(SoupServerMessage* msg, const std::string& method, const std::string& id);
  bool allowWhepPost(SoupServerMessage* msg);
  // The cue (cue_routes.cpp).
  void serveCue(SoupServerMessage* msg, const std::string& method);
  // The operator (moderation_routes.cpp): moderation, thumbnails, scenes, the admin events.
  void serveFeedResource(SoupServerMessage* msg, const std::string& method,
                         const std::string& rest);
  void serveThumbnail(SoupServerMessage* msg, core::FeedId id);
  void serveModerationLog(SoupServerMessage* msg);
  void serveScenes(SoupServerMessage* msg);
  void serveEvents(SoupServerMessage* msg);
  void serveWhipStatus(SoupServerMessage* msg, const std::string& method, const std::string& id);
  StatusReply whipStatusReply(const std::string& id, bool longPoll);
  std::string adminMetrics() const;
  // Viewers' reactions (reaction_routes.cpp).
  void serveReactions(SoupServerMessage* msg, const std::string& method);
  bool reactionsOn() const { return mReactions && mSettings.reactionsEnabled; }
  bool allowReaction(SoupServerMessage* msg);
  std::string reactionMetrics() const;

  const HttpSettings mSettings;
  ApiModel& mModel;
  WhipService* const mWhip;
  CueService* mCue = nullptr;
  WhepService* mWhep = nullptr;
  core::ReactionTally* mReactions = nullptr;
  ModerationService* mModeration = nullptr;
  std::unique_ptr<AdminEvents> mEvents;
  // Held GET /whip/{id}/status?since= requests (the join page's long-poll).
  std::unique_ptr<StatusPolls> mStatusPolls;
  // The last thumbnail of each feed, encoded at most every kThumbnailPeriod (bounded: cleared
  // past kMaxThumbnails entries).
  struct Thumbnail {
    std::uint64_t sequence = 0;
    std::chrono::steady_clock::time_point encodedAt{};
    std::vector<std::uint8_t> jpeg;
  };
  std::unordered_map<std::uint32_t, Thumbnail> mThumbnails;
  std::uint64_t mThumbnailEncodes = 0;
  // POST /whip and POST /api/v1/reactions per client address, for their rate limits.
  detail::AddressRateLimit mWhipRate;
  detail::AddressRateLimit mReactionRate;
  detail::AddressRateLimit mWhepRate;
  std::uint64_t mReactionsRefused = 0;  // answered 429
  std::chrono::steady_clock::time_point mLastReactionFloodLog{};
  std::string mJoinUrl;
  std::vector<std::uint8_t> mQrPng;
  platform::GObjectPtr<SoupServer> mServer;
  std::unique_ptr<detail::Connections> mConnections;
  int mPort = 0;
  std::uint64_t mRequests = 0;
  // The last encoded canvas, so several viewers in one frame cost one encode.
  std::uint64_t mPngSequence = 0;
  std::vector<std::uint8_t> mPng;
};

// problem+json body for an error response.
std::string problemJson(int status, const std::string& title, const std::string& detail);

}  // namespace tessera::control
