"""ISF input values are checked against the shader's own declaration (finite, in range, right
arity), by `tessera check` and by the running server's /api/v1/params alike, with a message
naming the installation file, line and key, the shader file, the input and its range. Before:
`segments = 1e20` was reported as "0 is not one of its VALUES" and `edgeTint = [2, 2, 2, 2]` was
accepted although a colour's components are 0..1."""
import argparse
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from tessera_harness import Tessera, http_request, wait_until  # noqa: E402

SOURCE_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SHADER = os.path.join(SOURCE_DIR, "shaders", "kaleidoscope.fs")
TOKEN = "values-admin"


def installation(params):
    return f"""[http]
admin_token = "{TOKEN}"
[canvas]
width = 160
height = 90
fps = 5
[analysis]
workers = 0
[output]
hls = false
[[scenes]]
name = "k"
layout = "grid"
filters = ["{SHADER}"]
params = {params}
"""


CASES = [
    # (params, accepted, what the message must name)
    ("{ segments = 8, edgeTint = [1, 0.5, 0, 0.25] }", True, None),
    ("{ segments = 1e20 }", False, 'input "segments" (long): 1e+20 is not one of its VALUES [2, 3, 4, 6, 8, 12]'),
    ("{ edgeTint = [2, 2, 2, 2] }", False, 'input "edgeTint" (color): r = 2 is outside its range 0..1'),
    ("{ edgeTint = [0.5, 0.5] }", False, 'input "edgeTint" (color) takes 4 number(s), got 2'),
    ("{ zoom = 1e39 }", False, 'input "zoom" (float): 1e+39 is not a finite number in float range'),
    ("{ center = [0.5, -3] }", False, 'input "center" (point2D): y = -3 is outside its range 0..1'),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    binary = ap.parse_args().tessera
    d = tempfile.mkdtemp(prefix="tessera-values-")
    failures = []
    for i, (params, accepted, message) in enumerate(CASES):
        path = os.path.join(d, f"case{i}.toml")
        with open(path, "w") as f:
            f.write(installation(params))
        r = subprocess.run([binary, "check", path], capture_output=True, text=True, timeout=60)
        if r.returncode != (0 if accepted else 2):
            failures.append(f"{params}: check exit {r.returncode}\n{r.stderr}")
        elif message and f"{path}:15: scenes[0].params." not in r.stderr:
            failures.append(f"{params}: no file, line and key in\n{r.stderr}")
        elif message and f"{SHADER}: {message}" not in r.stderr:
            failures.append(f"{params}: expected ...{SHADER}: {message}\n got {r.stderr}")

    # The running server applies the same rule to live changes.
    with Tessera(binary, installation("{ segments = 8 }")) as t:
        wait_until(lambda: t.json("/healthz").get("status") == "ok", 30, "the canvas")
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"}
        for values, ok in (({"edgeTint": [2, 2, 2, 2]}, False), ({"segments": 1e20}, False),
                           ({"edgeTint": [1, 1, 1, 1]}, True)):
            status, _, body = http_request(t.url + "/api/v1/params", "PATCH",
                                           json.dumps({"values": values}).encode(), headers)
            if (status == 200) != ok or (not ok and status != 422):
                failures.append(f"PATCH {values}: HTTP {status} {body[:300]!r}")
        assert t.stop() == 0
    assert not failures, "\n\n".join(failures)
    print("ok")


if __name__ == "__main__":
    main()
