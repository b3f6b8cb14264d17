"""Crowd sync with real browsers: Chromium participants join through the real join page
(tests/browser/sync_participants.mjs); each camera flashes white at one shared wall-clock instant
and each participant's frames reach the server with a different known extra delay (0-500 ms,
held back in the sender with WebRTC Encoded Transform; the docstring there says why).

With `[sync] enabled = true` the flash must appear in every participant's tile in the same
canvas frame (+-1), with the join page's clock exchange and again without it (`?clock=0`: the
offset from the Sender Reports' arrival, as for OBS); with `enabled = false` the same run shows the injected spread (each tile
shows its newest frame). The canvas frames are read back from the HLS output after SIGTERM
(tests/e2e/sync_probe.py). The join page's clock exchange must cost under 1 kB/s on the wire.

CMake runs this inside a loopback-only network namespace of its own.
"""
import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from sync_probe import flash_frames, hls_frames, spread_in_frames, tiles_of  # noqa: E402
from tessera_harness import Tessera  # noqa: E402

SOURCE_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TOKEN = "sync-e2e-token"
DELAYS_MS = [0, 170, 330, 500]
WIDTH, HEIGHT, FPS = 640, 360, 15


def config(sync):
    return f"""
[installation]
name = "sync-e2e"
[canvas]
width = {WIDTH}
height = {HEIGHT}
fps = {FPS}
[ingest]
max_feeds = 8
[ingest.synthetic]
count = 0
[ingest.whip]
token = "{TOKEN}"
ice_addresses = ["127.0.0.1"]
posts_per_minute = 120
[sync]
enabled = {"true" if sync else "false"}
delay_ms = 800
[analysis]
workers = 0
[output]
hls = true
"""


def run_participants(url, delays, clock=True, extra_env=None):
    env = dict(os.environ, TESSERA_URL=url, TESSERA_TOKEN=TOKEN,
               SYNC_DELAYS=",".join(map(str, delays)), SYNC_CLOCK="1" if clock else "0",
               SYNC_FPS=str(FPS), **(extra_env or {}))
    r = subprocess.run(["node", os.path.join(SOURCE_DIR, "tests/browser/sync_participants.mjs")],
                       env=env, capture_output=True, text=True, timeout=180)
    print(r.stderr[-3000:], file=sys.stderr)
    assert r.returncode == 0, f"participants failed: {r.stderr[-2000:]}"
    return json.loads(r.stdout.strip().splitlines()[-1])


def flash_run(binary, sync, clock=True):
    """One server run; returns (participants' report, {feed id: flash frame}, the server log)."""
    with Tessera(binary, config(sync), extra_args=["--log-level", "info"]) as t:
        t.wait_healthy(0)
        report = run_participants(t.url, DELAYS_MS, clock=clock)
        hls = t.hls_dir()
        assert t.stop() == 0, t.log_text()[-4000:]
        log = t.log_text()
    assert hls, "no HLS directory in the log"
    frames, scale = hls_frames(hls, WIDTH, HEIGHT)
    tiles = tiles_of(report["feeds"])
    assert len(tiles) == len(DELAYS_MS), report["feeds"]
    found = flash_frames(frames, scale, tiles)
    print(f"sync={sync} clock={clock}: flash frames {found} of {len(frames)}", file=sys.stderr)
    assert all(v is not None for v in found.values()), (found, log[-3000:])
    return report, found, log


def check_clock(report, log):
    """The join page's exchange ran, agrees with this machine's clock, and is cheap."""
    for p in report["participants"]:
        assert p["state"] == "live", p
        assert p["clock_rounds"] >= 5, p
        # One machine, one clock: the estimate is within the loopback's round trip, whatever
        # the participant's delay.
        assert p["clock_offset_ms"] is not None and abs(p["clock_offset_ms"]) < 5, p
        cost = p["clock_cost"]
        print(f"participant delayed {p['delay_ms']} ms: clock offset {p['clock_offset_ms']} ms, "
              f"{p['clock_rounds']} rounds, {cost}", file=sys.stderr)
        assert cost["steady_bytes_per_s"] < 1000 and cost["bytes_per_s"] < 1000, p
    assert log.count("from the join page's exchange") >= len(DELAYS_MS), log[-3000:]
    for f in report["feeds"]:
        if "sync" in f:  # the API's sync object, where the server has it
            assert f["sync"]["clock"] == "exchange", f


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    binary = ap.parse_args().tessera
    frame_ms = 1000 / FPS

    report, found, log = flash_run(binary, sync=True)
    check_clock(report, log)
    spread = spread_in_frames(found)
    assert spread <= 1, f"with sync the flash spreads over {spread} canvas frames: {found}"

    # Without the page's exchange (as OBS or GStreamer join): the Sender Reports' arrival.
    report, found, log = flash_run(binary, sync=True, clock=False)
    assert log.count("from the Sender Reports' arrival") >= len(DELAYS_MS), log[-3000:]
    assert "from the join page's exchange" not in log, log[-3000:]
    for f in report["feeds"]:
        if "sync" in f:
            assert f["sync"]["clock"] == "sr_arrival", f
    spread_sr = spread_in_frames(found)
    assert spread_sr <= 1, f"timed by Sender Reports the flash spreads over {spread_sr}: {found}"

    report, found, _ = flash_run(binary, sync=False)
    spread_off = spread_in_frames(found)
    # Joined in DELAYS_MS order, so feed ids rise with the delay: later tiles flash later.
    by_delay = [found[fid] for fid in sorted(found)]
    assert by_delay == sorted(by_delay), found
    injected = (max(DELAYS_MS) - min(DELAYS_MS)) / frame_ms
    assert spread_off > spread and spread_off >= injected - 2.5, (spread_off, injected, found)
    assert spread_off <= injected + 2.5, (spread_off, injected, found)
    print(f"ok: spread with sync {spread} frame(s) (Sender Reports alone: {spread_sr}), "
          f"without {spread_off} "
          f"(injected {injected:.1f} frames of {frame_ms:.0f} ms)")


if __name__ == "__main__":
    main()
