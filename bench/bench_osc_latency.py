#!/usr/bin/env python3
"""OSC to canvas: how long after an OSC datagram leaves the sender does the canvas show it?

Runs tessera with N synthetic feeds and a scene whose filter paints the canvas red at
`level` (an ISF input), then --trials times: sends /tessera/param/solid/level f 0|1 (a raw UDP
datagram, stamped just before sendto) and reads /api/v1/canvas.png back over one kept-alive
connection as fast as it answers until the centre pixel shows the new level. The reading loop's
own period (one PNG request; only the first row is decoded, the filter paints the canvas
uniformly) bounds the resolution; it is printed too. Not a test: prints p50,
p95 and max in ms and canvas frames for docs/performance.md.

    bench/bench_osc_latency.py --tessera build/tessera [--feeds 16] [--size 320x180] [--fps 30]
"""
import argparse
import http.client
import os
import socket
import statistics
import struct
import sys
import tempfile
import time
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "e2e"))
from tessera_harness import Tessera  # noqa: E402

SOLID = """/*{ "INPUTS": [
  {"NAME": "inputImage", "TYPE": "image"},
  {"NAME": "level", "TYPE": "float", "DEFAULT": 0.0, "MIN": 0.0, "MAX": 1.0}
] }*/
void main() {
  gl_FragColor = vec4(level, 0.0, 0.0, 1.0);
}
"""


def osc_string(s):
    b = s.encode() + b"\0"
    return b + b"\0" * (-len(b) % 4)


def param_message(value):
    return osc_string("/tessera/param/solid/level") + osc_string(",f") + struct.pack(">f", value)


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def first_row_red(png, x):
    """The red byte of pixel (x, 0) of an 8-bit RGB(A) PNG: the first row alone is unfiltered
    (it depends on no other row), so a read costs one row of Python, not the whole image."""
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
    for i in range(channels, (x + 1) * channels) if f in (1, 3, 4) else ():
        a = line[i - channels]
        line[i] = (line[i] + (a if f in (1, 4) else a // 2)) & 255  # prior row is all 0
    return line[x * channels]


def percentile(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    ap.add_argument("--feeds", type=int, default=16)
    ap.add_argument("--size", default="320x180")
    ap.add_argument("--fps", type=int, default=30)
    ap.add_argument("--trials", type=int, default=100)
    args = ap.parse_args()
    width, height = (int(x) for x in args.size.split("x"))
    work = tempfile.mkdtemp(prefix="tessera-bench-osc-")
    solid = os.path.join(work, "solid.fs")
    with open(solid, "w") as f:
        f.write(SOLID)
    port = free_udp_port()
    toml = f"""
[installation]
name = "bench-osc"
[canvas]
width = {width}
height = {height}
fps = {args.fps}
[ingest.synthetic]
count = {args.feeds}
[analysis]
workers = 0
[output]
hls = false
[[scenes]]
name = "solid"
layout = "grid"
filters = ["{solid}"]
shader_scale = 1
[osc]
listen = "127.0.0.1:{port}"
"""
    with Tessera(args.tessera, toml, duration=600) as t:
        t.wait_healthy(args.feeds, timeout=60)
        conn = http.client.HTTPConnection("127.0.0.1", t.port, timeout=10)

        def red():
            conn.request("GET", "/api/v1/canvas.png")
            return first_row_red(conn.getresponse().read(), width // 2)

        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        latencies, reads = [], []
        for i in range(args.trials + 5):
            level = float(i % 2)
            time.sleep(0.15)  # the canvas settles; trials do not overlap
            sent = time.perf_counter()
            sock.sendto(param_message(level), ("127.0.0.1", port))
            n = 0
            while True:
                before = time.perf_counter()
                value = red()
                n += 1
                if (value > 200) == (level == 1.0):
                    break
                reads.append(time.perf_counter() - before)
                if time.perf_counter() - sent > 2:
                    raise AssertionError(f"trial {i}: no change within 2 s")
            if i >= 5:  # the first few warm the shader and the connection up
                latencies.append((time.perf_counter() - sent) * 1000)
        frame_ms = 1000 / args.fps
        p50, p95 = percentile(latencies, 50), percentile(latencies, 95)
        read_ms = statistics.median(reads) * 1000 if reads else 0
        print(f"{args.trials} trials, {args.feeds} feeds, {width}x{height}@{args.fps}: "
              f"OSC -> canvas p50 {p50:.1f} ms ({p50 / frame_ms:.2f} frames), p95 {p95:.1f} ms "
              f"({p95 / frame_ms:.2f} frames), max {max(latencies):.1f} ms; one canvas.png read "
              f"{read_ms:.1f} ms (median)")
        print(f"fps {t.json('/healthz')['fps']}")
        t.stop()


if __name__ == "__main__":
    main()
