"""End to end: the canvas reaches the encoder as I420 converted on the GPU (issue 13 item 3).

A 1280x720 canvas (BT.709) showing eight colour bars (a filter shader) and HLS, with
`[output] i420_conversion = "gpu"`:
1. The encoder's running pipeline has no videoconvert (its elements are logged at start: appsrc,
   queue, x264enc, h264parse, appsink, capsfilters) and the stream signals BT.709 limited range
   (ffprobe: color_space bt709, color_range tv).
2. An HLS segment decoded by ffmpeg (BT.709, limited range, to RGB) shows every bar in its colour
   (median of the bar's inside, within 6 levels: H.264 at ultrafast).
3. canvas.png is right both ways it is made: RGBA read back while snapshots are asked for, and
   once RGBA readbacks have stopped (nobody asked for 5 s; I420 ones go on), the frame converted
   from the I420 readback on the CPU: the bars within 2 and 3 levels of their colours.
4. `"auto"` converts in the encoder (videoconvert) on a software rasteriser such as llvmpipe,
   on the GPU otherwise.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from tessera_harness import Tessera, http_get, wait_until  # noqa: E402

WIDTH, HEIGHT = 1280, 720
# Eight vertical bars, drawn by a filter shader over the whole canvas every frame (a scene with
# shaders redraws every tick, so I420 frames keep coming).
BARS = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255), (200, 120, 40),
        (30, 160, 220), (128, 128, 128), (16, 16, 16)]
SHADER = """/*{ "DESCRIPTION": "colour bars", "ISFVSN": "2",
  "INPUTS": [ { "NAME": "inputImage", "TYPE": "image" } ] }*/
void main() {
  const vec3 bars[8] = vec3[8](%s);
  int band = clamp(int(gl_FragCoord.x / RENDERSIZE.x * 8.0), 0, 7);
  // TIME keeps the shader "moving" without changing a pixel.
  gl_FragColor = vec4(bars[band] + 0.0 * fract(TIME), 1.0);
}
""" % ", ".join("vec3(%d.0, %d.0, %d.0) / 255.0" % c for c in BARS)

CONFIG = """
[installation]
name = "e2e-canvas-i420"
[canvas]
width = {width}
height = {height}
fps = 30
[analysis]
workers = 0
[output]
hls = true
hls_segment_seconds = 1
i420_conversion = "gpu"  # "auto" would not on a software rasteriser (llvmpipe)
[[scenes]]
name = "bars"
layout = "grid"
filters = ["{shader}"]
"""


def bar_rect(i):
    return {"x": i * WIDTH / 8, "y": 0, "w": WIDTH / 8, "h": HEIGHT}


def rgb24(source, video_filter):
    """The first frame of `source` (a file or URL) as packed RGB, through ffmpeg."""
    r = subprocess.run(["ffmpeg", "-v", "error", "-i", source, "-frames:v", "1", "-vf",
                        video_filter, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                       capture_output=True, timeout=60)
    assert r.returncode == 0 and len(r.stdout) == WIDTH * HEIGHT * 3, (r.returncode, r.stderr)
    return r.stdout


def png_rgb(t):
    status, _, png = http_get(t.url + "/api/v1/canvas.png")
    assert status == 200, status
    with tempfile.NamedTemporaryFile(suffix=".png", delete=False) as f:
        f.write(png)
    try:
        return rgb24(f.name, "format=rgb24")
    finally:
        os.unlink(f.name)


def median_colour(pixels, rect, inset=0.2):
    x0, x1 = int(rect["x"] + rect["w"] * inset), int(rect["x"] + rect["w"] * (1 - inset))
    y0, y1 = int(rect["y"] + rect["h"] * inset), int(rect["y"] + rect["h"] * (1 - inset))
    channels = [[], [], []]
    for y in range(y0, y1, 3):
        for x in range(x0, x1, 3):
            at = (y * WIDTH + x) * 3
            for k in range(3):
                channels[k].append(pixels[at + k])
    return [sorted(c)[len(c) // 2] for c in channels]


def metric(t, name):
    _, _, body = http_get(t.url + "/metrics")
    m = re.search(rf"^{name} (\S+)$", body.decode(), re.M)
    assert m, name
    return float(m.group(1))


def worst(a, b):
    return max(abs(x - y) for x, y in zip(a, b))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    args = ap.parse_args()

    shader = os.path.join(tempfile.mkdtemp(prefix="tessera-i420-"), "bars.fs")
    with open(shader, "w") as f:
        f.write(SHADER)
    config = CONFIG.format(width=WIDTH, height=HEIGHT, shader=shader)
    with Tessera(args.tessera, config, duration=90) as t:
        t.wait_healthy(0)
        tiles = [bar_rect(i) for i in range(len(BARS))]

        # 1. No conversion in the encoder, and the matrix signalled.
        line = wait_until(lambda: re.search(r"encoder: 1280x720@30 .*elements (.*)$",
                                            t.log_text(), re.M), 10, "the encoder's log line")
        elements = line.group(1).split()
        assert "the encoders get the canvas as I420 converted on the GPU" in t.log_text()
        assert "x264enc" in elements and "appsrc" in elements, elements
        assert not any(e.startswith("videoconvert") or e == "videoscale" for e in elements), \
            elements

        # 3. canvas.png: RGBA read back on request while snapshots are asked for ...
        def bars_drawn():
            pixels = png_rgb(t)
            return pixels if all(worst(median_colour(pixels, r), c) <= 2
                                 for r, c in zip(tiles, BARS)) else None
        from_rgba = wait_until(bars_drawn, 20, "the bars on canvas.png", 0.2)
        # (the render statistics are published once a second)
        wait_until(lambda: metric(t, "tessera_render_rgba_readbacks_total") > 0 and
                   metric(t, "tessera_render_i420_readbacks_total") > 0, 3, "readback counts")
        # ... and not once nobody asks (the canvas moves: I420 frames keep coming) ...
        def rgba_stopped():
            before = metric(t, "tessera_render_rgba_readbacks_total")
            i420 = metric(t, "tessera_render_i420_readbacks_total")
            time.sleep(1.2)  # longer than the statistics' period
            return (metric(t, "tessera_render_rgba_readbacks_total") == before and
                    metric(t, "tessera_render_i420_readbacks_total") > i420)
        wait_until(rgba_stopped, 15, "RGBA readbacks to stop while I420 ones go on")
        # ... when the next snapshot is converted from the I420 readback on the CPU.
        conversions = metric(t, "tessera_canvas_snapshot_conversions_total")
        from_i420 = png_rgb(t)
        assert metric(t, "tessera_canvas_snapshot_conversions_total") == conversions + 1

        def segment():
            status, _, body = http_get(t.url + "/hls/index.m3u8")
            names = re.findall(r"^(\S+\.ts)$", body.decode(), re.M) if status == 200 else []
            return names[-1] if names else None
        name = wait_until(segment, 20, "an HLS segment", 0.3)
        url = t.url + "/hls/" + name
        probe = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0",
                                "-show_entries", "stream=width,height,pix_fmt,color_space,"
                                "color_range", "-of", "json", url],
                               capture_output=True, text=True, timeout=30)
        stream = json.loads(probe.stdout)["streams"][0]
        assert stream == {"width": WIDTH, "height": HEIGHT, "pix_fmt": "yuv420p",
                          "color_range": "tv", "color_space": "bt709"}, stream

        # 2. The encoded colours.
        decoded = rgb24(url, "scale=in_color_matrix=bt709:in_range=tv:out_range=pc,"
                             "format=rgb24")
        for rect, want in zip(tiles, BARS):
            got = median_colour(decoded, rect)
            assert worst(want, got) <= 6, (rect, "drawn", want, "HLS", got)
            converted = median_colour(from_i420, rect)
            assert worst(want, converted) <= 3, (rect, "drawn", want, "from I420", converted)
        print("canvas I420 e2e: bars", [median_colour(decoded, r) for r in tiles])
        assert t.stop() == 0

    # 4. "auto" on a software rasteriser keeps the conversion in the encoder (it costs llvmpipe
    # several times the CPU), with the matrix still stated; on a hardware GPU it converts there.
    auto = config.replace('i420_conversion = "gpu"', 'i420_conversion = "auto"')
    with Tessera(args.tessera, auto, duration=30) as t:
        t.wait_healthy(0)
        line = wait_until(lambda: re.search(r"encoder: 1280x720@30 .*elements (.*)$",
                                            t.log_text(), re.M), 10, "the encoder's log line")
        software = re.search(r"render: canvas .* (llvmpipe|softpipe|swrast)", t.log_text())
        elements = line.group(1).split()
        if software:
            assert "RGBA, converted in their pipelines" in t.log_text()
            assert "videoconvert" in elements, elements
        else:
            assert "I420 converted on the GPU" in t.log_text()
            assert "videoconvert" not in elements, elements
        assert t.stop() == 0
    print("canvas I420 e2e: ok")


if __name__ == "__main__":
    main()
