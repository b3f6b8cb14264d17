"""The operator's page with real phones: headless Chromium runs the join page (fake cameras)
and /admin against a real `tessera run` with [ingest.whip] approval = true
(tests/browser/admin.test.mjs does the browser side: approve, hide, kick, ban, scene, slider).

CMake runs this inside a loopback-only network namespace of its own.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from tessera_harness import Tessera  # noqa: E402
from test_join_browser import write_y4m  # noqa: E402

SOURCE_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ADMIN = "operator-e2e-token"

# All phones come from 127.0.0.1 here: bans go by participant id alone.
CONFIG = f"""
[installation]
name = "admin-e2e"
[canvas]
width = 640
height = 360
fps = 15
[http]
admin_token = "{ADMIN}"
[ingest]
max_feeds = 8
[ingest.synthetic]
count = 0
[ingest.whip]
ice_addresses = ["127.0.0.1"]
silence_timeout_s = 6
approval = true
ban_by_address = false
[analysis]
workers = 0
[output]
hls = false
[[scenes]]
name = "grid"
layout = "grid"
[[scenes]]
name = "glass"
layout = "shader"
shader = "{SOURCE_DIR}/shaders/stained_glass.fs"
params = {{ cells = 4.0, drift = 0.0 }}
fade_seconds = 0.5
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    b = ap.parse_args().tessera
    y4m = os.path.join(tempfile.mkdtemp(prefix="admin-e2e-"), "known.y4m")
    write_y4m(y4m)
    with Tessera(b, CONFIG, extra_args=["--log-level", "info"]) as t:
        t.wait_healthy(0)
        env = dict(os.environ, TESSERA_URL=t.url, TESSERA_ADMIN=ADMIN, TESSERA_Y4M=y4m,
                   TESSERA_SHADER_SCENE="glass")
        r = subprocess.run(["node", "--test", os.path.join(SOURCE_DIR, "tests/browser/admin.test.mjs")],
                           env=env, capture_output=True, text=True, timeout=400)
        print(r.stdout[-8000:])
        print(r.stderr[-3000:], file=sys.stderr)
        if r.returncode != 0:
            print(t.log_text()[-6000:], file=sys.stderr)
        assert r.returncode == 0, "browser admin tests failed"
        counts = dict(re.findall(r"^# (pass|fail|skipped) (\d+)$", r.stdout, re.M))
        assert int(counts.get("pass", 0)) == 7 and counts.get("skipped") == "0", counts
        log = t.log_text()
        assert "moderation: feed" in log and "ban by http 127.0.0.1" in log, log[-3000:]
        assert t.stop() == 0, t.log_text()
    print("ok")


if __name__ == "__main__":
    main()
