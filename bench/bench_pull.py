#!/usr/bin/env python3
"""Pull protocols: time to the first frame, time back after the server restarts, and CPU per
pulled feed, per protocol, against real servers on loopback (tests/e2e/pull_servers.py).

  /usr/bin/python3 bench/bench_pull.py --tessera BUILD/tessera [--feeds 4] [--window 15]
                                       [--only rtsps,rtmps,...]

For each protocol (rtmp, rtsp, srt caller, srt listener, hls, mjpeg, and over TLS: rtsps,
rtmps, hls and mjpeg over https, each trusting a private CA through tls_ca_file; RTMPS is
nginx-rtmp behind nginx's stream module doing TLS) one `tessera run` (640x480
at 15 fps, tiles 160x120, analysis off, no outputs) pulls --feeds copies of one 320x240@15
source of moving SMPTE bars, H.264 at 300 kbit/s (RTSP, RTMP, HLS: --feeds pulls of one server;
SRT: one sender per feed), or a 320x240 JPEG 15 times a second (MJPEG).
Printed per protocol:
  first frame   p50/max of the feeds' first_frame_ms (from the feed's start to its first frame)
                and the wall time from `tessera run` to every feed live
  back          the server killed, every feed out of `live` (frozen 2 s after its last frame,
                or retrying), the server started again: seconds from that start until every feed
                is live again (includes the server's own start, the stall timeout where the
                source does not notice, and the backoff)
  cpu/feed      tessera's CPU (utime+stime) over --window s with the feeds live, minus a run
                without pulled feeds, divided by --feeds, in % of one core
The servers are separate processes (or threads of this script), not counted.
"""
import argparse
import os
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
import pull_servers  # noqa: E402
from pull_servers import (Certificates, HlsServer, MjpegServer, RtmpPublisher,  # noqa: E402
                          RtmpsPublisher, RtspServer, SrtCallerSender, SrtListenerSender)
from tessera_harness import Tessera, free_port, wait_until  # noqa: E402

BASE = """
[installation]
name = "bench-pull"
[canvas]
width = 640
height = 480
fps = 15
[ingest]
tile_width = 160
tile_height = 120
[sync]
enabled = false
[analysis]
workers = 0
[output]
hls = false
"""
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def cpu_over(t, window):
    start, t0 = cpu_seconds(t.proc.pid), time.monotonic()
    time.sleep(window)
    return (cpu_seconds(t.proc.pid) - start) / (time.monotonic() - t0)


def setups(work, n):
    """name -> (servers, uris, extra keys of each [[ingest.pull]]): --feeds pulls per protocol."""
    out = {}
    p = free_port()
    rtmp = RtmpPublisher(work, p, "bench", 0xFF0000)
    out["rtmp"] = ([rtmp], [rtmp.url] * n)
    p = free_port()
    out["rtsp"] = ([RtspServer(p, 0x00FF00)], [f"rtsp://127.0.0.1:{p}/cam"] * n)
    ports = [free_port() for _ in range(n)]
    out["srt-caller"] = ([SrtListenerSender(q, 0xFFFF00, "bench-passphrase") for q in ports],
                         [f"srt://127.0.0.1:{q}?passphrase=bench-passphrase" for q in ports])
    ports = [free_port() for _ in range(n)]
    out["srt-listener"] = ([SrtCallerSender(q, free_port(), 0xFF00FF) for q in ports],
                           [f"srt://:{q}?mode=listener" for q in ports])
    hls = HlsServer(work, free_port(), 0x00FFFF)
    out["hls"] = ([hls], [hls.url] * n)
    mjpeg = MjpegServer(work, free_port(), 0xFF8000)
    out["mjpeg"] = ([mjpeg], [mjpeg.url] * n)
    out = {name: (servers, uris, "") for name, (servers, uris) in out.items()}
    tls = Certificates(work)
    trust = f'tls_ca_file = "{tls.ca_cert}"\n'
    rtsps = RtspServer(free_port(), 0x00FF00, tls=tls)
    out["rtsps"] = ([rtsps], [rtsps.url] * n, trust)
    rtmps = RtmpsPublisher(work, free_port(), [free_port()], "bench", 0xFF0000, tls)
    out["rtmps"] = ([rtmps], [rtmps.urls[0]] * n, trust)
    hls = HlsServer(work, free_port(), 0x00FFFF, tls=tls)
    out["hls-https"] = ([hls], [hls.url] * n, trust)
    mjpeg = MjpegServer(work, free_port(), 0xFF8000, tls=tls)
    out["mjpeg-https"] = ([mjpeg], [mjpeg.url] * n, trust)
    return out


def run_case(binary, servers, uris, extra, window):
    for s in servers:
        s.start()
    config = BASE + "".join(f'[[ingest.pull]]\nuri = "{u}"\n{extra}' for u in uris)
    try:
        started = time.monotonic()
        with Tessera(binary, config, duration=200) as t:
            def all_live():
                f = t.json("/api/v1/feeds")
                return len(f) == len(uris) and all(x["state"] == "live" for x in f) and f
            feeds = wait_until(all_live, 60, "every feed live", 0.1)
            wall = time.monotonic() - started
            first = [f["first_frame_ms"] for f in feeds]
            time.sleep(2)
            cpu = cpu_over(t, window)
            kbps = statistics.median(f["bitrate_kbps"] for f in t.json("/api/v1/feeds"))
            for s in servers:
                s.kill()
            wait_until(lambda: all(x["state"] != "live" for x in t.json("/api/v1/feeds")), 30,
                       "every feed out of live", 0.1)
            back0 = time.monotonic()
            for s in servers:
                s.start()
            # Frames again can only come from the new server (rtspsrc may reconnect by itself,
            # without a restart by tessera's supervisor).
            wait_until(all_live, 60, "every feed live again", 0.1)
            back = time.monotonic() - back0
            t.stop()
        return {"first_p50": statistics.median(first), "first_max": max(first), "wall": wall,
                "back": back, "cpu": cpu, "kbps": kbps}
    finally:
        for s in servers:
            s.kill()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    ap.add_argument("--feeds", type=int, default=4)
    ap.add_argument("--window", type=float, default=15)
    ap.add_argument("--only", help="comma-separated protocols (default: all)")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="tessera-bench-pull-")
    pull_servers.MOVING = True
    with Tessera(args.tessera, BASE, duration=100) as t:
        t.wait_healthy(0)
        time.sleep(2)
        baseline = cpu_over(t, args.window)
        t.stop()
    print(f"baseline (no pulled feed): {baseline * 100:.1f} % of a core")
    print(f"{'protocol':<13} {'first p50':>9} {'first max':>9} {'all live':>8} {'back':>6} "
          f"{'cpu/feed':>8} {'kbit/s':>7}")
    only = args.only.split(",") if args.only else None
    for name, (servers, uris, extra) in setups(work, args.feeds).items():
        if only and name not in only:
            continue
        r = run_case(args.tessera, servers, uris, extra, args.window)
        per_feed = (r["cpu"] - baseline) / args.feeds * 100
        print(f"{name:<13} {r['first_p50']:>7.0f}ms {r['first_max']:>7.0f}ms {r['wall']:>7.1f}s "
              f"{r['back']:>5.1f}s {per_feed:>7.1f}% {r['kbps']:>7.0f}", flush=True)


if __name__ == "__main__":
    main()
