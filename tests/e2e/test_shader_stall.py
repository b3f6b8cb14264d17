"""End to end: a shader whose frames take far too long (tens of seconds on a CPU rasteriser)
must not take the server down with it. The HTTP API keeps answering, /healthz says the canvas
has stopped and why, and SIGTERM still ends the process promptly (the render thread, stuck
inside a draw that nothing can interrupt, is left behind; exit 1 says so).
"""
import argparse
import json
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from tessera_harness import Tessera, http_request, wait_until  # noqa: E402

SLOW = os.path.join(os.path.dirname(__file__), "..", "shaders", "endless_loop.fs")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="tessera-stall-")
    shader = os.path.join(work, "slow.fs")
    shutil.copy(SLOW, shader)
    config = f"""
[installation]
name = "stall-e2e"
[canvas]
width = 640
height = 360
fps = 30
[ingest.synthetic]
count = 2
[analysis]
workers = 0
[output]
hls = false
[[scenes]]
name = "slow"
layout = "shader"
shader = "{shader}"
shader_scale = 1
"""
    with Tessera(args.tessera, config) as t:
        def stalled():
            assert t.proc.poll() is None, f"tessera exited:\n{t.log_text()}"
            _, _, body = http_request(t.url + "/healthz")  # 503 before a first frame
            h = json.loads(body)
            return h if any("no canvas frame" in d for d in h.get("degraded", [])) else None
        h = wait_until(stalled, 30, "/healthz reporting the stalled canvas")
        print("healthz:", h["status"], h["degraded"])
        assert "slow" in h["degraded"][0] and "tessera shader render" in h["degraded"][0]
        # The rest of the server answers meanwhile.
        assert len(t.json("/api/v1/feeds")) == 2
        started = time.monotonic()
        code = t.stop(timeout=15)
        took = time.monotonic() - started
        print(f"SIGTERM -> exit {code} after {took:.1f} s")
        assert code == 1, f"exit {code}:\n{t.log_text()}"
        assert "exiting without it" in t.log_text()
    print("ok")


if __name__ == "__main__":
    main()
