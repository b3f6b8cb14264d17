"""`tessera check` refuses exactly what `tessera run` refuses at start-up (one validation): a table
of installation files, each given to both; check's verdict (exit 0 or 2) must be run's (starts
and stops cleanly with exit 0, or refuses with 2). Before: check accepted `listen =
"localhost:8080"` (run: exit 1) and more synthetic feeds than max_feeds (run refused them one by
one), crashed on a table nested 50,000 deep, and read /dev/zero or a FIFO named as a target until
memory ran out or for ever. Every check here is bounded in time and memory."""
import argparse
import os
import resource
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from tessera_harness import free_port  # noqa: E402

BASE = """[canvas]
width = 320
height = 180
fps = 10
[analysis]
workers = 0
[output]
hls = false
"""


def limit_memory():
    # A check that reads /dev/zero must fail here, not take the machine's memory. An ASan build
    # (.ci/sanitizers) reserves terabytes of address space for its shadow, so there ASan's own
    # hard_rss_limit_mb (set in main) is the bound instead.
    if "ASAN_OPTIONS" not in os.environ:
        resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))


def cases(d):
    port = free_port()
    fifo = os.path.join(d, "fifo.png")
    os.mkfifo(fifo)
    deep = "[" + ".".join(["a"] * 50000) + "]\nx = 1\n"
    return [
        # (name, toml, accepted, (line in the snippet, key) the refusal names)
        ("minimal", f'[http]\nlisten = "127.0.0.1:{port}"\n[ingest.synthetic]\ncount = 2\n', True, None),
        ("hostile name", f'[installation]\nname = "100% sure {{}}"\n[http]\nlisten = "127.0.0.1:{port}"\n',
         True, None),
        ("listen on a host name", '[http]\nlisten = "localhost:%d"\n' % port, False,
         (2, "http.listen:")),
        ("synthetic above max_feeds",
         f'[http]\nlisten = "127.0.0.1:{port}"\n[ingest]\nmax_feeds = 4\n[ingest.synthetic]\ncount = 10\n',
         False, (6, "ingest.synthetic.count:")),
        ("target /dev/zero",
         '[[scenes]]\nname = "p"\nlayout = "photomosaic"\ntarget = "/dev/zero"\n', False,
         (4, "scenes[0].target:")),
        ("target a FIFO",
         f'[[scenes]]\nname = "p"\nlayout = "photomosaic"\ntarget = "{fifo}"\n', False,
         (4, "scenes[0].target:")),
        ("tls files missing",
         '[http]\ntls = { cert = "no-cert.pem", key = "no-key.pem" }\n', False,
         (2, "http.tls.cert:")),
        ("table nested 50,000 deep", deep, False, (1, "(syntax):")),
        ("reactions", f'[http]\nlisten = "127.0.0.1:{port}"\n[reactions]\nenabled = true\n'
         'overlay = false\nper_address_per_minute = 10\n', True, None),
        ("reactions rate 0", '[reactions]\noverlay = true\nper_address_per_minute = 0\n', False,
         (3, "reactions.per_address_per_minute:")),
        ("viewer_token", f'[http]\nlisten = "127.0.0.1:{port}"\nviewer_token = "v1-ew_~."\n', True,
         None),
        ("viewer_token with a space",
         f'[http]\nlisten = "127.0.0.1:{port}"\nviewer_token = "vie wer"\n', False,
         (3, "http.viewer_token:")),
    ]


def verdict(binary, command, path, timeout):
    args = [binary, command, path]
    if command == "run":
        args += ["--headless", "--duration", "1"]
    try:
        r = subprocess.run(args, capture_output=True, text=True, timeout=timeout,
                           preexec_fn=limit_memory)
    except subprocess.TimeoutExpired:
        return None, f"{command}: no verdict within {timeout}s"
    return r.returncode, r.stdout + r.stderr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    binary = ap.parse_args().tessera
    if "ASAN_OPTIONS" in os.environ:
        os.environ["ASAN_OPTIONS"] += ":hard_rss_limit_mb=4096"
    d = tempfile.mkdtemp(prefix="tessera-agree-")
    failures = []
    for name, toml, accepted, names in cases(d):
        path = os.path.join(d, f"case{len(os.listdir(d))}.toml")
        with open(path, "w") as f:
            f.write(BASE + toml)
        check_rc, check_out = verdict(binary, "check", path, 10)
        expected = 0 if accepted else 2
        if check_rc != expected:
            failures.append(f"{name}: check exit {check_rc}, expected {expected}\n{check_out[-600:]}")
            continue
        where = names and f"{path}:{names[0] + BASE.count(chr(10))}: {names[1]}"
        if names and where not in check_out:
            failures.append(f"{name}: check does not name {where}\n{check_out[-600:]}")
        # A refusal must also be run's, before anything starts (bounded like check).
        run_rc, run_out = verdict(binary, "run", path, 30)
        if run_rc != check_rc:
            failures.append(f"{name}: check exit {check_rc} but run exit {run_rc}\n{run_out[-600:]}")
        print(f"{name}: check {check_rc}, run {run_rc}")
    assert not failures, "\n\n".join(failures)
    print("ok")


if __name__ == "__main__":
    main()
