"""End to end: pulled RTP senders with RTCP Sender Reports, each delayed by a different known
amount (0 to 500 ms), film a flash at one wall-clock instant (tests/support/rtp_flash_sender.py:
netsim holds each sender's RTP packets after their capture times and RTP timestamps are fixed,
as a slow uplink would; its docstring says why the reports themselves are not delayed).

1. [sync] enabled: the flash appears in every sender's tile in the same canvas frame (+-1), read
   back from the HLS output frame by frame; every feed is `aligned` with clock "sr_arrival".
   A sixth sender with no delay is pulled with `offset_ms = 200`: its flash lands 6 frames
   (200 ms at 30 fps) after the others (+-1).
2. [sync] enabled = false: the same senders show the spread of their delays (>= 10 frames).
"""
import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from rtp_senders import RtpSenders, pull_tables, pulled_installation  # noqa: E402
from sync_probe import flash_frames, hls_frames, spread_in_frames, tiles_of  # noqa: E402
from tessera_harness import Tessera, wait_until  # noqa: E402

DELAYS_MS = [0, 100, 250, 400, 500]
OFFSET_MS = 200
WIDTH, HEIGHT = 640, 360


def config(uris, enabled, offset_uri=None):
    pulls = pull_tables(uris)
    if offset_uri:
        pulls += f'[[ingest.pull]]\nuri = "{offset_uri}"\noffset_ms = {OFFSET_MS}\n'
    return pulled_installation("e2e-sync-rtp", WIDTH, HEIGHT, pulls, enabled)


def run(binary, senders, enabled, with_offset):
    uris = senders.uris[:len(DELAYS_MS)]
    offset_uri = senders.uris[-1] if with_offset else None
    count = len(uris) + (1 if offset_uri else 0)
    with Tessera(binary, config(uris, enabled, offset_uri), duration=90) as t:
        t.wait_healthy(count, timeout=30)

        def settled():
            feeds = t.json("/api/v1/feeds")
            if not enabled:
                return feeds if all(f["tile"] for f in feeds) else None
            if not all(f["sync"]["state"] == "aligned" and f["tile"] for f in feeds):
                return None
            # The auto delay covers the slowest feed (it moves a frame a second at most).
            delay = t.json("/healthz")["sync_delay_ms"]
            return feeds if delay >= max(f["sync"]["latency_ms"] for f in feeds) else None
        feeds = wait_until(settled, 40, "every feed aligned under the playout delay", 0.5)
        if enabled:
            for f in feeds:
                assert f["sync"]["clock"] == "sr_arrival", f
                assert abs(f["sync"]["clock_offset_ms"]) < 20, f  # same machine: ~0
        tiles = tiles_of(feeds)
        by_uri = {f["uri"]: f["id"] for f in feeds}
        flash_at = senders.flash_soon(1.0)
        delay_s = t.json("/healthz")["sync_delay_ms"] / 1000
        wait_until(lambda: time.time() > flash_at + delay_s + 2.0, 10, "the flash to be drawn")
        assert t.stop() == 0
        frames, scale = hls_frames(t.hls_dir(), WIDTH, HEIGHT)
    found = flash_frames(frames, scale, tiles, threshold=120)
    main = {by_uri[u]: found[by_uri[u]] for u in uris}
    assert all(v is not None for v in main.values()), f"a tile never flashed: {found}"
    offset = found[by_uri[offset_uri]] if offset_uri else None
    return main, offset


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    binary = ap.parse_args().tessera
    specs = [(d, True) for d in DELAYS_MS] + [(0, True)]
    with RtpSenders(specs) as senders:
        synced, offset_frame = run(binary, senders, True, True)
        spread = spread_in_frames(synced)
        print(f"sync on: flash frames {synced} spread {spread}; offset feed {offset_frame}")
        assert spread <= 1, f"with [sync] the flash must land in one canvas frame (+-1): {synced}"
        shift = offset_frame - statistics.median(synced.values())
        assert abs(shift - OFFSET_MS / (1000 / 30)) <= 1.0, \
            f"offset_ms = {OFFSET_MS} should move the flash by 6 frames, moved {shift}"

        unsynced, _ = run(binary, senders, False, False)
        spread_off = spread_in_frames(unsynced)
        print(f"sync off: flash frames {unsynced} spread {spread_off}")
        assert spread_off >= 10, f"without [sync] the delays should show: {unsynced}"
    print("ok")


if __name__ == "__main__":
    main()
