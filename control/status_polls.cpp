#include "control/status_polls.hpp"

#include <libsoup/soup.h>

#include <algorithm>

#include "control/detail/responses.hpp"

namespace tessera::control {

void writeStatusReply(SoupServerMessage* msg, const StatusReply& reply) {
  detail::setHeader(msg, "Cache-Control", "no-store");
  detail::respond(msg, reply.status,
                  reply.status == 200 ? "application/json" : "application/problem+json",
                  reply.body);
}

StatusPolls::StatusPolls(ReplyFn reply) : mReply(std::move(reply)) {}

StatusPolls::~StatusPolls() {
  for (auto& h : mHeld) {
    g_signal_handlers_disconnect_by_data(h->msg.get(), h.get());
    if (h->gone) continue;
    SoupServerMessage* msg = h->msg.get();
    detail::setHeader(msg, "Retry-After", "5");
    detail::respondProblem(msg, 503, "Service Unavailable", "the server is stopping");
    soup_server_message_unpause(msg);
  }
}

void StatusPolls::serve(SoupServerMessage* msg, const std::string& sessionId,
                        const std::string& since) {
  const StatusReply now = mReply(sessionId, true);
  if (now.status != 200 || now.version != since || since.size() > kMaxVersionBytes) {
    writeStatusReply(msg, now);
    return;
  }
  // At most kMaxPerSession held for a session: a page that asks again (a reload, a lost
  // response) gets the oldest answered now. mHeld is oldest first.
  std::size_t same = 0;
  for (auto it = mHeld.rbegin(); it != mHeld.rend(); ++it) {
    Held& h = **it;
    if (h.gone || h.sessionId != sessionId) continue;
    if (++same >= kMaxPerSession) answer(h, now);
  }
  removeGone();
  if (mHeld.size() >= kMaxHeld) {
    ++mStats.refusedFull;
    writeStatusReply(msg, mReply(sessionId, false));  // the usual next_ms: no busy loop
    return;
  }
  hold(msg, sessionId, since);
}

void StatusPolls::hold(SoupServerMessage* msg, const std::string& sessionId,
                       const std::string& since) {
  auto h = std::make_unique<Held>();
  h->msg = platform::GObjectPtr<SoupServerMessage>::retain(msg);
  h->sessionId = sessionId;
  h->since = since;
  h->deadline = std::chrono::steady_clock::now() + kMaxHold;
  auto gone = +[](SoupServerMessage*, void* p) { static_cast<Held*>(p)->gone = true; };
  g_signal_connect(msg, "finished", G_CALLBACK(gone), h.get());
  if (g_signal_lookup("disconnected", G_OBJECT_TYPE(msg)) != 0) {
    g_signal_connect(msg, "disconnected", G_CALLBACK(gone), h.get());
  }
  soup_server_message_pause(msg);
  mHeld.push_back(std::move(h));
  if (!mTimer.pending()) {
    mTimer = platform::Timer(
        kCheckPeriod, [this] { tick(); }, true);
  }
}

void StatusPolls::answer(Held& h, const StatusReply& reply) {
  if (h.gone) return;
  h.gone = true;  // answered: it leaves at the next removeGone()
  writeStatusReply(h.msg.get(), reply);
  soup_server_message_unpause(h.msg.get());
}

void StatusPolls::tick() {
  removeGone();
  if (mHeld.empty()) {
    mTimer.cancel();
    return;
  }
  const auto now = std::chrono::steady_clock::now();
  for (auto& h : mHeld) {
    if (h->gone) continue;
    const StatusReply reply = mReply(h->sessionId, true);
    if (reply.status != 200 || reply.version != h->since) {
      ++mStats.answeredChanged;
      answer(*h, reply);
    } else if (now >= h->deadline) {
      ++mStats.answeredTimeout;
      answer(*h, reply);
    }
  }
  removeGone();
}

void StatusPolls::removeGone() {
  std::erase_if(mHeld, [](const std::unique_ptr<Held>& h) {
    if (!h->gone) return false;
    g_signal_handlers_disconnect_by_data(h->msg.get(), h.get());
    return true;
  });
}

StatusPollStats StatusPolls::stats() const {
  StatusPollStats s = mStats;
  s.held = static_cast<std::size_t>(
      std::count_if(mHeld.begin(), mHeld.end(), [](const auto& h) { return !h->gone; }));
  return s;
}

}  // namespace tessera::control
