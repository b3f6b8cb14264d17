"""End to end: artists' shaders in a running installation.

A scene whose layout shader draws every feed at its tile rectangle (FEED_RECT/FEED_PIXEL) shows
the same picture as the grid; an ISF filter (inputImage) inverts it. Parameters are listed and
set through /api/v1/params (admin token; 404 for unknown names, 422 for bad values). Hot reload:
the shader file is rewritten to draw red (shows within a second), then broken (the error names
the artist's line; red stays on screen; /healthz counts it), then fixed to draw green (shows).
"""
import argparse
import json
import re
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from tessera_harness import Tessera, http_request, mean_rgb, wait_until  # noqa: E402

WIDTH, HEIGHT, FEEDS, TOKEN = 320, 180, 4, "e2e-shader-admin"

CROWD = """/*{
  "DESCRIPTION": "every feed at its tile",
  "INPUTS": [ {"NAME": "gain", "TYPE": "float", "DEFAULT": 1.0, "MIN": 0.0, "MAX": 2.0} ]
}*/
void main() {
  vec2 uv = isf_FragNormCoord;
  vec4 c = vec4(0.0, 0.0, 0.0, 1.0);
  for (int i = 0; i < FEED_COUNT; ++i) {
    vec4 r = FEED_RECT(i);
    vec2 p = (uv - r.xy) / r.zw;
    if (p.x >= 0.0 && p.y >= 0.0 && p.x < 1.0 && p.y < 1.0) {
      c = vec4(FEED_PIXEL(i, p).rgb * gain, 1.0);
      break;
    }
  }
  gl_FragColor = c;
}
"""

INVERT = """/*{
  "INPUTS": [
    {"NAME": "inputImage", "TYPE": "image"},
    {"NAME": "amount", "TYPE": "float", "DEFAULT": 1.0, "MIN": 0.0, "MAX": 1.0},
    {"NAME": "tone", "TYPE": "color", "DEFAULT": [1.0, 1.0, 1.0, 1.0]},
    {"NAME": "mode", "TYPE": "long", "DEFAULT": 0, "VALUES": [0, 1, 2],
     "LABELS": ["plain", "warm", "cold"]},
    {"NAME": "focus", "TYPE": "point2D", "DEFAULT": [0.5, 0.5], "MIN": [0, 0], "MAX": [1, 1]},
    {"NAME": "flash", "TYPE": "bool", "DEFAULT": false}
  ]
}*/
void main() {
  vec4 c = IMG_THIS_PIXEL(inputImage);
  // tone, mode, focus and flash are unused on purpose: their values must still be kept.
  gl_FragColor = vec4(mix(c.rgb, 1.0 - c.rgb, amount), 1.0);
}
"""

SOLID = """/*{{ "INPUTS": [] }}*/
void main() {{
  gl_FragColor = vec4({r:.1f}, {g:.1f}, 0.0, 1.0);
}}
"""

# A ShaderToy filter: iChannel0 is the canvas so far.
TOY_INVERT = """void mainImage(out vec4 fragColor, in vec2 fragCoord) {
  fragColor = vec4(1.0 - texture(iChannel0, fragCoord / iResolution.xy).rgb, 1.0);
}
"""

# Line 4 uses an undeclared name.
BROKEN = """/*{ "INPUTS": [] }*/
void main() {
  vec4 c = vec4(1.0);
  gl_FragColor = c * notDeclaredAnywhere;
}
"""


def config(crowd, invert, toy):
    return f"""
[installation]
name = "shaders-e2e"
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
name = "painted"
layout = "shader"
shader = "{crowd}"
filters = ["{invert}"]
fade_seconds = 0
params = {{ amount = 0.0 }}
shader_scale = 1  # pixels compared exactly: never drawn smaller, however busy the machine
[[scenes]]
name = "grid"
layout = "grid"
fade_seconds = 0
[[scenes]]
name = "inverted"
layout = "grid"
fade_seconds = 0
filters = ["{invert}"]
shader_scale = 1
[[scenes]]
name = "default"
layout = "shader"
[[scenes]]
name = "toy"
layout = "grid"
fade_seconds = 0
filters = ["{toy}"]
shader_scale = 1
"""


def pixel(image, x, y):
    width, height, channels, rows = image
    return tuple(rows[y][x * channels:x * channels + 3])


def near(a, b, tol):
    return all(abs(x - y) <= tol for x, y in zip(a, b))


def patch(t, body, token=TOKEN):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    status, _, data = http_request(t.url + "/api/v1/params", "PATCH", json.dumps(body).encode(),
                                   headers)
    return status, json.loads(data) if data else None


def switch(t, name):
    status, _, _ = http_request(t.url + "/api/v1/scene", "POST", json.dumps({"name": name}).encode(),
                                {"Authorization": f"Bearer {TOKEN}"})
    assert status == 200
    wait_until(lambda: t.json("/healthz")["scene"] == name, 5, f"scene {name}")


def rendered_frames(t):
    _, _, body = http_request(t.url + "/metrics")
    m = re.search(r"^tessera_render_frames_total ([0-9.eE+]+)$", body.decode(), re.M)
    assert m, "/metrics has no tessera_render_frames_total"
    return float(m.group(1))


def tile_corner_colours(image, feeds):
    """Each feed's background colour: the mean of a small patch near its tile's top-left corner
    (the synthetic participants' ball moves, their background does not)."""
    out = {}
    for f in feeds:
        r = f["tile"]
        patch_rect = {"x": r["x"] + 2, "y": r["y"] + 2, "w": r["w"] * 0.15, "h": r["h"] * 0.15}
        out[f["id"]] = mean_rgb(image, patch_rect, inset=0)
    return out


def shader_state(t, scene, role):
    for s in t.json("/api/v1/params")["shaders"]:
        if s["scene"] == scene and s["role"] == role:
            return s
    raise AssertionError(f"no {role} shader in scene {scene}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="tessera-shaders-")
    crowd = os.path.join(work, "crowd.fs")
    invert = os.path.join(work, "invert.fs")
    with open(crowd, "w") as f:
        f.write(CROWD)
    with open(invert, "w") as f:
        f.write(INVERT)
    toy = os.path.join(work, "toy_invert.glsl")
    with open(toy, "w") as f:
        f.write(TOY_INVERT)

    with Tessera(args.tessera, config(crowd, invert, toy)) as t:
        t.wait_healthy(FEEDS)
        feeds = wait_until(lambda: (lambda fs: fs if all(f["tile"] for f in fs) else None)(
            t.json("/api/v1/feeds")), 10, "tiles for every feed")

        # The listing: both shaders of "painted", the filter's param from the file's params.
        listing = t.json("/api/v1/params")
        assert listing["scene"] == "painted", listing
        layout = shader_state(t, "painted", "layout")
        assert layout["name"] == "crowd" and layout["running"] and layout["error"] is None, layout
        gain = next(p for p in layout["params"] if p["name"] == "gain")
        assert gain == {"name": "gain", "type": "float", "value": 1.0, "default": 1.0, "min": 0.0,
                        "max": 2.0}, gain
        flt = shader_state(t, "painted", "filter")
        amount = next(p for p in flt["params"] if p["name"] == "amount")
        assert amount["value"] == 0.0, f"params.amount from the installation file: {amount}"
        assert t.json("/healthz").get("shader_errors") is None
        default = shader_state(t, "default", "layout")
        assert default["file"] == "stained_glass.fs" and default["running"], default

        # 1. The layout shader draws each feed where the grid puts it.
        # Every feed drawn, and settled: the same colours three canvas frames apart (a feed's
        # first frames can still be arriving on a loaded machine).
        def settled():
            first = tile_corner_colours(t.canvas(), feeds)
            if not all(max(v) > 20 for v in first.values()):
                return None
            frames = rendered_frames(t)
            wait_until(lambda: rendered_frames(t) >= frames + 3, 5, "three canvas frames")
            second = tile_corner_colours(t.canvas(), feeds)
            return second if all(near(first[f], second[f], 3) for f in first) else None
        painted = wait_until(settled, 10, "every feed drawn by the layout shader, settled")

        switch(t, "grid")
        # The render thread takes the switch up on its next tick: await a few canvas frames
        # drawn after it (a fixed 0.2 s was not always enough on a loaded machine).
        frames = rendered_frames(t)
        wait_until(lambda: rendered_frames(t) >= frames + 3, 5, "canvas frames after the switch")
        grid_image = t.canvas()
        grid = tile_corner_colours(grid_image, feeds)
        margin = [255 - c for c in pixel(grid_image, 0, 0)]
        for fid, colour in grid.items():
            assert max(colour) > 20, f"feed {fid}: grid tile is black: {colour}"
            assert near(painted[fid], colour, 6), \
                f"feed {fid}: shader drew {painted[fid]} where the grid shows {colour}"
        print(f"layout shader matches the grid on {len(grid)} tiles")

        # 2. A filter over the grid inverts it: the black margin turns white, tiles invert.
        switch(t, "inverted")
        image = wait_until(lambda: (lambda im: im if near(pixel(im, 0, 0), margin, 3)
                                    else None)(t.canvas()), 5, "the inverted margin")

        inverted = tile_corner_colours(image, feeds)
        for fid, colour in grid.items():
            want = [255 - c for c in colour]
            assert near(inverted[fid], want, 6), f"feed {fid}: {inverted[fid]} is not {want}"
        # The same as a ShaderToy filter (iChannel0).
        switch(t, "toy")
        image = wait_until(lambda: (lambda im: im if near(pixel(im, 0, 0), margin, 3)
                                    else None)(t.canvas()), 5, "the margin inverted by ShaderToy")
        toy_inverted = tile_corner_colours(image, feeds)
        for fid, colour in grid.items():
            assert near(toy_inverted[fid], [255 - c for c in colour], 6), (fid, toy_inverted[fid])
        print("filters (ISF inputImage, ShaderToy iChannel0) invert the grid")

        # 3. Parameters through the API.
        assert patch(t, {"scene": "painted", "values": {"gain": 0.5}}, token=None)[0] == 401
        assert patch(t, {"scene": "painted", "values": {"gain": 0.5}}, token="wrong")[0] == 401
        status, body = patch(t, {"scene": "painted", "values": {"nope": 1}})
        assert status == 404 and "nope" in body["detail"], (status, body)
        status, body = patch(t, {"scene": "nowhere", "values": {"gain": 1}})
        assert status == 404, (status, body)
        status, body = patch(t, {"scene": "painted", "shader": "other", "values": {"gain": 1}})
        assert status == 404 and "crowd" in body["detail"], (status, body)
        status, body = patch(t, {"scene": "painted", "values": {"gain": 5}})
        assert status == 422 and "0..2" in body["detail"], (status, body)
        status, body = patch(t, {"scene": "painted", "values": {"gain": "loud"}})
        assert status == 422, (status, body)
        status, body = patch(t, {"scene": "painted", "values": {"inputImage": 1}})
        assert status == 422, (status, body)
        status, _, _ = http_request(t.url + "/api/v1/params", "PATCH", b"{not json",
                                    {"Authorization": f"Bearer {TOKEN}"})
        assert status == 400
        status, body = patch(t, {"scene": "painted", "shader": "crowd", "values": {"gain": 0.0}})
        assert status == 200 and body["shaders"] == ["crowd"], (status, body)
        wait_until(lambda: next(p for p in shader_state(t, "painted", "layout")["params"]
                                if p["name"] == "gain")["value"] == 0.0, 3, "gain 0 listed")
        switch(t, "painted")
        wait_until(lambda: all(max(c) < 3 for c in tile_corner_colours(t.canvas(), feeds).values()),
                   3, "gain 0 makes every tile black")
        # Without "shader": every shader of the scene with that input (here the filter's).
        status, body = patch(t, {"values": {"amount": 1.0}})
        assert status == 200 and body["scene"] == "painted", (status, body)
        assert body["shaders"] == ["invert"], body  # the shader that has the input
        wait_until(lambda: near(pixel(t.canvas(), WIDTH // 2, HEIGHT // 2), (255, 255, 255), 3),
                   3, "black tiles inverted to white")
        patch(t, {"values": {"amount": 0.0, "gain": 1.0}})

        # Every value type through the API: a colour as hex or as numbers (alpha optional), a
        # long by label or value, a point2D, a bool; wrong shapes and choices are 422.
        def listed(name):
            return next(p for p in shader_state(t, "painted", "filter")["params"]
                        if p["name"] == name)
        status, body = patch(t, {"shader": "invert", "values": {
            "tone": "#ff8000", "mode": "cold", "focus": [0.25, 0.75], "flash": True}})
        assert status == 200, (status, body)
        wait_until(lambda: listed("mode")["value"] == 2, 3, "mode cold (2) listed")
        tone = listed("tone")["value"]
        assert [round(v, 3) for v in tone] == [1.0, 0.502, 0.0, 1.0], tone
        assert listed("focus")["value"] == [0.25, 0.75] and listed("flash")["value"] == 1
        assert listed("mode")["labels"] == ["plain", "warm", "cold"]
        assert listed("focus")["min"] == [0, 0] and listed("focus")["max"] == [1, 1]
        status, body = patch(t, {"values": {"tone": [0, 0.5, 1], "mode": 1}})
        assert status == 200, (status, body)
        wait_until(lambda: listed("mode")["value"] == 1 and listed("tone")["value"] == [0, 0.5, 1, 1],
                   3, "tone [0, 0.5, 1] (alpha 1) and mode 1")
        for bad in ({"mode": 3}, {"mode": "hot"}, {"focus": [0.5]}, {"focus": [2, 0]},
                    {"tone": "#12"}, {"tone": [1, 2, 3, 4, 5]}, {"amount": [1, 2]}):
            status, body = patch(t, {"values": bad})
            assert status == 422, (bad, status, body)
        print("parameters: 401/404/422/400 refused, 200 applied, every value type")

        # 4. Hot reload: red shows soon after saving (how soon is bench_shaders' figure: p95
        # 0.3 s on a quiet machine; the bound here only catches a reload that never comes).
        def save(text):
            tmp = crowd + ".tmp"
            with open(tmp, "w") as f:
                f.write(text)
            os.replace(tmp, crowd)  # what editors do: the file is whole when seen
        red = (255, 0, 0)
        saved = time.monotonic()
        save(SOLID.format(r=1.0, g=0.0))
        wait_until(lambda: near(pixel(t.canvas(), WIDTH // 2, HEIGHT // 2), red, 2), 5,
                   "the reloaded (red) shader on the canvas")
        print(f"reload shown after {time.monotonic() - saved:.2f} s")
        assert shader_state(t, "painted", "layout")["loads"] == 2

        # Broken: the error names the artist's file and line 4; red stays on screen.
        save(BROKEN)
        state = wait_until(lambda: (lambda s: s if s["error"] else None)(
            shader_state(t, "painted", "layout")), 3, "the compile error in /api/v1/params")
        assert state["error"].startswith("crowd.fs:4:"), state  # the file, not where it is kept
        assert "notDeclaredAnywhere" in state["error"] and work not in state["error"], state

        assert state["running"] and state["loads"] == 2, state
        assert t.json("/healthz")["shader_errors"] == 1
        time.sleep(0.4)
        assert near(pixel(t.canvas(), WIDTH // 2, HEIGHT // 2), red, 2), "the last good shader stays"
        assert "crowd.fs:4:" in t.log_text()

        # Fixed: green shows, the error clears.
        save(SOLID.format(r=0.0, g=1.0))
        wait_until(lambda: near(pixel(t.canvas(), WIDTH // 2, HEIGHT // 2), (0, 255, 0), 2), 5,
                   "the fixed (green) shader")
        state = shader_state(t, "painted", "layout")
        assert state["error"] is None and state["loads"] == 3, state
        assert t.json("/healthz").get("shader_errors") is None
        assert t.stop() == 0
    print("ok")


if __name__ == "__main__":
    main()
