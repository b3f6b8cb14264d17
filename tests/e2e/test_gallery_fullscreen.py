"""A fullscreen gallery window on an X server without a window manager (a kiosk): it covers the
whole screen, letterboxes the canvas, shows no cursor (x11grab draws the cursor XFixes reports),
and neither Esc nor other keys nor a close request (WM_DELETE_WINDOW, a window manager's close
button) end the show; SIGTERM does, cleanly."""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from gallery_x11 import PATTERN, Xvfb, close_request, distance, pixel  # noqa: E402
from tessera_harness import Tessera, decode_png, http_get, wait_until  # noqa: E402

SW, SH = 640, 480  # a 4:3 screen
CW, CH = 640, 360  # a 16:9 canvas: bars of 60 px above and below
BAR = (SH - CH) // 2
CONFIG = f"""
[installation]
name = "fullscreen-e2e"
[canvas]
width = {CW}
height = {CH}
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
window = true
"""


def cursor_drawn(x, at):
    """Whether x11grab with draw_mouse=1 differs from without, around `at`."""
    with_mouse, without = x.grab(draw_mouse=True), x.grab(draw_mouse=False)
    return any(distance(pixel(with_mouse, px, py), pixel(without, px, py)) > 30
               for py in range(at[1] - 2, at[1] + 20) for px in range(at[0] - 2, at[0] + 20))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    binary = ap.parse_args().tessera
    with Xvfb(SW, SH) as x:
        pointer = (200, 200)
        x.xdotool("mousemove", str(pointer[0]), str(pointer[1]))
        # The method can see a cursor: the X server's own one over the bare root window.
        assert cursor_drawn(x, pointer), "x11grab draws no cursor over the root window"
        with Tessera(binary, CONFIG, headless=False, extra_args=["--log-level", "debug"]) as t:
            wait_until(lambda: "SDL2 windows (1)" in t.log_text(), 20, "the SDL2 window")
            wait_until(lambda: http_get(t.url + "/api/v1/canvas.png")[0] == 200, 20, "a canvas")
            placed = wait_until(lambda: x.windows("fullscreen-e2e") or None, 10, "a window")
            assert [g[1:] for g in placed] == [(0, 0, SW, SH)], placed
            canvas = decode_png(http_get(t.url + "/api/v1/canvas.png")[2])

            def letterboxed():
                shot = x.grab()
                for y in list(range(0, BAR, 7)) + list(range(SH - BAR, SH, 7)):
                    for sx in range(0, SW, 13):
                        if max(pixel(shot, sx, y)) > 4:
                            return print(f"bar pixel {sx},{y} is {pixel(shot, sx, y)}")
                for y in range(BAR + 3, SH - BAR, 11):
                    for sx in range(3, SW, 13):
                        if distance(pixel(shot, sx, y), pixel(canvas, sx, y - BAR)) > 6:
                            return print(f"picture pixel {sx},{y}: {pixel(shot, sx, y)}")
                return True
            wait_until(letterboxed, 20, "the canvas letterboxed over the whole screen",
                       interval=0.5)
            # No cursor over the window, wherever the pointer goes.
            for p in [(200, 200), (500, 300), (20, 20)]:
                x.xdotool("mousemove", str(p[0]), str(p[1]))
                assert not cursor_drawn(x, p), f"a cursor is drawn at {p}"
            # Keys a visitor might press: none ends the show.
            for key in ["Escape", "q", "alt+F4", "ctrl+c", "ctrl+q"]:
                x.xdotool("key", key)
            # They reached the window (and were ignored there).
            wait_until(lambda: "window: key Escape ignored" in t.log_text() and
                       "window: key Q ignored" in t.log_text(), 10, "the keys to arrive")
            deadline = time.monotonic() + 2  # an absence: watched for a bounded time
            while time.monotonic() < deadline:
                assert t.proc.poll() is None, f"tessera exited after a key:\n{t.log_text()}"
                assert t.json("/healthz")["status"] == "ok"
                time.sleep(0.2)
            # A window manager's close button: logged, ignored.
            close_request(placed[0][0])
            wait_until(lambda: "a close request was ignored" in t.log_text(), 10,
                       "the close request to arrive")
            assert t.proc.poll() is None, f"tessera exited after a close request:\n{t.log_text()}"
            assert t.json("/healthz")["status"] == "ok"
            assert x.windows("fullscreen-e2e"), "the window went away"
            assert t.stop() == 0, t.log_text()
    print("ok")


if __name__ == "__main__":
    main()
