"""End to end: scenes switched through the admin API cross-fade, and every layout renders.

Four synthetic participants on a grid, and three more scenes: a photomosaic of an all-blue target
at full tint (so the whole canvas turns blue), a spotlight and a brush. POST /api/v1/scene
switches with the scene's fade: canvas.png, polled, passes through blends of the grid and the
blue before it is all blue, and /healthz names the new scene. The spotlight's tiles are inside
the canvas without overlap; the brush paints (the canvas keeps changing and is not the grid);
an unknown scene is 404 and changes nothing.
"""
import argparse
import itertools
import json
import os
import struct
import sys
import tempfile
import zlib

sys.path.insert(0, os.path.dirname(__file__))
from tessera_harness import Tessera, http_request, wait_until  # noqa: E402

WIDTH, HEIGHT, FEEDS, TOKEN = 320, 180, 4, "e2e-admin"
BLUE = (0, 0, 255)


def write_png(path, width, height, rgb):
    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n"
                + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def config(target):
    return f"""
[installation]
name = "scenes-e2e"
[canvas]
width = {WIDTH}
height = {HEIGHT}
fps = 30
[http]
admin_token = "{TOKEN}"
[ingest.synthetic]
count = {FEEDS}
[analysis]
workers = 0
[output]
hls = false
[[scenes]]
name = "grid"
layout = "grid"
fade_seconds = 0.5
[[scenes]]
name = "blue"
layout = "photomosaic"
target = "{target}"
columns = 8
rows = 4
tint = 1.0
fade_seconds = 3.0
[[scenes]]
name = "focus"
layout = "spotlight"
fade_seconds = 0
[[scenes]]
name = "paint"
layout = "brush"
strokes = 200
stroke_size = 24
fade_seconds = 0.5
"""


def mean_colour(image):
    width, height, channels, rows = image
    total, n = [0, 0, 0], 0
    for y in range(0, height, 3):
        row = rows[y]
        for x in range(0, width, 3):
            for k in range(3):
                total[k] += row[x * channels + k]
            n += 1
    return [t / n for t in total]


def distance(a, b):
    return sum((x - y) ** 2 for x, y in zip(a, b)) ** 0.5


def switch(t, name, expect=200):
    code, _, body = http_request(t.url + "/api/v1/scene", "POST", json.dumps({"name": name}).encode(),
                                 {"Authorization": f"Bearer {TOKEN}",
                                  "Content-Type": "application/json"})
    assert code == expect, (code, body)


def overlap(a, b):
    return (a["x"] < b["x"] + b["w"] and b["x"] < a["x"] + a["w"] and
            a["y"] < b["y"] + b["h"] and b["y"] < a["y"] + a["h"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="tessera-scenes-")
    target = os.path.join(work, "blue.png")
    write_png(target, 16, 9, BLUE)

    with Tessera(args.tessera, config(target)) as t:
        t.wait_healthy(FEEDS)
        assert t.json("/healthz")["scene"] == "grid"
        wait_until(lambda: all(f["tile"] for f in t.json("/api/v1/feeds")), 10, "grid tiles")
        grid = mean_colour(t.canvas())
        start = distance(grid, BLUE)
        assert start > 100, f"the grid is already blue? {grid}"

        # Grid -> blue over 3 s: the canvas passes through blends on its way.
        switch(t, "blue")
        assert t.json("/healthz")["scene"] == "blue"
        progress = []

        def all_blue():
            p = 1 - distance(mean_colour(t.canvas()), BLUE) / start
            progress.append(round(p, 3))
            return p > 0.98
        wait_until(all_blue, 15, "the canvas to turn blue", interval=0.05)
        between = [p for p in progress if 0.1 < p < 0.9]
        print("fade progress samples:", progress)
        assert len(between) >= 3, f"no blend seen between the scenes: {progress}"
        # Every feed is still listed with a tile (its largest cell).
        feeds = t.json("/api/v1/feeds")
        assert all(f["tile"] and f["tile"]["w"] == 40 for f in feeds), feeds

        # An unknown scene changes nothing.
        switch(t, "nope", expect=404)
        assert t.json("/healthz")["scene"] == "blue"

        # Spotlight: tiles inside the canvas, no overlap; the canvas is no longer blue.
        switch(t, "focus")
        wait_until(lambda: distance(mean_colour(t.canvas()), BLUE) > 100, 10, "spotlight tiles")

        def spotlight_tiles():
            fs = t.json("/api/v1/feeds")
            rects = [f["tile"] for f in fs]
            if not all(rects) or any(r["w"] == 40 and r["h"] == 45 for r in rects):
                return None  # the photomosaic's layout is still published
            return rects
        rects = wait_until(spotlight_tiles, 10, "spotlight layout")
        for r in rects:
            assert r["x"] >= 0 and r["y"] >= 0, r
            assert r["x"] + r["w"] <= WIDTH and r["y"] + r["h"] <= HEIGHT, r
        for a, b in itertools.combinations(rects, 2):
            assert not overlap(a, b), (a, b)
        assert t.json("/healthz")["scene"] == "focus"

        # Brush: the paint keeps moving.
        switch(t, "paint")
        first = wait_until(lambda: (lambda c: c if t.json("/healthz")["scene"] == "paint" else None)(
            t.canvas()), 5, "the brush scene")

        def painting():
            now = t.canvas()
            changed = sum(a != b for a, b in zip(first[3][90], now[3][90]))
            return changed > WIDTH  # bytes of one row that differ
        wait_until(painting, 10, "brush strokes to move", interval=0.3)
        code = t.stop()
        assert code == 0, f"exit code {code}:\n{t.log_text()}"
        log = t.log_text()
        assert 'scene "blue" (photomosaic), cross-fade 3.00 s' in log, log
    print("ok")


if __name__ == "__main__":
    main()
