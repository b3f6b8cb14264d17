"""The command line as CONTRACT.md gives it: exit codes 0/1/2, messages naming file, line, key."""
import argparse
import os
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from tessera_harness import free_port  # noqa: E402

SOURCE_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def run(binary, *args, timeout=60):
    return subprocess.run([binary, *args], capture_output=True, text=True, timeout=timeout)


def write(text):
    fd, path = tempfile.mkstemp(suffix=".toml", prefix="cli-")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    return path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    b = ap.parse_args().tessera

    # Help and usage.
    r = run(b)
    assert r.returncode == 2 and "usage: tessera" in r.stdout, r
    for cmd in (["--help"], ["run", "--help"], ["check", "--help"]):
        r = run(b, *cmd)
        assert r.returncode == 0 and "usage" in r.stdout, (cmd, r)
    r = run(b, "paint")
    assert r.returncode == 2 and 'unknown command "paint"' in r.stderr, r
    r = run(b, "run", os.path.join(SOURCE_DIR, "installations/demo.toml"), "--frobnicate")
    assert r.returncode == 2 and "unknown option --frobnicate" in r.stderr, r
    r = run(b, "run", os.path.join(SOURCE_DIR, "installations/demo.toml"), "--duration", "-3")
    assert r.returncode == 2 and "--duration" in r.stderr, r

    # version names every library.
    r = run(b, "version")
    assert r.returncode == 0, r
    for name in ("tessera", "GStreamer 1.", "OpenCV 4.", "ZeroMQ 4.", "GL "):
        assert name in r.stdout, (name, r.stdout)

    # check: every shipped installation is valid (shaders compiled, params in range).
    for name in sorted(os.listdir(os.path.join(SOURCE_DIR, "installations"))):
        if name.endswith(".toml"):
            r = run(b, "check", os.path.join(SOURCE_DIR, "installations", name))
            assert r.returncode == 0 and "ok" in r.stdout, (name, r)

    # check: a shader that does not compile, a param no shader takes and one out of range, each
    # named with the installation's line and key and the shader's own line.
    shader_dir = tempfile.mkdtemp(prefix="tessera-cli-shader-")
    with open(os.path.join(shader_dir, "bad.fs"), "w") as f:
        f.write('/*{ "INPUTS": [ {"NAME": "k", "TYPE": "float", "MIN": 0, "MAX": 1} ] }*/\n'
                "void main() {\n  gl_FragColor = vec4(k) * undefinedThing;\n}\n")
    with open(os.path.join(shader_dir, "good.fs"), "w") as f:
        f.write('/*{ "INPUTS": [ {"NAME": "inputImage", "TYPE": "image"},'
                ' {"NAME": "k", "TYPE": "float", "MIN": 0, "MAX": 1} ] }*/\n'
                "void main() { gl_FragColor = IMG_THIS_PIXEL(inputImage) * k; }\n")
    inst = os.path.join(shader_dir, "inst.toml")
    with open(inst, "w") as f:
        f.write('[installation]\nname = "x"\n[[scenes]]\nname = "a"\nlayout = "shader"\n'
                'shader = "bad.fs"\n[[scenes]]\nname = "b"\nfilters = ["good.fs"]\n'
                "params = { k = 2.0, nope = 1 }\n")
    r = run(b, "check", inst)
    assert r.returncode == 2, r
    assert f"{inst}:3: scenes[0].shader: " in r.stderr and "bad.fs:3:" in r.stderr, r.stderr
    assert "undefinedThing" in r.stderr, r.stderr
    assert f"{inst}:10: scenes[1].params.k: " in r.stderr and "0..1" in r.stderr, r.stderr
    assert f"{inst}:10: scenes[1].params.nope: " in r.stderr, r.stderr


    # check and run: a bad file names file, line and key, exit 2.
    bad = write('[installation]\nname = "x"\n[canvas]\nwidht = 640\nfps = "fast"\n')
    for cmd in (["check", bad], ["run", bad, "--duration", "1"]):
        r = run(b, *cmd)
        assert r.returncode == 2, (cmd, r)
        assert f"{bad}:4: canvas.widht" in r.stderr, r.stderr
        assert f"{bad}:5: canvas.fps" in r.stderr, r.stderr
    r = run(b, "check", "/nonexistent/installation.toml")
    assert r.returncode == 2 and "/nonexistent/installation.toml" in r.stderr, r
    syntax = write('[canvas\nwidth = 1\n')
    r = run(b, "check", syntax)
    assert r.returncode == 2 and f"{syntax}:1:" in r.stderr, r.stderr

    # run: a runtime failure (the HTTP port is taken) is exit 1 with a message saying so.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        ok = write('[installation]\nname = "cli"\n[ingest.synthetic]\ncount = 1\n'
                   '[analysis]\nworkers = 0\n[output]\nhls = false\n')
        r = run(b, "run", ok, "--headless", "--duration", "5", "--http", f"127.0.0.1:{port}")
        assert r.returncode == 1, r
        assert f"cannot listen on 127.0.0.1:{port}" in r.stderr, r.stderr

    # run --duration stops by itself and exits 0.
    port = free_port()
    r = run(b, "run", ok, "--headless", "--duration", "1.5", "--http", f"127.0.0.1:{port}")
    assert r.returncode == 0, r.stderr
    assert "duration reached" in r.stderr and "stopped cleanly" in r.stderr, r.stderr
    print("ok")


if __name__ == "__main__":
    main()
