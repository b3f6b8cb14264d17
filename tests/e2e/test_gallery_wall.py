"""[[output.windows]] as a video wall: two windows on one wide X screen, each showing its region of
the canvas (swapped: the canvas's left half on the screen's right, and the other way round), one
with an edge blend; a third window names a display that is not connected: it waits, hidden, and
the show goes on. Pixels grabbed from the X display (ffmpeg x11grab) are compared with
canvas.png: the regions pixel for pixel, the blend ramp against the gamma-correct curve."""
import argparse
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from gallery_x11 import PATTERN, Xvfb, distance, pixel  # noqa: E402
from tessera_harness import Tessera, decode_png, http_get, wait_until  # noqa: E402

W, H = 1280, 360
HALF = W // 2
BLEND, GAMMA = 128, 2.2
CONFIG = f"""
[installation]
name = "wall-e2e"
[canvas]
width = {W}
height = {H}
fps = 15
[ingest.synthetic]
count = 0
[analysis]
workers = 0
[[scenes]]
name = "pattern"
layout = "shader"
shader = "{PATTERN}"
shader_scale = 1
[output]
hls = false
[[output.windows]]
fullscreen = false
position = [{HALF}, 0]
size = [{HALF}, {H}]
region = [0, 0, {HALF}, {H}]
[[output.windows]]
fullscreen = false
position = [0, 0]
size = [{HALF}, {H}]
region = [{HALF}, 0, {HALF}, {H}]
blend = {{ right = {BLEND}, gamma = {GAMMA} }}
[[output.windows]]
display = 3
"""


def blend_factor(distance_px, width_px, gamma):
    """core::blendFactor, written again."""
    t = min(max(distance_px / width_px, 0.0), 1.0)
    return (t * t * (3 - 2 * t)) ** (1 / gamma)


def check_refuses(binary):
    """`tessera check` names each bad window key with the window's index; exit 2."""
    bad = CONFIG.replace("region = [0, 0, 640, 360]", "region = [700, 0, 640, 360]").replace(
        "display = 3", "display = 3\ncorners = [[0, 0], [10, 0], [0, 10], [10, 10]]")
    path = os.path.join(tempfile.mkdtemp(prefix="wall-check-"), "bad.toml")
    with open(path, "w") as f:
        f.write(bad)
    r = subprocess.run([binary, "check", path], capture_output=True, text=True, timeout=30)
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    out = r.stdout + r.stderr
    assert "output.windows[0].region: expected [x, y, w, h] inside the 1280x360 canvas" in out, out
    assert "output.windows[2].corners: expected a convex quadrilateral" in out, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    binary = ap.parse_args().tessera
    check_refuses(binary)
    with Xvfb(W, H) as x:
        with Tessera(binary, CONFIG, headless=False) as t:
            wait_until(lambda: "SDL2 windows (3)" in t.log_text(), 20, "three SDL2 windows")
            assert "window 2: display 3 is not connected; hidden until it is" in t.log_text()
            wait_until(lambda: http_get(t.url + "/api/v1/canvas.png")[0] == 200, 20, "a canvas")
            placed = wait_until(lambda: (lambda w: w if len(w) == 2 else None)(
                x.windows("wall-e2e")), 10, "two windows mapped")
            assert sorted(g[1:] for g in placed) == [(0, 0, HALF, H), (HALF, 0, HALF, H)], placed
            canvas = decode_png(http_get(t.url + "/api/v1/canvas.png")[2])
            assert canvas[:2] == (W, H), canvas[:2]
            # The pattern must differ between the halves, or the test proves nothing.
            assert distance(pixel(canvas, 100, 100), pixel(canvas, HALF + 100, 100)) > 40

            def shows_regions():
                shot = x.grab()
                bad = []
                for y in range(5, H, 23):
                    for sx in range(3, W, 17):
                        if sx >= HALF:  # window 0: canvas's left half
                            want = pixel(canvas, sx - HALF, y)
                        else:  # window 1: canvas's right half, ramped down at its right edge
                            c = pixel(canvas, sx + HALF, y)
                            f = blend_factor(HALF - (sx + 0.5), BLEND, GAMMA)
                            want = tuple(v * f for v in c)
                        got = pixel(shot, sx, y)
                        if distance(got, want) > 6:
                            bad.append((sx, y, got, want))
                return True if not bad else print(f"{len(bad)} pixels differ, e.g. {bad[:3]}")
            wait_until(shows_regions, 20, "each window to show its region", interval=0.5)
            shot = x.grab()
            # The blend really darkens: the last column is near black, 128 px in is untouched.
            assert max(pixel(shot, HALF - 1, 100)) < 40, pixel(shot, HALF - 1, 100)
            assert distance(pixel(shot, HALF - BLEND - 2, 100),
                            pixel(canvas, W - BLEND - 2, 100)) <= 6
            assert "window 1: display 0" in t.log_text(), t.log_text()
            assert t.stop() == 0, t.log_text()
    print("ok")


if __name__ == "__main__":
    main()
