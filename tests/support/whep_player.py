"""A WHEP player made of GStreamer's webrtcbin (no browser, no decoding): a recvonly H.264
transceiver whose RTP is depayloaded and counted, the offer POSTed to tessera's /whep, the answer
applied. Used by bench/bench_whep.py to put many viewers on one machine cheaply, so what is
measured is the server's cost per viewer.

    player = WhepPlayer("http://127.0.0.1:8080")
    player.start(timeout=10)   # True once the server answered 201
    player.frames              # access units received so far
    player.stop()              # DELETE the session, pipeline to NULL
"""
import threading
import urllib.error
import urllib.parse
import urllib.request

from whip_sender import GLib, Gst, GstSdp, GstWebRTC, _add_local_ice_address, _ensure_loop


class WhepPlayer:
    def __init__(self, base_url, token=None, local_address="127.0.0.1"):
        _ensure_loop()
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.location = None
        self.error = None
        self.status = None
        self.frames = 0
        self._answered = threading.Event()
        self._posted = False
        self.pipe = Gst.Pipeline.new(None)
        self.webrtc = Gst.ElementFactory.make("webrtcbin")
        self.webrtc.set_property("bundle-policy", GstWebRTC.WebRTCBundlePolicy.MAX_BUNDLE)
        if local_address:
            _add_local_ice_address(self.webrtc, local_address)
        self.pipe.add(self.webrtc)
        caps = Gst.Caps.from_string(
            "application/x-rtp,media=video,encoding-name=H264,clock-rate=90000,payload=102,"
            "packetization-mode=(string)1,profile-level-id=(string)42e01f")
        self.webrtc.emit("add-transceiver", GstWebRTC.WebRTCRTPTransceiverDirection.RECVONLY, caps)
        self.webrtc.connect("pad-added", self._on_pad)

    def start(self, timeout=10):
        self.pipe.set_state(Gst.State.PLAYING)
        promise = Gst.Promise.new_with_change_func(self._on_offer, None, None)
        self.webrtc.emit("create-offer", None, promise)
        self._answered.wait(timeout)
        return self.location is not None

    def stop(self):
        if self.location:
            req = urllib.request.Request(urllib.parse.urljoin(self.base_url + "/", self.location),
                                         method="DELETE", headers=self._auth())
            try:
                urllib.request.urlopen(req, timeout=5).read()
            except (urllib.error.URLError, OSError):
                pass
        self.pipe.set_state(Gst.State.NULL)

    def _auth(self):
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def _on_pad(self, _webrtc, pad):
        if pad.direction != Gst.PadDirection.SRC:
            return
        depay = Gst.ElementFactory.make("rtph264depay")
        sink = Gst.ElementFactory.make("fakesink")
        sink.set_property("sync", False)
        sink.set_property("signal-handoffs", True)
        sink.connect("handoff", self._on_frame)
        for e in (depay, sink):
            self.pipe.add(e)
            e.sync_state_with_parent()
        depay.link(sink)
        pad.link(depay.get_static_pad("sink"))

    def _on_frame(self, *_):
        self.frames += 1

    def _on_offer(self, promise, *_):
        reply = promise.get_reply()
        offer = reply.get_value("offer") if reply else None
        if offer is None:
            self.error = "webrtcbin made no offer"
            self._answered.set()
            return
        self.webrtc.connect("notify::ice-gathering-state", self._on_gathering)
        self.webrtc.emit("set-local-description", offer, Gst.Promise.new())
        GLib.timeout_add(2000, self._post_once)

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
        req = urllib.request.Request(self.base_url + "/whep", data=sdp.encode(), method="POST",
                                     headers={"Content-Type": "application/sdp", **self._auth()})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                self.status = r.status
                self.location = r.headers.get("Location")
                answer_text = r.read().decode()
        except urllib.error.HTTPError as e:
            self.status = e.code
            self.error = e.read().decode(errors="replace")
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
