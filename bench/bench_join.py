#!/usr/bin/env python3
"""Join benchmark (issue 3): run as root, it makes its own loopback-only network namespace.

  python3 bench/bench_join.py --tessera build/tessera [--joins 20] [--hold 8,16,24]

Figures: POST -> first decoded frame and POST -> tile on canvas (p50/p95 over --joins joins);
tessera's CPU per participant at 320x240@15 and 640x480@30 (the browser's own CPU is not
counted); how many browser participants this machine holds live (Chromium runs here too, so
this bounds the server and the fake phones together)."""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
from tessera_harness import Tessera, wait_until  # noqa: E402
import test_join_browser as joinlib  # noqa: E402  (y4m writer)


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(values, p):
    values = sorted(values)
    k = (len(values) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def wait_ok(t):
    wait_until(lambda: t.json("/healthz")["status"] == "ok", 20, "the server to render")


def config(fps):
    return f"""
[installation]
name = "join-bench"
[canvas]
width = 1280
height = 720
fps = {fps}
[ingest]
max_feeds = 64
[ingest.whip]
token = "bench"
ice_addresses = ["127.0.0.1"]
posts_per_minute = 1000
[analysis]
workers = 0
[output]
hls = false
"""


def node(t, y4m, *args, on_ready=None, timeout=600):
    env = dict(os.environ, TESSERA_URL=t.url, TESSERA_TOKEN="bench", TESSERA_Y4M=y4m)
    proc = subprocess.Popen(["node", os.path.join(HERE, "join_bench.mjs"), *map(str, args)],
                            env=env, stdout=subprocess.PIPE, text=True)
    out = []
    deadline = time.monotonic() + timeout
    for line in proc.stdout:
        out.append(line)
        if '"event":"ready"' in line and on_ready:
            on_ready()
        if time.monotonic() > deadline:
            proc.kill()
            break
    proc.wait()
    return [json.loads(l) for l in out if l.startswith("{")]


def main():
    if "--in-netns" not in sys.argv:
        os.execvp("unshare", ["unshare", "-n", "--", "sh", "-c",
                              "ip link set lo up && exec python3 " + " ".join(
                                  [os.path.abspath(__file__), *sys.argv[1:], "--in-netns"])])
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    ap.add_argument("--joins", type=int, default=20)
    ap.add_argument("--hold", default="4,8,16,24")
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--in-netns", action="store_true")
    a = ap.parse_args()
    os.environ.setdefault("TESSERA_DATA_DIR", os.path.abspath(os.path.join(HERE, "..")))
    tmp = f"/tmp/join-bench-{os.getpid()}"
    os.makedirs(tmp, exist_ok=True)
    small, large = f"{tmp}/320x240.y4m", f"{tmp}/640x480.y4m"
    joinlib.write_y4m(small, 320, 240, 30, 15)
    joinlib.write_y4m(large, 640, 480, 60, 30)

    # 1. Join latency.
    with Tessera(a.tessera, config(30)) as t:
        wait_ok(t)
        results = node(t, small, "latency", a.joins)[0]["results"]
        first = [r["firstFrameMs"] for r in results]
        canvas = [r["onCanvasMs"] for r in results]
        print(f"join latency over {len(results)} joins:")
        print(f"  POST -> first decoded frame  p50 {pct(first, .5):6.0f} ms  p95 {pct(first, .95):6.0f} ms  max {max(first)} ms")
        print(f"  POST -> tile on canvas       p50 {pct(canvas, .5):6.0f} ms  p95 {pct(canvas, .95):6.0f} ms  max {max(canvas)} ms")
        t.stop()

    # 2. CPU per participant and how many this machine holds.
    # dynacast=0: the phones send these sizes (with dynacast they would send the tile's).
    for y4m, label, query in ((small, "320x240@15", "&w=320&h=240&fps=15&dynacast=0"),
                              (large, "640x480@30", "&w=640&h=480&fps=30&dynacast=0")):
        with Tessera(a.tessera, config(30)) as t:
            wait_ok(t)
            pid = t.proc.pid
            c0 = cpu_seconds(pid); time.sleep(a.seconds); idle = (cpu_seconds(pid) - c0) / a.seconds
            print(f"{label}: idle server {idle:.3f} cores")
            for n in [int(x) for x in a.hold.split(",")]:
                box = {}
                def measure():
                    box["c0"], box["t0"] = cpu_seconds(pid), time.monotonic()
                events = node(t, y4m, "hold", n, a.seconds, query, on_ready=measure)
                done = [e for e in events if e.get("event") == "done"]
                if "c0" not in box or not done:
                    print(f"  {n:3d} participants: did not complete"); break
                cores = (cpu_seconds(pid) - box["c0"]) / (time.monotonic() - box["t0"])
                live = done[0]["live"]
                fps_med = statistics.median(done[0]["fps"]) if done[0]["fps"] else 0
                print(f"  {n:3d} participants: {live:3d} live, server {cores:.3f} cores, "
                      f"{(cores - idle) / max(live, 1) * 1000:.1f} mcores each, "
                      f"median feed {fps_med:.1f} fps")
                if live < n:
                    break
            t.stop()


if __name__ == "__main__":
    main()
