"""Hostile installation names reach paths only as safe file names and pipelines only as properties
(docs/security.md): "%n%n%n%n" aborted the run (hlssink2 formats its location with printf), "100%
sure" crashed it, 'a" ! fakesink name=x' added an element to the HLS pipeline, "../../x" wrote
outside $TMPDIR. Each name now runs, writes a finalised HLS recording inside $TMPDIR (also when
$TMPDIR itself holds a '%'), and stops cleanly."""
import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from tessera_harness import free_port, wait_until  # noqa: E402

NAMES = ["%n%n%n%n", "100% sure", 'a" ! fakesink name=x', "../../x", "{}{0}{:>99999}", "../../.."]


def toml_string(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def run_named(binary, name, tmpdir, base):
    config = os.path.join(base, "installation.toml")
    with open(config, "w") as f:
        f.write(f"""[installation]
name = {toml_string(name)}
[canvas]
width = 320
height = 180
fps = 10
[ingest.synthetic]
count = 2
[analysis]
workers = 0
[output]
hls_segment_seconds = 1
""")
    log_path = os.path.join(base, "tessera.log")
    with open(log_path, "w") as log:
        proc = subprocess.Popen([binary, "run", config, "--headless", "--duration", "60",
                                 "--http", f"127.0.0.1:{free_port()}"],
                                stdout=log, stderr=subprocess.STDOUT,
                                env={**os.environ, "TMPDIR": tmpdir})
        try:
            def segment_written():
                assert proc.poll() is None, f"{name!r}: exited {proc.returncode}:\n{open(log_path).read()}"
                # The playlist appears once a first segment is complete; "viewer:" is logged as the
                # run starts waiting for signals.
                if "viewer:" not in open(log_path).read():
                    return False
                return any("index.m3u8" in files for _, _, files in os.walk(base))
            wait_until(segment_written, 30, f"{name!r}: a first HLS segment and playlist")
            proc.send_signal(signal.SIGTERM)
            rc = proc.wait(20)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    text = open(log_path).read()
    assert rc == 0, f"{name!r}: exit {rc}\n{text}"
    m = re.search(r"hls: writing .* to (.+)/index\.m3u8", text)
    assert m, f"{name!r}: no HLS output\n{text}"
    hls = m.group(1)
    real = os.path.realpath(hls)
    assert real.startswith(os.path.realpath(tmpdir) + os.sep), (name, hls)
    assert os.stat(os.path.dirname(real)).st_mode & 0o777 == 0o700, (name, oct(os.stat(real).st_mode))
    with open(os.path.join(hls, "index.m3u8")) as f:
        assert "#EXT-X-ENDLIST" in f.read(), f"{name!r}: playlist not finalised"
    assert f"kept the recording in {hls}" in text, f"{name!r}: the kept recording is not logged"
    # Nothing outside $TMPDIR: the base holds only the config, the log and $TMPDIR itself.
    assert sorted(os.listdir(base)) == sorted(["installation.toml", "tessera.log",
                                               os.path.basename(tmpdir)]), os.listdir(base)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    binary = ap.parse_args().tessera
    for i, name in enumerate(NAMES):
        base = tempfile.mkdtemp(prefix="tessera-names-")
        # The last run's $TMPDIR itself holds a '%' (hlssink2's location is a printf format).
        tmpdir = os.path.join(base, "t%n%s" if i == len(NAMES) - 1 else "tmp")
        os.mkdir(tmpdir)
        run_named(binary, name, tmpdir, base)
        print(f"ok: {name!r}")
    print("ok")


if __name__ == "__main__":
    main()
