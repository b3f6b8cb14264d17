"""Phones join from the real join page: headless Chromium with a fake camera publishes over
WebRTC/WHIP to a real `tessera run` (tests/browser/join.test.mjs does the browser side), over
HTTPS with the self-signed certificate of tls = "auto", as phones do.

CMake runs this inside a loopback-only network namespace of its own, so media never leaves the
machine and the test may take `lo` down to drop the network.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from tessera_harness import Tessera  # noqa: E402

SOURCE_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
LEFT, RIGHT = (230, 40, 40), (40, 60, 230)
TOKEN = "join-e2e-token"


def yuv(rgb):
    r, g, b = (c / 255 for c in rgb)
    return (round(16 + 65.481 * r + 128.553 * g + 24.966 * b),
            round(128 - 37.797 * r - 74.203 * g + 112.0 * b),
            round(128 + 112.0 * r - 93.786 * g - 18.214 * b))


def write_y4m(path, width=320, height=240, frames=30, fps=15):
    """A still picture: the left half LEFT, the right half RIGHT."""
    (yl, ul, vl), (yr, ur, vr) = yuv(LEFT), yuv(RIGHT)
    y_row = bytes([yl] * (width // 2) + [yr] * (width // 2))
    u_row = bytes([ul] * (width // 4) + [ur] * (width // 4))
    v_row = bytes([vl] * (width // 4) + [vr] * (width // 4))
    frame = b"FRAME\n" + y_row * height + u_row * (height // 2) + v_row * (height // 2)
    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        f.write(frame * frames)


CONFIG = f"""
[installation]
name = "join-e2e"
[http]
tls = "auto"
[canvas]
width = 640
height = 360
fps = 15
[ingest]
max_feeds = 16
[ingest.synthetic]
count = 1
[ingest.whip]
token = "{TOKEN}"
ice_addresses = ["127.0.0.1"]
silence_timeout_s = 4
posts_per_minute = 120
[analysis]
workers = 0
[output]
hls = false
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    b = ap.parse_args().tessera
    y4m = os.path.join(tempfile.mkdtemp(prefix="join-e2e-"), "known.y4m")
    write_y4m(y4m)
    with Tessera(b, CONFIG, extra_args=["--log-level", "info"]) as t:
        t.wait_healthy(1)
        assert t.url.startswith("https://"), t.url
        env = dict(os.environ, TESSERA_URL=t.url, NODE_TLS_REJECT_UNAUTHORIZED="0",
                   TESSERA_TOKEN=TOKEN, TESSERA_Y4M=y4m,
                   TESSERA_LEFT=",".join(map(str, LEFT)), TESSERA_RIGHT=",".join(map(str, RIGHT)))
        r = subprocess.run(["node", "--test", os.path.join(SOURCE_DIR, "tests/browser/join.test.mjs")],
                           env=env, capture_output=True, text=True, timeout=400)
        print(r.stdout[-6000:])
        print(r.stderr[-3000:], file=sys.stderr)
        if r.returncode != 0:
            print(t.log_text()[-6000:], file=sys.stderr)
        assert r.returncode == 0, "browser join tests failed"
        counts = dict(re.findall(r"^# (pass|fail|skipped) (\d+)$", r.stdout, re.M))
        expected_skips = "0" if os.environ.get("TESSERA_NETNS") == "1" else "1"
        assert int(counts.get("pass", 0)) >= 3 and counts.get("skipped") == expected_skips, counts
        assert t.stop() == 0, t.log_text()
    print("ok")


if __name__ == "__main__":
    main()
