"""Corner-pin: a fullscreen window with corners = four points (a keystoned projector's trapezoid)
shows the canvas warped projectively onto them. A still pattern of 8 x 4 flat cells is rendered;
points of every cell, mapped to the screen through a homography solved here (a plain linear
system, not the server's formula), must show that cell's colour in the grabbed screen, and the
screen outside the quad must be black. A bilinear warp would put many of those points into
neighbouring cells: the test checks that it would, so it tells the two apart."""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from gallery_x11 import PATTERN, Xvfb, distance, pixel  # noqa: E402
from tessera_harness import Tessera, decode_png, http_get, wait_until  # noqa: E402

W, H = 640, 360
CORNERS = [(200, 20), (440, 30), (630, 350), (10, 330)]  # TL, TR, BR, BL: far end at the top
CONFIG = f"""
[installation]
name = "cornerpin-e2e"
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
corners = [{", ".join(f"[{x}, {y}]" for x, y in CORNERS)}]
"""


def solve(a, b):
    """Gaussian elimination with partial pivoting."""
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(m[r][c]))
        m[c], m[p] = m[p], m[c]
        for r in range(n):
            if r != c:
                f = m[r][c] / m[c][c]
                m[r] = [x - f * y for x, y in zip(m[r], m[c])]
    return [m[i][n] / m[i][i] for i in range(n)]


def homography(corners):
    """(u, v) in the unit square -> screen, from the four correspondences (DLT, h33 = 1)."""
    unit = [(0, 0), (1, 0), (1, 1), (0, 1)]
    a, b = [], []
    for (u, v), (x, y) in zip(unit, corners):
        a.append([u, v, 1, 0, 0, 0, -u * x, -v * x])
        b.append(x)
        a.append([0, 0, 0, u, v, 1, -u * y, -v * y])
        b.append(y)
    h = solve(a, b)

    def apply(u, v):
        w = h[6] * u + h[7] * v + 1
        return ((h[0] * u + h[1] * v + h[2]) / w, (h[3] * u + h[4] * v + h[5]) / w)
    return apply


def bilinear(u, v):
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = CORNERS
    top = (x0 + (x1 - x0) * u, y0 + (y1 - y0) * u)
    bottom = (x3 + (x2 - x3) * u, y3 + (y2 - y3) * u)
    return (top[0] + (bottom[0] - top[0]) * v, top[1] + (bottom[1] - top[1]) * v)


def cell_of(u, v):
    return (min(int(u * 8), 7), min(int(v * 4), 3))


def inverse_cell(apply_fn, sx, sy):
    """The cell whose interior contains screen point (sx, sy) under `apply_fn`, by search."""
    best = None
    for gi in range(161):
        for gj in range(81):
            u, v = gi / 160, gj / 80
            x, y = apply_fn(u, v)
            d = (x - sx) ** 2 + (y - sy) ** 2
            if best is None or d < best[0]:
                best = (d, u, v)
    return cell_of(best[1], best[2])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    binary = ap.parse_args().tessera
    to_screen = homography(CORNERS)
    samples = [((i + fu) / 8, (j + fv) / 4) for i in range(8) for j in range(4)
               for fu, fv in [(0.5, 0.5), (0.25, 0.2), (0.75, 0.8), (0.2, 0.75), (0.8, 0.25)]]
    # Guard: a bilinear warp would show other cells at many of these points.
    differ = sum(1 for u, v in samples
                 if inverse_cell(bilinear, *to_screen(u, v)) != cell_of(u, v))
    assert differ >= 10, f"only {differ} samples tell projective from bilinear"
    with Xvfb(W, H) as x:
        with Tessera(binary, CONFIG, headless=False) as t:
            wait_until(lambda: "SDL2 windows (1)" in t.log_text(), 20, "the SDL2 window")
            wait_until(lambda: http_get(t.url + "/api/v1/canvas.png")[0] == 200, 20, "a canvas")
            canvas = decode_png(http_get(t.url + "/api/v1/canvas.png")[2])

            def warped():
                shot = x.grab()
                bad = []
                for u, v in samples:
                    sx, sy = to_screen(u, v)
                    got = pixel(shot, int(sx), int(sy))
                    want = pixel(canvas, int(u * W), int(v * H))
                    if distance(got, want) > 12:
                        bad.append(((u, v), (int(sx), int(sy)), got, want))
                for sx, sy in [(3, 3), (W - 3, 3), (100, 15), (W - 3, H - 3), (3, H - 3),
                               (320, 5), (5, 180)]:
                    if max(pixel(shot, sx, sy)) > 4:
                        bad.append(("outside", (sx, sy), pixel(shot, sx, sy)))
                return True if not bad else print(f"{len(bad)} samples wrong, e.g. {bad[:3]}")
            wait_until(warped, 20, "the canvas pinned to the corners", interval=0.5)
            assert t.stop() == 0, t.log_text()
    print(f"ok ({differ} of {len(samples)} samples would be wrong with a bilinear warp)")


if __name__ == "__main__":
    main()
