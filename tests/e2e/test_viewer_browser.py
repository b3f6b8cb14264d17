"""The viewer page plays the real server's HLS in headless Chromium (hls.js from web/).

Runs tests/browser/viewer.test.mjs (node's test runner + playwright-core driving Debian's
chromium) against a real `tessera run`. CMake starts this inside a loopback-only network
namespace, so nothing can leave the machine.
"""
import argparse
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from tessera_harness import Tessera  # noqa: E402

SOURCE_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

CONFIG = """
[installation]
name = "viewer-e2e"
[canvas]
width = 1280
height = 720
fps = 30
[ingest.synthetic]
count = 9
[analysis]
workers = 0
[output]
hls = true
hls_segment_seconds = 1
replay_hours = 0.05
replay_dir = "{replay_dir}"
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    b = ap.parse_args().tessera
    import tempfile
    replay_dir = os.path.join(tempfile.mkdtemp(prefix="tessera-viewer-"), "replay")
    with Tessera(b, CONFIG.replace("{replay_dir}", replay_dir)) as t:
        t.wait_healthy(9)
        env = dict(os.environ, TESSERA_URL=t.url, TESSERA_CANVAS="1280x720")
        r = subprocess.run(["node", "--test", os.path.join(SOURCE_DIR, "tests/browser/viewer.test.mjs")],
                           env=env, capture_output=True, text=True, timeout=240)
        print(r.stdout[-4000:])
        print(r.stderr[-2000:], file=sys.stderr)
        assert r.returncode == 0, "browser tests failed"
        # Every browser check must have run: none skipped (Debian's chromium decodes H.264).
        counts = dict(re.findall(r"^# (pass|fail|skipped) (\d+)$", r.stdout, re.M))
        assert int(counts.get("pass", 0)) >= 10 and counts.get("skipped") == "0", counts
        assert t.stop() == 0, t.log_text()
    check_private(b)
    print("ok")


VIEWER_TEST = "tests/browser/viewer.test.mjs"

# The private channel: a smaller canvas, only the private test (under a minute).
PRIVATE_TOKEN = "browser-v1ewer"
PRIVATE_CONFIG = f"""
[installation]
name = "viewer-private"
[canvas]
width = 640
height = 360
fps = 15
[http]
viewer_token = "{PRIVATE_TOKEN}"
[ingest.synthetic]
count = 2
[analysis]
workers = 0
[output]
hls = true
hls_segment_seconds = 1
"""


def check_private(b):
    with Tessera(b, PRIVATE_CONFIG) as t:
        t.wait_healthy(2)
        env = dict(os.environ, TESSERA_URL=t.url, TESSERA_VIEWER_TOKEN=PRIVATE_TOKEN)
        r = subprocess.run(["node", "--test", os.path.join(SOURCE_DIR, VIEWER_TEST)],
                           env=env, capture_output=True, text=True, timeout=120)
        print(r.stdout[-4000:])
        print(r.stderr[-2000:], file=sys.stderr)
        assert r.returncode == 0, "private channel browser tests failed"
        counts = dict(re.findall(r"^# (pass|fail|skipped) (\d+)$", r.stdout, re.M))
        assert int(counts.get("pass", 0)) >= 2, counts
        assert t.stop() == 0, t.log_text()


if __name__ == "__main__":
    main()
