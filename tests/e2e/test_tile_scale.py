"""Each feed is scaled in its pipeline to the size its tile is drawn at (issue 13, item 3): with
16 feeds on a 640x360 canvas the tiles are about 104x78, and every feed's frames follow
(`scaled_width` x `scaled_height` in /api/v1/feeds), never above the configured tile (160x120)
and always in its aspect; when most feeds are hidden the four left get larger tiles and their
frames grow back to the whole tile. (That a smaller frame is drawn whole, and nothing of its
layer beyond it, is read from pixels in tests/render/tile_renderer_test.cpp.)

Synthetic feeds (videotestsrc), a pulled file feed and a WHIP participant (a GStreamer
webrtcbin sender at 320x240: decoded, then scaled by videoconvertscale), so every kind of
pipeline renegotiates.
"""
import argparse
import math
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "support"))
from rtp_senders import make_h264_clip, run_under_gi_python  # noqa: E402

run_under_gi_python()  # the WHIP sender needs GStreamer's Python bindings

from tessera_harness import Tessera, http_request, wait_until  # noqa: E402
from whip_sender import WhipSender  # noqa: E402

ADMIN = "tile-scale-admin"
AUTH = {"Authorization": f"Bearer {ADMIN}"}
TILE = (160, 120)

CONFIG = """
[installation]
name = "tile-scale-e2e"
[canvas]
width = 640
height = 360
fps = 30
[http]
admin_token = "{admin}"
[ingest]
tile_width = 160
tile_height = 120
[ingest.synthetic]
count = 14
[ingest.whip]
ice_addresses = ["127.0.0.1"]
[[ingest.pull]]
uri = "file://{clip}"
[analysis]
workers = 0
[output]
hls = false
"""


def expected(tile_rect):
    """core::scaledTileSize for a 160x120 tile (4:3, even sides: steps of 8x6)."""
    if tile_rect is None:
        return None
    share = max(tile_rect["w"] / TILE[0], tile_rect["h"] / TILE[1])
    g = math.gcd(*TILE)
    m = int(math.floor(share * g / 2 + 0.5)) * 2
    if m >= g:
        return TILE
    m = max(m, 2)
    return (TILE[0] // g * m, TILE[1] // g * m)


def feeds(t):
    return t.json("/api/v1/feeds")


def scaled(f):
    return (f["scaled_width"], f["scaled_height"])


def all_follow(t, ids, larger=False):
    """Every listed feed's frames are at the size its tile asks for (with `larger`, a tile above
    the configured size); returns the feeds or None."""
    fs = {f["id"]: f for f in feeds(t)}
    for i in ids:
        f = fs.get(i)
        if not f or not f["tile"] or scaled(f) != expected(f["tile"]):
            return None
        if larger and f["tile"]["w"] <= TILE[0]:
            return None
    return fs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    binary = ap.parse_args().tessera
    clip = os.path.join(tempfile.mkdtemp(prefix="tile-scale-"), "ball.mp4")
    make_h264_clip(clip, 320, 240, 30, 60, 15, pattern="ball")
    with Tessera(binary, CONFIG.format(admin=ADMIN, clip=clip), duration=90) as t:
        t.wait_healthy(15, timeout=60)
        phone = WhipSender(t.url, "", width=320, height=240)
        assert phone.start(timeout=15), f"no answer ({phone.status} {phone.error})"
        t.wait_healthy(16, timeout=30)
        ids = [f["id"] for f in feeds(t)]
        assert len(ids) == 16, ids
        try:
            many = wait_until(lambda: all_follow(t, ids), 15, "every feed scaled to its tile")
        except AssertionError:
            for f in feeds(t):
                print(f["id"], f["source"], f["state"], f["tile"], scaled(f), expected(f["tile"]))
            raise
        sizes = {scaled(f) for f in many.values()}
        rects = {(f["tile"]["w"], f["tile"]["h"]) for f in many.values()}
        print(f"16 feeds: tiles {sorted(rects)}, frames {sorted(sizes)}")
        assert all(w < TILE[0] and h < TILE[1] for w, h in sizes), sizes
        assert all(w * TILE[1] == h * TILE[0] for w, h in sizes), sizes  # the tile's aspect
        pulled = next(f for f in many.values() if f["source"] == "pull")
        whip = next(f for f in many.values() if f["source"] == "whip")
        for f in (pulled, whip):
            assert (f["width"], f["height"]) == (320, 240), f  # the source, as sent

        # Twelve feeds hidden: the four left get tiles above 160x120 and whole-tile frames.
        keep = ids[:2] + [pulled["id"], whip["id"]]
        for i in ids:
            if i not in keep:
                code, _, body = http_request(t.url + f"/api/v1/feeds/{i}/hide", "POST", b"", AUTH)
                assert code == 200, (code, body)
        few = wait_until(lambda: all_follow(t, keep, larger=True), 15, "the four left scaled to whole tiles")
        for i in keep:
            assert scaled(few[i]) == TILE, few[i]
            assert few[i]["tile"]["w"] > TILE[0], few[i]["tile"]
        print(f"4 feeds: tiles {few[keep[0]]['tile']['w']:.0f} wide, frames {scaled(few[keep[0]])}")
        # The hidden ones keep the size they had: no renegotiation for a feed nobody sees.
        hidden = {f["id"]: f for f in feeds(t) if f["id"] not in keep}
        assert all(scaled(f) == scaled(many[i]) for i, f in hidden.items()), hidden
        health = t.json("/healthz")
        assert health["fps"] > 20, health
        phone.stop()
        assert t.stop() == 0, t.log_text()

    # scale_to_drawn = false: every feed stays at the tile size, whatever its tile.
    fixed = CONFIG.format(admin=ADMIN, clip=clip).replace(
        "tile_height = 120\n", "tile_height = 120\nscale_to_drawn = false\n")
    with Tessera(binary, fixed, duration=60) as t:
        t.wait_healthy(15, timeout=60)
        start = {f["id"]: f["frames"] for f in feeds(t)}
        # Three seconds of frames at least: three of the once-a-second checks have run.
        wait_until(lambda: all(f["frames"] >= start[f["id"]] + 45 for f in feeds(t)), 20,
                   "three more seconds of frames")
        for f in feeds(t):
            assert f["tile"]["w"] < TILE[0], f["tile"]
            assert scaled(f) == TILE, f
        assert t.stop() == 0, t.log_text()
    print("ok")


if __name__ == "__main__":
    main()
