"""The run's state directory is private and cleaned up without following links (docs/security.md).

Before: the HLS directory was $TMPDIR/tessera-NAME-PID/hls; a symlink planted at that path made
the server delete segments in, and write to, the directory it pointed at. Now the directory is
made with mkdtemp (mode 0700, a name nobody can plant in advance): a planted link is never used;
links planted inside the directory during the run are removed at shutdown, never followed; the
finalised HLS recording is kept and its place logged."""
import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from tessera_harness import free_port, wait_until  # noqa: E402

CONFIG = """[installation]
name = "lobby"
[canvas]
width = 320
height = 180
fps = 10
[ingest.synthetic]
count = 1
[analysis]
workers = 0
[output]
hls_segment_seconds = 1
"""


def snapshot(root):
    """Every path below root with its content (files) or target (links)."""
    out = {}
    for dirpath, dirnames, files in os.walk(root):
        for n in dirnames + files:
            p = os.path.join(dirpath, n)
            if os.path.islink(p):
                out[p] = "link:" + os.readlink(p)
            elif os.path.isfile(p):
                with open(p, "rb") as f:
                    out[p] = f.read()
            else:
                out[p] = "dir"
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    binary = ap.parse_args().tessera

    base = tempfile.mkdtemp(prefix="tessera-statedir-")
    tmpdir = os.path.join(base, "tmp")
    victim = os.path.join(base, "victim")
    os.makedirs(os.path.join(victim, "hls"))
    for name in ("hls/precious.ts", "hls/index.m3u8", "notes.txt"):
        with open(os.path.join(victim, name), "w") as f:
            f.write("the artist's own file\n")
    os.mkdir(tmpdir)
    before = snapshot(victim)
    config = os.path.join(base, "installation.toml")
    with open(config, "w") as f:
        f.write(CONFIG)
    log_path = os.path.join(base, "tessera.log")

    def plant():
        # In the child, after fork and before exec: the pid is the server's. The old, predictable
        # path gets a link to the victim directory.
        os.symlink(victim, os.path.join(tmpdir, f"tessera-lobby-{os.getpid()}"))

    with open(log_path, "w") as log:
        proc = subprocess.Popen([binary, "run", config, "--headless", "--duration", "60",
                                 "--http", f"127.0.0.1:{free_port()}"],
                                stdout=log, stderr=subprocess.STDOUT, preexec_fn=plant,
                                env={**os.environ, "TMPDIR": tmpdir})
        try:
            def started():
                assert proc.poll() is None, f"exited {proc.returncode}:\n{open(log_path).read()}"
                text = open(log_path).read()
                m = re.search(r"hls: writing .* to (.+)/index\.m3u8", text)
                if not m or "viewer:" not in text or not os.path.exists(m.group(1) + "/index.m3u8"):
                    return None
                return m.group(1)
            hls = wait_until(started, 30, "the HLS output's first playlist")
            state = os.path.dirname(hls)
            # The state directory: private, in $TMPDIR, not at the predictable path.
            assert os.path.realpath(state).startswith(os.path.realpath(tmpdir) + os.sep), state
            assert not os.path.realpath(state).startswith(os.path.realpath(victim)), state
            assert os.lstat(state).st_mode & 0o777 == 0o700, oct(os.lstat(state).st_mode)
            assert not os.path.islink(state), state
            # Links planted inside it while it runs: cleanup must remove them, never follow them.
            os.symlink(victim, os.path.join(state, "evil-dir"))
            os.mkdir(os.path.join(state, "sub"))
            os.symlink(os.path.join(victim, "notes.txt"), os.path.join(state, "sub", "evil-file"))
            proc.send_signal(signal.SIGTERM)
            rc = proc.wait(20)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    text = open(log_path).read()
    assert rc == 0, f"exit {rc}\n{text}"
    assert snapshot(victim) == before, "the victim directory changed"
    assert not os.path.lexists(os.path.join(state, "evil-dir")), "planted link left behind"
    assert not os.path.lexists(os.path.join(state, "sub")), "planted directory left behind"
    # Kept on purpose, and said where.
    assert f"kept the recording in {hls}" in text, text
    with open(os.path.join(hls, "index.m3u8")) as f:
        assert "#EXT-X-ENDLIST" in f.read()
    assert sorted(os.listdir(state)) == ["hls"], os.listdir(state)

    # A run that dies (SIGKILL) leaves its directory with its pid file; the next run of the
    # installation removes it, and leaves the recording kept on purpose above alone.
    def run_until_started(log_name):
        log = open(os.path.join(base, log_name), "w")
        p = subprocess.Popen([binary, "run", config, "--headless", "--duration", "60",
                              "--http", f"127.0.0.1:{free_port()}"],
                             stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "TMPDIR": tmpdir})
        def ready():
            assert p.poll() is None, open(log.name).read()
            m = re.search(r"hls: writing .* to (.+)/index\.m3u8", open(log.name).read())
            return m and os.path.exists(m.group(1) + "/index.m3u8") and os.path.dirname(m.group(1))
        return p, wait_until(ready, 30, "a run's first playlist"), log.name
    crashed, crashed_state, _ = run_until_started("crashed.log")
    assert open(os.path.join(crashed_state, "pid")).read().strip() == str(crashed.pid)
    crashed.kill()
    crashed.wait()
    assert os.path.isdir(crashed_state), "SIGKILL: the directory stays until the next run"
    nxt, next_state, next_log = run_until_started("next.log")
    try:
        assert not os.path.lexists(crashed_state), "the dead run's directory was not removed"
        assert "removed 1 state directories that earlier runs left when they died" in \
            open(next_log).read()
        assert os.path.isdir(hls), "the recording kept on purpose was removed"
        nxt.send_signal(signal.SIGTERM)
        assert nxt.wait(20) == 0
    finally:
        if nxt.poll() is None:
            nxt.kill()
    print("ok")


if __name__ == "__main__":
    main()
