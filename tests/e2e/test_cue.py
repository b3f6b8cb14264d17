"""End to end: the cue aligns sources that have no Sender Reports.

Four RTP senders WITHOUT RTCP (so their feeds are `unsynced`: capture time = arrival), each
delayed by a different known amount (tests/support/rtp_flash_sender.py, netsim on the RTP
packets), flash at one wall-clock instant during a `{"flash": false}` cue:
1. The API: 401 without the admin token, 400 for bad JSON, 422 for a non-boolean flash, 202 and
   "waiting" for a cue, 409 while it is open, then "done" with every feed's step.
2. Each feed's step_ms, relative to the others, is its injected delay relative to theirs within
   one frame (33 ms).
3. After the cue the feeds are `aligned` and a second flash lands in every tile in the same
   canvas frame (+-1); the first flash (before the cue) showed the spread of the delays.
4. `{"flash": true}`: the canvas itself is drawn white (read back from the HLS output: a frame
   whose whole picture is white), and its cue completes (no camera films this canvas here, so
   no feed has a step and nothing is applied).
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from rtp_senders import RtpSenders, pull_tables, pulled_installation  # noqa: E402
from sync_probe import flash_frames, hls_frames, spread_in_frames, tile_luma, tiles_of  # noqa: E402
from tessera_harness import Tessera, http_request, wait_until  # noqa: E402

DELAYS_MS = [0, 120, 250, 400]
WIDTH, HEIGHT = 640, 360
TOKEN = "cue-secret"
FRAME_MS = 1000 / 30


def config(uris):
    return pulled_installation("e2e-cue", WIDTH, HEIGHT, pull_tables(uris),
                               extra=f'[http]\nadmin_token = "{TOKEN}"\n')


def post_cue(t, body, token=TOKEN):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    status, _, data = http_request(t.url + "/api/v1/cue", "POST", body, headers)
    return status, json.loads(data) if data else None


def check_refusals(t):
    assert post_cue(t, b'{"flash": false}', token=None)[0] == 401
    assert post_cue(t, b'{"flash": false}', token="wrong")[0] == 401
    assert post_cue(t, b'{"flash": ')[0] == 400
    assert post_cue(t, b'[true]')[0] == 400
    status, problem = post_cue(t, b'{"flash": "yes"}')
    assert status == 422 and "flash" in problem["detail"], problem
    assert post_cue(t, b'{}')[0] == 422
    assert post_cue(t, b'{"flash": false, "x": 1}')[0] == 422
    assert post_cue(t, b'{"flash": false}' + b' ' * 2000)[0] == 413
    assert http_request(t.url + "/api/v1/cue")[0] == 404  # no cue yet


def run_cue(t, senders):
    """A flash:false cue around one flash; returns the done cue."""
    status, cue = post_cue(t, b'{"flash": false}')
    assert status == 202 and cue["state"] == "waiting" and not cue["flash"], cue
    assert post_cue(t, b'{"flash": false}')[0] == 409  # one at a time
    senders.flash_soon(1.0)
    return wait_until(lambda: (c := t.json("/api/v1/cue"))["state"] == "done" and c, 15,
                      "the cue to be done", 0.2)


def check_steps(cue, by_uri, uris):
    steps = {f["id"]: f for f in cue["feeds"]}
    assert all(steps[by_uri[u]]["step_ms"] is not None for u in uris), cue
    first = steps[by_uri[uris[0]]]["step_ms"]
    errors = []
    for u, delay in zip(uris, DELAYS_MS):
        measured = steps[by_uri[u]]["step_ms"] - first
        errors.append(measured - (delay - DELAYS_MS[0]))
    print(f"cue steps (ms, relative to the first feed) minus injected delays: "
          f"{[round(e, 1) for e in errors]}; offsets "
          f"{[steps[by_uri[u]]['offset_ms'] for u in uris]}")
    assert all(abs(e) <= FRAME_MS for e in errors), f"steps off by more than a frame: {errors}"


def white_canvas_frames(frames, scale):
    full = {"x": 0, "y": 0, "w": WIDTH, "h": HEIGHT}
    return [i for i, (_, rows) in enumerate(frames) if tile_luma(rows, full, scale, 0.02) > 235]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    binary = ap.parse_args().tessera
    with RtpSenders([(d, False) for d in DELAYS_MS]) as senders, \
            Tessera(binary, config(senders.uris), duration=120) as t:
        uris = senders.uris
        t.wait_healthy(len(uris), timeout=30)
        check_refusals(t)
        feeds = wait_until(lambda: (f := t.json("/api/v1/feeds")) and all(x["tile"] for x in f)
                           and f, 20, "every feed on the canvas", 0.3)
        assert all(f["sync"]["state"] == "unsynced" for f in feeds), feeds
        tiles = tiles_of(feeds)
        by_uri = {f["uri"]: f["id"] for f in feeds}

        check_steps(run_cue(t, senders), by_uri, uris)

        def aligned():
            fs = t.json("/api/v1/feeds")
            delay = t.json("/healthz")["sync_delay_ms"]
            return all(f["sync"]["state"] == "aligned" and f["sync"]["cue_offset_ms"] is not None
                       and f["sync"]["latency_ms"] <= delay for f in fs)
        wait_until(aligned, 20, "every feed aligned after the cue", 0.3)
        second = senders.flash_soon(1.0)
        wait_until(lambda: time.time() > second + 2.5, 10, "the second flash drawn")

        status, cue = post_cue(t, b'{"flash": true}')
        assert status == 202 and cue["flash"], cue
        flash_cue = wait_until(lambda: (c := t.json("/api/v1/cue"))["state"] == "done" and c, 15,
                               "the flash cue to be done", 0.2)
        assert flash_cue["id"] == cue["id"], flash_cue
        assert all(f["offset_ms"] is None for f in flash_cue["feeds"]), flash_cue
        assert t.stop() == 0
        frames, scale = hls_frames(t.hls_dir(), WIDTH, HEIGHT)

    first = flash_frames(frames, scale, tiles, threshold=120)
    assert all(v is not None for v in first.values()), first
    after = max(first.values()) + 20
    again = flash_frames(frames, scale, tiles, threshold=120, after=after)
    assert all(v is not None for v in again.values()), again
    print(f"before the cue: flash frames {first} spread {spread_in_frames(first)}; "
          f"after: {again} spread {spread_in_frames(again)}")
    assert spread_in_frames(first) >= 8, f"the delays should show before the cue: {first}"
    assert spread_in_frames(again) <= 1, f"after the cue, one canvas frame (+-1): {again}"
    white = white_canvas_frames(frames, scale)
    assert white and white[0] > max(again.values()), f"no white canvas frame after the flash cue"
    assert 3 <= len(white) <= 9, f"the flash should last ~6 frames (200 ms): {white}"
    print("ok")


if __name__ == "__main__":
    main()
