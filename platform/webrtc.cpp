#include "platform/webrtc.hpp"

#include <gst/gst.h>
#include <nice/agent.h>
#include <sys/random.h>

#include <fmt/format.h>

#include <memory>
#include <vector>

#include "core/log.hpp"
#include "platform/gobject_ptr.hpp"
#include "platform/gst_ptr.hpp"

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
