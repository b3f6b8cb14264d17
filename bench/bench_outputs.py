#!/usr/bin/env python3
"""Output-stage cost: CPU of one output against four, and of each extra rendition.

  python3 bench/bench_outputs.py --tessera BUILD/tessera [--window 30] [--warmup 8] [--repeat 2]

Each case runs one `tessera run` (1280x720 at 30 fps, 16 synthetic feeds, analysis off, 4000
kbit/s) and measures, over --window seconds after --warmup, the process's CPU (utime + stime,
children included) per second of canvas output (CPU s / (HLS frames / 30)), and the frames the
encoder or an output dropped:
  hls          HLS only (one encoder, one output)
  four         HLS + RTMP into nginx-rtmp + an SRT caller into srt-live-transmit + the replay
  renditions   HLS at [720, 360] (two encoders)
  renditions3  HLS at [720, 360, 180] (three encoders)
The receivers (nginx, srt-live-transmit) are separate processes, not counted. Loopback only.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
from tessera_harness import Tessera, free_port, http_get  # noqa: E402
from test_push_outputs import Nginx, srt_receiver  # noqa: E402

BASE = """
[installation]
name = "bench-outputs"
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
bitrate_kbps = 4000
"""


def cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def metric(text, name):
    m = re.search(rf"^{name} ([0-9.eE+-]+)$", text, re.M)
    return float(m.group(1)) if m else 0.0


def measure(binary, config, warmup, window):
    with Tessera(binary, config, duration=int(warmup + window + 60)) as t:
        t.wait_healthy(16, timeout=60)
        time.sleep(warmup)
        c0, w0 = cpu_s(t.proc.pid), time.monotonic()
        m0 = http_get(t.url + "/metrics")[2].decode()
        time.sleep(window)
        c1, w1 = cpu_s(t.proc.pid), time.monotonic()
        m1 = http_get(t.url + "/metrics")[2].decode()
        outputs = t.json("/api/v1/outputs")
        t.stop()
    frames = metric(m1, "tessera_hls_frames_total") - metric(m0, "tessera_hls_frames_total")
    dropped = metric(m1, "tessera_hls_dropped_frames_total") - metric(m0, "tessera_hls_dropped_frames_total")
    out_s = frames / 30
    return {"cores": (c1 - c0) / (w1 - w0), "cpu_per_out_s": (c1 - c0) / out_s if out_s else 0,
            "fps": frames / (w1 - w0), "encoder_dropped": dropped,
            "outputs": [(o["kind"], o["state"], o["dropped_frames"]) for o in outputs]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    ap.add_argument("--window", type=float, default=30)
    ap.add_argument("--warmup", type=float, default=8)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="tessera-bench-outputs-")
    rtmp_port, srt_port = free_port(), free_port()
    nginx = Nginx(work, rtmp_port)
    nginx.start()
    receiver = srt_receiver(f"srt://:{srt_port}", os.path.join(work, "srt.ts"))
    cases = {
        "hls": BASE,
        "four": BASE + f"""replay_hours = 1
replay_dir = "{work}/replay"
[[output.push]]
uri = "rtmp://127.0.0.1:{rtmp_port}/live/bench"
[[output.push]]
uri = "srt://127.0.0.1:{srt_port}"
""",
        "renditions": BASE + "renditions = [720, 360]\n",
        "renditions3": BASE + "renditions = [720, 360, 180]\n",
    }
    results = {}
    try:
        for run in range(args.repeat):
            for name, config in cases.items():
                r = measure(args.tessera, config, args.warmup, args.window)
                results.setdefault(name, []).append(r)
                print(f"run {run + 1} {name:12s} cores {r['cores']:.2f} cpu/out-s "
                      f"{r['cpu_per_out_s']:.2f} fps {r['fps']:.1f} encoder dropped "
                      f"{r['encoder_dropped']:.0f} outputs {r['outputs']}", flush=True)
    finally:
        nginx.kill()
        receiver.terminate()
    print("\n| case | cpu/out-s (runs) | vs hls |\n|---|---|---|")
    base = sum(r["cpu_per_out_s"] for r in results["hls"]) / len(results["hls"])
    for name, rs in results.items():
        mean = sum(r["cpu_per_out_s"] for r in rs) / len(rs)
        runs = ", ".join(f"{r['cpu_per_out_s']:.2f}" for r in rs)
        print(f"| {name} | {runs} | {mean / base:.2f}x |")


if __name__ == "__main__":
    main()
