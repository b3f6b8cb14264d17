#include "ingest/pull_source.hpp"

#include <fmt/format.h>
#include <gst/base/gsttypefindhelper.h>

#include <array>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>

#include "platform/gst_ptr.hpp"

namespace tessera::ingest {
namespace {

// Skips decoding audio: pulled clips and cameras often carry it, and nothing here uses it.
gboolean skipAudio(GstElement*, GstPad*, GstCaps* caps, gpointer) {
  const GstStructure* s = gst_caps_get_structure(caps, 0);
  return s && g_str_has_prefix(gst_structure_get_name(s), "audio/") ? FALSE : TRUE;
}

// The URI uridecodebin plays: an SDP file (an RTP session described for receivers) named as
// file:///x.sdp is played by sdpsrc as sdp:///x.sdp. Through filesrc, decodebin would hold its
// live RTP session in PAUSED waiting for a preroll that a live source never gives.
std::string playableUri(const std::string& uri) {
  auto endsWith = [&](const char* suffix) {
    const std::size_t n = std::strlen(suffix);
    return uri.size() >= n && g_ascii_strcasecmp(uri.c_str() + uri.size() - n, suffix) == 0;
  };
  if (uri.rfind("file://", 0) == 0 && endsWith(".sdp")) return "sdp" + uri.substr(4);
  return uri;
}

bool hasProperty(GstElement* element, const char* name) {
  return g_object_class_find_property(G_OBJECT_GET_CLASS(element), name) != nullptr;
}

// Sets a property only where this GStreamer's element has it (they grow between versions).
template <typename T>
void setIfPresent(GstElement* element, const char* name, T value) {
  if (hasProperty(element, name)) g_object_set(element, name, value, nullptr);
}

// Enum and flag properties by their nick ("listener", "tcp+udp").
void setNickIfPresent(GstElement* element, const char* name, const char* nick) {
  if (hasProperty(element, name)) gst_util_set_object_arg(G_OBJECT(element), name, nick);
}

GstElement* make(GstBin* bin, const char* factory, const char* name, const char* package,
                 std::string* error) {
  GstElement* element = gst_element_factory_make(factory, name);
  if (!element) {
    *error = fmt::format("{} is not installed ({})", factory, package);
    return nullptr;
  }
  gst_bin_add(bin, element);  // the bin takes the floating reference
  return element;
}

// An MJPEG camera's multipart stream never ends its list of parts, so decodebin would wait for
// its queue to overrun (seconds) before showing the first picture: one stream is promised.
void onDecodebinElement(GstBin*, GstElement* element, gpointer) {
  GstElementFactory* f = gst_element_get_factory(element);
  if (f && std::strcmp(GST_OBJECT_NAME(f), "multipartdemux") == 0) {
    setIfPresent(element, "single-stream", TRUE);
  }
}

GstElement* addDecodebin(GstBin* bin, std::string* error) {
  GstElement* decode = make(bin, "decodebin", "decode", "gstreamer1.0-plugins-base", error);
  if (!decode) return nullptr;
  g_signal_connect(decode, "autoplug-continue", G_CALLBACK(skipAudio), nullptr);
  g_signal_connect(decode, "element-added", G_CALLBACK(onDecodebinElement), nullptr);
  return decode;
}

// A source with one always pad, linked straight into decodebin.
GstElement* linkToDecodebin(GstBin* bin, GstElement* source, std::string* error) {
  GstElement* decode = addDecodebin(bin, error);
  if (!decode) return nullptr;
  if (!gst_element_link(source, decode)) {
    *error = fmt::format("cannot link {} to decodebin", GST_OBJECT_NAME(source));
    return nullptr;
  }
  return decode;
}

// A demuxer whose streams are all exposed without a video one (an audio-only file or relay):
// an error the technician can read, before the demuxer's own "not linked" one.
void failWithoutVideo(GstElement* demux, gpointer decodeData) {
  auto* decode = static_cast<GstElement*>(decodeData);
  auto sink = platform::GstPtr<GstPad>::adopt(gst_element_get_static_pad(decode, "sink"));
  if (gst_pad_is_linked(sink.get())) return;
  GST_ELEMENT_ERROR(demux, STREAM, WRONG_TYPE, ("no video stream"),
                    ("every stream was exposed and none is video"));
}

guint64 microseconds(double seconds) {
  return static_cast<guint64>(std::llround(seconds * 1e6));
}

// rtspsrc offers one stream per media of the server's SDP: only video is set up (no UDP ports
// or bandwidth for audio nobody draws).
gboolean selectVideoStream(GstElement*, guint, GstCaps* caps, gpointer) {
  const GstStructure* s = caps ? gst_caps_get_structure(caps, 0) : nullptr;
  const char* media = s ? gst_structure_get_string(s, "media") : nullptr;
  return media && std::strcmp(media, "video") == 0;
}

// A demuxer's or rtspsrc's pad: compressed video ("video/x-h264") or RTP carrying video.
bool isVideoPad(GstPad* pad) {
  if (g_str_has_prefix(GST_PAD_NAME(pad), "video")) return true;  // flvdemux names its pads
  auto caps = platform::GstPtr<GstCaps>::adopt(gst_pad_get_current_caps(pad));
  if (!caps) caps = platform::GstPtr<GstCaps>::adopt(gst_pad_query_caps(pad, nullptr));
  const GstStructure* s = caps ? gst_caps_get_structure(caps.get(), 0) : nullptr;
  if (!s) return false;
  if (g_str_has_prefix(gst_structure_get_name(s), "video/")) return true;
  if (g_str_has_prefix(gst_structure_get_name(s), "image/")) return true;  // multipart JPEGs
  const char* media = gst_structure_get_string(s, "media");
  return media && std::strcmp(media, "video") == 0;
}

void linkVideoPad(GstElement*, GstPad* pad, gpointer decodeData) {
  if (!isVideoPad(pad)) return;
  auto* decode = static_cast<GstElement*>(decodeData);
  auto sink = platform::GstPtr<GstPad>::adopt(gst_element_get_static_pad(decode, "sink"));
  if (!gst_pad_is_linked(sink.get())) gst_pad_link(pad, sink.get());  // the first video wins
}

GstElement* addRtsp(GstBin* bin, const core::PullTarget& t, const core::PullTimeouts& timeouts,
                    std::string* error) {
  GstElement* src = make(bin, "rtspsrc", "rtspsrc", "gstreamer1.0-plugins-good", error);
  if (!src) return nullptr;
  g_object_set(src, "location", t.location.c_str(), nullptr);
  if (!t.user.empty()) {
    g_object_set(src, "user-id", t.user.c_str(), "user-pw", t.password.c_str(), nullptr);
  }
  g_object_set(src, "latency", static_cast<guint>(timeouts.latencyMs), nullptr);
  if (t.tls()) {
    // RTSPS: the media too comes inside the TLS connection (interleaved). rtspsrc would set up
    // plain UDP first, and the picture would cross the network unencrypted.
    setNickIfPresent(src, "protocols", "tcp");
  } else {
    // UDP first; when no packet comes within this time (a firewall, a NAT), rtspsrc sets the
    // session up again interleaved over the RTSP TCP connection.
    setIfPresent(src, "timeout", microseconds(kRtspUdpWaitS));
  }
  const double connectS = timeouts.connectS > 0 ? std::min(timeouts.connectS, 10.0) : 10.0;
  setIfPresent(src, "tcp-timeout", microseconds(connectS));
  setIfPresent(src, "teardown-timeout", microseconds(0.2));
  g_signal_connect(src, "select-stream", G_CALLBACK(selectVideoStream), nullptr);
  GstElement* decode = addDecodebin(bin, error);
  if (!decode) return nullptr;
  g_signal_connect(src, "pad-added", G_CALLBACK(linkVideoPad), decode);
  return decode;
}

GstElement* addRtmp(GstBin* bin, const core::PullTarget& t, const core::PullTimeouts& timeouts,
                    std::string* error) {
  // rtmp2src (not librtmp's rtmpsrc, whose slow start the stall watchdog kept restarting).
  GstElement* src = make(bin, "rtmp2src", "rtmp2src", "gstreamer1.0-plugins-bad", error);
  if (!src) return nullptr;
  g_object_set(src, "location", t.location.c_str(), nullptr);
  if (!t.user.empty()) {
    g_object_set(src, "username", t.user.c_str(), "password", t.password.c_str(), nullptr);
  }
  const double connectS = timeouts.connectS > 0 ? std::min(timeouts.connectS, 10.0) : 10.0;
  setIfPresent(src, "timeout", static_cast<guint>(std::ceil(connectS)));
  // flvdemux is linked here, not found by decodebin: rtmp2src's FLV header announces audio
  // and video, and behind decodebin flvdemux would hold the video for seconds waiting for an
  // audio stream a camera may never send. Its video pad alone goes to decodebin.
  GstElement* demux = make(bin, "flvdemux", "flvdemux", "gstreamer1.0-plugins-good", error);
  if (!demux || !gst_element_link(src, demux)) {
    if (demux) *error = "cannot link rtmp2src to flvdemux";
    return nullptr;
  }
  GstElement* decode = addDecodebin(bin, error);
  if (!decode) return nullptr;
  g_signal_connect(demux, "pad-added", G_CALLBACK(linkVideoPad), decode);
  g_signal_connect(demux, "no-more-pads", G_CALLBACK(failWithoutVideo), decode);
  return decode;
}

GstElement* addSrt(GstBin* bin, const core::PullTarget& t, const core::PullTimeouts& timeouts,
                   std::string* error) {
  GstElement* src = make(bin, "srtsrc", "srtsrc", "gstreamer1.0-plugins-bad", error);
  if (!src) return nullptr;
  // The URI property gets the checked host and port only; every parameter is set apart.
  g_object_set(src, "uri", t.location.c_str(), nullptr);
  setNickIfPresent(src, "mode", t.listener ? "listener" : "caller");
  if (t.listener) {
    g_object_set(src, "localaddress", t.host.empty() ? "0.0.0.0" : t.host.c_str(), "localport",
                 static_cast<guint>(t.port), nullptr);
  }
  if (!t.passphrase.empty()) g_object_set(src, "passphrase", t.passphrase.c_str(), nullptr);
  if (t.pbkeylen) {
    setNickIfPresent(src, "pbkeylen", std::to_string(t.pbkeylen).c_str());
  }
  if (!t.streamid.empty()) setIfPresent(src, "streamid", t.streamid.c_str());
  g_object_set(src, "latency", timeouts.latencyMs, nullptr);
  // The supervisor reconnects with backoff and reports it; srtsrc's own loop would hide it.
  setIfPresent(src, "auto-reconnect", FALSE);
  setIfPresent(src, "keep-listening", FALSE);
  return linkToDecodebin(bin, src, error);
}

// "/live/index.mpd?token=x" -> true: a DASH manifest, by its name.
bool isDashManifest(std::string_view path) {
  path = path.substr(0, path.find('?'));
  return path.size() >= 4 &&
         g_ascii_strcasecmp(std::string(path.substr(path.size() - 4)).c_str(), ".mpd") == 0;
}

GstElement* addHttp(GstBin* bin, const core::PullTarget& t, const core::PullTimeouts& timeouts,
                    std::string* error) {
  // decodebin finds what the server sends: an HLS or DASH playlist (hlsdemux, dashdemux fetch
  // the segments), an MJPEG camera's multipart/x-mixed-replace, or a progressive file.
  GstElement* src = make(bin, "souphttpsrc", "http", "gstreamer1.0-plugins-good", error);
  if (!src) return nullptr;
  g_object_set(src, "location", t.location.c_str(), nullptr);
  if (!t.user.empty()) {
    g_object_set(src, "user-id", t.user.c_str(), "user-pw", t.password.c_str(), nullptr);
  }
  const double connectS = timeouts.connectS > 0 ? std::min(timeouts.connectS, 15.0) : 15.0;
  setIfPresent(src, "timeout", static_cast<guint>(std::ceil(connectS)));
  setIfPresent(src, "retries", 0);  // the supervisor retries, and says so
  if (!isDashManifest(t.path)) return linkToDecodebin(bin, src, error);
  // An MPD over HTTP is typefound as plain application/xml (ffmpeg's manifests, measured), and
  // decodebin then finds no demuxer: say what it is.
  GstElement* caps = make(bin, "capsfilter", "mpd", "gstreamer1.0-plugins-base", error);
  if (!caps) return nullptr;
  auto mpd = platform::GstPtr<GstCaps>::adopt(gst_caps_new_empty_simple("application/dash+xml"));
  g_object_set(caps, "caps", mpd.get(), nullptr);
  if (!gst_element_link(src, caps)) {
    *error = "cannot link souphttpsrc to the DASH caps";
    return nullptr;
  }
  return linkToDecodebin(bin, caps, error);
}

GstElement* addV4l2(GstBin* bin, const core::PullTarget& t, std::string* error) {
  GstElement* src = make(bin, "v4l2src", "v4l2src", "gstreamer1.0-plugins-good", error);
  if (!src) return nullptr;
  g_object_set(src, "device", t.path.c_str(), nullptr);
  return linkToDecodebin(bin, src, error);
}

GstElement* addUriDecodebin(GstBin* bin, const core::PullTarget& t, std::string* error);

// Whether a demuxer can carry video: an audio-only one ("Codec/Demuxer/Audio", e.g. wavparse)
// is left to uridecodebin, which says "no video stream".
bool mayCarryVideo(GstElementFactory* f) {
  const char* klass = gst_element_factory_get_metadata(f, GST_ELEMENT_METADATA_KLASS);
  return klass && !(std::strstr(klass, "Audio") && !std::strstr(klass, "Video"));
}

// The demuxer for a file's container, from its first bytes (the typefinders GStreamer has),
// the highest-ranked that takes it; null for an elementary stream, a picture, an audio-only
// container or an unknown type (uridecodebin then plays it as before).
GstElement* makeDemuxerFor(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::array<guint8, 4096> head{};
  in.read(reinterpret_cast<char*>(head.data()), head.size());
  if (in.gcount() <= 0) return nullptr;
  GstTypeFindProbability probability = GST_TYPE_FIND_NONE;
  auto caps = platform::GstPtr<GstCaps>::adopt(gst_type_find_helper_for_data(
      nullptr, head.data(), static_cast<gsize>(in.gcount()), &probability));
  if (!caps || probability < GST_TYPE_FIND_LIKELY) return nullptr;
  GList* all =
      gst_element_factory_list_get_elements(GST_ELEMENT_FACTORY_TYPE_DEMUXER, GST_RANK_MARGINAL);
  GList* taking = gst_element_factory_list_filter(all, caps.get(), GST_PAD_SINK, FALSE);
  taking = g_list_sort(taking, gst_plugin_feature_rank_compare_func);
  auto* best = taking ? GST_ELEMENT_FACTORY(taking->data) : nullptr;
  GstElement* demux =
      best && mayCarryVideo(best) ? gst_element_factory_create(best, "demux") : nullptr;
  gst_plugin_feature_list_free(taking);
  gst_plugin_feature_list_free(all);
  return demux;
}

// A file: filesrc, its container's demuxer, and decodebin for the video pad alone. The demuxer
// reads the file in pull mode on one thread, which also parses, decodes, scales and hands the
// frame over. uridecodebin would add two more per feed (typefind's task, paused but kept for
// the file's life, and a multiqueue behind the demuxer): 512 threads at 256 feeds.
GstElement* addFile(GstBin* bin, const core::PullTarget& t, std::string* error) {
  std::unique_ptr<gchar, decltype(&g_free)> path(
      g_filename_from_uri(t.uri.c_str(), nullptr, nullptr), &g_free);
  // A FIFO or device would lose the bytes typefinding read (and block the main loop opening it):
  // only regular files take this way.
  std::error_code ec;
  const bool regular = path && std::filesystem::is_regular_file(path.get(), ec);
  GstElement* demux = regular ? makeDemuxerFor(path.get()) : nullptr;
  if (!demux) return addUriDecodebin(bin, t, error);
  gst_bin_add(bin, demux);
  setIfPresent(demux, "single-stream", TRUE);  // multipartdemux: one stream, no waiting
  GstElement* src = make(bin, "filesrc", "filesrc", "gstreamer1.0-plugins-base", error);
  if (!src) return nullptr;
  g_object_set(src, "location", path.get(), nullptr);
  GstElement* decode = addDecodebin(bin, error);
  if (!decode) return nullptr;
  if (!gst_element_link(src, demux)) {
    *error =
        fmt::format("cannot link filesrc to {}", GST_OBJECT_NAME(gst_element_get_factory(demux)));
    return nullptr;
  }
  g_signal_connect(demux, "pad-added", G_CALLBACK(linkVideoPad), decode);
  g_signal_connect(demux, "no-more-pads", G_CALLBACK(failWithoutVideo), decode);
  return decode;
}

GstElement* addUriDecodebin(GstBin* bin, const core::PullTarget& t, std::string* error) {
  GstElement* decode = make(bin, "uridecodebin", "src", "gstreamer1.0-plugins-base", error);
  if (!decode) return nullptr;
  const std::string uri = playableUri(t.uri);
  g_object_set(decode, "uri", uri.c_str(), "expose-all-streams", FALSE, nullptr);
  g_signal_connect(decode, "autoplug-continue", G_CALLBACK(skipAudio), nullptr);
  return decode;
}

}  // namespace

GstElement* addPullSource(GstBin* bin, const core::PullTarget& target,
                          const core::PullTimeouts& timeouts, std::string* error) {
  switch (target.kind) {
    case core::PullKind::kRtsp:
      return addRtsp(bin, target, timeouts, error);
    case core::PullKind::kRtmp:
      return addRtmp(bin, target, timeouts, error);
    case core::PullKind::kSrt:
      return addSrt(bin, target, timeouts, error);
    case core::PullKind::kHttp:
      return addHttp(bin, target, timeouts, error);
    case core::PullKind::kV4l2:
      return addV4l2(bin, target, error);
    case core::PullKind::kFile:
      if (playableUri(target.uri) == target.uri) return addFile(bin, target, error);
      return addUriDecodebin(bin, target, error);  // an SDP file: a live RTP session
    case core::PullKind::kUdp:
      return addUriDecodebin(bin, target, error);
  }
  *error = "unknown source kind";
  return nullptr;
}

}  // namespace tessera::ingest
