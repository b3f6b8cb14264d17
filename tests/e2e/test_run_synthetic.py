"""End to end: `tessera run` with 16 synthetic participants.

Checks /healthz, that /api/v1/feeds lists 16 tiles inside the canvas without overlap, that
canvas.png shows distinct tiles that change over time, that ffprobe reads the HLS as H.264 at the
canvas size, that the viewer page and its player are served, and that SIGTERM finalises the HLS
playlist and exits 0.
"""
import argparse
import itertools
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from tessera_harness import Tessera, decode_png, http_get, mean_rgb, wait_until  # noqa: E402

WIDTH, HEIGHT, FEEDS = 1280, 720, 16

CONFIG = f"""
[installation]
name = "e2e-synthetic"
[canvas]
width = {WIDTH}
height = {HEIGHT}
fps = 30
[ingest]
tile_width = 160
tile_height = 120
[ingest.synthetic]
count = {FEEDS}
[analysis]
workers = 0
[output]
hls = true
hls_segment_seconds = 1
"""


def overlap(a, b):
    return (a["x"] < b["x"] + b["w"] and b["x"] < a["x"] + a["w"] and
            a["y"] < b["y"] + b["h"] and b["y"] < a["y"] + a["h"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    args = ap.parse_args()

    with Tessera(args.tessera, CONFIG) as t:
        health = t.wait_healthy(FEEDS)
        assert health["feeds"] == FEEDS, health
        assert health["scene"] == "grid", health
        assert "workers" in health and "fps" in health, health
        # The canvas rate is measured over a second: wait for a full one.
        wait_until(lambda: t.json("/healthz")["fps"] > 20, 10, "render fps above 20")
        print("healthz:", t.json("/healthz"))

        # Feeds: 16 synthetic tiles, inside the canvas, not overlapping.
        feeds = wait_until(
            lambda: (lambda f: f if all(x["tile"] for x in f) else None)(t.json("/api/v1/feeds")),
            10, "every feed to have a tile")
        assert len(feeds) == FEEDS, f"{len(feeds)} feeds listed"
        for f in feeds:
            assert f["source"] == "synthetic" and f["state"] == "live", f
            assert (f["width"], f["height"]) == (160, 120), f
            assert f["scores"] == {}, f  # analysis is off
            r = f["tile"]
            assert r["x"] >= 0 and r["y"] >= 0, r
            assert r["x"] + r["w"] <= WIDTH and r["y"] + r["h"] <= HEIGHT, r
            assert r["w"] > 100 and r["h"] > 75, f"tile too small: {r}"
        for a, b in itertools.combinations(feeds, 2):
            assert not overlap(a["tile"], b["tile"]), (a["tile"], b["tile"])
        assert len({f["id"] for f in feeds}) == FEEDS

        # canvas.png: distinct tiles, and they move.
        def distinct_tiles():
            status, headers, png = http_get(t.url + "/api/v1/canvas.png")
            assert status == 200 and headers.get("Content-Type") == "image/png", headers
            image = decode_png(png)
            assert (image[0], image[1]) == (WIDTH, HEIGHT), image[:2]
            colours = [mean_rgb(image, f["tile"], inset=0.05) for f in feeds]
            distinct = sum(
                1 for i, c in enumerate(colours)
                if all(sum(abs(c[k] - d[k]) for k in range(3)) > 30
                       for j, d in enumerate(colours) if j != i))
            return image, colours, distinct
        # Feeds' first frames reach the canvas over a few ticks (slower under a sanitizer or
        # load): await every tile distinct, then keep that canvas.
        try:
            first, colours, distinct = wait_until(
                lambda: (lambda r: r if r[2] == FEEDS else None)(distinct_tiles()), 10,
                "every tile distinct")
        except AssertionError:
            first, colours, distinct = distinct_tiles()
        assert distinct == FEEDS, f"only {distinct} of {FEEDS} tiles look distinct: {colours}"

        def changed_tiles():
            _, _, png2 = http_get(t.url + "/api/v1/canvas.png")
            second = decode_png(png2)
            n = 0
            for f in feeds:
                r = f["tile"]
                x0, x1 = int(r["x"]), int(r["x"] + r["w"])
                y0, y1 = int(r["y"]), int(r["y"] + r["h"])
                diff = sum(first[3][y][x0 * 4:x1 * 4] != second[3][y][x0 * 4:x1 * 4]
                           for y in range(y0, y1, 4))
                n += diff > 3
            return n if n >= FEEDS * 3 // 4 else None
        moved = wait_until(changed_tiles, 10, "tiles to change over time", interval=0.5)
        print(f"canvas: {distinct} distinct tiles, {moved} changed over time")

        # HLS over HTTP, read by ffprobe as H.264 at the canvas size.
        wait_until(lambda: http_get(t.url + "/hls/index.m3u8")[2].count(b".ts") >= 2, 20,
                   "two HLS segments")
        status, headers, playlist = http_get(t.url + "/hls/index.m3u8")
        assert headers.get("Content-Type") == "application/vnd.apple.mpegurl", headers
        probe = subprocess.run(
            ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
             "stream=codec_name,width,height", "-of", "json", t.url + "/hls/index.m3u8"],
            capture_output=True, text=True, timeout=60)
        assert probe.returncode == 0, probe.stderr
        stream = json.loads(probe.stdout)["streams"][0]
        assert stream == {"codec_name": "h264", "width": WIDTH, "height": HEIGHT}, stream
        print("hls:", stream)

        # Viewer page and its pinned player.
        status, _, page = http_get(t.url + "/")
        assert status == 200 and b"<video" in page and b"hls" in page, page[:200]
        status, _, player = http_get(t.url + "/vendor/hls.min.js")
        assert status == 200 and len(player) > 100_000, len(player)

        # Metrics.
        _, _, metrics = http_get(t.url + "/metrics")
        assert b"tessera_render_frames_total" in metrics and b"tessera_feeds_live 16" in metrics

        # Clean shutdown finalises the playlist.
        hls_dir = t.hls_dir()
        assert hls_dir, "no HLS directory in the log"
        code = t.stop()
        assert code == 0, f"exit code {code}:\n{t.log_text()}"
        with open(os.path.join(hls_dir, "index.m3u8")) as f:
            final = f.read()
        assert "#EXT-X-ENDLIST" in final, final
        log = t.log_text()
        assert "stopped cleanly" in log, log
    print("ok")


if __name__ == "__main__":
    main()
