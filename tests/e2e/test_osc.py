"""End to end: OSC in and out with liblo's own tools (oscsend, oscdump).

Runs in a loopback-only network namespace of its own when it can make one (oscdump binds every
interface). The installation listens for OSC on 127.0.0.1 (allow = ["127.0.0.1"]) and sends its
crowd bundles to an oscdump.
1. In: /tessera/scene s switches the scene (/healthz); /tessera/param/SCENE/INPUT f sets a filter's
   input (the canvas turns from black to red); /tessera/cue flashes the canvas white (read back)
   and opens cue 1 with flash true; /tessera/feed/ID/hide and /show hide and show a feed (the
   moderation API's, logged "by osc ADDRESS"); an unknown feed's hide is counted as failed.
2. Out: bundles arrive at rate_hz (10 Hz: 5..15 per second over 3 s by their timetags), each with
   count, motion, brightness and reactions; count and mean motion/brightness match
   /api/v1/feeds; every feed is announced with /tessera/feed/joined.
3. Robustness: garbage datagrams (text, truncated OSC, a lying bundle, 9000 bytes) and an unknown
   address are survived, counted in /metrics and logged once; a datagram from 127.0.0.2 (not in
   allow) is refused; a command after all that still acts.
"""
import argparse
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import zlib

sys.path.insert(0, os.path.dirname(__file__))
from tessera_harness import Tessera, wait_until  # noqa: E402

WIDTH, HEIGHT, FEEDS, RATE_HZ = 160, 90, 3, 10

SOLID = """/*{ "INPUTS": [
  {"NAME": "inputImage", "TYPE": "image"},
  {"NAME": "level", "TYPE": "float", "DEFAULT": 0.0, "MIN": 0.0, "MAX": 1.0}
] }*/
void main() {
  gl_FragColor = vec4(level, 0.0, 0.0, 1.0);
}
"""


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def config(solid, listen_port, dump_port):
    return f"""
[installation]
name = "osc-e2e"
[canvas]
width = {WIDTH}
height = {HEIGHT}
fps = 30
[http]
admin_token = "osc-e2e-admin"
[ingest.synthetic]
count = {FEEDS}
[analysis]
workers = 1
rate_hz = 2
[output]
hls = false
[[scenes]]
name = "grid"
layout = "grid"
fade_seconds = 0
[[scenes]]
name = "solid"
layout = "grid"
filters = ["{solid}"]
fade_seconds = 0
shader_scale = 1
[osc]
listen = "127.0.0.1:{listen_port}"
send = ["127.0.0.1:{dump_port}"]
rate_hz = {RATE_HZ}
allow = ["127.0.0.1"]
"""


def oscsend(port, address, *typed):
    """oscsend 127.0.0.1 PORT ADDRESS [TYPES VALUES...]"""
    subprocess.run(["oscsend", "127.0.0.1", str(port), address, *typed], check=True, timeout=10)


def osc_string(s):
    b = s.encode() + b"\0"
    return b + b"\0" * (-len(b) % 4)


def osc_message(address, string_arg):
    return osc_string(address) + osc_string(",s") + osc_string(string_arg)


def metric(t, name):
    from tessera_harness import http_get
    text = http_get(t.url + "/metrics")[2].decode()
    m = re.search(r"^" + re.escape(name) + r" (\S+)$", text, re.M)
    assert m, f"{name} not in /metrics"
    return float(m.group(1))


def center(t):
    width, height, channels, rows = t.canvas()
    row = rows[height // 2]
    x = width // 2
    return tuple(row[x * channels:x * channels + 3])


def first_row_centre(t):
    """The canvas's top-centre pixel: only the first PNG row is unfiltered (it depends on no
    other row), so this read costs one row of Python (the flash and the solid filter are
    uniform)."""
    from tessera_harness import http_get
    png = http_get(t.url + "/api/v1/canvas.png")[2]
    pos, idat, width, channels = 8, b"", 0, 3
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos:pos + 4])
        kind, chunk = png[pos + 4:pos + 8], png[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, _, _, ctype = struct.unpack(">IIBB", chunk[:10])
            channels = 4 if ctype == 6 else 3
        elif kind == b"IDAT":
            idat += chunk
    stride = width * channels
    raw = zlib.decompressobj().decompress(idat, stride + 1)
    f, line = raw[0], bytearray(raw[1:stride + 1])
    x = width // 2
    if f in (1, 3, 4):  # Sub, Average, Paeth: with no prior row, each adds (part of) the left
        for i in range(channels, (x + 1) * channels):
            a = line[i - channels]
            line[i] = (line[i] + (a if f in (1, 4) else a // 2)) & 255
    return tuple(line[x * channels:x * channels + 3])


def live_aggregates(feeds):
    live = [f for f in feeds if f["state"] == "live"]
    scored = [f["scores"] for f in live if f.get("scores")]
    mean = (lambda k: sum(s[k] for s in scored) / len(scored)) if scored else (lambda k: 0.0)
    return len(live), mean("motion"), mean("brightness")


def parse_dump(path):
    """oscdump lines -> {timetag seconds: {address: [values]}} and the events (address, value)."""
    bundles, events = {}, []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) < 3 or "." not in parts[0]:
                continue
            sec, frac = parts[0].split(".")
            tt = int(sec, 16) - 2208988800 + int(frac, 16) / 2**32
            address, values = parts[1], parts[3:]
            bundles.setdefault(tt, {}).setdefault(address, []).extend(values)
            if address.startswith("/tessera/feed/"):
                events.append((address, int(values[0])))
    return bundles, events


def check_inbound(t, port):
    assert t.json("/healthz")["scene"] == "grid"
    oscsend(port, "/tessera/scene", "s", "solid")
    wait_until(lambda: t.json("/healthz")["scene"] == "solid", 5, "scene solid after OSC")
    wait_until(lambda: max(center(t)) < 30, 5, "the solid filter's black (level 0)")
    oscsend(port, "/tessera/param/solid/level", "f", "1.0")
    wait_until(lambda: (c := center(t))[0] > 220 and c[1] < 30, 5, "red after /tessera/param")
    level = next(p for s in t.json("/api/v1/params")["shaders"] if s["scene"] == "solid"
                 for p in s["params"] if p["name"] == "level")
    assert level["value"] == 1.0, level

    # The flash lasts 200 ms: read the first row alone (fast) as often as the server answers; a
    # machine too loaded to catch it gets another cue once the last one is done (at most 3).
    for attempt in range(1, 4):
        oscsend(port, "/tessera/cue")
        cue = wait_until(lambda: (c := t.json("/api/v1/cue"))["id"] == attempt and c, 5,
                         f"cue {attempt} opened by OSC")
        assert cue["flash"] is True, cue
        deadline, white = time.monotonic() + 2, False
        while time.monotonic() < deadline and not white:
            white = min(first_row_centre(t)) > 240
        if white:
            break
        wait_until(lambda: t.json("/api/v1/cue")["state"] == "done", 15, "the cue done")
    assert white, "no white flash on the canvas after 3 OSC cues"
    wait_until(lambda: (c := center(t))[0] > 220 and c[1] < 30, 5, "red again after the flash")

    oscsend(port, "/tessera/scene", "s", "grid")
    wait_until(lambda: t.json("/healthz")["scene"] == "grid", 5, "scene grid after OSC")

    # Hide/show: the moderation API's (server::Moderator), logged as coming from OSC.
    oscsend(port, "/tessera/feed/1/hide")

    def hidden():
        feed = next(f for f in t.json("/api/v1/feeds") if f["id"] == 1)
        return feed["tile"] is None and feed["hidden"]
    wait_until(hidden, 5, "feed 1 hidden by OSC")
    assert "moderation: feed 1: hide by osc 127.0.0.1" in t.log_text()
    oscsend(port, "/tessera/feed/1/show")
    wait_until(lambda: next(f for f in t.json("/api/v1/feeds") if f["id"] == 1)["tile"],
               5, "feed 1 shown again")
    # An unknown feed: refused with the reason, counted as failed.
    failed = metric(t, 'tessera_osc_messages_total{result="failed"}')
    oscsend(port, "/tessera/feed/999/hide")
    wait_until(lambda: metric(t, 'tessera_osc_messages_total{result="failed"}') == failed + 1, 5,
               "the hide of an unknown feed counted as failed")


def check_outbound(t, dump_path):
    # Feeds join before the first analysis; wait until the means are of every live feed.
    # (a feed's first analysis has no earlier frame: its motion is 0 until the second)
    wait_until(lambda: all(f.get("scores", {}).get("motion", 0) > 0
                           for f in t.json("/api/v1/feeds")), 15,
               "scores with motion for every feed")
    matches = 0
    for _ in range(5):
        at = time.time()
        count, motion, brightness = live_aggregates(t.json("/api/v1/feeds"))
        time.sleep(0.4)  # the bundles around `at` have arrived
        bundles, _ = parse_dump(dump_path)
        near = [b for tt, b in bundles.items() if abs(tt - at) < 0.3]
        assert near, f"no bundle within 0.3 s of {at}: {sorted(bundles)[-3:]}"
        assert all(int(b["/tessera/crowd/count"][0]) == count for b in near), (count, near)
        if any(abs(float(b["/tessera/crowd/motion"][0]) - motion) < 1e-4 and
               abs(float(b["/tessera/crowd/brightness"][0]) - brightness) < 1e-4 for b in near):
            matches += 1
    assert matches >= 3, f"motion/brightness matched /api/v1/feeds in {matches} of 5 samples"

    start = time.time()
    time.sleep(3.2)
    bundles, events = parse_dump(dump_path)
    window = [tt for tt in bundles if start <= tt < start + 3]
    rate = len(window) / 3
    print(f"crowd bundles: {rate:.1f} per second (rate_hz {RATE_HZ})")
    assert RATE_HZ / 2 <= rate <= RATE_HZ * 1.5, f"{rate:.1f} bundles/s, expected ~{RATE_HZ}"
    for tt in window:
        assert set(bundles[tt]) >= {"/tessera/crowd/count", "/tessera/crowd/motion",
                                    "/tessera/crowd/brightness", "/tessera/crowd/reactions"}
    joined = sorted(v for a, v in events if a == "/tessera/feed/joined")
    assert joined == [f["id"] for f in t.json("/api/v1/feeds")], joined


def check_garbage(t, port):
    garbage = [b"hello\n", b"/tessera/scene\0\0", b"/a\0\0,i\0\0",
               b"#bundle\0" + b"\0" * 7 + b"\1" + struct.pack(">I", 4096) + b"/a\0\0",
               b"/" * 9000, os.urandom(64), b"\0" * 4]
    sent = 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for i in range(50):
            s.sendto(garbage[i % len(garbage)], ("127.0.0.1", port))
            sent += 1
    oscsend(port, "/tessera/not/ours", "i", "1")
    wait_until(lambda: metric(t, "tessera_osc_malformed_total") == sent, 5,
               f"{sent} malformed datagrams counted")
    wait_until(lambda: metric(t, 'tessera_osc_messages_total{result="unknown"}') == 1, 5,
               "the unknown address counted")
    log = t.log_text()
    assert log.count("malformed datagram") == 1, "malformed datagrams are logged once"
    assert log.count("unknown message") == 1

    # 127.0.0.2 is not in allow: refused before it is decoded.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.2", 0))
        s.sendto(osc_message("/tessera/scene", "solid"), ("127.0.0.1", port))
    wait_until(lambda: metric(t, "tessera_osc_refused_total") == 1, 5, "the datagram refused")
    assert t.json("/healthz")["scene"] == "grid"

    # The same bytes from an allowed address act: the server is fine after all that.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(osc_message("/tessera/scene", "solid"), ("127.0.0.1", port))
    wait_until(lambda: t.json("/healthz")["scene"] == "solid", 5, "scene solid after garbage")
    assert t.proc.poll() is None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tessera", required=True)
    args = parser.parse_args()
    if not os.environ.get("TESSERA_NETNS") and shutil.which("unshare"):
        probe = subprocess.run(["unshare", "-n", "true"], capture_output=True)
        if probe.returncode == 0:
            env = dict(os.environ, TESSERA_NETNS="1")
            cmd = f"ip link set lo up && exec {sys.executable} {__file__} --tessera {args.tessera}"
            sys.exit(subprocess.run(["unshare", "-n", "--", "sh", "-c", cmd], env=env).returncode)
    for tool in ("oscsend", "oscdump"):
        assert shutil.which(tool), f"{tool} missing (make deps installs liblo-tools)"

    work = tempfile.mkdtemp(prefix="tessera-osc-")
    solid = os.path.join(work, "solid.fs")
    with open(solid, "w") as f:
        f.write(SOLID)
    listen_port, dump_port = free_udp_port(), free_udp_port()
    dump_path = os.path.join(work, "oscdump.txt")
    with open(dump_path, "w") as dump_out:
        dump = subprocess.Popen(["oscdump", "-L", str(dump_port)], stdout=dump_out,
                                stderr=subprocess.STDOUT)
    def dump_bound():
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            try:
                s.bind(("127.0.0.1", dump_port))
            except OSError:
                return True
        return False
    try:
        wait_until(dump_bound, 5, "oscdump to bind its port", 0.02)
        with Tessera(args.tessera, config(solid, listen_port, dump_port), duration=90) as t:
            t.wait_healthy(FEEDS)
            wait_until(lambda: "listening on UDP" in t.log_text(), 5, "osc: listening")
            check_inbound(t, listen_port)
            check_outbound(t, dump_path)
            check_garbage(t, listen_port)
            assert t.stop() == 0, t.log_text()
    finally:
        dump.terminate()
        dump.wait(5)
    print("ok")


if __name__ == "__main__":
    main()
