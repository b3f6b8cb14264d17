#!/usr/bin/env python3
"""The operator's page with many participants: what it costs the server and the network.

tessera runs N synthetic participants (default 256) with one analysis worker; windows of W
seconds alternate without and with /admin open in headless Chromium (bench/admin_bench.mjs),
`--rounds` times. For each window it reads the CPU of the tessera process (utime+stime of the
process, its analysis workers excluded) and of its main thread alone (HTTP, the event stream and
the thumbnails run there). The page reports when it painted, when all N participants were on
screen, and what it received: events a second, event-stream bytes a second, thumbnails a second
and their bytes.

  bench/bench_admin.py --tessera build/tessera [--feeds 256] [--window 30] [--rounds 2]

Python 3 standard library and node (web/node_modules/playwright-core). Every wait is bounded;
the processes started here are stopped on exit.
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
CLK_TCK = os.sysconf("SC_CLK_TCK")
ADMIN = "bench-admin"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ticks(path):
    with open(path) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime


def cpu(pid):
    """(process, main thread) CPU seconds."""
    return ticks(f"/proc/{pid}/stat"), ticks(f"/proc/{pid}/task/{pid}/stat")


def metric(url, name):
    with urllib.request.urlopen(url + "/metrics", timeout=10) as r:
        for line in r.read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
    return 0.0


def window(pid, seconds):
    c0, t0 = cpu(pid), time.monotonic()
    time.sleep(seconds)
    c1, t1 = cpu(pid), time.monotonic()
    wall = t1 - t0
    return (c1[0] - c0[0]) / wall, (c1[1] - c0[1]) / wall


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    ap.add_argument("--feeds", type=int, default=256)
    ap.add_argument("--window", type=float, default=30)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="bench-admin-")
    config = Path(tmp) / "admin.toml"
    config.write_text(f"""
[installation]
name = "bench-admin"
[canvas]
width = 1920
height = 1080
fps = 30
[http]
admin_token = "{ADMIN}"
[ingest]
max_feeds = {args.feeds}
[ingest.synthetic]
count = {args.feeds}
[analysis]
workers = 1
rate_hz = 2
[output]
hls = false
""")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(Path(tmp) / "tessera.log", "w")
    env = dict(os.environ, TESSERA_DATA_DIR=str(HERE.parent))
    server = subprocess.Popen([args.tessera, "run", str(config), "--http", f"127.0.0.1:{port}",
                               "--headless", "--duration", "3600"], stdout=log,
                              stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, "tessera exited"
            assert time.monotonic() < deadline, "tessera not healthy within 60 s"
            try:
                with urllib.request.urlopen(url + "/healthz", timeout=5) as r:
                    h = json.loads(r.read())
                    if h["live_feeds"] == args.feeds:
                        break
            except OSError:
                pass
            time.sleep(0.5)
        time.sleep(5)  # settle
        rows = []
        for rnd in range(args.rounds):
            off = window(server.pid, args.window)
            page = subprocess.Popen(["node", str(HERE / "admin_bench.mjs")], stdout=subprocess.PIPE,
                                    text=True, env=dict(env, TESSERA_URL=url, TESSERA_ADMIN=ADMIN,
                                                        FEEDS=str(args.feeds),
                                                        WINDOW_S=str(args.window)))
            ready = json.loads(page.stdout.readline())
            bytes0 = metric(url, "tessera_http_admin_event_bytes_total")
            encodes0 = metric(url, "tessera_http_thumbnail_encodes_total")
            on = window(server.pid, args.window)
            bytes1 = metric(url, "tessera_http_admin_event_bytes_total")
            encodes1 = metric(url, "tessera_http_thumbnail_encodes_total")
            done = json.loads(page.stdout.readline())
            page.wait(timeout=60)
            rows.append((off, on, ready, done, (bytes1 - bytes0) / args.window,
                         (encodes1 - encodes0) / args.window))
            print(f"round {rnd + 1}: without page {off[0]:.3f} cores (main thread {off[1]:.3f}), "
                  f"with page {on[0]:.3f} (main thread {on[1]:.3f}); "
                  f"page: first contentful paint {ready['fcp_ms']:.0f} ms, first state "
                  f"{ready['first_state_ms']:.0f} ms, all {args.feeds} cards {ready['all_cards_ms']} ms; "
                  f"{done['events_per_s']:.2f} events/s, {done['event_bytes_per_s'] / 1024:.1f} KiB/s "
                  f"events (server counted {(bytes1 - bytes0) / args.window / 1024:.1f}), "
                  f"{done['thumbs_per_s']:.1f} thumbnails/s = "
                  f"{done['thumb_bytes_per_s'] / 1024:.1f} KiB/s, "
                  f"{(encodes1 - encodes0) / args.window:.1f} encodes/s", flush=True)
        main_delta = [r[1][1] - r[0][1] for r in rows]
        proc_delta = [r[1][0] - r[0][0] for r in rows]
        print(f"page's cost: main thread +{min(main_delta) * 100:.1f}..{max(main_delta) * 100:.1f} % "
              f"of a core, process {min(proc_delta) * 100:+.1f}..{max(proc_delta) * 100:+.1f} %")
    finally:
        server.terminate()
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


if __name__ == "__main__":
    sys.exit(main())
