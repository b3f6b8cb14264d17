#!/usr/bin/env python3
"""WHEP viewers: the server's CPU per viewer, and glass-to-glass latency against HLS.

  python3 bench/bench_whep.py --tessera BUILD/tessera [--viewers 0,1,4,8,16] [--window 20]
                              [--flashes 20] [--skip-cpu] [--skip-latency]
  (HLS, for comparison, gets 5 flashes: each takes ~12 s)

CPU: one `tessera run` (1280x720 at 30 fps, 16 synthetic feeds, analysis off, HLS at 4000
kbit/s, WHEP on); viewers are GStreamer webrtcbin players (tests/support/whep_player.py: receive
and depayload, no decoding) added step by step. For each count the tessera process's CPU (utime
+ stime) is measured over --window seconds after 5 s of settling; the cost per viewer is the
least-squares slope over the counts, in % of one core; steadier, each row also gives the CPU of
the viewers' own streaming threads (`viewer:src`) per viewer. The players' received frame rates
are reported too (each should be ~30).

Latency: Chromium (playwright-core, --allow-loopback-in-peer-connection) opens the viewer page
twice, low latency (WHEP) and regular (HLS via hls.js), on a black canvas (scene "dark": no
feeds). Each flash is a switch to scene "bright" (a white filter, no fade) by POST
/api/v1/scene, and back to "dark" a second later; the page watches every presented video frame
(requestVideoFrameCallback) for the first bright one. Latency = that frame's presentation time
minus the moment the POST was sent (one clock: same machine), so it includes the HTTP request
and up to one canvas tick (33 ms) before the switch is drawn: an upper bound of
canvas-to-glass.
Runs on loopback only.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "support"))
from bench_feeds import thread_cpu  # noqa: E402
from bench_outputs import cpu_s  # noqa: E402
from tessera_harness import Tessera  # noqa: E402

CPU_CONFIG = """
[installation]
name = "bench-whep"
[canvas]
width = 1280
height = 720
fps = 30
[ingest.synthetic]
count = 16
[ingest.whip]
ice_addresses = ["127.0.0.1"]
[analysis]
workers = 0
[output]
hls = true
bitrate_kbps = 4000
whep = true
max_viewers = 100
"""

LATENCY_CONFIG = """
[installation]
name = "bench-whep-latency"
[canvas]
width = 1280
height = 720
fps = 30
[http]
admin_token = "bench-admin"
[ingest.synthetic]
count = 0
[ingest.whip]
ice_addresses = ["127.0.0.1"]
[analysis]
workers = 0
[output]
hls = true
hls_segment_seconds = 1
bitrate_kbps = 4000
whep = true
[[scenes]]
name = "dark"
layout = "grid"
fade_seconds = 0
[[scenes]]
name = "bright"
layout = "grid"
fade_seconds = 0
filters = ["{white}"]
"""

WHITE_SHADER = """/*{ "DESCRIPTION": "bench: the whole canvas white", "ISFVSN": "2" }*/
void main() { gl_FragColor = vec4(1.0); }
"""


def slope(xs, ys):
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den if den else 0.0


def viewer_threads_cpu_s(before, after):
    """CPU seconds the viewers' streaming threads (`viewer:src`: payloader, rtpbin, SRTP and
    sending for one viewer each) used between two thread_cpu() samples."""
    return sum(cpu - before.get(tid, (name, 0.0))[1]
               for tid, (name, cpu) in after.items() if name == "viewer:src")


def bench_cpu(binary, counts, window):
    from whep_player import WhepPlayer
    rows = []
    with Tessera(binary, CPU_CONFIG, duration=int(len(counts) * (window + 15) + 60)) as t:
        t.wait_healthy(16, timeout=60)
        players = []
        for n in counts:
            while len(players) < n:
                p = WhepPlayer(t.url)
                if not p.start(timeout=15):
                    raise SystemExit(f"viewer {len(players) + 1}: {p.status} {p.error}")
                players.append(p)
            time.sleep(5)
            f0 = [p.frames for p in players]
            c0, v0, w0 = cpu_s(t.proc.pid), thread_cpu(t.proc.pid), time.monotonic()
            time.sleep(window)
            c1, v1, w1 = cpu_s(t.proc.pid), thread_cpu(t.proc.pid), time.monotonic()
            fps = [(p.frames - f) / (w1 - w0) for p, f in zip(players, f0)]
            row = {"viewers": n, "cores": round((c1 - c0) / (w1 - w0), 4),
                   # Steadier than the slope over whole-process CPU: the viewers' own threads.
                   "viewer_threads_percent_core_each":
                       round(viewer_threads_cpu_s(v0, v1) / (w1 - w0) / n * 100, 3) if n else None,
                   "viewer_fps_min": round(min(fps), 1) if fps else None,
                   "viewer_fps_median": round(statistics.median(fps), 1) if fps else None,
                   "health_fps": t.json("/healthz").get("fps")}
            print(json.dumps(row), flush=True)
            rows.append(row)
        for p in players:
            p.stop()
        t.stop()
    per_viewer = slope([r["viewers"] for r in rows], [r["cores"] for r in rows])
    print(json.dumps({"cpu_per_viewer_percent_core": round(per_viewer * 100, 3)}), flush=True)
    return rows, per_viewer


def bench_latency(binary, flashes):
    import tempfile
    white = os.path.join(tempfile.mkdtemp(prefix="bench-whep-"), "white.fs")
    with open(white, "w") as f:
        f.write(WHITE_SHADER)
    with Tessera(binary, LATENCY_CONFIG.replace("{white}", white), duration=600) as t:
        t.wait_healthy(0, timeout=60)
        script = os.path.join(HERE, "whep_latency.mjs")
        env = dict(os.environ, TESSERA_URL=t.url, TESSERA_ADMIN="bench-admin",
                   TESSERA_FLASHES=str(flashes))
        r = subprocess.run(["node", script], env=env, capture_output=True, text=True,
                           timeout=180 + flashes * 8)
        sys.stderr.write(r.stderr[-3000:])
        t.stop()
    if r.returncode != 0:
        raise SystemExit(f"whep_latency.mjs failed:\n{r.stdout[-3000:]}")
    result = json.loads(r.stdout.strip().splitlines()[-1])
    print(json.dumps(result), flush=True)
    return result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    ap.add_argument("--viewers", default="0,1,4,8,16")
    ap.add_argument("--window", type=float, default=20)
    ap.add_argument("--flashes", type=int, default=20)
    ap.add_argument("--skip-cpu", action="store_true")
    ap.add_argument("--skip-latency", action="store_true")
    args = ap.parse_args()
    if not args.skip_cpu:
        bench_cpu(args.tessera, [int(n) for n in args.viewers.split(",")], args.window)
    if not args.skip_latency:
        bench_latency(args.tessera, args.flashes)


if __name__ == "__main__":
    main()
