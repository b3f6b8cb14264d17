#!/usr/bin/env python3
"""Artists' shaders in a running installation: CPU, canvas fps and render-thread milliseconds
per scene of installations/shaders.toml (or another file), each scene measured for --seconds
after --settle seconds. Not a test: prints a table for docs/performance.md.

    bench/bench_shader_scenes.py --tessera build/tessera [--installation F] [--feeds N]
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "e2e"))
from tessera_harness import (free_port, http_get, http_request, https_configured,  # noqa: E402
                             wait_until)

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """User + system CPU of the process and its children so far (tessera and its workers)."""
    total = 0.0
    for p in [pid] + children(pid):
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / TICKS
        except FileNotFoundError:
            pass
    return total


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except FileNotFoundError:
        return []


def metric(text, name):
    m = re.search(rf"^{name} ([0-9.e+-]+)$", text, re.M)
    return float(m.group(1)) if m else float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    ap.add_argument("--installation",
                    default=os.path.join(os.path.dirname(__file__), "..", "installations",
                                         "shaders.toml"))
    ap.add_argument("--feeds", type=int, default=None, help="synthetic participants")
    ap.add_argument("--settle", type=float, default=3)
    ap.add_argument("--seconds", type=float, default=8)
    args = ap.parse_args()
    text = open(args.installation).read()
    base = os.path.dirname(os.path.abspath(args.installation))
    # Paths in the file are relative to it: write the copy next to it.
    if args.feeds is not None:
        text = re.sub(r"^count = \d+", f"count = {args.feeds}", text, flags=re.M)
    token = re.search(r'admin_token = "([^"]+)"', text).group(1)
    scenes = re.findall(r'^\[\[scenes\]\]\nname = "([^"]+)"', text, flags=re.M)
    fd, path = tempfile.mkstemp(suffix=".toml", dir=base, prefix=".bench-")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    port = free_port()
    url = f"{'https' if https_configured(text) else 'http'}://127.0.0.1:{port}"
    log = open(os.path.join(tempfile.gettempdir(), "bench_shader_scenes.log"), "w")
    proc = subprocess.Popen([args.tessera, "run", path, "--http", f"127.0.0.1:{port}",
                             "--headless", "--duration", "600"], stdout=log, stderr=log)
    try:
        wait_until(lambda: json.loads(http_get(url + "/healthz")[2])["status"] in ("ok", "degraded"),
                   60, "tessera healthy")
        print(f"{args.installation}: {len(scenes)} scenes; each {args.settle:.0f} s settle + "
              f"{args.seconds:.0f} s measured")
        print(f"{'scene':<16} {'cores':>6} {'fps':>6} {'work ms':>8} {'draw ms':>8} "
              f"{'shader ms':>9} {'scale':>6}")
        for scene in scenes:
            status, _, _ = http_request(url + "/api/v1/scene", "POST",
                                        json.dumps({"name": scene}).encode(),
                                        {"Authorization": f"Bearer {token}"})
            assert status == 200, status
            time.sleep(args.settle)
            c0, t0 = cpu_seconds(proc.pid), time.monotonic()
            samples = []
            while time.monotonic() - t0 < args.seconds:
                time.sleep(1)
                samples.append(http_get(url + "/metrics")[2].decode())
            cores = (cpu_seconds(proc.pid) - c0) / (time.monotonic() - t0)

            def avg(name):
                return sum(metric(s, name) for s in samples) / len(samples)
            print(f"{scene:<16} {cores:6.2f} {avg('tessera_render_fps'):6.1f} "
                  f"{avg('tessera_render_work_ms'):8.1f} {avg('tessera_render_draw_ms'):8.1f} "
                  f"{avg('tessera_render_shader_ms'):9.1f} {avg('tessera_render_shader_scale'):6.2f}")
    finally:
        proc.terminate()
        proc.wait(30)
        os.unlink(path)


if __name__ == "__main__":
    main()
