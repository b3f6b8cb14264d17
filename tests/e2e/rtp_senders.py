"""Runs tests/support/rtp_flash_sender.py (RTP "cameras" that flash white on command) for the
crowd-sync tests and benches. See that script's docstring for how capture times and delays are
made. Needs an interpreter with Python's GStreamer bindings (python3-gi): the one running the
test if it has them, else Debian's /usr/bin/python3."""
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SENDER = os.path.join(HERE, "..", "support", "rtp_flash_sender.py")


def gi_python():
    for candidate in (sys.executable, "/usr/bin/python3"):
        probe = subprocess.run([candidate, "-c", "import gi; gi.require_version('Gst', '1.0')"],
                               capture_output=True)
        if probe.returncode == 0:
            return candidate
    raise AssertionError("no Python with GStreamer bindings: install python3-gi "
                         "gir1.2-gstreamer-1.0 (make deps)")


def run_under_gi_python():
    """Re-runs this script under an interpreter with GStreamer's Python bindings when the
    current one lacks them (a test that imports tests/support/whip_sender.py calls it first)."""
    if gi_python() != sys.executable and not os.environ.get("TESSERA_GI_REEXEC"):
        os.environ["TESSERA_GI_REEXEC"] = "1"
        os.execv(gi_python(), [gi_python(), *sys.argv])


def make_h264_clip(path, width, height, fps, frames, keyint, pattern="smpte", bitrate=None):
    """An MP4 H.264 clip (x264 ultrafast, a keyframe every `keyint` frames) for pulled feeds."""
    subprocess.run(
        ["gst-launch-1.0", "-q", "videotestsrc", f"num-buffers={frames}", f"pattern={pattern}",
         *(["horizontal-speed=8"] if pattern == "smpte" else []), "!",
         f"video/x-raw,width={width},height={height},framerate={fps}/1", "!", "x264enc",
         "speed-preset=ultrafast", f"key-int-max={keyint}",
         *([f"bitrate={bitrate}"] if bitrate else []), "!", "mp4mux", "!", "filesink",
         f"location={path}"],
        check=True, timeout=60)


def pulled_installation(name, width, height, pulls, sync_enabled=True, extra=""):
    """The installation the pulled-RTP sync tests and bench run: `pulls` (TOML [[ingest.pull]]
    tables) on a `width` x `height` canvas at 30 fps, no synthetic feeds and no analysis, HLS in
    1 s segments kept for a minute (sync_probe reads every frame back), [sync] auto with a 1 s
    max delay, on or off. `extra` adds tables ([http], [ingest] keys)."""
    return f"""
[installation]
name = "{name}"
[canvas]
width = {width}
height = {height}
fps = 30
{extra}[ingest.synthetic]
count = 0
{pulls}
[analysis]
workers = 0
[output]
hls = true
hls_segment_seconds = 1
hls_playlist_length = 60
[sync]
enabled = {"true" if sync_enabled else "false"}
delay_ms = "auto"
max_delay_ms = 1000
"""


def pull_tables(uris):
    """A [[ingest.pull]] table per URI."""
    return "".join(f'[[ingest.pull]]\nuri = "{u}"\n' for u in uris)


def free_port_pair():
    """An even UDP port whose next port is free too (RTP and RTCP), below the ephemeral range:
    the senders' own sockets take ephemeral ports, which must never be one tessera listens on."""
    import random
    import socket
    low = 20000
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            high = min(int(f.read().split()[0]), 40000)
    except (OSError, ValueError):
        high = 32768
    for _ in range(200):
        port = random.randrange(low, high - 2) & ~1
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s1, \
                    socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s2:
                s1.bind(("127.0.0.1", port))
                s2.bind(("127.0.0.1", port + 1))
                return port
        except OSError:
            continue
    raise AssertionError("no free pair of UDP ports on loopback")


class RtpSenders:
    """Senders in one process: `specs` is a list of (delay_ms, rtcp). `uris` are what tessera
    pulls, in the same order. flash(t) makes every sender's frames captured in [t, t+ms) white."""

    def __init__(self, specs, fps=30, size="160x120", duration=600):
        self.dir = tempfile.mkdtemp(prefix="tessera-rtp-")
        self.ports = []
        args = []
        for delay_ms, rtcp in specs:
            port = free_port_pair()
            while port in self.ports or port - 2 in self.ports or port + 2 in self.ports:
                port = free_port_pair()
            self.ports.append(port)
            args += ["--sender", f"{port}:{delay_ms}" + ("" if rtcp else ":nortcp")]
        self.uris = [f"file://{self.dir}/sender-{p}.sdp" for p in self.ports]
        self.log_path = os.path.join(self.dir, "senders.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [gi_python(), SENDER, "--dir", self.dir, "--fps", str(fps), "--size", size,
             "--duration", str(duration), *args],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.proc.stdout.readline()  # bounded: the process exits on any error
        assert line.strip() == "ready", f"senders did not start: {line!r} {self.log_text()}"

    def log_text(self):
        with open(self.log_path) as f:
            return f.read()

    def flash(self, unix_s, ms=200):
        self.proc.stdin.write(f"flash {unix_s:.6f} {ms}\n")
        self.proc.stdin.flush()
        ack = self.proc.stdout.readline()
        assert ack.startswith("flash"), f"sender did not take the flash: {ack!r}"

    def flash_soon(self, lead_s=1.0, ms=200):
        """A flash `lead_s` from now, aligned to nothing in particular; returns its Unix time."""
        t = time.time() + lead_s
        self.flash(t, ms)
        return t

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write("quit\n")
                self.proc.stdin.flush()
                self.proc.wait(10)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
