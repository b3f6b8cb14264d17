#!/usr/bin/python3
"""WHIP load generator (issue 13): N participants from one process, no encoding per participant.

  python3 bench/bench_whip_load.py --tessera build/tessera steady --participants 256
  python3 bench/bench_whip_load.py --tessera build/tessera storm --participants 100 --seconds 10
  python3 bench/bench_whip_load.py --tessera build/tessera churn --cycles 1000 --concurrency 8

The clip is encoded once per run (videotestsrc "ball" -> vp8enc or x264enc, --clip-s seconds
held in memory, a keyframe each second); every participant is a webrtcbin publisher
(tests/support/whip_sender.py; ICE as the server sets it up: loopback, no TCP, no UPnP) whose
payloader --pushers threads give the clip's frames at --fps (--push appsrc: through an appsrc
per participant instead), each participant from the clip's first frame once its DTLS
connection is up, and again from it whenever the server asks for a keyframe (PLI). --codec
mixed alternates VP8 and H.264 participants.

  steady  joins --participants (at --join-rate a second), waits until all are live with frames,
          then measures the server's CPU (utime+stime of the tessera process from /proc) over
          --window seconds, less the idle server's over the same window before any join:
          server cores per participant. The generator's own CPU over the window is reported too
          (and whether its pusher threads were starved: the feeds' frame rates at the server
          say whether the participants got their frames out).
  storm   --participants joins spread evenly over --seconds: time to tile, from the POST /whip
          to the feed being live with frames and a tile in GET /api/v1/feeds (polled every
          --poll-ms: the figures are that coarse), p50/p95/max.
  churn   --cycles joins and leaves, --concurrency at once: each joins, waits until its feed is
          live with frames, holds --hold-s, leaves (DELETE); RSS and fds of the server before
          (after --warmup cycles) and after, when the last feed has gone.

All modes sample the server's RSS, fds and threads every --sample-s (a table on stdout and the
whole series in --json). The session -> feed mapping comes from the server's log line
"feed N: joining (session XXXXXXXX…)"; this script starts the server itself. Run as root it
makes its own loopback-only network namespace (as bench/soak does); every wait is bounded."""
import argparse
import ctypes
import json
import os
import re
import resource
import sys
import threading
import time

import gi

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "support"))
from tessera_harness import Tessera, wait_until  # noqa: E402
from whip_sender import Gst, GstWebRTC, WebrtcHttpClient, _add_local_ice_address  # noqa: E402

gi.require_version("GstApp", "1.0")
from gi.repository import GstApp  # noqa: E402,F401  (appsrc's push_buffer)

TOKEN = "load-token"
CLK_TCK = os.sysconf("SC_CLK_TCK")


# --- the server process ----------------------------------------------------------------------
def config(a, max_feeds):
    return f"""
[installation]
name = "whip-load"
[canvas]
width = {a.canvas[0]}
height = {a.canvas[1]}
fps = {a.canvas_fps}
[ingest]
max_feeds = {max_feeds}
[ingest.whip]
token = "{TOKEN}"
ice_addresses = ["127.0.0.1"]
posts_per_minute = 100000
[analysis]
workers = {a.workers}
[output]
hls = {"true" if a.hls else "false"}
"""


def proc_cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def proc_sample(pid):
    with open(f"/proc/{pid}/status") as f:
        status = f.read()
    rss_kb = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
    threads = int(re.search(r"Threads:\s+(\d+)", status).group(1))
    return {"rss_mb": round(rss_kb / 1024, 1), "fds": len(os.listdir(f"/proc/{pid}/fd")),
            "threads": threads}


def self_cpu_s():
    t = os.times()
    return t.user + t.system


def pct(values, p):
    values = sorted(values)
    if not values:
        return float("nan")
    k = (len(values) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


class Sampler(threading.Thread):
    """Every `every_s`: the server's RSS/fds/threads and CPU, the generator's CPU, live feeds."""

    def __init__(self, t, every_s):
        super().__init__(name="sampler", daemon=True)
        self.t, self.every_s = t, every_s
        self.rows, self.stop_event = [], threading.Event()
        self.start_time = time.monotonic()

    def sample(self):
        pid = self.t.proc.pid
        row = {"t_s": round(time.monotonic() - self.start_time, 1), **proc_sample(pid),
               "server_cpu_s": round(proc_cpu_s(pid), 2), "generator_cpu_s": round(self_cpu_s(), 2),
               "loadavg": loadavg()}
        try:
            row["live_feeds"] = self.t.json("/healthz").get("live_feeds")
        except Exception:  # noqa: BLE001 - a sample without it; the series goes on
            row["live_feeds"] = None
        self.rows.append(row)
        return row

    def run(self):
        while not self.stop_event.wait(self.every_s):
            if self.t.proc.poll() is not None:
                return
            self.sample()

    def stop(self):
        self.stop_event.set()
        self.join(self.every_s + 10)

    def table(self, max_rows=40):
        """Markdown rows, thinned to at most max_rows; cores = CPU used since the last row."""
        out = ["| t (s) | RSS (MB) | fds | threads | live feeds | server cores | generator cores |",
               "|---|---|---|---|---|---|---|"]
        step = max(1, len(self.rows) // max_rows)
        prev = None
        for i, r in enumerate(self.rows):
            if prev is not None and i % step and i != len(self.rows) - 1:
                continue
            dt = r["t_s"] - prev["t_s"] if prev else 0
            if dt < 0.5:
                cores = gen = "-"
            else:
                cores = f"{(r['server_cpu_s'] - prev['server_cpu_s']) / dt:.2f}"
                gen = f"{(r['generator_cpu_s'] - prev['generator_cpu_s']) / dt:.2f}"
            out.append(f"| {r['t_s']} | {r['rss_mb']} | {r['fds']} | {r['threads']} | "
                       f"{r['live_feeds']} | {cores} | {gen} |")
            prev = r
        return "\n".join(out)


# --- the clip, encoded once ------------------------------------------------------------------
class Clip:
    """`seconds` of videotestsrc "ball" encoded once, kept as Gst.Buffers (a keyframe first and
    every second); participants push shallow copies (the memory is shared)."""

    def __init__(self, codec, width, height, fps, seconds, bitrate_kbps):
        self.codec, self.fps = codec, fps
        n = max(1, int(round(seconds * fps)))
        if codec == "vp8":
            enc = (f"vp8enc deadline=1 keyframe-max-dist={fps} target-bitrate={bitrate_kbps * 1000}"
                   " error-resilient=partitions")
        else:
            # avc with codec_data in the caps: rtph264pay announces sprop-parameter-sets (and
            # webrtcbin can make its offer) before the first frame, which only flows once
            # the participant is connected.
            enc = (f"x264enc tune=zerolatency speed-preset=ultrafast key-int-max={fps} bframes=0 "
                   f"bitrate={bitrate_kbps} ! video/x-h264,profile=constrained-baseline ! "
                   "h264parse ! video/x-h264,stream-format=avc,alignment=au")
        started = time.monotonic()
        pipe = Gst.parse_launch(
            f"videotestsrc pattern=ball num-buffers={n} ! "
            f"video/x-raw,format=I420,width={width},height={height},framerate={fps}/1 ! {enc} ! "
            "appsink name=sink sync=false emit-signals=false max-buffers=0")
        sink = pipe.get_by_name("sink")
        pipe.set_state(Gst.State.PLAYING)
        self.frames = []
        deadline = time.monotonic() + 60
        while len(self.frames) < n and time.monotonic() < deadline:
            sample = sink.emit("try-pull-sample", Gst.SECOND)
            if sample is None:
                if sink.get_property("eos"):
                    break
                continue
            buf = sample.get_buffer()
            if not self.frames:
                self.caps = sample.get_caps().to_string()
            ok, info = buf.map(Gst.MapFlags.READ)
            data = bytes(info.data)
            buf.unmap(info)
            frame = Gst.Buffer.new_wrapped(data)
            if buf.has_flags(Gst.BufferFlags.DELTA_UNIT):
                frame.set_flags(Gst.BufferFlags.DELTA_UNIT)
            self.frames.append(frame)
        pipe.set_state(Gst.State.NULL)
        if not self.frames or self.frames[0].has_flags(Gst.BufferFlags.DELTA_UNIT):
            raise RuntimeError(f"clip: {codec} encoding gave {len(self.frames)} frames, "
                               "no keyframe first")
        self.encode_s = time.monotonic() - started
        self.bytes = sum(f.get_size() for f in self.frames)
        self.keyframes = sum(not f.has_flags(Gst.BufferFlags.DELTA_UNIT) for f in self.frames)

    def kbps(self):
        return self.bytes * 8 / (len(self.frames) / self.fps) / 1000

    def frame(self, i):
        """A new buffer sharing frame i's memory (appsrc stamps it)."""
        f = self.frames[i]
        return f.copy_region(Gst.BufferCopyFlags.FLAGS | Gst.BufferCopyFlags.MEMORY, 0,
                             f.get_size())


# --- one participant -------------------------------------------------------------------------
_TIME_SEGMENT = Gst.Segment()
_TIME_SEGMENT.init(Gst.Format.TIME)

_gobject = ctypes.CDLL("libgobject-2.0.so.0")
_gobject.g_object_get.argtypes = [ctypes.c_void_p, ctypes.c_char_p,
                                  ctypes.POINTER(ctypes.c_void_p), ctypes.c_void_p]
_gobject.g_object_set.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int,
                                  ctypes.c_void_p]
_gobject.g_object_unref.argtypes = [ctypes.c_void_p]


def _configure_ice(webrtc):
    """As the server does (platform/webrtc.cpp): no TCP candidates, no UPnP discovery (it
    multicasts SSDP, opens an HTTP server per agent and delays gathering by 200 ms), and the
    loopback address gathered (tests/support/whip_sender.py). Through the C API, for the
    reason whip_sender.py gives."""
    ice = ctypes.c_void_p()
    _gobject.g_object_get(hash(webrtc), b"ice-agent", ctypes.byref(ice), None)
    _gobject.g_object_set(ice, b"ice-tcp", 0, None)
    agent = ctypes.c_void_p()
    _gobject.g_object_get(ice, b"agent", ctypes.byref(agent), None)
    if agent.value:
        _gobject.g_object_set(agent, b"upnp", 0, None)
        _gobject.g_object_unref(agent)
    _gobject.g_object_unref(ice)
    _add_local_ice_address(webrtc, "127.0.0.1")


class Participant(WebrtcHttpClient):
    """appsrc (the clip, pushed by the Pusher) -> payloader -> webrtcbin, WHIP as
    tests/support/whip_sender.py does (offer posted once gathered, answer applied)."""

    def __init__(self, base_url, clip, index, direct=True):
        super().__init__(base_url)
        self.clip, self.index = clip, index
        self.t_start = self.t_post = self.t_answer = self.t_connected = None
        self.pos, self.pushed, self.keyframe_requests, self.push_errors = 0, 0, 0, 0
        self.connected = False
        self.want_keyframe = False
        self.direct = direct
        self.base_time = 0
        self.pipe = Gst.Pipeline.new(f"participant-{index}")
        if direct:
            # A pad of our own: the pusher thread's push runs payloader, RTP session, SRTP and
            # the socket send itself (no thread per participant to wake for each frame).
            self.src = None
            self.pad = Gst.Pad.new(f"clip-{index}", Gst.PadDirection.SRC)
        else:
            self.src = Gst.ElementFactory.make("appsrc")
            self.src.set_property("caps", Gst.Caps.from_string(clip.caps))
            self.src.set_property("is-live", True)
            self.src.set_property("format", Gst.Format.TIME)
            self.src.set_property("do-timestamp", True)
            self.src.set_property("max-buffers", 4)
            self.src.set_property("leaky-type", 2)  # downstream: drop the oldest, never block
            self.pad = self.src.get_static_pad("src")
        if clip.codec == "vp8":
            pay = Gst.ElementFactory.make("rtpvp8pay")
            name = "VP8"
        else:
            pay = Gst.ElementFactory.make("rtph264pay")
            pay.set_property("config-interval", -1)
            name = "H264"
        pcaps = Gst.ElementFactory.make("capsfilter")
        pcaps.set_property("caps", Gst.Caps.from_string(
            f"application/x-rtp,media=video,encoding-name={name},payload=96,clock-rate=90000"))
        self.webrtc = Gst.ElementFactory.make("webrtcbin")
        self.webrtc.set_property("bundle-policy", GstWebRTC.WebRTCBundlePolicy.MAX_BUNDLE)
        _configure_ice(self.webrtc)
        for e in (pay, pcaps, self.webrtc):
            self.pipe.add(e)
        if self.src:
            self.pipe.add(self.src)
            self.src.link(pay)
        else:
            self.pad.set_active(True)
            self.pad.link(pay.get_static_pad("sink"))
        pay.link(pcaps)
        pcaps.link(self.webrtc)
        self.webrtc.connect("on-negotiation-needed", self._on_negotiation_needed)
        self.webrtc.connect("notify::connection-state", self._on_connection_state)
        self.pad.add_probe(Gst.PadProbeType.EVENT_UPSTREAM, self._on_upstream_event)

    # The session id the server logs (its first 8 characters).
    def session_prefix(self):
        return self.location.rsplit("/", 1)[-1][:8] if self.location else None

    def start(self):
        self.t_start = time.monotonic()
        self.pipe.set_state(Gst.State.PLAYING)
        if self.direct:
            # The system clock is CLOCK_MONOTONIC, as time.monotonic_ns(): running time is
            # monotonic_ns() - base_time. webrtcbin offers once caps have reached it.
            self.base_time = self.pipe.get_base_time()
            self.pad.push_event(Gst.Event.new_stream_start(f"clip-{self.index}"))
            self.pad.push_event(Gst.Event.new_caps(Gst.Caps.from_string(self.clip.caps)))
            self.pad.push_event(Gst.Event.new_segment(_TIME_SEGMENT))

    def leave(self):
        self.connected = False
        self.stop()  # DELETE, then the pipeline to NULL

    def _on_negotiation_needed(self, webrtc):
        promise = Gst.Promise.new_with_change_func(self._on_offer, webrtc, None)
        webrtc.emit("create-offer", None, promise)

    def _on_connection_state(self, webrtc, _pspec):
        state = webrtc.get_property("connection-state")
        if state == GstWebRTC.WebRTCPeerConnectionState.CONNECTED and not self.connected:
            self.t_connected = time.monotonic()
            self.want_keyframe = True
            self.connected = True
        elif state in (GstWebRTC.WebRTCPeerConnectionState.FAILED,
                       GstWebRTC.WebRTCPeerConnectionState.CLOSED):
            self.connected = False

    def _on_upstream_event(self, _pad, info):
        event = info.get_event()
        s = event.get_structure() if event else None
        if s and s.get_name() == "GstForceKeyUnit":
            self.want_keyframe = True  # the pusher restarts the clip at its first keyframe
            self.keyframe_requests += 1
        return Gst.PadProbeReturn.OK

    def _post(self):
        self.t_post = time.monotonic()
        super()._post()
        self.t_answer = time.monotonic()

    def _endpoint(self):
        return "/whip"

    def _headers(self):
        return {"Authorization": f"Bearer {TOKEN}"}

    def push_next(self):
        if self.want_keyframe:
            self.want_keyframe = False
            self.pos = 0
        buf = self.clip.frame(self.pos)
        if self.direct:
            buf.pts = time.monotonic_ns() - self.base_time
            if self.pad.push(buf) != Gst.FlowReturn.OK:
                self.push_errors += 1
        else:
            self.src.push_buffer(buf)
        self.pos = (self.pos + 1) % len(self.clip.frames)
        self.pushed += 1


class Pusher(threading.Thread):
    """One thread gives every connected participant its next frame at the clip's rate."""

    def __init__(self, fps, phase=0, count=1):
        super().__init__(name=f"pusher-{phase}", daemon=True)
        self.period = 1.0 / fps
        self.phase = phase / count  # the threads' ticks are spread over the frame period
        self.lock = threading.Lock()
        self.participants = []
        self.stop_event = threading.Event()
        self.late_ticks = 0
        self.ticks = 0
        self.busy_s = self.cpu_s = 0.0
        self.error = None

    def add(self, p):
        with self.lock:
            self.participants.append(p)

    def remove(self, p):
        with self.lock:
            if p in self.participants:
                self.participants.remove(p)

    def run(self):
        try:
            self.loop()
        except Exception as e:  # noqa: BLE001 - reported by main, the run is void
            self.error = repr(e)
            raise

    def loop(self):
        next_tick = time.monotonic() + self.period * self.phase
        while not self.stop_event.is_set():
            with self.lock:
                live = [p for p in self.participants if p.connected]
            w0, c0 = time.monotonic(), time.thread_time()
            for p in live:
                p.push_next()
            # Wall time pushing vs this thread's CPU: much more wall than CPU = starved (other
            # threads, the GIL, other processes), not busy.
            self.busy_s += time.monotonic() - w0
            self.cpu_s += time.thread_time() - c0
            self.ticks += 1
            next_tick += self.period
            delay = next_tick - time.monotonic()
            if delay < 0:
                self.late_ticks += 1
                next_tick = time.monotonic()  # behind: no burst to catch up
            else:
                self.stop_event.wait(delay)

    def stop(self):
        self.stop_event.set()
        self.join(5)


# --- the feeds as the API shows them ---------------------------------------------------------
JOIN_LINE = re.compile(r"feed (\d+): joining \(session ([0-9A-Za-z_-]{1,8})")


class FeedWatcher(threading.Thread):
    """Polls GET /api/v1/feeds every poll_s while running; remembers per feed id when it was
    first seen live with frames and first live with frames and a tile. Sessions map to feeds
    through the server's log."""

    def __init__(self, t, poll_s):
        super().__init__(name="feeds", daemon=True)
        self.t, self.poll_s = t, poll_s
        self.live_at, self.tile_at, self.present = {}, {}, set()
        self.session_feed = {}
        self.log_offset = 0
        self.polls = 0
        self.stop_event = threading.Event()
        self.lock = threading.Lock()

    def _read_log(self):
        with open(self.t.log_path, errors="replace") as f:
            f.seek(self.log_offset)
            text = f.read()
        cut = text.rfind("\n") + 1
        self.log_offset += len(text[:cut].encode(errors="replace"))
        for m in JOIN_LINE.finditer(text[:cut]):
            self.session_feed[m.group(2)] = int(m.group(1))

    def poll(self):
        try:
            feeds = self.t.json("/api/v1/feeds")
        except Exception:  # noqa: BLE001 - a missed poll; the next one counts
            return
        now = time.monotonic()
        with self.lock:
            self._read_log()
            self.present = {f["id"] for f in feeds if f["source"] == "whip"}
            for f in feeds:
                if f["source"] != "whip" or f["state"] != "live" or not f.get("frames"):
                    continue
                self.live_at.setdefault(f["id"], now)
                if f.get("tile"):
                    self.tile_at.setdefault(f["id"], now)
            self.polls += 1

    def feed_of(self, p):
        with self.lock:
            prefix = p.session_prefix()
            if prefix and prefix not in self.session_feed:
                self._read_log()
            return self.session_feed.get(prefix)

    def times(self, p):
        """(live, tile) seconds after the participant's POST, None where not seen."""
        feed = self.feed_of(p)
        if feed is None or p.t_post is None:
            return None, None
        with self.lock:
            live, tile = self.live_at.get(feed), self.tile_at.get(feed)
        return (live - p.t_post if live else None), (tile - p.t_post if tile else None)

    def run(self):
        while not self.stop_event.wait(self.poll_s):
            self.poll()

    def stop(self):
        self.stop_event.set()
        self.join(10)


# --- the modes -------------------------------------------------------------------------------
class Run:
    def __init__(self, a, t):
        self.a, self.t = a, t
        self.clips = self.make_clips()
        self.pushers = [Pusher(a.fps, k, a.pushers) for k in range(a.pushers)]
        self.count = 0
        self.results = {}

    def make_clips(self):
        codecs = ["vp8", "h264"] if self.a.codec == "mixed" else [self.a.codec]
        clips = []
        for c in codecs:
            clip = Clip(c, self.a.size[0], self.a.size[1], self.a.fps, self.a.clip_s,
                        self.a.bitrate_kbps)
            print(f"clip: {c} {self.a.size[0]}x{self.a.size[1]}@{self.a.fps}, {len(clip.frames)} "
                  f"frames ({clip.keyframes} keyframes), {clip.kbps():.0f} kbit/s, encoded once "
                  f"in {clip.encode_s:.2f} s", flush=True)
            clips.append(clip)
        return clips

    def new_participant(self):
        p = Participant(self.t.url, self.clips[self.count % len(self.clips)], self.count,
                        direct=self.a.push == "direct")
        self.count += 1
        self.pushers[p.index % len(self.pushers)].add(p)
        return p

    def late_ticks(self):
        return sum(pusher.late_ticks for pusher in self.pushers)

    def pusher_times(self):
        return (sum(pusher.busy_s for pusher in self.pushers),
                sum(pusher.cpu_s for pusher in self.pushers))

    def leave(self, p):
        self.pushers[p.index % len(self.pushers)].remove(p)
        p.leave()


def join_spread(run, n, seconds, deadline):
    """Starts n participants evenly over `seconds`; returns them (started, maybe not answered)."""
    started = []
    t0 = time.monotonic()
    for i in range(n):
        at = t0 + (seconds * i / n if n > 1 else 0)
        while time.monotonic() < at and time.monotonic() < deadline:
            time.sleep(min(0.01, max(0.0, at - time.monotonic())))
        p = run.new_participant()
        p.start()
        started.append(p)
    return started


def wait_answers(ps, deadline):
    for p in ps:
        p._answered.wait(max(0.0, deadline - time.monotonic()))


def tile_times(watcher, ps):
    live, tile, missing = [], [], 0
    for p in ps:
        lv, tl = watcher.times(p)
        if tl is None:
            missing += 1
        else:
            tile.append(tl * 1000)
        if lv is not None:
            live.append(lv * 1000)
    return live, tile, missing


def summary_ms(values):
    if not values:
        return {"n": 0, "p50": None, "p95": None, "max": None}
    return {"n": len(values), "p50": round(pct(values, .5)), "p95": round(pct(values, .95)),
            "max": round(max(values)) if values else None}


def measure_window(run, ps, feeds0, window_s):
    """Server and generator CPU over window_s with ps joined; the server's frames per feed."""
    pid = run.t.proc.pid
    pushed0, late0 = sum(p.pushed for p in ps), run.late_ticks()
    busy0, pcpu0 = run.pusher_times()
    c0, g0, w0 = proc_cpu_s(pid), self_cpu_s(), time.monotonic()
    time.sleep(window_s)
    secs = time.monotonic() - w0
    busy, gen = (proc_cpu_s(pid) - c0) / secs, (self_cpu_s() - g0) / secs
    pushed = (sum(p.pushed for p in ps) - pushed0) / secs
    busy1, pcpu1 = run.pusher_times()
    feeds1 = [f for f in run.t.json("/api/v1/feeds") if f["source"] == "whip"]
    # Frames the server counted per feed over the window: the rate it received and decoded.
    rates = sorted((f["frames"] - feeds0[f["id"]]["frames"]) / secs
                   for f in feeds1 if f["id"] in feeds0)
    return {"window_s": round(secs, 1), "server_cores": round(busy, 3),
            "live": sum(1 for f in feeds1 if f["state"] == "live"),
            "generator_cores": round(gen, 3), "generator_frames_per_s": round(pushed, 1),
            "generator_frames_per_s_due": sum(1 for p in ps if p.connected) * run.a.fps,
            "generator_late_ticks": run.late_ticks() - late0,
            # Per pusher thread: the share of the wall clock spent pushing, and its CPU.
            "pusher_busy": round((busy1 - busy0) / secs / len(run.pushers), 3),
            "pusher_cores": round((pcpu1 - pcpu0) / secs, 3),
            "server_frames_per_s_per_feed": {
                "min": round(rates[0], 1) if rates else None, "p50": round(pct(rates, .5), 1),
                "max": round(rates[-1], 1) if rates else None},
            "loadavg": loadavg()}


def mode_steady(run, sampler):
    a, t = run.a, run.t
    pid = t.proc.pid
    time.sleep(a.settle_s)
    c0, w0 = proc_cpu_s(pid), time.monotonic()
    time.sleep(a.window)
    idle = (proc_cpu_s(pid) - c0) / (time.monotonic() - w0)
    print(f"idle server: {idle:.3f} cores over {a.window} s (load average {loadavg()})",
          flush=True)
    steps = sorted({int(x) for x in a.steps.split(",")} | {a.participants}) if a.steps else \
        [a.participants]
    ps, rows, prev = [], [], None
    for target in steps:
        deadline = time.monotonic() + a.timeout
        watcher = FeedWatcher(t, a.poll_ms / 1000)  # polls the API only while joining
        watcher.start()
        new = join_spread(run, target - len(ps), (target - len(ps)) / a.join_rate, deadline)
        ps += new
        wait_answers(new, deadline)
        answered = [p for p in new if p.location]
        try:
            wait_until(lambda: all(watcher.times(p)[1] is not None for p in answered),
                       max(1.0, deadline - time.monotonic()), f"{len(answered)} joins tiled")
        except AssertionError as e:
            print(f"steady: {e}", flush=True)
        _, tile_ms, _ = tile_times(watcher, answered)
        watcher.stop()  # no polling of the API during the window
        time.sleep(a.settle_s)
        feeds0 = {f["id"]: f for f in t.json("/api/v1/feeds") if f["source"] == "whip"}
        m = measure_window(run, ps, feeds0, a.window)
        n = max(m["live"], 1)
        m.update(participants=len(ps), refused=[p.status for p in new if not p.location][:10],
                 idle_server_cores=round(idle, 3),
                 server_mcores_per_participant=round((m["server_cores"] - idle) / n * 1000, 2),
                 time_to_tile_ms=summary_ms(tile_ms))
        if prev:
            m["marginal_mcores_per_participant"] = round(
                (m["server_cores"] - prev["server_cores"]) / max(m["live"] - prev["live"], 1)
                * 1000, 2)
        rows.append(m)
        prev = m
        print(f"steady {len(ps)}: {m['live']} live, server {m['server_cores']:.3f} cores "
              f"(idle {idle:.3f}): {m['server_mcores_per_participant']} mcores per participant"
              + (f", {m['marginal_mcores_per_participant']} marginal" if prev is not rows[0]
                 else "")
              + f"; generator {m['generator_cores']:.3f} cores, "
              f"{m['generator_frames_per_s']:.0f} frames/s pushed of "
              f"{m['generator_frames_per_s_due']} due, {m['generator_late_ticks']} late ticks, "
              f"pusher threads busy {m['pusher_busy']:.0%} of the time using "
              f"{m['pusher_cores']:.3f} cores; "
              f"frames/s per feed at the server {m['server_frames_per_s_per_feed']}; joins at "
              f"{a.join_rate}/s: time to tile {m['time_to_tile_ms']} ms; load average "
              f"{m['loadavg']}", flush=True)
    run.results["steady"] = rows
    print("\n| participants | live | server cores | mcores each (less idle) | marginal mcores "
          "| generator cores | frames/s per feed at the server (min/p50) | load average |")
    print("|---|---|---|---|---|---|---|---|")
    for m in rows:
        f = m["server_frames_per_s_per_feed"]
        print(f"| {m['participants']} | {m['live']} | {m['server_cores']:.3f} | "
              f"{m['server_mcores_per_participant']} | "
              f"{m.get('marginal_mcores_per_participant', '-')} | {m['generator_cores']:.3f} | "
              f"{f['min']}/{f['p50']} | {m['loadavg']} |")
    leave_all(run, ps)


def mode_storm(run, sampler):
    a, t = run.a, run.t
    time.sleep(a.settle_s)
    watcher = FeedWatcher(t, a.poll_ms / 1000)
    watcher.start()
    deadline = time.monotonic() + a.timeout
    g0, w0 = self_cpu_s(), time.monotonic()
    ps = join_spread(run, a.participants, a.seconds, deadline)
    wait_answers(ps, deadline)
    answered = [p for p in ps if p.location]

    def all_tiled():
        return tile_times(watcher, answered)[2] == 0
    try:
        wait_until(all_tiled, max(1.0, deadline - time.monotonic()), "every participant tiled")
    except AssertionError as e:
        print(f"storm: {e}", flush=True)
    live_ms, tile_ms, missing = tile_times(watcher, answered)
    gen = (self_cpu_s() - g0) / (time.monotonic() - w0)
    watcher.stop()
    post_ms = [(p.t_answer - p.t_post) * 1000 for p in answered]
    offer_ms = [(p.t_post - p.t_start) * 1000 for p in answered]
    # The publisher's side of the join: POST to its DTLS connection up (ICE checks + handshake).
    connected_ms = [(p.t_connected - p.t_post) * 1000 for p in answered if p.t_connected]
    res = {"participants": len(ps), "seconds": a.seconds, "answered": len(answered),
           "refused": [p.status for p in ps if not p.location],
           "not_tiled": missing, "time_to_live_ms": summary_ms(live_ms),
           "time_to_tile_ms": summary_ms(tile_ms), "post_to_answer_ms": summary_ms(post_ms),
           "generator_start_to_post_ms": summary_ms(offer_ms),
           "post_to_connected_ms": summary_ms(connected_ms), "poll_ms": a.poll_ms,
           "feed_polls": watcher.polls, "generator_cores": round(gen, 3), "loadavg": loadavg()}
    print(f"storm: {len(ps)} joins in {a.seconds} s: {len(answered)} answered, {missing} not "
          f"tiled; time to tile {res['time_to_tile_ms']} ms, to live {res['time_to_live_ms']} "
          f"ms; POST -> 201 {res['post_to_answer_ms']} ms; POST -> connected (DTLS up, at the "
          f"publisher) {res['post_to_connected_ms']} ms; generator start -> POST "
          f"{res['generator_start_to_post_ms']} ms; load average {res['loadavg']}", flush=True)
    run.results["storm"] = res
    leave_all(run, ps)


def leave_all(run, ps):
    for p in ps:
        run.leave(p)
    try:
        wait_until(lambda: not [f for f in run.t.json("/api/v1/feeds") if f["source"] == "whip"],
                   30, "every WHIP feed gone")
    except AssertionError as e:
        print(f"leave: {e}", flush=True)


def churn_cycle(run, watcher, hold_s, timeout_s, stats):
    p = run.new_participant()
    p.start()
    deadline = time.monotonic() + timeout_s
    p._answered.wait(timeout_s)
    ok = False
    if p.location:
        while time.monotonic() < deadline:
            if watcher.times(p)[0] is not None:
                ok = True
                break
            time.sleep(0.02)
    if ok:
        time.sleep(hold_s)
    run.leave(p)
    with stats["lock"]:
        stats["live" if ok else "failed"] += 1
        if not p.location:
            stats["refused"].append(p.status)


def run_cycles(run, watcher, n, a, stats):
    """n cycles, a.concurrency at once (each slot a thread), bounded by a.timeout overall."""
    next_cycle = iter(range(n))
    lock = threading.Lock()
    deadline = time.monotonic() + a.timeout

    def slot():
        while time.monotonic() < deadline:
            with lock:
                if next(next_cycle, None) is None:
                    return
            churn_cycle(run, watcher, a.hold_s, min(20.0, a.timeout), stats)
    threads = [threading.Thread(target=slot, daemon=True) for _ in range(a.concurrency)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(max(1.0, deadline - time.monotonic()) + 30)


def settled_sample(run, sampler):
    """After every WHIP feed has gone and the descriptors stopped falling."""
    t = run.t
    try:
        wait_until(lambda: not [f for f in t.json("/api/v1/feeds") if f["source"] == "whip"], 30,
                   "every WHIP feed gone")
    except AssertionError as e:
        print(f"churn: {e}", flush=True)
    prev = None
    for _ in range(20):
        s = proc_sample(t.proc.pid)
        if prev and s["fds"] == prev["fds"]:
            break
        prev = s
        time.sleep(0.5)
    return proc_sample(t.proc.pid)


def mode_churn(run, sampler):
    a = run.a
    watcher = FeedWatcher(run.t, a.poll_ms / 1000)
    watcher.start()
    stats = {"lock": threading.Lock(), "live": 0, "failed": 0, "refused": []}
    start = settled_sample(run, sampler)
    run_cycles(run, watcher, a.warmup, a, stats)
    before = settled_sample(run, sampler)
    print(f"churn: start {start}, after {a.warmup} warm-up cycles {before}", flush=True)
    w0, g0 = time.monotonic(), self_cpu_s()
    stats.update(live=0, failed=0, refused=[])
    run_cycles(run, watcher, a.cycles, a, stats)
    secs = time.monotonic() - w0
    gen = (self_cpu_s() - g0) / secs
    watcher.stop()
    after = settled_sample(run, sampler)

    def change(key, base):
        return round(100.0 * (after[key] - base[key]) / base[key], 1)
    res = {"cycles": a.cycles, "concurrency": a.concurrency, "hold_s": a.hold_s,
           "live": stats["live"], "failed": stats["failed"], "refused": stats["refused"][:20],
           "seconds": round(secs, 1), "start": start, "after_warmup": before, "end": after,
           "rss_change_pct": change("rss_mb", before), "fds_change_pct": change("fds", before),
           "rss_change_pct_from_start": change("rss_mb", start),
           "fds_change_pct_from_start": change("fds", start),
           "generator_cores": round(gen, 3), "loadavg": loadavg()}
    print(f"churn: {a.cycles} cycles ({stats['live']} live, {stats['failed']} failed) in "
          f"{secs:.0f} s, {a.concurrency} at once: RSS {before['rss_mb']} -> {after['rss_mb']} MB "
          f"({res['rss_change_pct']:+} %), fds {before['fds']} -> {after['fds']} "
          f"({res['fds_change_pct']:+} %), threads {before['threads']} -> {after['threads']}; "
          f"from the start: RSS {res['rss_change_pct_from_start']:+} %, fds "
          f"{res['fds_change_pct_from_start']:+} %; load average {res['loadavg']}", flush=True)
    run.results["churn"] = res


def size(text):
    w, h = text.lower().split("x")
    return int(w), int(h)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tessera", required=True)
    ap.add_argument("--codec", choices=["vp8", "h264", "mixed"], default="vp8")
    ap.add_argument("--size", type=size, default=(160, 120), help="WxH the participants send")
    ap.add_argument("--fps", type=int, default=15)
    ap.add_argument("--bitrate-kbps", type=int, default=120)
    ap.add_argument("--push", choices=["direct", "appsrc"], default="direct",
                    help="direct: the pusher thread pushes into each payloader itself; appsrc: "
                    "an appsrc (and its streaming thread) per participant")
    ap.add_argument("--pushers", type=int, default=4,
                    help="pusher threads (participants shared round-robin); on a loaded machine "
                    "one thread's share of the CPU is too small for 256 participants")
    ap.add_argument("--clip-s", type=float, default=2.0, help="length of the looped clip")
    ap.add_argument("--canvas", type=size, default=(1280, 720))
    ap.add_argument("--canvas-fps", type=int, default=30)
    ap.add_argument("--workers", type=int, default=0, help="analysis workers (their CPU is not "
                    "the tessera process's)")
    ap.add_argument("--hls", action="store_true", help="encode the canvas (x264) too")
    ap.add_argument("--sample-s", type=float, default=2.0)
    ap.add_argument("--poll-ms", type=int, default=50, help="GET /api/v1/feeds period")
    ap.add_argument("--settle-s", type=float, default=5.0)
    ap.add_argument("--timeout", type=float, default=300.0, help="bound on each phase")
    ap.add_argument("--json", help="write the results and samples here")
    ap.add_argument("--no-netns", action="store_true", help="do not make a network namespace")
    sub = ap.add_subparsers(dest="mode", required=True)
    s = sub.add_parser("steady")
    s.add_argument("--participants", type=int, default=256)
    s.add_argument("--join-rate", type=float, default=20.0, help="joins a second")
    s.add_argument("--window", type=float, default=20.0, help="CPU measurement seconds")
    s.add_argument("--steps", help="also measure at these counts on the way, e.g. 64,128")
    s = sub.add_parser("storm")
    s.add_argument("--participants", type=int, default=100)
    s.add_argument("--seconds", type=float, default=10.0)
    s = sub.add_parser("churn")
    s.add_argument("--cycles", type=int, default=1000)
    s.add_argument("--warmup", type=int, default=20)
    s.add_argument("--concurrency", type=int, default=8)
    s.add_argument("--hold-s", type=float, default=0.5, help="seconds live before leaving")
    a = ap.parse_args()

    if os.geteuid() == 0 and not a.no_netns and not os.environ.get("TESSERA_LOAD_NETNS"):
        cmd = ["unshare", "-n", "--", "sh", "-c", 'ip link set lo up && exec "$0" "$@"',
               sys.executable, *sys.argv]
        os.execvpe("unshare", cmd, dict(os.environ, TESSERA_LOAD_NETNS="1"))

    # Each webrtcbin holds ~10 descriptors (sockets, wake-up pipes): 256 of them pass 1024.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    max_feeds = max(getattr(a, "participants", 0), getattr(a, "concurrency", 0)) + 8
    with Tessera(a.tessera, config(a, max_feeds), duration=int(2 * a.timeout + 3600)) as t:
        t.wait_healthy(0, timeout=60)
        sampler = Sampler(t, a.sample_s)
        sampler.sample()
        sampler.start()
        run = Run(a, t)
        for pusher in run.pushers:
            pusher.start()
        print(f"tessera pid {t.proc.pid}, {a.mode}, load average {loadavg()}", flush=True)
        try:
            {"steady": mode_steady, "storm": mode_storm, "churn": mode_churn}[a.mode](run, sampler)
        finally:
            for pusher in run.pushers:
                pusher.stop()
            sampler.stop()
            sampler.sample()
            code = t.stop(timeout=60)
        errors = [pusher.error for pusher in run.pushers if pusher.error]
        if errors:
            print(f"a pusher failed: {errors[0]}; the figures are void")
            code = 1
        print(sampler.table())
        print(f"tessera exit code {code}; log {t.log_path}")
        if a.json:
            with open(a.json, "w") as f:
                json.dump({"args": {k: v for k, v in vars(a).items()}, "results": run.results,
                           "samples": sampler.rows}, f, indent=1)
            print(f"written: {a.json}")
    return 0 if code == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
