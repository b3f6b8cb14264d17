#!/usr/bin/env python3
"""Gallery windows' cost and their effect on the canvas clock, under Xvfb (llvmpipe).

  python3 bench/bench_windows.py --tessera BUILD/tessera [--window 20] [--warmup 6] [--repeat 2]

Each case runs one `tessera run` (1280x720 at 30 fps, 16 synthetic feeds, analysis off, HLS on)
on a 2560x720 Xvfb screen and measures over --window seconds after --warmup: canvas frames per
second (tessera_render_frames_total), HLS frames per second (what the encoder got), render ticks
missed, window presents per second, canvas frames the windows skipped (replaced by a newer one
before shown), ms per present (upload, draw, swap of every window, on the presenter thread),
render-thread work per frame, the process's CPU (cores), and the cores every other process used
meanwhile (others: other sessions' builds on a shared machine; each case first waits up to 60 s
for them to go quiet):
  0 windows          headless (--headless)
  1 window           the canvas in a 1280x720 window
  2 windows          two 1280x720 windows, each half of the canvas (corner-pinned, blended)
  2 windows, X stalls  the same while the X server is stopped (SIGSTOP) 40 ms of every 100 ms:
                     presents that block, as a swap waiting for a screen's refresh would
"""
import argparse
import os
import re
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
from gallery_x11 import Xvfb  # noqa: E402
from tessera_harness import Tessera, http_get, wait_until  # noqa: E402

BASE = """
[installation]
name = "bench-windows"
[canvas]
width = 1280
height = 720
fps = 30
[ingest.synthetic]
count = 16
[analysis]
workers = 0
[output]
hls = true
"""
ONE = """[[output.windows]]
fullscreen = false
position = [0, 0]
size = [1280, 720]
"""
TWO = """[[output.windows]]
fullscreen = false
position = [0, 0]
size = [1280, 720]
region = [0, 0, 704, 720]
corners = [[0, 0], [1280, 20], [1270, 720], [10, 700]]
blend = { right = 128 }
[[output.windows]]
fullscreen = false
position = [1280, 0]
size = [1280, 720]
region = [576, 0, 704, 720]
blend = { left = 128 }
"""


def cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def machine_busy_s():
    """Busy CPU seconds of the whole machine (/proc/stat)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return (sum(v[:8]) - v[3] - v[4]) / os.sysconf("SC_CLK_TCK")


def wait_quiet(max_s, threshold_cores=0.3):
    """Waits (at most max_s) for the rest of the machine to go idle; returns the busy cores."""
    deadline = time.monotonic() + max_s
    while True:
        b0, t0 = machine_busy_s(), time.monotonic()
        time.sleep(2)
        busy = (machine_busy_s() - b0) / (time.monotonic() - t0)
        if busy < threshold_cores or time.monotonic() >= deadline:
            return busy


def metrics(t):
    text = http_get(t.url + "/metrics")[2].decode()
    return {m.group(1): float(m.group(2))
            for m in re.finditer(r"^(tessera_\w+) ([0-9.eE+-]+)$", text, re.M)}


class Staller:
    """Stops the X server for `stop_ms` of every `period_ms` while running."""

    def __init__(self, pid, stop_ms=40, period_ms=100):
        self.pid, self.stop_ms, self.period_ms = pid, stop_ms, period_ms
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.done.is_set():
            os.kill(self.pid, signal.SIGSTOP)
            time.sleep(self.stop_ms / 1000)
            os.kill(self.pid, signal.SIGCONT)
            self.done.wait((self.period_ms - self.stop_ms) / 1000)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.done.set()
        self.thread.join(5)
        os.kill(self.pid, signal.SIGCONT)


def measure(binary, windows, stall, warmup, window):
    with Xvfb(2560, 720) as x:
        config = BASE + windows
        with Tessera(binary, config, headless=not windows,
                     duration=int(warmup + window + 240)) as t:
            t.wait_healthy(16, timeout=60)
            if windows:
                wait_until(lambda: metrics(t).get("tessera_windows", 0) > 0, 20, "windows")
            time.sleep(warmup)
            wait_quiet(60)
            staller = Staller(x.proc.pid) if stall else None
            if staller:
                staller.__enter__()
            try:
                c0, w0, m0 = cpu_s(t.proc.pid), time.monotonic(), metrics(t)
                x0, b0 = cpu_s(x.proc.pid), machine_busy_s()
                time.sleep(window)
                c1, w1, m1 = cpu_s(t.proc.pid), time.monotonic(), metrics(t)
                x1, b1 = cpu_s(x.proc.pid), machine_busy_s()
            finally:
                if staller:
                    staller.__exit__()
            t.stop()
    secs = w1 - w0

    def rate(name):
        return (m1.get(name, 0) - m0.get(name, 0)) / secs
    return {"canvas_fps": rate("tessera_render_frames_total"),
            "hls_fps": rate("tessera_hls_frames_total"),
            "late": m1.get("tessera_render_late_ticks_total", 0) -
            m0.get("tessera_render_late_ticks_total", 0),
            "presents": rate("tessera_window_presents_total"),
            "replaced": rate("tessera_window_replaced_frames_total"),
            "present_ms": m1.get("tessera_window_present_ms", 0),
            "work_ms": m1.get("tessera_render_work_ms", 0),
            "cores": (c1 - c0) / secs,
            "others": ((b1 - b0) - (c1 - c0) - (x1 - x0)) / secs}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    ap.add_argument("--window", type=float, default=20)
    ap.add_argument("--warmup", type=float, default=6)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    cases = [("0 windows", "", False), ("1 window", ONE, False), ("2 windows", TWO, False),
             ("2 windows, X stalls", TWO, True)]
    results = {}
    for run in range(args.repeat):
        for name, windows, stall in cases:
            r = measure(args.tessera, windows, stall, args.warmup, args.window)
            results.setdefault(name, []).append(r)
            print(f"run {run + 1} {name:20s} " + " ".join(f"{k} {v:.2f}" for k, v in r.items()),
                  flush=True)
    keys = ["canvas_fps", "hls_fps", "late", "presents", "replaced", "present_ms", "work_ms",
            "cores", "others"]
    print("\n| case | " + " | ".join(keys) + " |\n|---|" + "---|" * len(keys))
    for name, rs in results.items():
        print(f"| {name} | " + " | ".join(
            "/".join(f"{r[k]:.1f}" for r in rs) for k in keys) + " |")


if __name__ == "__main__":
    main()
