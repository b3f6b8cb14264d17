"""A WHEP player made of GStreamer's webrtcbin (no browser, no decoding): a recvonly H.264
transceiver whose RTP is depayloaded and counted, the offer POSTed to tessera's /whep, the answer
applied. Used by bench/bench_whep.py to put many viewers on one machine cheaply, so what is
measured is the server's cost per viewer.

    player = WhepPlayer("http://127.0.0.1:8080")
    player.start(timeout=10)   # True once the server answered 201
    player.frames              # access units received so far
    player.stop()              # DELETE the session, pipeline to NULL
"""
from whip_sender import Gst, GstWebRTC, WebrtcHttpClient, _add_local_ice_address


class WhepPlayer(WebrtcHttpClient):
    def __init__(self, base_url, token=None, local_address="127.0.0.1"):
        super().__init__(base_url)
        self.token = token
        self.frames = 0
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

    def _endpoint(self):
        return "/whep"

    def _headers(self):
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
