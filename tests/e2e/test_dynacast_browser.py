"""Dynacast (issue 13, "phones send what their tile needs"): a participant joins from the real join
page in headless Chromium with its fake camera at 640x480; the scene makes its tile smaller,
larger and hides it (the admin API switches to a brush scene and back, and hides and shows feeds
of a 2x2 grid), and the test reads
what the phone sends from the page's getStats and what the server decodes from /api/v1/feeds
(tests/browser/dynacast.test.mjs does the browser side).

CMake runs this inside a loopback-only network namespace of its own.
"""
import argparse
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from tessera_harness import Tessera  # noqa: E402

SOURCE_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ADMIN = "dynacast-admin"

# A 160x120 canvas: with the 3 synthetic feeds and the phone, a 2x2 grid of 80x60 tiles; with
# the synthetic feeds hidden, the phone's tile fills it at the tile size (160x120). The brush
# scene may paint any feed at any size: the tile size.
def config(fps):
    return f"""
[installation]
name = "dynacast-e2e"
[http]
admin_token = "{ADMIN}"
[canvas]
width = 160
height = 120
fps = {fps}
[ingest]
max_feeds = 8
tile_width = 160
tile_height = 120
[ingest.synthetic]
count = 3
[ingest.whip]
ice_addresses = ["127.0.0.1"]
silence_timeout_s = 10
[analysis]
workers = 0
[output]
hls = false
[[scenes]]
name = "grid"
layout = "grid"
glide_seconds = 0
fade_seconds = 0
[[scenes]]
name = "paint"
layout = "brush"
fade_seconds = 0
strokes = 64
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    # The canvas rate (the phone is asked for it): 15 in the test, 30 to measure the default's.
    ap.add_argument("--fps", type=int, default=15)
    a = ap.parse_args()
    b = a.tessera
    with Tessera(b, config(a.fps), extra_args=["--log-level", "info"], duration=330) as t:
        t.wait_healthy(3)
        env = dict(os.environ, TESSERA_URL=t.url, TESSERA_ADMIN_TOKEN=ADMIN,
                   TESSERA_CANVAS_FPS=str(a.fps))
        r = subprocess.run(
            ["node", "--test", os.path.join(SOURCE_DIR, "tests/browser/dynacast.test.mjs")],
            env=env, capture_output=True, text=True, timeout=300)
        print(r.stdout[-8000:])
        print(r.stderr[-3000:], file=sys.stderr)
        if r.returncode != 0:
            print(t.log_text()[-6000:], file=sys.stderr)
        assert r.returncode == 0, "browser dynacast tests failed"
        counts = dict(re.findall(r"^# (pass|fail|skipped) (\d+)$", r.stdout, re.M))
        assert int(counts.get("pass", 0)) >= 1 and counts.get("fail") == "0", counts
        assert t.stop() == 0, t.log_text()
    print("ok")


if __name__ == "__main__":
    main()
