#include "platform/webrtc.hpp"

#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>
#include <nice/agent.h>
#include <sys/random.h>

#include <fmt/format.h>

#include <memory>
#include <vector>

#include "core/log.hpp"
#include "platform/gobject_ptr.hpp"
#include "platform/gst_ptr.hpp"
#include "platform/main_loop.hpp"

namespace tessera::platform {
namespace {

void configureAgent(GObject* ice, const IceSettings& settings, const char* module) {
  if (!g_object_class_find_property(G_OBJECT_GET_CLASS(ice), "agent")) return;
  NiceAgent* rawAgent = nullptr;
  g_object_get(ice, "agent", &rawAgent, nullptr);
  const auto agentRef = GObjectPtr<NiceAgent>::adopt(rawAgent);
  NiceAgent* agent = agentRef.get();
  if (!agent) return;
  // libnice's UPnP discovery multicasts SSDP and delays gathering by 200 ms: off.
  g_object_set(agent, "upnp", FALSE, nullptr);
  for (const auto& address : settings.addresses) {
    NiceAddress a;
    nice_address_init(&a);
    if (nice_address_set_from_string(&a, address.c_str())) {
      nice_agent_add_local_address(agent, &a);
    } else {
      core::logWarn(module, "ice_addresses: \"{}\" is not an IP address", address);
    }
  }
}

void addServers(GstElement* webrtc, const IceSettings& settings, const char* module) {
  for (const auto& url : settings.servers) {
    if (url.rfind("stun:", 0) == 0) {
      g_object_set(webrtc, "stun-server", ("stun://" + url.substr(5)).c_str(), nullptr);
    } else {
      const auto colon = url.find(':');
      gboolean ok = FALSE;
      const std::string gstUrl = url.substr(0, colon) + "://" + url.substr(colon + 1);
      g_signal_emit_by_name(webrtc, "add-turn-server", gstUrl.c_str(), &ok);
      if (!ok) core::logWarn(module, "ice_servers: webrtcbin refused {}", url);
    }
  }
}

}  // namespace

void configureIce(GstElement* webrtc, const IceSettings& settings, const char* module) {
  GObject* rawIce = nullptr;
  g_object_get(webrtc, "ice-agent", &rawIce, nullptr);
  const auto iceRef = GObjectPtr<GObject>::adopt(rawIce);
  if (GObject* ice = iceRef.get()) {
    // TCP candidates cost descriptors and rarely help a phone on the gallery's Wi-Fi.
    if (g_object_class_find_property(G_OBJECT_GET_CLASS(ice), "ice-tcp")) {
      g_object_set(ice, "ice-tcp", FALSE, nullptr);
    }
    if (settings.udpPortMin > 0 && settings.udpPortMax >= settings.udpPortMin) {
      g_object_set(ice, "min-rtp-port", static_cast<guint>(settings.udpPortMin), "max-rtp-port",
                   static_cast<guint>(settings.udpPortMax), nullptr);
    }
    configureAgent(ice, settings, module);
  }
  addServers(webrtc, settings, module);
}

std::string promiseError(GstPromise* promise) {
  if (gst_promise_wait(promise) != GST_PROMISE_RESULT_REPLIED) return "negotiation interrupted";
  const GstStructure* reply = gst_promise_get_reply(promise);
  if (reply && gst_structure_has_field(reply, "error")) {
    GError* raw = nullptr;
    gst_structure_get(reply, "error", G_TYPE_ERROR, &raw, nullptr);
    std::unique_ptr<GError, GErrorDeleter> err(raw);
    return err ? err->message : "negotiation failed";
  }
  return {};
}

std::string randomHexId(std::size_t bytes) {
  std::vector<unsigned char> raw(bytes);
  std::size_t got = 0;
  while (got < raw.size()) {
    const ssize_t n = getrandom(raw.data() + got, raw.size() - got, 0);
    if (n > 0) got += static_cast<std::size_t>(n);
  }
  std::string id;
  id.reserve(bytes * 2);
  for (unsigned char b : raw) id += fmt::format("{:02x}", b);
  return id;
}

}  // namespace tessera::platform

namespace tessera::platform {

struct SdpAnswerer::State {
  GstPtr<GstElement> webrtc;
  std::chrono::milliseconds gatherTimeout;
  std::string name;
  const char* module;
  Done done;
  Timer gatherTimer;
  bool answered = false;
  gulong gatherHandler = 0;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();

  void answer(const std::string& sdp, const std::string& error) {
    if (answered) return;
    answered = true;
    gatherTimer.cancel();
    Done fn = std::move(done);  // may drop the answerer (and this state's last owner but one)
    fn(sdp, error);
  }
  void onRemoteDescriptionSet(const std::weak_ptr<State>& self, const std::string& error);
  void onAnswerCreated(const std::weak_ptr<State>& self, GstWebRTCSessionDescription* answer,
                       const std::string& error);
  void onGatheringChanged();
  void finish(bool timedOut);
};

namespace {

using WeakState = std::weak_ptr<SdpAnswerer::State>;

template <typename Fn>
void postIfAlive(const WeakState& weak, Fn fn) {
  postToMainLoop([weak, fn = std::move(fn)]() mutable {
    if (auto state = weak.lock()) fn(*state);
  });
}

void deleteWeakState(gpointer p) {
  delete static_cast<WeakState*>(p);
}

}  // namespace

void SdpAnswerer::State::onRemoteDescriptionSet(const std::weak_ptr<State>& self,
                                                const std::string& error) {
  if (answered) return;
  if (!error.empty()) {
    answer({}, error);
    return;
  }
  GstPromise* promise = gst_promise_new_with_change_func(
      [](GstPromise* p, gpointer data) {
        std::string err = promiseError(p);
        GstWebRTCSessionDescription* made = nullptr;
        if (err.empty()) {
          gst_structure_get(gst_promise_get_reply(p), "answer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION,
                            &made, nullptr);
          if (!made) err = "webrtcbin made no answer";
        }
        gst_promise_unref(p);
        std::shared_ptr<GstWebRTCSessionDescription> owned(made, [](auto* a) {
          if (a) gst_webrtc_session_description_free(a);
        });
        const WeakState weak = *static_cast<WeakState*>(data);
        postIfAlive(weak,
                    [weak, owned, err](State& s) { s.onAnswerCreated(weak, owned.get(), err); });
      },
      new WeakState(self), &deleteWeakState);
  g_signal_emit_by_name(webrtc.get(), "create-answer", nullptr, promise);
}

void SdpAnswerer::State::onAnswerCreated(const std::weak_ptr<State>& self,
                                         GstWebRTCSessionDescription* made,
                                         const std::string& error) {
  if (answered) return;
  if (!error.empty() || !made) {
    answer({}, error.empty() ? "no answer" : error);
    return;
  }
  g_signal_emit_by_name(webrtc.get(), "set-local-description", made, nullptr);
  // Gathering on host candidates takes milliseconds; the timer bounds it.
  gatherTimer = Timer(gatherTimeout, [self] {
    if (auto s = self.lock()) s->finish(true);
  });
  onGatheringChanged();
}

void SdpAnswerer::State::onGatheringChanged() {
  if (answered || !gatherTimer.pending()) return;  // not waiting for gathering (yet)
  GstWebRTCICEGatheringState state = GST_WEBRTC_ICE_GATHERING_STATE_NEW;
  g_object_get(webrtc.get(), "ice-gathering-state", &state, nullptr);
  if (state == GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE) finish(false);
}

void SdpAnswerer::State::finish(bool timedOut) {
  if (answered) return;
  GstWebRTCSessionDescription* local = nullptr;
  g_object_get(webrtc.get(), "local-description", &local, nullptr);
  if (!local) {
    answer({}, "negotiation failed (no local description)");
    return;
  }
  std::unique_ptr<gchar, GFreeDeleter> text(gst_sdp_message_as_text(local->sdp));
  gst_webrtc_session_description_free(local);
  if (timedOut) {
    core::logWarn(module, "{}: ICE gathering not complete after {} ms; answering anyway", name,
                  gatherTimeout.count());
  }
  core::logDebug(module, "{}: answered in {} ms", name,
                 std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - started)
                     .count());
  answer(text.get(), {});
}

SdpAnswerer::SdpAnswerer(GstElement* webrtc, std::chrono::milliseconds gatherTimeout,
                         std::string name, const char* module, Done done)
    : mState(std::make_shared<State>()) {
  mState->webrtc = GstPtr<GstElement>::retain(webrtc);
  mState->gatherTimeout = gatherTimeout;
  mState->name = std::move(name);
  mState->module = module;
  mState->done = std::move(done);
  // Gathering moves on webrtcbin's threads: hop to the main loop.
  mState->gatherHandler = g_signal_connect_data(
      webrtc, "notify::ice-gathering-state", G_CALLBACK(+[](GObject*, GParamSpec*, gpointer data) {
        postIfAlive(*static_cast<WeakState*>(data), [](State& s) { s.onGatheringChanged(); });
      }),
      new WeakState(mState), [](gpointer p, GClosure*) { deleteWeakState(p); },
      static_cast<GConnectFlags>(0));
}

SdpAnswerer::~SdpAnswerer() {
  mState->gatherTimer.cancel();
  if (mState->gatherHandler)
    g_signal_handler_disconnect(mState->webrtc.get(), mState->gatherHandler);
}

bool SdpAnswerer::start(const std::string& offerSdp, std::string* error) {
  GstSDPMessage* sdp = nullptr;
  if (gst_sdp_message_new_from_text(offerSdp.c_str(), &sdp) != GST_SDP_OK) {
    if (sdp) gst_sdp_message_free(sdp);
    if (error) *error = "the offer is not valid SDP";
    return false;
  }
  mState->started = std::chrono::steady_clock::now();
  GstWebRTCSessionDescription* offer =
      gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_OFFER, sdp);  // takes `sdp`
  GstPromise* promise = gst_promise_new_with_change_func(
      [](GstPromise* p, gpointer data) {
        const std::string err = promiseError(p);
        gst_promise_unref(p);
        const WeakState weak = *static_cast<WeakState*>(data);
        postIfAlive(weak, [weak, err](State& s) { s.onRemoteDescriptionSet(weak, err); });
      },
      new WeakState(mState), &deleteWeakState);
  g_signal_emit_by_name(mState->webrtc.get(), "set-remote-description", offer, promise);
  gst_webrtc_session_description_free(offer);
  return true;
}

void SdpAnswerer::fail(const std::string& error) {
  const auto state = mState;  // `done` may drop this answerer
  state->answer({}, error);
}

bool SdpAnswerer::answered() const {
  return mState->answered;
}

}  // namespace tessera::platform
