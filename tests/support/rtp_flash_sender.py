#!/usr/bin/python3
"""RTP senders for the crowd-sync tests and bench: each one a "camera" whose picture flashes
white at wall-clock instants it is told, sent as RTP (JPEG) over loopback with RTCP Sender
Reports (or without), after a known extra delay.

    rtp_flash_sender.py --dir D --sender PORT:DELAY_MS[:nortcp] ... [--size 160x120 --fps 30]

Writes D/sender-PORT.sdp for each sender (what tessera pulls as file://...sdp), prints "ready"
once playing, then reads commands on stdin, one a line: "flash UNIX_SECONDS [MS]" makes every
sender's frames captured in [t, t + MS) white (200 ms by default); "quit" (or EOF) stops.

Capture time: a frame's capture time is its pipeline clock time (base time + PTS, the clock
videotestsrc is live on), and rtpbin maps RTP times to NTP with that clock
(rtcp-sync-send-time=false: capture time, not send time), so the Sender Reports state when each
frame was taken, on this machine's wall clock: the clock tessera's server clock is tied to.

Delay: `netsim` between rtpbin and the RTP socket holds every RTP packet DELAY_MS (a constant:
min = max delay) after its capture time and RTP timestamp are fixed, as a slow uplink or
encoder queue would. The Sender Reports are not delayed: a one-way estimate (tessera's, from
their arrival) cannot tell a report's own delay from a clock offset, so a delay on them would
show as a clock that runs late, not as lateness to undo; the clock-offset exchange of the join
page is what separates the two for phones.

Needs Python's GStreamer bindings (Debian python3-gi, gir1.2-gstreamer-1.0).
"""
import argparse
import os
import select
import sys
import time

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

BASE_COLOUR = 0xFF404040   # dark grey: a flash to white is a large luma step
FLASH_COLOUR = 0xFFFFFFFF


def sdp_text(port, rtcp):
    lines = ["v=0", "o=- 0 0 IN IP4 127.0.0.1", f"s=tessera test sender {port}",
             "c=IN IP4 127.0.0.1", "t=0 0", f"m=video {port} RTP/AVP 26",
             "a=rtpmap:26 JPEG/90000"]
    if rtcp:
        lines.append(f"a=rtcp:{port + 1}")
    return "\r\n".join(lines) + "\r\n"


class Sender:
    """One camera: videotestsrc -> queue (leaky) -> jpegenc -> rtpjpegpay -> rtpbin -> netsim
    -> udpsink."""

    def __init__(self, pipeline, rtpbin, index, port, delay_ms, rtcp, width, height, fps,
                 flashes):
        self.flashes = flashes
        self.frame_ns = 1_000_000_000 // fps
        self.white = False
        make = Gst.ElementFactory.make
        self.src = make("videotestsrc")
        self.src.set_property("is-live", True)
        self.src.set_property("pattern", "solid-color")
        self.src.set_property("foreground-color", BASE_COLOUR)
        caps = make("capsfilter")
        caps.set_property("caps", Gst.Caps.from_string(
            f"video/x-raw,format=I420,width={width},height={height},framerate={fps}/1"))
        # A camera that cannot keep up drops frames rather than sending ever older ones: a live
        # videotestsrc that falls behind stamps frames by count and would pile up latency.
        leaky = make("queue")
        leaky.set_property("leaky", "downstream")
        leaky.set_property("max-size-buffers", 1)
        leaky.set_property("max-size-bytes", 0)
        leaky.set_property("max-size-time", 0)
        enc = make("jpegenc")
        enc.set_property("quality", 70)
        pay = make("rtpjpegpay")
        net = make("netsim")
        net.set_property("min-delay", delay_ms)
        net.set_property("max-delay", delay_ms)
        net.set_property("delay-probability", 1.0 if delay_ms > 0 else 0.0)
        net.set_property("allow-reordering", False)
        sink = make("udpsink")
        sink.set_property("host", "127.0.0.1")
        sink.set_property("port", port)
        sink.set_property("sync", False)
        sink.set_property("async", False)
        for e in (self.src, caps, leaky, enc, pay, net, sink):
            pipeline.add(e)
        self.src.link(caps)
        caps.link(leaky)
        leaky.link(enc)
        enc.link(pay)
        pay.get_static_pad("src").link(rtpbin.request_pad_simple(f"send_rtp_sink_{index}"))
        rtpbin.get_static_pad(f"send_rtp_src_{index}").link(net.get_static_pad("sink"))
        net.link(sink)
        if rtcp:
            rtcp_sink = make("udpsink")
            rtcp_sink.set_property("host", "127.0.0.1")
            rtcp_sink.set_property("port", port + 1)
            rtcp_sink.set_property("sync", False)
            rtcp_sink.set_property("async", False)
            pipeline.add(rtcp_sink)
            rtpbin.request_pad_simple(f"send_rtcp_src_{index}").link(
                rtcp_sink.get_static_pad("sink"))
        self.src.get_static_pad("src").add_probe(Gst.PadProbeType.BUFFER, self.on_buffer)

    def on_buffer(self, pad, info):
        # Decides the colour of the NEXT frame, which videotestsrc fills after this push.
        buf = info.get_buffer()
        element = pad.get_parent_element()
        capture_mono = element.get_base_time() + buf.pts
        next_unix = capture_mono + self.frame_ns + MONO_TO_UNIX_NS
        white = any(t <= next_unix < t + d for t, d in self.flashes)
        if white != self.white:
            self.white = white
            self.src.set_property("foreground-color", FLASH_COLOUR if white else BASE_COLOUR)
        return Gst.PadProbeReturn.OK


MONO_TO_UNIX_NS = time.time_ns() - time.clock_gettime_ns(time.CLOCK_MONOTONIC)


def parse_sender(text):
    parts = text.split(":")
    port, delay = int(parts[0]), int(parts[1])
    rtcp = not (len(parts) > 2 and parts[2] == "nortcp")
    if not (1024 <= port <= 65534 and 0 <= delay <= 5000):
        raise argparse.ArgumentTypeError(f"bad sender {text!r}: PORT:DELAY_MS[:nortcp]")
    return port, delay, rtcp


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", required=True)
    ap.add_argument("--sender", action="append", type=parse_sender, required=True)
    ap.add_argument("--size", default="160x120")
    ap.add_argument("--fps", type=int, default=30)
    ap.add_argument("--duration", type=float, default=600)
    args = ap.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    Gst.init(None)
    pipeline = Gst.Pipeline.new("senders")
    flashes = []  # (unix ns, duration ns), shared by every sender
    senders = []
    # One rtpbin per sender: each its own RTP session with its own SSRC and Sender Reports.
    for i, (port, delay, rtcp) in enumerate(args.sender):
        rtpbin = Gst.ElementFactory.make("rtpbin")
        rtpbin.set_property("rtcp-sync-send-time", False)
        pipeline.add(rtpbin)
        senders.append(Sender(pipeline, rtpbin, 0, port, delay, rtcp, width, height, args.fps,
                              flashes))
        with open(os.path.join(args.dir, f"sender-{port}.sdp"), "w") as f:
            f.write(sdp_text(port, rtcp))
    pipeline.set_state(Gst.State.PLAYING)
    print("ready", flush=True)
    deadline = time.monotonic() + args.duration
    bus = pipeline.get_bus()
    while time.monotonic() < deadline:
        msg = bus.pop_filtered(Gst.MessageType.ERROR)
        if msg:
            err, debug = msg.parse_error()
            print(f"error: {err.message} ({debug})", file=sys.stderr, flush=True)
            break
        ready, _, _ = select.select([sys.stdin], [], [], 0.1)
        if not ready:
            continue
        line = sys.stdin.readline()
        if not line or line.strip() == "quit":
            break
        words = line.split()
        if words and words[0] == "flash" and len(words) >= 2:
            dur_ms = float(words[2]) if len(words) > 2 else 200.0
            flashes.append((int(float(words[1]) * 1e9), int(dur_ms * 1e6)))
            print(f"flash {words[1]}", flush=True)
    pipeline.set_state(Gst.State.NULL)


if __name__ == "__main__":
    main()
