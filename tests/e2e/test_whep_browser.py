"""Low-latency viewers over WebRTC (WHEP) in headless Chromium against a real `tessera run`.

Runs tests/browser/whep.test.mjs (node's test runner + playwright-core driving Debian's
chromium). The canvas is a still 4x2 grid of colours (data/color_cells.fs as the scene's
filter), so the picture Chromium shows can be compared with canvas.png. CMake starts this inside
a loopback-only network namespace: no media leaves the machine.
"""
import argparse
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from tessera_harness import Tessera  # noqa: E402

SOURCE_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CELLS = os.path.join(SOURCE_DIR, "tests", "e2e", "data", "color_cells.fs")

CONFIG = f"""
[installation]
name = "whep-e2e"
[canvas]
width = 640
height = 360
fps = 30
[ingest.synthetic]
count = 2
[ingest.whip]
ice_addresses = ["127.0.0.1"]
[analysis]
workers = 0
[[scenes]]
name = "cells"
layout = "grid"
filters = ["{CELLS}"]
[output]
hls = true
hls_segment_seconds = 1
bitrate_kbps = 1500
whep = true
max_viewers = 2
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    b = ap.parse_args().tessera
    with Tessera(b, CONFIG, extra_args=["--log-level", "info"]) as t:
        t.wait_healthy(2)
        env = dict(os.environ, TESSERA_URL=t.url, TESSERA_CANVAS="640x360", TESSERA_MAX_VIEWERS="2")
        r = subprocess.run(["node", "--test", os.path.join(SOURCE_DIR, "tests/browser/whep.test.mjs")],
                           env=env, capture_output=True, text=True, timeout=400)
        print(r.stdout[-6000:])
        print(r.stderr[-3000:], file=sys.stderr)
        if r.returncode != 0:
            print(t.log_text()[-6000:], file=sys.stderr)
        assert r.returncode == 0, "WHEP browser tests failed"
        counts = dict(re.findall(r"^# (pass|fail|skipped) (\d+)$", r.stdout, re.M))
        assert int(counts.get("pass", 0)) == 5 and counts.get("skipped") == "0", counts
        assert t.stop() == 0, t.log_text()
        log = t.log_text()
        assert re.search(r"whep: viewer \w+: connected in \d+ ms", log), log[-3000:]
    print("ok")


if __name__ == "__main__":
    main()
