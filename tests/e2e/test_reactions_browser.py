"""The viewer page's reaction buttons in headless Chromium against a real `tessera run`
(tests/browser/reactions.test.mjs): taps are counted, and beyond [reactions]
per_address_per_minute the page rests the buttons with a note. Started by CMake inside a
loopback-only network namespace."""
import argparse
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from tessera_harness import Tessera, wait_until  # noqa: E402

SOURCE_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

CONFIG = """
[canvas]
width = 320
height = 180
fps = 10
[analysis]
workers = 0
[output]
hls = false
[reactions]
per_address_per_minute = 3
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    b = ap.parse_args().tessera
    with Tessera(b, CONFIG) as t:
        wait_until(lambda: t.json("/healthz").get("status") == "ok", 30, "the canvas")
        env = dict(os.environ, TESSERA_URL=t.url)
        r = subprocess.run(["node", "--test",
                            os.path.join(SOURCE_DIR, "tests/browser/reactions.test.mjs")],
                           env=env, capture_output=True, text=True, timeout=150)
        print(r.stdout[-4000:])
        print(r.stderr[-2000:], file=sys.stderr)
        assert r.returncode == 0, "browser tests failed"
        counts = dict(re.findall(r"^# (pass|fail|skipped) (\d+)$", r.stdout, re.M))
        assert counts.get("pass") == "3" and counts.get("skipped") == "0", counts
        assert t.stop() == 0, t.log_text()
    print("ok")


if __name__ == "__main__":
    main()
