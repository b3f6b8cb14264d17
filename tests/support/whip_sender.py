"""A WHIP publisher made of GStreamer's webrtcbin (no browser): videotestsrc -> VP8 -> webrtcbin,
the offer POSTed to tessera's /whip, the answer (with its ICE candidates) applied, media flowing
over loopback. Used by bench/soak and e2e.moderation; `WebrtcHttpClient` is what it shares with
the WHEP player (whep_player.py).

    sender = WhipSender("http://127.0.0.1:8080", token, width=160, height=120, fps=15)
    sender.start(timeout=10)   # True once the server answered 201
    ...
    sender.stop()              # DELETE the session, pipeline to NULL

Needs python3-gi with GStreamer's introspection data (make deps installs them)."""
import ctypes
import threading
import urllib.error
import urllib.parse
import urllib.request

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstSdp", "1.0")
gi.require_version("GstWebRTC", "1.0")
from gi.repository import GLib, Gst, GstSdp, GstWebRTC  # noqa: E402

Gst.init(None)
_loop = None
_loop_lock = threading.Lock()


_gobject = ctypes.CDLL("libgobject-2.0.so.0")
_gobject.g_object_get.argtypes = [ctypes.c_void_p, ctypes.c_char_p,
                                  ctypes.POINTER(ctypes.c_void_p), ctypes.c_void_p]
_gobject.g_signal_emit_by_name.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p,
                                           ctypes.POINTER(ctypes.c_int)]
_gobject.g_object_unref.argtypes = [ctypes.c_void_p]


def _add_local_ice_address(webrtc, address):
    """webrtcbin's ICE agent gathers on `address` too. Done through the C API: reading the
    "ice-agent" property from Python (PyGObject 3.42, GStreamer 1.22) drops a reference the
    getter never gave and frees the agent under webrtcbin. hash() of a PyGObject wrapper is
    its GObject pointer."""
    agent = ctypes.c_void_p()
    _gobject.g_object_get(hash(webrtc), b"ice-agent", ctypes.byref(agent), None)
    if not agent.value:
        raise RuntimeError("webrtcbin has no ICE agent")
    added = ctypes.c_int(0)
    _gobject.g_signal_emit_by_name(agent, b"add-local-ip-address", address.encode(),
                                   ctypes.byref(added))
    _gobject.g_object_unref(agent)
    if not added.value:
        raise RuntimeError(f"webrtcbin's ICE agent refused the local address {address}")


def _ensure_loop():
    """One GLib main loop for every sender (webrtcbin's signals need one)."""
    global _loop
    with _loop_lock:
        if _loop is None:
            _loop = GLib.MainLoop()
            threading.Thread(target=_loop.run, name="whip-sender-loop", daemon=True).start()


class WebrtcHttpClient:
    """What a WHIP publisher and a WHEP player share: webrtcbin's offer POSTed once its
    candidates are gathered (no trickle), the answer applied, DELETE of the session at stop().
    Subclasses set self.pipe and self.webrtc, and say where to post (_endpoint) with which
    headers (_headers)."""

    def __init__(self, base_url):
        _ensure_loop()
        self.base_url = base_url.rstrip("/")
        self.location = None
        self.error = None
        self.status = None  # the POST's HTTP status
        self._answered = threading.Event()
        self._posted = False

    def _endpoint(self):
        raise NotImplementedError

    def _headers(self):
        return {}

    def stop(self):
        if self.location:
            req = urllib.request.Request(urllib.parse.urljoin(self.base_url + "/", self.location),
                                         method="DELETE", headers=self._headers())
            try:
                urllib.request.urlopen(req, timeout=5).read()
            except (urllib.error.URLError, OSError):
                pass  # the server may have ended the session already
        self.pipe.set_state(Gst.State.NULL)

    def _on_offer(self, promise, *_):
        webrtc = self.webrtc
        reply = promise.get_reply()
        offer = reply.get_value("offer") if reply else None
        if offer is None:
            self.error = "webrtcbin made no offer"
            self._answered.set()
            return
        # Without trickle: post once the candidates (loopback: a few ms) are gathered.
        webrtc.connect("notify::ice-gathering-state", self._on_gathering)
        webrtc.emit("set-local-description", offer, Gst.Promise.new())
        GLib.timeout_add(2000, self._post_once)  # gathering that never completes: post anyway

    def _on_gathering(self, webrtc, _pspec):
        if webrtc.get_property("ice-gathering-state") == GstWebRTC.WebRTCICEGatheringState.COMPLETE:
            GLib.idle_add(self._post_once)

    def _post_once(self):
        if not self._posted and self.webrtc.get_property("local-description"):
            self._posted = True
            threading.Thread(target=self._post, daemon=True).start()
        return False

    def _post(self):
        sdp = self.webrtc.get_property("local-description").sdp.as_text()
        req = urllib.request.Request(self.base_url + self._endpoint(), data=sdp.encode(),
                                     method="POST",
                                     headers={"Content-Type": "application/sdp",
                                              **self._headers()})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                self.status = r.status
                self.location = r.headers.get("Location")
                answer_text = r.read().decode()
        except urllib.error.HTTPError as e:
            self.status = e.code
            self.error = f"{e}: {e.read().decode(errors='replace')}"
            self._answered.set()
            return
        except (urllib.error.URLError, OSError) as e:
            self.error = str(e)
            self._answered.set()
            return
        GLib.idle_add(self._apply_answer, answer_text)

    def _apply_answer(self, text):
        _, msg = GstSdp.SDPMessage.new_from_text(text)
        answer = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.ANSWER, msg)
        self.webrtc.emit("set-remote-description", answer, None)
        self._answered.set()
        return False


class WhipSender(WebrtcHttpClient):
    def __init__(self, base_url, token, width=160, height=120, fps=15, pattern="ball",
                 local_address="127.0.0.1", participant=None):
        super().__init__(base_url)
        self.token = token
        # The join page's id (?participant=, for bans); None sends none, like OBS.
        self.participant = participant
        self.pipe = Gst.Pipeline.new(None)
        src = Gst.ElementFactory.make("videotestsrc")
        src.set_property("is-live", True)
        src.set_property("pattern", pattern)
        caps = Gst.ElementFactory.make("capsfilter")
        caps.set_property("caps", Gst.Caps.from_string(
            f"video/x-raw,width={width},height={height},framerate={fps}/1"))
        enc = Gst.ElementFactory.make("vp8enc")
        enc.set_property("deadline", 1)
        enc.set_property("target-bitrate", 200_000)
        pay = Gst.ElementFactory.make("rtpvp8pay")
        pcaps = Gst.ElementFactory.make("capsfilter")
        pcaps.set_property("caps", Gst.Caps.from_string(
            "application/x-rtp,media=video,encoding-name=VP8,payload=96,clock-rate=90000"))
        self.webrtc = Gst.ElementFactory.make("webrtcbin")
        self.webrtc.set_property("bundle-policy", GstWebRTC.WebRTCBundlePolicy.MAX_BUNDLE)
        # libnice leaves loopback addresses out of gathering: without this the offer has no
        # candidate in a loopback-only namespace and ICE never starts (the session stays
        # "connecting" after its 201).
        if local_address:
            _add_local_ice_address(self.webrtc, local_address)
        for e in (src, caps, enc, pay, pcaps, self.webrtc):
            self.pipe.add(e)
        src.link(caps)
        caps.link(enc)
        enc.link(pay)
        pay.link(pcaps)
        pcaps.link(self.webrtc)
        self.webrtc.connect("on-negotiation-needed", self._on_negotiation_needed)

    def start(self, timeout=10):
        self.pipe.set_state(Gst.State.PLAYING)
        self._answered.wait(timeout)
        return self.location is not None

    def _on_negotiation_needed(self, webrtc):
        promise = Gst.Promise.new_with_change_func(self._on_offer, webrtc, None)
        webrtc.emit("create-offer", None, promise)

    def _endpoint(self):
        return "/whip" + (f"?participant={urllib.parse.quote(self.participant)}"
                          if self.participant else "")

    def _headers(self):
        return {"Authorization": f"Bearer {self.token}"}
