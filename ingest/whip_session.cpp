#include "ingest/whip_session.hpp"

#include <gst/sdp/sdp.h>
#include <gst/video/video.h>
#include <gst/webrtc/webrtc.h>

#include <fmt/format.h>

#include <atomic>
#include <cstring>
#include <sstream>

#include "core/log.hpp"
#include "ingest/feed.hpp"
#include "ingest/keyframe_gate.hpp"
#include "ingest/sample_frame.hpp"
#include "ingest/sdp_check.hpp"
#include "ingest/sender_reports.hpp"
#include "ingest/tile_caps.hpp"
#include "platform/gobject_ptr.hpp"
#include "platform/webrtc.hpp"

namespace tessera::ingest {
namespace {

constexpr const char* kModule = "whip";

// What the decode branches of one session share. Streaming threads only touch this.
struct StreamContext {
  std::shared_ptr<core::FeedChannel> channel;
  core::SizePx tile;
  std::atomic<std::uint64_t> sequence{0};
  platform::GstPtr<GstTaskPool> pool;  // the decoding thread's (yieldDecodingToTheCanvas)
};

struct BranchContext {
  std::shared_ptr<StreamContext> stream;
  platform::GstPtr<GstPad> scalerPad;
  VideoInfoCache sampleInfos;  // the branch's streaming thread only
  VideoInfoCache sourceInfos;
  SettledPriority settled;
};

using WeakSession = std::weak_ptr<WhipSession>;

void deleteWeak(gpointer p) {
  delete static_cast<WeakSession*>(p);
}
void deleteStream(gpointer p, GClosure*) {
  delete static_cast<std::shared_ptr<StreamContext>*>(p);
}

GstFlowReturn onBranchSample(GstAppSink* sink, gpointer data) {
  auto* branch = static_cast<BranchContext*>(data);
  auto& stream = *branch->stream;
  PulledFrame pulled = pullFrame(sink, stream.sequence + 1, branch->sampleInfos);
  if (!pulled.frame) return GST_FLOW_OK;
  ++stream.sequence;
  branch->settled.onFrame(stream.pool.get());
  int w = pulled.frame->width, h = pulled.frame->height;
  videoSizeAt(branch->scalerPad.get(), &w, &h, branch->sourceInfos);
  // A phone's frames are timed by its own clock (RTCP Sender Reports), never by the pipeline's.
  const core::FrameTiming timing = timingOf(pulled, false);
  stream.channel->pushFrame(std::move(pulled.frame), timing, w, h);
  return GST_FLOW_OK;
}

// webrtcbin exposes a pad per received stream (a streaming thread): decode video into the tile
// size; anything else (audio from a general WHIP client) is consumed and ignored.
void onPadAdded(GstElement* webrtc, GstPad* pad, gpointer data) {
  if (GST_PAD_DIRECTION(pad) != GST_PAD_SRC) return;
  const auto stream = *static_cast<std::shared_ptr<StreamContext>*>(data);
  auto caps = platform::GstPtr<GstCaps>::adopt(gst_pad_get_current_caps(pad));
  if (!caps) caps = platform::GstPtr<GstCaps>::adopt(gst_pad_query_caps(pad, nullptr));
  const GstStructure* s =
      caps && !gst_caps_is_empty(caps.get()) ? gst_caps_get_structure(caps.get(), 0) : nullptr;
  const char* media = s ? gst_structure_get_string(s, "media") : nullptr;
  const char* encoding = s ? gst_structure_get_string(s, "encoding-name") : nullptr;
  const std::string feed = fmt::format("feed {}", stream->channel->id().value);

  std::string decode;
  if (media && std::strcmp(media, "video") == 0 && encoding) {
    if (g_ascii_strcasecmp(encoding, "VP8") == 0) {
      decode = "rtpvp8depay request-keyframe=true wait-for-keyframe=true ! vp8dec name=decoder";
    } else if (g_ascii_strcasecmp(encoding, "H264") == 0) {
      decode =
          "rtph264depay request-keyframe=true wait-for-keyframe=true ! h264parse ! "
          "avdec_h264 name=decoder max-threads=1";
    }
  }
  std::string description;
  if (decode.empty()) {
    core::logInfo(kModule, "{}: ignoring a {} stream ({})", feed, media ? media : "?",
                  encoding ? encoding : "?");
    description = "fakesink sync=false async=false";
  } else {
    // Any size the phone sends (even 4K) is scaled to the tile here; the appsink keeps one.
    description = fmt::format(
        "{} ! videoconvertscale name=scaler add-borders=true ! capsfilter name=tilecaps "
        "caps=video/x-raw,format=I420,width={},height={},pixel-aspect-ratio=1/1 ! "
        "appsink name=sink sync=false max-buffers=1 drop=true",
        decode, stream->tile.width, stream->tile.height);
  }
  GError* raw = nullptr;
  auto binRef = platform::GstPtr<GstElement>::adopt(
      gst_parse_bin_from_description(description.c_str(), TRUE, &raw));
  GstElement* bin = binRef.get();
  std::unique_ptr<GError, platform::GErrorDeleter> err(raw);
  if (!bin) {
    core::logError(kModule, "{}: cannot build decoder: {}", feed, err ? err->message : "?");
    return;
  }
  auto parent =
      platform::GstPtr<GstElement>::adopt(GST_ELEMENT(gst_element_get_parent(GST_ELEMENT(webrtc))));
  if (!parent) return;
  if (auto sink = platform::GstPtr<GstElement>::adopt(gst_bin_get_by_name(GST_BIN(bin), "sink"))) {
    auto* branch = new BranchContext;  // freed with the appsink's callbacks
    branch->stream = stream;
    // The scaler's sink pad tells the size the phone actually sends.
    if (auto scaler =
            platform::GstPtr<GstElement>::adopt(gst_bin_get_by_name(GST_BIN(bin), "scaler"))) {
      branch->scalerPad =
          platform::GstPtr<GstPad>::adopt(gst_element_get_static_pad(scaler.get(), "sink"));
    }
    GstAppSinkCallbacks callbacks{};
    callbacks.new_sample = &onBranchSample;
    gst_app_sink_set_callbacks(GST_APP_SINK(sink.get()), &callbacks, branch,
                               [](gpointer p) { delete static_cast<BranchContext*>(p); });
  }
  // A participant the scene does not draw is decoded at its keyframes only.
  if (auto decoder =
          platform::GstPtr<GstElement>::adopt(gst_bin_get_by_name(GST_BIN(bin), "decoder"))) {
    auto decoderSink =
        platform::GstPtr<GstPad>::adopt(gst_element_get_static_pad(decoder.get(), "sink"));
    attachKeyframeGate(decoderSink.get(), stream->channel);
  }
  gst_bin_add(GST_BIN(parent.get()), bin);
  gst_element_sync_state_with_parent(bin);
  auto sinkPad = platform::GstPtr<GstPad>::adopt(gst_element_get_static_pad(bin, "sink"));
  if (gst_pad_link(pad, sinkPad.get()) != GST_PAD_LINK_OK) {
    core::logError(kModule, "{}: cannot link the {} stream", feed, encoding ? encoding : "?");
    return;
  }
  core::logInfo(kModule, "{}: receiving {} {}", feed, media ? media : "?",
                encoding ? encoding : "?");
}

}  // namespace

template <typename Fn>
void WhipSession::postIfAlive(const std::weak_ptr<WhipSession>& weak, Fn fn) {
  platform::postToMainLoop([weak, fn = std::move(fn)]() mutable {
    if (auto self = weak.lock()) fn(*self);
  });
}

std::shared_ptr<WhipSession> WhipSession::create(std::string id, WhipSettings settings,
                                                 std::shared_ptr<core::FeedChannel> channel,
                                                 WhipSessionListener* listener) {
  return std::shared_ptr<WhipSession>(
      new WhipSession(std::move(id), std::move(settings), std::move(channel), listener));
}

WhipSession::WhipSession(std::string id, WhipSettings settings,
                         std::shared_ptr<core::FeedChannel> channel, WhipSessionListener* listener)
    : mId(std::move(id)),
      mSettings(std::move(settings)),
      mChannel(std::move(channel)),
      mClock(std::make_shared<ClockSync>(mChannel)),
      mListener(listener),
      // Independent of the id: the id is the session's secret, the ETag only versions it.
      mEtag("\"" + newSessionId().substr(0, 16) + "\"") {}

WhipSession::~WhipSession() {
  stop();
}

void WhipSession::stop() {
  mAnswerer.reset();
  mWebrtc.reset();
  mPipeline.reset();  // NULL state: waits for the streaming threads
}

bool WhipSession::buildPipeline(std::string* error) {
  const std::string name = fmt::format("feed {}", mChannel->id().value);
  auto pipeline = platform::GstPtr<GstElement>::adopt(gst_pipeline_new(name.c_str()));
  GstElement* webrtc = gst_element_factory_make("webrtcbin", "webrtc");
  if (!webrtc) {
    if (error) *error = "webrtcbin is not installed (gstreamer1.0-plugins-bad, gstreamer1.0-nice)";
    return false;
  }
  g_object_set(webrtc, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, "latency", 150,
               nullptr);
  gst_bin_add(GST_BIN(pipeline.get()), webrtc);
  mWebrtc = platform::GstPtr<GstElement>::retain(webrtc);
  watchSenderReports(webrtc, mClock);

  // Decode branches are added as streams arrive.
  auto stream = std::make_shared<StreamContext>();
  stream->channel = mChannel;
  stream->tile = mSettings.tile;
  g_signal_connect_data(webrtc, "pad-added", G_CALLBACK(onPadAdded),
                        new std::shared_ptr<StreamContext>(stream), &deleteStream,
                        static_cast<GConnectFlags>(0));
  // State changes arrive on webrtcbin's threads: hop to the main loop.
  auto onStateNotify = +[](GObject*, GParamSpec*, gpointer data) {
    postIfAlive(*static_cast<WeakSession*>(data),
                [](WhipSession& s) { s.onConnectionStateChanged(); });
  };
  auto closeWeak = +[](gpointer p, GClosure*) { deleteWeak(p); };
  g_signal_connect_data(webrtc, "notify::ice-connection-state", G_CALLBACK(onStateNotify),
                        new WeakSession(weak_from_this()), closeWeak,
                        static_cast<GConnectFlags>(0));
  g_signal_connect_data(webrtc, "notify::connection-state", G_CALLBACK(onStateNotify),
                        new WeakSession(weak_from_this()), closeWeak,
                        static_cast<GConnectFlags>(0));

  mPipeline.emplace(name, std::move(pipeline));
  yieldDecodingToTheCanvas(webrtc);
  stream->pool = platform::GstPtr<GstTaskPool>::retain(mPipeline->taskPool());  // before play
  configureIce();

  // The server chooses the codecs: a receive-only video transceiver with VP8 and H.264 (what
  // 1.22 can depayload and decode; browsers also offer VP9 and AV1), set before the offer.
  auto caps = platform::GstPtr<GstCaps>::adopt(
      gst_caps_from_string("application/x-rtp,media=video,encoding-name=VP8,clock-rate=90000;"
                           "application/x-rtp,media=video,encoding-name=H264,clock-rate=90000,"
                           "packetization-mode=(string)1"));
  GstWebRTCRTPTransceiver* raw = nullptr;
  g_signal_emit_by_name(webrtc, "add-transceiver", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY,
                        caps.get(), &raw);
  const auto transceiver = platform::GObjectPtr<GstWebRTCRTPTransceiver>::adopt(raw);
  if (!transceiver) {
    if (error) *error = "webrtcbin refused the video transceiver";
    return false;
  }
  return true;
}

// A participant's video is depayloaded, decoded and scaled on its jitter buffer's output
// thread: that thread gives way to the canvas as pulled feeds' threads do (ingest::Feed::start),
// so 256 phones cannot starve the render thread. The network, DTLS and RTCP threads keep the
// default priority: packets are still received and keyframes still asked for. A starved
// decoder cannot make the jitter buffer grow without end: it drops what is older than its
// latency (the decoder then waits for the next keyframe, which the depayloader asks for).
void WhipSession::yieldDecodingToTheCanvas(GstElement* webrtc) {
  if (auto rtpbin =
          platform::GstPtr<GstElement>::adopt(gst_bin_get_by_name(GST_BIN(webrtc), "rtpbin"))) {
    g_object_set(rtpbin.get(), "drop-on-latency", TRUE, nullptr);
  }
  mPipeline->setStreamingThreadPriorityOf("rtpjitterbuffer",
                                          Feed::settledPriority(mSettings.priority));
}

void WhipSession::configureIce() {
  platform::configureIce(
      mWebrtc.get(),
      {mSettings.iceAddresses, mSettings.iceServers, mSettings.udpPortMin, mSettings.udpPortMax},
      kModule);
}

bool WhipSession::start(const std::string& offerSdp, std::string* error) {
  if (!buildPipeline(error)) return false;
  mPipeline->watchBus(this);
  if (!mPipeline->play(error)) return false;
  // Our candidates go in the answer (a WHIP server does not trickle).
  std::weak_ptr<WhipSession> weak = weak_from_this();
  mAnswerer = std::make_unique<platform::SdpAnswerer>(
      mWebrtc.get(), mSettings.gatherTimeout, fmt::format("feed {}", mChannel->id().value), kModule,
      [weak](const std::string& sdp, const std::string& err) {
        if (auto self = weak.lock()) self->mListener->onWhipAnswer(self->mId, sdp, err);
      });
  return mAnswerer->start(offerSdp, error);
}

void WhipSession::onConnectionStateChanged() {
  if (!mWebrtc || mFailed) return;
  GstWebRTCICEConnectionState ice = GST_WEBRTC_ICE_CONNECTION_STATE_NEW;
  GstWebRTCPeerConnectionState pc = GST_WEBRTC_PEER_CONNECTION_STATE_NEW;
  g_object_get(mWebrtc.get(), "ice-connection-state", &ice, "connection-state", &pc, nullptr);
  if (ice == GST_WEBRTC_ICE_CONNECTION_STATE_FAILED ||
      pc == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED) {
    mFailed = true;
    mListener->onWhipFailed(mId, ice == GST_WEBRTC_ICE_CONNECTION_STATE_FAILED
                                     ? "ICE failed"
                                     : "connection failed (DTLS)");
  } else if (pc == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED) {
    core::logInfo(kModule, "feed {}: connected", mChannel->id().value);
    requestKeyframe();
  }
}

int WhipSession::addRemoteCandidates(const std::string& sdpFragment) {
  if (!mWebrtc) return 0;
  int added = 0;
  for (const std::string& candidate : trickleCandidates(sdpFragment)) {
    // With max-bundle every candidate belongs to the first media section.
    g_signal_emit_by_name(mWebrtc.get(), "add-ice-candidate", 0u, candidate.c_str());
    ++added;
  }
  return added;
}

void WhipSession::followDrawnSize() {
  if (!mPipeline) return;
  const core::SizePx current = mScaledTo.width > 0 ? mScaledTo : mSettings.tile;
  const auto set =
      ingest::followDrawnSize(*mPipeline, *mChannel, mSettings.tile, current, std::nullopt);
  if (!set) return;
  core::logDebug(kModule, "feed {}: scaled to {}x{} (its tile)", mChannel->id().value, set->width,
                 set->height);
  mScaledTo = *set;
}

void WhipSession::requestKeyframe() {
  if (!mPipeline) return;
  GstIterator* it = gst_bin_iterate_sinks(GST_BIN(mPipeline->get()));
  GValue item = G_VALUE_INIT;
  int sent = 0;
  while (gst_iterator_next(it, &item) == GST_ITERATOR_OK) {
    auto* sink = GST_ELEMENT(g_value_get_object(&item));
    // all-headers = FALSE: rtpsession turns it into an RTCP PLI (TRUE would make a FIR).
    sent += gst_element_send_event(
        sink, gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, FALSE, 0));
    g_value_reset(&item);
  }
  g_value_unset(&item);
  gst_iterator_free(it);
  core::logDebug(kModule, "feed {}: keyframe requested ({} branches took it)", mChannel->id().value,
                 sent);
}

void WhipSession::onPipelineError(const std::string& source, const std::string& message,
                                  const std::string& debug) {
  core::logDebug(kModule, "feed {}: {}: {} ({})", mChannel->id().value, source, message, debug);
  if (mAnswerer && !mAnswerer->answered()) {
    mAnswerer->fail(source + ": " + message);
    return;
  }
  if (mFailed) return;
  mFailed = true;
  mListener->onWhipFailed(mId, source + ": " + message);
}

void WhipSession::onPipelineEos() {
  if (mFailed) return;
  mFailed = true;
  mListener->onWhipFailed(mId, "the stream ended");
}

std::optional<OfferProblem> checkOffer(const std::string& text) {
  GstSDPMessage* raw = nullptr;
  if (text.find("v=0") == std::string::npos ||
      gst_sdp_message_new_from_text(text.c_str(), &raw) != GST_SDP_OK || !raw) {
    if (raw) gst_sdp_message_free(raw);
    return OfferProblem{400, "the body is not a valid SDP offer"};
  }
  std::unique_ptr<GstSDPMessage, void (*)(GstSDPMessage*)> sdp(
      raw, [](GstSDPMessage* m) { gst_sdp_message_free(m); });
  if (gst_sdp_message_medias_len(sdp.get()) == 0) {
    return OfferProblem{400, "the SDP offer has no media section"};
  }
  bool video = false, decodable = false;
  for (guint i = 0; i < gst_sdp_message_medias_len(sdp.get()); ++i) {
    const GstSDPMedia* m = gst_sdp_message_get_media(sdp.get(), i);
    if (!m->media || std::strcmp(m->media, "video") != 0) continue;
    video = true;
    for (guint a = 0; a < gst_sdp_media_attributes_len(m); ++a) {
      const GstSDPAttribute* attr = gst_sdp_media_get_attribute(m, a);
      if (!attr->key || !attr->value || std::strcmp(attr->key, "rtpmap") != 0) continue;
      const std::string value = attr->value;
      if (value.find(" VP8/") != std::string::npos || value.find(" H264/") != std::string::npos) {
        decodable = true;
      }
    }
  }
  if (!video) return OfferProblem{406, "the offer has no video (a camera track is needed)"};
  if (!decodable) {
    return OfferProblem{406, "the offer has no video codec tessera decodes (VP8 or H.264)"};
  }
  return std::nullopt;
}

std::string newSessionId() {
  return platform::randomHexId(16);
}

}  // namespace tessera::ingest
