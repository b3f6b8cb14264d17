"""`tessera shader render` against golden images and against the shaders' own maths.

Each case renders a shader from tests/shaders/ (or a shipped one from shaders/) and compares it
with tests/shaders/golden/NAME.png under a tolerance. Goldens alone would freeze whatever the code
does, so every case also checks pixels whose values follow from the shader's source (a feedback
buffer after N frames, an input's value, an image's known corner, a feed inside its FEED_RECT).

    test_shader_render.py --tessera build-dev/tessera [--update] [--only NAME...] [--keep DIR]

--update rewrites the goldens (the analytic checks still run and must pass).
"""
import argparse
import colorsys
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.abspath(os.path.join(HERE, "..", ".."))
GOLDEN_DIR = os.path.join(HERE, "golden")
sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "e2e"))
from tessera_harness import decode_png  # noqa: E402

# Golden tolerance: per-channel |diff| <= 4 on >= 99.5% of pixels, mean |diff| < 1.
PIXEL_TOLERANCE = 4
PIXELS_WITHIN = 0.995
MEAN_TOLERANCE = 1.0


class Image:
    """A decoded PNG; px(x, y) is RGBA with y counted from the top row of the file."""

    def __init__(self, data):
        self.width, self.height, self.channels, self.rows = decode_png(data)

    def px(self, x, y):
        c = self.channels
        row = self.rows[y]
        p = tuple(row[x * c:(x + 1) * c])
        return p if c == 4 else p + (255,)

    def pixels(self):
        for y in range(self.height):
            for x in range(self.width):
                yield x, y, self.px(x, y)


def expect(image, x, y, rgb, tol=2, what=""):
    got = image.px(x, y)[:3]
    if any(abs(g - e) > tol for g, e in zip(got, rgb)):
        raise AssertionError(f"pixel ({x},{y}) from the top-left {what}: expected "
                             f"{tuple(round(v, 1) for v in rgb)} +-{tol}, got {got}")


def byte(v):
    return max(0.0, min(255.0, v * 255.0))


# --- tessera's synthetic participants (core/synthetic_palette.hpp, render/shader_preview.cpp) ---

def synthetic_colours(i):
    hue = (i * 0.6180339887) % 1.0
    sat = (0.55, 0.85)[i % 2]
    val = (0.38, 0.60, 0.82)[i % 3]
    bg = [c * 255 for c in colorsys.hsv_to_rgb(hue, sat, val)]
    ball = [c * 255 for c in colorsys.hsv_to_rgb((hue + 0.5) % 1.0, 0.35, 1.0)]
    return bg, ball


def synthetic_scores(i):
    bg, _ = synthetic_colours(i)
    brightness = (0.299 * bg[0] + 0.587 * bg[1] + 0.114 * bg[2]) / 255
    return {"brightness": brightness, "motion": (i * 37 % 100) / 100, "sharpness": 100 + i,
            "faces": i % 3}


def synthetic_ball(i):
    """The ball's centre in the tile's uv (bottom-left origin) and its radius in tile heights."""
    bx = 0.25 + 0.5 * ((i * 0.37) % 1.0)
    by_from_top = 0.3 + 0.4 * ((i * 0.61) % 1.0)
    return bx, 1.0 - by_from_top, 0.18


# --- running tessera ---

class Runner:
    def __init__(self, binary, workdir):
        self.binary = binary
        self.workdir = workdir
        self.count = 0
        self.rect_cache = {}

    def run(self, shader, args, expect_rc=0):
        self.count += 1
        out = os.path.join(self.workdir, f"out{self.count}.png")
        cmd = [self.binary, "shader", "render", shader_path(shader), "--out", out, *args]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        if r.returncode != expect_rc:
            raise AssertionError(f"{' '.join(cmd)}: exit {r.returncode}, expected {expect_rc}\n"
                                 f"{r.stderr}")
        if expect_rc != 0:
            return r
        with open(out, "rb") as f:
            return f.read()

    def feed_rects(self, size, feeds):
        """FEED_RECT of each synthetic feed at a canvas size, read back through crowd_all.fs."""
        key = (size, feeds)
        if key not in self.rect_cache:
            img = Image(self.run("crowd_all.fs", ["--size", size, "--feeds", str(feeds),
                                                  "--set", "mode=data"]))
            rects = []
            for i in range(feeds):
                x, y, _ = [v / 255 for v in img.px(i, 0)[:3]]
                w, h, _ = [v / 255 for v in img.px(i, 1)[:3]]
                rects.append((x, y, w, h))
            self.rect_cache[key] = rects
        return self.rect_cache[key]


def shader_path(shader):
    if shader.startswith("shaders/"):
        return os.path.join(SOURCE_DIR, shader)
    return os.path.join(HERE, shader)


def image_arg(name, file):
    return ["--image", f"{name}={os.path.join(HERE, 'images', file)}"]


def to_pixel(img, rect, u, v):
    """The PNG pixel (from the top-left) at uv (u, v) inside a normalised bottom-left rect."""
    x = int((rect[0] + u * rect[2]) * img.width)
    y = int((1.0 - (rect[1] + v * rect[3])) * img.height)
    return min(max(x, 0), img.width - 1), min(max(y, 0), img.height - 1)


# --- the analytic checks, one per case ---

def check_inputs_default(img, run):
    mid = img.height // 2
    band = lambda b: 8 * b + 4  # noqa: E731 - 72 px wide, 9 bands of 8
    expect(img, band(0), mid, (0, 0, 0), what="event (not triggered)")
    expect(img, band(1), mid, (0, 0, 0), what="bool false")
    expect(img, band(2), mid, (20, 0, 0), what="long DEFAULT 20")
    expect(img, band(3), mid, (127.5, 127.5, 0), tol=1, what="float 0.5")
    expect(img, band(4), mid, (byte(0.1), byte(0.2), 0), tol=1, what="point2D (10,20)/100")
    expect(img, band(5), mid, (byte(0.2), byte(0.4), byte(0.6)), tol=1, what="color")
    expect(img, band(6), mid, (0, 0, 0), what="image without a picture: transparent black")
    expect(img, band(7), mid, (128, 255, 0), tol=1, what="audio: silent mid-grey, opaque")
    expect(img, band(8), mid, (0, 0, 0), what="audioFFT: transparent black")


def check_inputs_set(img, run):
    mid = img.height // 2
    band = lambda b: 8 * b + 4  # noqa: E731
    expect(img, band(0), mid, (255, 255, 255), what="event triggered this frame")
    expect(img, band(1), mid, (0, 255, 0), what="bool on")
    expect(img, band(2), mid, (30, 0, 0), what="long LABEL high = 30")
    expect(img, band(3), mid, (byte(0.25), byte(0.75), 0), tol=1, what="float 0.25")
    expect(img, band(4), mid, (byte(0.25), byte(0.75), 0), tol=1, what="point2D 25,75")
    expect(img, band(5), mid, (0x33, 0x66, 0x99), tol=1, what="color #336699")
    # Orientation: the first row of the PNG is the top of the picture (uv.y near 1).
    expect(img, band(6), 2, (255, 0, 0), what="image top-left texel (red)")
    expect(img, band(6), img.height - 3, (0, 0, 255), what="image bottom-left texel (blue)")
    expect(img, band(7), mid, (128, 255, 0), tol=1, what="audio")
    expect(img, band(8), mid, (0, 0, 0), what="audioFFT")


def check_event_once(img, run):
    expect(img, 4, img.height // 2, (0, 0, 0), what="event is false again on the next frame")


def check_feedback(frames):
    def check(img, run):
        for x, y in ((0, 0), (img.width // 2, img.height // 2), (img.width - 1, img.height - 1)):
            expect(img, x, y, (frames, 0, 0), tol=0,
                   what=f"PERSISTENT FLOAT buffer after {frames} frames of +1/64")
    return check


def check_pass_sizes(w, h, cells):
    def check(img, run):
        qw, qh = w // 4, h // 4
        left, right = img.width // 4, 3 * img.width // 4
        top, bottom = 2, img.height - 3
        expect(img, left, top, (qw, qh, 0), tol=0, what="IMG_SIZE(quarter) = floor($WIDTH/4)")
        expect(img, left, bottom, (qw, qh, 0), tol=0, what="pass 0: RENDERSIZE, PASSINDEX 0")
        expect(img, right, top, (cells, 2, 0), tol=0, what="IMG_SIZE(strip) = $cells x 2")
        expect(img, right, bottom, (cells, 2, 1), tol=0, what="pass 1: RENDERSIZE, PASSINDEX 1")
    return check


def check_quadrants(img, run, x0=0, x1=None):
    """The 4x4 quadrants PNG stretched over columns x0..x1: red TL, green TR, blue BL, yellow BR."""
    x1 = img.width if x1 is None else x1
    w, h = x1 - x0, img.height
    for fx, fy, rgb, name in ((0.15, 0.15, (255, 0, 0), "top-left red"),
                              (0.85, 0.15, (0, 255, 0), "top-right green"),
                              (0.15, 0.85, (0, 0, 255), "bottom-left blue"),
                              (0.85, 0.85, (255, 255, 0), "bottom-right yellow")):
        expect(img, x0 + int(fx * w), int(fy * h), rgb, tol=1, what=name)


def check_vertex(img, run):
    for x, y in ((0, 0), (10, 30), (40, 5), (63, 35)):
        u, v = (x + 0.5) / img.width, 1 - (y + 0.5) / img.height
        expect(img, x, y, (byte(1 - u), byte(0.5 * v), byte(0.25)), tol=1,
               what="custom varying from the .vs (1-x, y/2)")


def check_isf_v1(img, run):
    for x, y in ((0, 0), (31, 17), (63, 35)):
        u, v = (x + 0.5) / img.width, 1 - (y + 0.5) / img.height
        expect(img, x, y, (48, byte(u), byte(v)), tol=1,
               what="PERSISTENT_BUFFERS trail after 3 frames of +16/255; vv_FragNormCoord")


def check_img_functions(img, run):
    # images/ramp.png is 8x2: texel (x, top row) = (32x, 200, 7), bottom row (32x, 100, 7).
    def ramp(u, v):
        tx = min(max(u * 8 - 0.5, 0), 7)
        ty = min(max(v * 2 - 0.5, 0), 1)  # from the bottom
        return (32 * tx, 100 + 100 * ty, 7)
    for x in (1, 20, 45, 62):
        u = (x + 0.5) / img.width
        for y in (1, 5, 11, 15):
            v = 1 - (y + 0.5) / img.height
            expect(img, x, y, ramp(u, v), tol=2,
                   what="IMG_THIS_PIXEL / IMG_THIS_NORM_PIXEL (bilinear)")
    expect(img, 30, 22, (160, 200, 7), tol=1, what="IMG_PIXEL(src, (5.5,1.5)): texel 5, top row")
    expect(img, 10, 33, (8, 2, 0), tol=0, what="IMG_SIZE = 8x2")
    expect(img, 50, 33, (0, 100, 7), tol=1, what="IMG_NORM_PIXEL bottom-left texel")


def check_builtins(img, run):
    mid = img.height // 2
    expect(img, 8, mid, (80, 20, 0), tol=0, what="RENDERSIZE 80x20")
    expect(img, 24, mid, (3, 0, 0), tol=0, what="FRAMEINDEX 3 (the 4th frame), PASSINDEX 0")
    expect(img, 40, mid, (18, 0, 0), tol=0, what="TIME 1.5 + 3/10")
    expect(img, 56, mid, (10, 0, 0), tol=0, what="TIMEDELTA 1/10")
    expect(img, 72, mid, (0, 0, 0), tol=0, what="DATE hidden")


def check_date(img, run):
    year, month, day = img.px(72, 2)[:3]
    if not (24 <= year <= 99 and 1 <= month <= 12 and 1 <= day <= 31):
        raise AssertionError(f"DATE implausible: year 2000+{year}, month {month}, day {day}")


def check_toy_basic(img, run):
    for x, y in ((0, 0), (16, 10), (31, 35)):
        u, v = (x + 0.5) / img.width, 1 - (y + 0.5) / img.height
        expect(img, x, y, (byte(u), byte(v), 127.5), tol=1,
               what="fragCoord / iResolution (first PNG row = top)")
    expect(img, 48, 4, (64, 36, 255), tol=0, what="iResolution (64, 36, 1)")
    expect(img, 48, 13, (2, 0, 0), tol=0, what="iFrame 2 (the third frame)")
    expect(img, 48, 22, (12, 10, 0), tol=0, what="iTime 1.2, iTimeDelta 0.1")
    expect(img, 48, 31, (12, 34, 0), tol=0, what="iMouse 12,34")


def check_toy_channel(img, run):
    check_quadrants(img, run, 0, img.width // 2)
    expect(img, 48, 18, (4, 4, 0), tol=0,
           what="iChannelResolution[0] = 4x4, iChannelResolution[1] = 0 (unbound)")


def check_crowd_data(img, run):
    n = 12
    rects = run.feed_rects("256x144", n)
    for i in range(n):
        bg, _ = synthetic_colours(i)
        s = synthetic_scores(i)
        x, y, w, h = rects[i]
        if not (0 <= x and 0 <= y and 0 < w and 0 < h and x + w <= 1.01 and y + h <= 1.01):
            raise AssertionError(f"FEED_RECT({i}) = {rects[i]} is not inside the canvas")
        expect(img, i, 0, (byte(x), byte(y), i + 1), tol=0, what=f"FEED_ID({i}) = {i + 1}")
        expect(img, i, 2, bg, tol=1, what=f"FEED_COLOR({i})")
        expect(img, i, 3, (byte(s["brightness"]), byte(s["motion"]), byte(s["faces"] / 3)),
               tol=1, what=f"FEED_SCORES({i}) brightness, motion, faces")
        expect(img, i, 4, (s["sharpness"], 0, 0), tol=1, what=f"FEED_SCORES({i}).z sharpness")
    expect(img, n, 2, (0, 0, 0), tol=0, what="no feed beyond FEED_COUNT")
    scores = [synthetic_scores(i) for i in range(n)]
    mean = [sum(synthetic_colours(i)[0][k] for i in range(n)) / n for k in range(3)]
    expect(img, 0, 6, mean, tol=1, what="CROWD_COLOR: the mean of FEED_COLOR")
    expect(img, 1, 6, (byte(sum(s["motion"] for s in scores) / n),
                       byte(sum(s["brightness"] for s in scores) / n),
                       byte(sum(s["faces"] for s in scores) / (2 * n))),
           tol=1, what="CROWD_MOTION (sum), CROWD_BRIGHTNESS (mean), CROWD_FACES (sum)")
    expect(img, 2, 6, (n, n, 64), tol=0, what="FEED_COUNT, CROWD_COUNT, FEED_MAX 256")


def check_crowd_picture(img, run):
    n = 12
    rects = run.feed_rects("256x144", n)
    for i in range(n):
        bg, ball = synthetic_colours(i)
        for u, v in ((0.05, 0.05), (0.95, 0.95), (0.05, 0.95), (0.95, 0.05)):
            x, y = to_pixel(img, rects[i], u, v)
            expect(img, x, y, bg, tol=2, what=f"feed {i} at uv ({u},{v}) of its FEED_RECT")
        bx, by, r = synthetic_ball(i)
        x, y = to_pixel(img, rects[i], bx, by)
        expect(img, x, y, ball, tol=2, what=f"feed {i}'s ball (FEED_PIXEL orientation)")
        if abs(by - 0.5) > r + 0.05:  # the ball is not where an upside-down tile puts it
            x, y = to_pixel(img, rects[i], bx, 1 - by)
            expect(img, x, y, bg, tol=2, what=f"feed {i} mirrored ball position is background")
    mean = [sum(synthetic_colours(i)[0][k] for i in range(n)) / n for k in range(3)]
    outside = [(x, y) for x, y in ((0, 0), (img.width - 1, img.height - 1), (0, img.height // 2))
               if not any(r[0] <= (x + 0.5) / img.width < r[0] + r[2] and
                          r[1] <= 1 - (y + 0.5) / img.height < r[1] + r[3] for r in rects)]
    if not outside:
        raise AssertionError("no probe pixel outside every FEED_RECT")
    for x, y in outside:
        expect(img, x, y, mean, tol=1, what="CROWD_COLOR between the tiles")


def palette(n):
    colours = []
    for i in range(n):
        colours += synthetic_colours(i)
    return colours


def check_stained_glass_flat(img, run):
    # tint 0, light Flat, lead magenta: every pixel away from an edge is the lead or a colour of
    # one of the 16 synthetic pictures (flat background or ball), shown through FEED_PIXEL.
    colours = palette(16) + [(255, 0, 255)]
    known, lead = 0, 0
    for _, _, p in img.pixels():
        if any(all(abs(p[k] - c[k]) <= 3 for k in range(3)) for c in colours):
            known += 1
            lead += p[:3] == (255, 0, 255)
    total = img.width * img.height
    if known < 0.85 * total:
        raise AssertionError(f"only {known}/{total} pixels are lead or a feed's colour")
    if not 0.03 * total < lead < 0.4 * total:
        raise AssertionError(f"{lead}/{total} pixels are lead: expected some lines, not all")


def check_stained_glass_empty(img, run):
    # No feeds: panes in the neutral palette, lead lines in the default near-black lead colour.
    lead = sum(1 for _, _, p in img.pixels() if max(p[:3]) <= 20)
    panes = {tuple(v // 16 for v in p[:3]) for _, _, p in img.pixels() if max(p[:3]) > 60}
    total = img.width * img.height
    if not 0.03 * total < lead < 0.4 * total:
        raise AssertionError(f"{lead}/{total} pixels are lead")
    if len(panes) < 5:
        raise AssertionError(f"only {len(panes)} distinct pane colours")


def check_stained_glass(img, run):
    check_stained_glass_empty(img, run)


def check_kaleidoscope_mirror(img, run):
    # segments 2, centre 0.5,0.5, no rotation yet (one frame, TIMEDELTA 0), no seam tint: a wedge
    # of pi folded on its axis makes the picture symmetric left-right and top-bottom.
    w, h = img.width, img.height
    bad = 0
    for x, y, p in img.pixels():
        for q in (img.px(w - 1 - x, y), img.px(x, h - 1 - y)):
            if any(abs(p[k] - q[k]) > 4 for k in range(3)):
                bad += 1
    if bad > 0.02 * 2 * w * h:
        raise AssertionError(f"{bad} pixel pairs break the mirror symmetry")
    canvas = Image(open(os.path.join(HERE, "images", "canvas.png"), "rb").read())
    cx, cy = w // 2, h // 2
    expect(img, cx, cy, canvas.px(cx, cy)[:3], tol=3, what="the centre shows the canvas centre")


def check_motion_heat(img, run):
    # opacity 1, Fire ramp, gain 1: a tile is heat(motion) = clamp(3t, 3t-1, 3t-2); outside the
    # tiles the canvas is untouched.
    rects = run.feed_rects("320x180", 16)
    canvas = Image(open(os.path.join(HERE, "images", "canvas.png"), "rb").read())
    for i, rect in enumerate(rects):
        t = synthetic_scores(i)["motion"]
        fire = [byte(min(max(3 * t - k, 0), 1)) for k in range(3)]
        for u, v in ((0.5, 0.5), (0.1, 0.9), (0.9, 0.1)):
            x, y = to_pixel(img, rect, u, v)
            expect(img, x, y, fire, tol=2, what=f"feed {i} (motion {t}) in the Fire ramp")
    for x, y in ((0, 0), (img.width - 1, img.height // 2)):
        expect(img, x, y, canvas.px(x, y)[:3], tol=1, what="outside the tiles: the canvas")


def check_filter_over_grid(img, run):
    # No --image inputImage but --feeds: a filter previews over the participants' grid. With
    # opacity 0 the heat map shows that grid untouched.
    rects = run.feed_rects("320x180", 16)
    for i, rect in enumerate(rects):
        bg, _ = synthetic_colours(i)
        for u, v in ((0.06, 0.06), (0.94, 0.94)):
            x, y = to_pixel(img, rect, u, v)
            expect(img, x, y, bg, tol=3, what=f"feed {i}'s picture under the filter")


def no_check(img, run):
    pass


# --- the table ---

S = "64x36"
CANVAS = image_arg("inputImage", "canvas.png")

CASES = [
    # name, shader, args, golden?, check
    ("inputs_default", "inputs_all.fs", ["--size", "72x36"], True, check_inputs_default),
    ("inputs_set", "inputs_all.fs",
     ["--size", "72x36", "--set", "ev=true", "--set", "flag=on", "--set", "choice=high",
      "--set", "amount=0.25", "--set", "pt=25,75", "--set", "tint=#336699",
      *image_arg("img", "quadrants.png")], True, check_inputs_set),
    ("inputs_event_once", "inputs_all.fs", ["--size", "72x36", "--set", "ev=true",
                                            "--frames", "2"], False, check_event_once),
    ("feedback_1", "feedback.fs", ["--size", S], False, check_feedback(1)),
    ("feedback_10", "feedback.fs", ["--size", S, "--frames", "10"], True, check_feedback(10)),
    ("pass_sizes", "pass_sizes.fs", ["--size", S], True, check_pass_sizes(64, 36, 5)),
    ("pass_sizes_input", "pass_sizes.fs", ["--size", "100x50", "--set", "cells=7"], False,
     check_pass_sizes(100, 50, 7)),
    ("imported", "imported.fs", ["--size", S], True, check_quadrants),
    ("vertex_varying", "vertex_varying.fs", ["--size", S], True, check_vertex),
    ("isf_v1", "isf_v1.fs", ["--size", S, "--frames", "3"], True, check_isf_v1),
    ("img_functions", "img_functions.fs", ["--size", S, *image_arg("src", "ramp.png")], True,
     check_img_functions),
    ("builtins", "builtins.fs", ["--size", "80x20", "--time", "1.5", "--frames", "4",
                                 "--fps", "10"], True, check_builtins),
    # DATE changes every second: plausibility only, no golden.
    ("builtins_date", "builtins.fs", ["--size", "80x20", "--set", "showDate=true"], False,
     check_date),
    ("toy_basic", "toy_basic.glsl", ["--size", S, "--time", "1", "--frames", "3", "--fps", "10",
                                     "--set", "iMouse=12,34"], True, check_toy_basic),
    ("toy_channel", "toy_channel.glsl", ["--size", S, *image_arg("iChannel0", "quadrants.png")],
     True, check_toy_channel),
    ("crowd_data", "crowd_all.fs", ["--size", "256x144", "--feeds", "12", "--set", "mode=data"],
     True, check_crowd_data),
    ("crowd_picture", "crowd_all.fs", ["--size", "256x144", "--feeds", "12"], True,
     check_crowd_picture),
    # The shipped shaders, as artists first see them.
    ("stained_glass", "shaders/stained_glass.fs", ["--size", "320x180", "--feeds", "16",
                                                   "--time", "2"], True, no_check),
    ("stained_glass_flat", "shaders/stained_glass.fs",
     ["--size", "320x180", "--feeds", "16", "--set", "tint=0", "--set", "light=Flat",
      "--set", "leadColor=#ff00ff"], False, check_stained_glass_flat),
    ("stained_glass_no_feeds", "shaders/stained_glass.fs", ["--size", "160x90"], True,
     check_stained_glass_empty),
    ("kaleidoscope", "shaders/kaleidoscope.fs",
     ["--size", "320x180", "--feeds", "16", "--frames", "10", "--fps", "10", "--set",
      "segments=8", *CANVAS], True, no_check),
    ("kaleidoscope_mirror", "shaders/kaleidoscope.fs",
     ["--size", "320x180", "--feeds", "16", "--set", "segments=2", "--set", "edgeTint=1,1,1,0",
      *CANVAS], False,
     check_kaleidoscope_mirror),
    ("motion_heat", "shaders/motion_heat.fs", ["--size", "320x180", "--feeds", "16", *CANVAS],
     True, no_check),
    ("motion_heat_opaque", "shaders/motion_heat.fs",
     ["--size", "320x180", "--feeds", "16", "--set", "opacity=1", "--set", "ramp=Fire", *CANVAS],
     False, check_motion_heat),
    ("filter_over_grid", "shaders/motion_heat.fs",
     ["--size", "320x180", "--feeds", "16", "--set", "opacity=0"], False, check_filter_over_grid),
]

# Cases known to fail because of a bug in tessera (name -> why); they must keep failing, so a fix
# is noticed and the entry removed.
EXPECTED_FAILURES = {}

# Shaders that must not compile: the message names the artist's file and line.
BROKEN = [
    ("broken_isf.fs", 13, "undeclaredThing"),
    ("broken_toy.glsl", 5, "missingColour"),
]


def compare(name, data, update):
    golden = os.path.join(GOLDEN_DIR, name + ".png")
    if update:
        os.makedirs(GOLDEN_DIR, exist_ok=True)
        with open(golden, "wb") as f:
            f.write(data)
        return
    if not os.path.exists(golden):
        raise AssertionError(f"no golden {golden} (run with --update)")
    want = Image(open(golden, "rb").read())
    got = Image(data)
    if (got.width, got.height) != (want.width, want.height):
        raise AssertionError(f"size {got.width}x{got.height}, golden {want.width}x{want.height}")
    within, total_diff, worst = 0, 0, (-1, None, None, None)
    for x, y, p in got.pixels():
        q = want.px(x, y)
        d = max(abs(a - b) for a, b in zip(p, q))
        total_diff += sum(abs(a - b) for a, b in zip(p, q)) / 4
        within += d <= PIXEL_TOLERANCE
        if d > worst[0]:
            worst = (d, (x, y), p, q)
    n = got.width * got.height
    mean = total_diff / n
    if within < PIXELS_WITHIN * n or mean >= MEAN_TOLERANCE:
        raise AssertionError(
            f"differs from {golden}: {within}/{n} pixels within {PIXEL_TOLERANCE}, mean |diff| "
            f"{mean:.2f}; worst at {worst[1]} (from the top-left): got {worst[2]}, "
            f"golden {worst[3]}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    ap.add_argument("--update", action="store_true", help="rewrite the goldens")
    ap.add_argument("--only", nargs="*", help="run only these cases")
    ap.add_argument("--keep", help="also write every rendered picture into this folder")
    a = ap.parse_args()
    failures = []
    with tempfile.TemporaryDirectory(prefix="tessera-shaders-") as tmp:
        run = Runner(a.tessera, tmp)
        for name, shader, args, golden, check in CASES:
            if a.only and name not in a.only:
                continue
            try:
                data = run.run(shader, args)
                if a.keep:
                    os.makedirs(a.keep, exist_ok=True)
                    with open(os.path.join(a.keep, name + ".png"), "wb") as f:
                        f.write(data)
                check(Image(data), run)
                if golden:
                    compare(name, data, a.update)
                error = None
            except AssertionError as e:
                error = str(e)
            if name in EXPECTED_FAILURES:
                if error is None:
                    failures.append(f"{name}: passes now; remove it from EXPECTED_FAILURES")
                else:
                    print(f"xfail {name}: {EXPECTED_FAILURES[name]}")
            elif error is None:
                print(f"ok    {name}")
            else:
                print(f"FAIL  {name}: {error}")
                failures.append(f"{name}: {error}")

        if not a.only:
            for shader, line, identifier in BROKEN:
                try:
                    r = run.run(shader, ["--size", S], expect_rc=2)
                    prefix = f"{shader}:{line}:"
                    lines = [l for l in r.stderr.splitlines() if prefix in l and "error" in l]
                    if not any(identifier in l for l in lines):
                        raise AssertionError(f"no error line starting {prefix} naming "
                                             f"{identifier}:\n{r.stderr}")
                    if "tessera preamble" in r.stderr:
                        raise AssertionError(f"the log blames tessera's preamble:\n{r.stderr}")
                    print(f"ok    broken {shader}")
                except AssertionError as e:
                    print(f"FAIL  broken {shader}: {e}")
                    failures.append(f"broken {shader}: {e}")
            usage = [
                ("unknown --set name", "inputs_all.fs", ["--set", "nosuch=1"], "nosuch"),
                ("--set out of range", "inputs_all.fs", ["--set", "amount=2"], "amount"),
                ("--set unknown LABEL", "inputs_all.fs", ["--set", "choice=huge"], "choice"),
                ("--size 0x0", "inputs_all.fs", ["--size", "0x0"], "--size"),
                ("missing file", "no_such_shader.fs", [], "no_such_shader.fs"),
                ("a frame that takes minutes", "endless_loop.fs",
                 ["--size", "1280x720", "--timeout", "1"], "endless loop"),
            ]
            for what, shader, args, mention in usage:
                try:
                    r = run.run(shader, args, expect_rc=2)
                    if mention not in r.stderr:
                        raise AssertionError(f"the message does not name {mention}: {r.stderr}")
                    print(f"ok    {what}: exit 2")
                except AssertionError as e:
                    print(f"FAIL  {what}: {e}")
                    failures.append(f"{what}: {e}")

    if failures:
        print(f"\n{len(failures)} failure(s)")
        return 1
    print("\nall shader render cases pass" + (" (goldens updated)" if a.update else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
