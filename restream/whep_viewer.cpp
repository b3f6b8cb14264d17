#include "restream/whep_viewer.hpp"

#include <gst/app/gstappsrc.h>
#include <gst/video/video.h>
#include <gst/webrtc/webrtc.h>

#include <fmt/format.h>

#include "core/log.hpp"
#include "platform/gobject_ptr.hpp"

namespace tessera::restream {
namespace {

constexpr const char* kModule = "whep";
using WeakViewer = std::weak_ptr<WhepViewer>;

void deleteWeak(gpointer p) {
  delete static_cast<WeakViewer*>(p);
}
void closeWeak(gpointer p, GClosure*) {
  deleteWeak(p);
}

std::int64_t steadyNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

template <typename Fn>
void WhepViewer::postIfAlive(const std::weak_ptr<WhepViewer>& weak, Fn fn) {
  platform::postToMainLoop([weak, fn = std::move(fn)]() mutable {
    if (auto self = weak.lock()) fn(*self);
  });
}

std::shared_ptr<WhepViewer> WhepViewer::create(std::string id, WhepCodec codec,
                                               const WhepSettings& settings,
                                               WhepViewerListener* listener,
                                               std::function<void()> requestKeyframe) {
  return std::shared_ptr<WhepViewer>(new WhepViewer(std::move(id), std::move(codec), settings,
                                                    listener, std::move(requestKeyframe)));
}

WhepViewer::WhepViewer(std::string id, WhepCodec codec, const WhepSettings& settings,
                       WhepViewerListener* listener, std::function<void()> requestKeyframe)
    : mId(std::move(id)),
      mName("viewer " + mId.substr(0, 8)),
      mCodec(std::move(codec)),
      mSettings(settings),
      mListener(listener),
      mRequestKeyframe(std::move(requestKeyframe)) {}

WhepViewer::~WhepViewer() {
  stop();
}

void WhepViewer::stop() {
  mAnswerer.reset();
  {
    std::lock_guard lock(mMutex);
    mSource.reset();  // the encoder's frames are dropped from now on
  }
  mConnected = false;
  mWebrtc.reset();
  mPipeline.reset();  // NULL state: waits for the streaming threads
}

bool WhepViewer::buildPipeline(std::string* error) {
  // Only numbers go into this text: the payload type comes from the offer as an int (0..127).
  const std::string description = fmt::format(
      "appsrc name=viewer is-live=true format=time do-timestamp=true block=false max-buffers=0 "
      "max-bytes=0 max-time=0 "
      "! rtph264pay name=pay pt={pt} config-interval=-1 aggregate-mode=zero-latency mtu=1200 "
      "! webrtcbin name=webrtc bundle-policy=max-bundle",
      fmt::arg("pt", mCodec.payloadType));
  auto pipeline = platform::Pipeline::parse("whep " + mName, description, error);
  if (!pipeline) return false;
  mPipeline.emplace(std::move(*pipeline));
  mWebrtc = mPipeline->element("webrtc");
  if (!mWebrtc) {
    if (error) *error = "webrtcbin is not installed (gstreamer1.0-plugins-bad, gstreamer1.0-nice)";
    return false;
  }
  platform::configureIce(mWebrtc.get(), mSettings.ice, kModule);
  // The payloader's pad made the transceiver; the viewer only receives.
  GstWebRTCRTPTransceiver* raw = nullptr;
  g_signal_emit_by_name(mWebrtc.get(), "get-transceiver", 0, &raw);
  const auto transceiver = platform::GObjectPtr<GstWebRTCRTPTransceiver>::adopt(raw);
  if (!transceiver) {
    if (error) *error = "webrtcbin made no transceiver for the canvas";
    return false;
  }
  // What the answer offers (the browser's keyframe requests), set on the transceiver rather than
  // by a capsfilter after the payloader, which would split its buffer lists.
  const auto caps = platform::GstPtr<GstCaps>::adopt(gst_caps_from_string(
      fmt::format("application/x-rtp,media=video,encoding-name=H264,clock-rate=90000,payload={},"
                  "rtcp-fb-nack-pli=(boolean)true,rtcp-fb-ccm-fir=(boolean)true",
                  mCodec.payloadType)
          .c_str()));
  g_object_set(transceiver.get(), "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY,
               "codec-preferences", caps.get(), nullptr);
  skipRtxSender();
  bypassFecEncoder();
  watchPeer();
  std::lock_guard lock(mMutex);
  mSource = mPipeline->element("viewer");
  return true;
}

namespace {

// webrtcbin's RED/ULPFEC encoder bin, for the probes that link around it.
struct FecBin {
  platform::GstPtr<GstElement> bin;
  std::string viewer;  // for the log
};

// On the pad before the bin, idle: that pad -> the pad after the bin, the bin stopped and
// removed.
GstPadProbeReturn linkAround(GstPad* upstream, GstPadProbeInfo*, gpointer data) {
  const auto* fec = static_cast<const FecBin*>(data);
  GstElement* bin = fec->bin.get();
  const auto sink = platform::GstPtr<GstPad>::adopt(gst_element_get_static_pad(bin, "sink"));
  const auto src = platform::GstPtr<GstPad>::adopt(gst_element_get_static_pad(bin, "src"));
  const auto downstream =
      platform::GstPtr<GstPad>::adopt(src ? gst_pad_get_peer(src.get()) : nullptr);
  if (!sink || !downstream) return GST_PAD_PROBE_REMOVE;
  gst_pad_unlink(upstream, sink.get());
  gst_pad_unlink(src.get(), downstream.get());
  if (gst_pad_link(upstream, downstream.get()) != GST_PAD_LINK_OK) {
    core::logWarn(kModule, "{}: could not link around webrtcbin's FEC encoder", fec->viewer);
  }
  gst_element_set_locked_state(bin, TRUE);
  gst_element_set_state(bin, GST_STATE_NULL);
  if (auto parent = platform::GstPtr<GstElement>::adopt(
          GST_ELEMENT(gst_object_get_parent(GST_OBJECT(bin))))) {
    gst_bin_remove(GST_BIN(parent.get()), bin);
  }
  return GST_PAD_PROBE_REMOVE;
}

// The first thing reaching the FEC bin (the stream-start event: both its sides are linked by
// then) passes; once the pad before the bin is idle, it is linked around it (its sticky events
// go to the new peer with the next push).
GstPadProbeReturn onFecBinFirstData(GstPad* binSink, GstPadProbeInfo*, gpointer data) {
  const auto* fec = static_cast<const FecBin*>(data);
  if (auto upstream = platform::GstPtr<GstPad>::adopt(gst_pad_get_peer(binSink))) {
    auto* copy =
        new FecBin{platform::GstPtr<GstElement>::adopt(GST_ELEMENT(gst_object_ref(fec->bin.get()))),
                   fec->viewer};
    gst_pad_add_probe(upstream.get(), GST_PAD_PROBE_TYPE_IDLE, linkAround, copy,
                      [](gpointer d) { delete static_cast<FecBin*>(d); });
  }
  return GST_PAD_PROBE_REMOVE;
}

bool holdsFecEncoder(GstElement* element) {
  if (!GST_IS_BIN(element)) return false;
  for (const auto& e : platform::elementsIn(GST_BIN(element))) {
    if (platform::madeBy(e.get(), "rtpulpfecenc")) return true;
  }
  return false;
}

}  // namespace

// webrtcbin 1.22 also puts a bin with an RED and an ULPFEC encoder in front of rtpbin on every
// send stream, FEC negotiated or not, and neither encoder takes buffer lists. The answer never
// offers FEC, so the bin only passes packets through, one by one: when webrtcbin adds it, a probe
// waits for its first data (both sides linked) and links its neighbours to each other.
void WhepViewer::bypassFecEncoder() {
  auto onAdded = +[](GstBin*, GstBin*, GstElement* element, gpointer name) {
    if (!holdsFecEncoder(element)) return;
    auto sink = platform::GstPtr<GstPad>::adopt(gst_element_get_static_pad(element, "sink"));
    if (!sink) return;
    auto* fec =
        new FecBin{platform::GstPtr<GstElement>::adopt(GST_ELEMENT(gst_object_ref(element))),
                   *static_cast<const std::string*>(name)};
    gst_pad_add_probe(
        sink.get(),
        static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BLOCK | GST_PAD_PROBE_TYPE_DATA_DOWNSTREAM),
        onFecBinFirstData, fec, [](gpointer d) { delete static_cast<FecBin*>(d); });
  };
  g_signal_connect_data(
      mWebrtc.get(), "deep-element-added", G_CALLBACK(onAdded), new std::string(mName),
      [](gpointer d, GClosure*) { delete static_cast<std::string*>(d); },
      static_cast<GConnectFlags>(0));
}

// webrtcbin 1.22 answers rtpbin's "request-aux-sender" with an RTX sender on every send stream,
// negotiated or not, which handles every packet on its own. A viewer's answer never offers RTX
// (the caps above have no `nack`: the browser asks for keyframes, never for retransmissions), so
// webrtcbin's handler is blocked before the stream is linked and rtpbin links without it.
void WhepViewer::skipRtxSender() {
  const auto rtpbin =
      platform::GstPtr<GstElement>::adopt(gst_bin_get_by_name(GST_BIN(mWebrtc.get()), "rtpbin"));
  const guint id = rtpbin ? g_signal_lookup("request-aux-sender", G_OBJECT_TYPE(rtpbin.get())) : 0;
  if (id == 0) return;
  // Matched by its data (webrtcbin): g_signal_handlers_block_matched matches nothing by id alone.
  g_signal_handlers_block_matched(
      rtpbin.get(), static_cast<GSignalMatchType>(G_SIGNAL_MATCH_ID | G_SIGNAL_MATCH_DATA), id, 0,
      nullptr, nullptr, mWebrtc.get());
}

// Connection state, gathering, the peer's RTCP (it is alive) and its keyframe requests.
void WhepViewer::watchPeer() {
  auto onStateNotify = +[](GObject*, GParamSpec*, gpointer data) {
    postIfAlive(*static_cast<WeakViewer*>(data),
                [](WhepViewer& v) { v.onConnectionStateChanged(); });
  };
  for (const char* signal : {"notify::ice-connection-state", "notify::connection-state"}) {
    g_signal_connect_data(mWebrtc.get(), signal, G_CALLBACK(onStateNotify),
                          new WeakViewer(weak_from_this()), closeWeak,
                          static_cast<GConnectFlags>(0));
  }
  // rtpbin "on-ssrc-active": a source sent RTCP (the browser's receiver reports, ~1 s apart).
  if (auto rtpbin = platform::GstPtr<GstElement>::adopt(
          gst_bin_get_by_name(GST_BIN(mWebrtc.get()), "rtpbin"))) {
    auto onActive = +[](GstElement*, guint, guint, gpointer data) {
      static_cast<std::atomic<std::int64_t>*>(data)->store(steadyNs());
    };
    g_signal_connect(rtpbin.get(), "on-ssrc-active", G_CALLBACK(onActive), &mLastRtcpNs);
  }
  // The browser's PLI/FIR reach the payloader's source as force-key-unit events.
  const auto src = mPipeline->element("viewer");
  const auto pad = platform::GstPtr<GstPad>::adopt(gst_element_get_static_pad(src.get(), "src"));
  gst_pad_add_probe(
      pad.get(), GST_PAD_PROBE_TYPE_EVENT_UPSTREAM,
      +[](GstPad*, GstPadProbeInfo* info, gpointer data) {
        if (gst_video_event_is_force_key_unit(GST_PAD_PROBE_INFO_EVENT(info))) {
          (*static_cast<std::function<void()>*>(data))();
        }
        return GST_PAD_PROBE_OK;
      },
      const_cast<std::function<void()>*>(&mRequestKeyframe), nullptr);
}

bool WhepViewer::start(const std::string& offerSdp, std::string* error) {
  mStarted = std::chrono::steady_clock::now();
  if (!buildPipeline(error)) return false;
  mPipeline->setStreamingThreadNice(-5);  // above the feeds, like the other outputs
  mPipeline->watchBus(this);
  if (!mPipeline->play(error)) return false;
  std::weak_ptr<WhepViewer> weak = weak_from_this();
  mAnswerer = std::make_unique<platform::SdpAnswerer>(
      mWebrtc.get(), mSettings.gatherTimeout, mName, kModule,
      [weak](const std::string& sdp, const std::string& err) {
        if (auto self = weak.lock()) self->mListener->onWhepAnswer(self->mId, sdp, err);
      });
  return mAnswerer->start(offerSdp, error);
}

void WhepViewer::onConnectionStateChanged() {
  if (!mWebrtc || mEnded) return;
  GstWebRTCICEConnectionState ice = GST_WEBRTC_ICE_CONNECTION_STATE_NEW;
  GstWebRTCPeerConnectionState pc = GST_WEBRTC_PEER_CONNECTION_STATE_NEW;
  g_object_get(mWebrtc.get(), "ice-connection-state", &ice, "connection-state", &pc, nullptr);
  if (ice == GST_WEBRTC_ICE_CONNECTION_STATE_FAILED ||
      pc == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED) {
    end(ice == GST_WEBRTC_ICE_CONNECTION_STATE_FAILED ? "ICE failed" : "connection failed (DTLS)");
  } else if (pc == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED && !mConnected) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - mStarted)
                        .count();
    core::logInfo(kModule, "{}: connected in {} ms", mName, ms);
    mLastRtcpNs = steadyNs();  // its first receiver report is about a second away
    mConnected = true;
    mRequestKeyframe();  // so the picture starts now, not at the next scheduled keyframe
  }
}

std::optional<std::string> WhepViewer::checkAlive(std::chrono::steady_clock::time_point now) const {
  if (mEnded || !mAnswerer || !mAnswerer->answered()) return std::nullopt;
  if (!mConnected) {
    if (now - mStarted > mSettings.connectTimeout) {
      return fmt::format("not connected within {} s", mSettings.connectTimeout.count() / 1000);
    }
    return std::nullopt;
  }
  const auto silentNs = steadyNs() - mLastRtcpNs.load();
  if (silentNs > std::chrono::nanoseconds(mSettings.silenceTimeout).count()) {
    return fmt::format("no RTCP from the viewer for {} s (gone without a DELETE)",
                       silentNs / 1'000'000'000);
  }
  return std::nullopt;
}

void WhepViewer::end(const std::string& reason) {
  if (mEnded) return;
  mEnded = true;
  mConnected = false;
  mListener->onWhepEnded(mId, reason);
}

void WhepViewer::offer(GstSample* sample) {
  GstBuffer* buffer = gst_sample_get_buffer(sample);
  if (!buffer) return;
  const bool keyframe = !GST_BUFFER_FLAG_IS_SET(buffer, GST_BUFFER_FLAG_DELTA_UNIT);
  std::lock_guard lock(mMutex);
  if (!mSource || !mConnected || (mWaitKeyframe && !keyframe)) {
    ++mDropped;
    return;
  }
  auto* src = GST_APP_SRC(mSource.get());
  // Half a second queued: this peer's path is not keeping up. Drop to the next keyframe (what
  // follows a dropped frame would not decode) and ask for one; the others never wait for it.
  if (gst_app_src_get_current_level_buffers(src) >= static_cast<guint64>(mSettings.fps / 2 + 1)) {
    ++mDropped;
    if (!mWaitKeyframe) mRequestKeyframe();
    mWaitKeyframe = true;
    return;
  }
  mWaitKeyframe = false;
  if (!mCapsSet) {
    gst_app_src_set_caps(src, gst_sample_get_caps(sample));
    mCapsSet = true;
  }
  GstBuffer* out = gst_buffer_copy(buffer);  // metadata only: the memory is shared
  // Stamped on arrival (do-timestamp): the RTP clock follows this pipeline's running time.
  GST_BUFFER_PTS(out) = GST_CLOCK_TIME_NONE;
  GST_BUFFER_DTS(out) = GST_CLOCK_TIME_NONE;
  gst_app_src_push_buffer(src, out);
  ++mFrames;
}

WhepViewerStats WhepViewer::stats() const {
  return {mConnected.load(), mFrames.load(), mDropped.load()};
}

void WhepViewer::onPipelineError(const std::string& source, const std::string& message,
                                 const std::string& debug) {
  core::logDebug(kModule, "{}: {}: {} ({})", mName, source, message, debug);
  if (mAnswerer && !mAnswerer->answered()) {
    mAnswerer->fail(source + ": " + message);
    return;
  }
  end(source + ": " + message);
}

void WhepViewer::onPipelineEos() {
  end("the stream ended");
}

}  // namespace tessera::restream
