"""README.md's commands work against `make run` as written: the demo is started the way the
Makefile's `run` target starts it (installations/demo.toml, its own listen address 0.0.0.0:8080),
the page README says to open answers, the canvas shows the QR code of the join URL printed at
start-up, and every `curl ... /api/v1/scene` command in README is run through the shell word for
word and switches the scene it names.

CMake runs this in a network namespace of its own (unshare -n, TESSERA_NETNS=1), so port 8080
is free and listening on 0.0.0.0 exposes nothing outside it.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from tessera_harness import http_get, wait_until  # noqa: E402

SOURCE_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def make_run_command():
    """`make run`'s command line, read from the Makefile (so this test follows it)."""
    text = open(os.path.join(SOURCE_DIR, "Makefile")).read()
    installation = re.search(r"^INSTALLATION \?= (\S+)$", text, re.M).group(1)
    recipe = re.search(r"^run: build\n\t(.+)$", text, re.M).group(1)
    assert recipe == "./$(BUILD_DIR)/tessera run $(INSTALLATION) $(RUN_ARGS)", recipe
    return installation


def readme_commands(readme):
    """The README's code (fenced blocks' lines and inline spans) that starts with `curl` and
    switches the scene, joined into one line each."""
    code = []
    for block in re.findall(r"^```sh\n(.*?)^```", readme, re.M | re.S):
        code += block.replace("\\\n", " ").splitlines()
    prose = re.sub(r"^```.*?^```", "", readme, flags=re.M | re.S)
    code += [" ".join(span.split()) for span in re.findall(r"`([^`]+)`", prose)]
    return [c.split("  #")[0].strip() for c in code
            if c.startswith("curl ") and "/api/v1/scene" in c]


def decode_qr(png_bytes):
    path = os.path.join(tempfile.mkdtemp(prefix="readme-qr-"), "canvas.png")
    with open(path, "wb") as f:
        f.write(png_bytes)
    r = subprocess.run(["zbarimg", "--quiet", "--raw", path], capture_output=True, text=True,
                       timeout=30)
    return r.stdout.strip() if r.returncode == 0 else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    b = ap.parse_args().tessera
    assert os.environ.get("TESSERA_NETNS") == "1", \
        "run through ctest: the demo listens on 0.0.0.0:8080 inside a network namespace"
    installation = make_run_command()
    readme = open(os.path.join(SOURCE_DIR, "README.md")).read()
    commands = readme_commands(readme)
    assert len(commands) >= 2, commands
    opened = re.search(r"make run .*open (https?://\S+)", readme).group(1)

    d = tempfile.mkdtemp(prefix="readme-e2e-")
    log_path = os.path.join(d, "tessera.log")
    env = dict(os.environ, XDG_DATA_HOME=os.path.join(d, "data"))
    with open(log_path, "w") as log:
        proc = subprocess.Popen([b, "run", installation, "--duration", "120"], cwd=SOURCE_DIR,
                                env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        def healthz():
            assert proc.poll() is None, open(log_path).read()
            return json.loads(http_get(opened.rstrip("/") + "/healthz")[2])
        wait_until(lambda: healthz()["status"] == "ok", 90, f"{opened}healthz ok")
        status, _, page = http_get(opened)
        assert status == 200 and b'id="canvas"' in page, status
        join = re.search(r"server: join: (https://\S+)", open(log_path).read()).group(1)
        wait_until(lambda: decode_qr(http_get(opened + "api/v1/canvas.png")[2]) == join, 15,
                   f"the canvas's QR code to read {join}")
        scenes = []
        for command in commands:
            want = json.loads(re.search(r"-d '([^']+)'", command).group(1))["name"]
            r = subprocess.run(["sh", "-c", command], capture_output=True, text=True, timeout=30)
            assert r.returncode == 0, (command, r.stderr)
            assert json.loads(r.stdout) == {"scene": want}, (command, r.stdout)
            assert healthz()["scene"] == want, command
            scenes.append(want)
        print(f"{len(commands)} README commands switched to {scenes}")
        proc.terminate()
        proc.wait(20)
        assert proc.returncode == 0, open(log_path).read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    print("ok")


if __name__ == "__main__":
    main()
