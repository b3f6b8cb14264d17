"""[output] window = true: the canvas shows in an SDL2 window (here under Xvfb). The window's
pixels, grabbed from the X display with ffmpeg's x11grab, match canvas.png tile by tile."""
import argparse
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from tessera_harness import Tessera, decode_png, http_get, mean_rgb, wait_until  # noqa: E402

WIDTH, HEIGHT = 640, 360
CONFIG = f"""
[installation]
name = "window-e2e"
[canvas]
width = {WIDTH}
height = {HEIGHT}
fps = 15
[ingest.synthetic]
count = 4
[analysis]
workers = 0
[output]
window = true
hls = false
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    b = ap.parse_args().tessera
    display = f":{100 + os.getpid() % 800}"
    xvfb = subprocess.Popen(["Xvfb", display, "-screen", "0", f"{WIDTH}x{HEIGHT}x24", "-nolisten",
                             "tcp"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: os.path.exists(f"/tmp/.X11-unix/X{display[1:]}"), 10, "Xvfb")
        os.environ["DISPLAY"] = display
        with Tessera(b, CONFIG, headless=False) as t:
            wait_until(lambda: "SDL2 window" in t.log_text(), 20, "the SDL2 window")
            t.wait_healthy(4)
            feeds = wait_until(lambda: (lambda f: f if all(x["tile"] for x in f) else None)(
                t.json("/api/v1/feeds")), 10, "tiles")
            grab = os.path.join(tempfile.mkdtemp(prefix="window-e2e-"), "grab.png")

            def window_matches():
                subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "x11grab", "-video_size",
                                f"{WIDTH}x{HEIGHT}", "-i", display, "-frames:v", "1", grab],
                               check=True, timeout=30)
                shot = decode_png(open(grab, "rb").read())
                canvas = decode_png(http_get(t.url + "/api/v1/canvas.png")[2])
                assert (shot[0], shot[1]) == (WIDTH, HEIGHT), shot[:2]
                # Tiles move, so compare each tile's background colour (inset past the ball).
                for f in feeds:
                    a = mean_rgb(shot, f["tile"], inset=0.05)
                    c = mean_rgb(canvas, f["tile"], inset=0.05)
                    if sum(abs(x - y) for x, y in zip(a, c)) > 45:
                        return None
                return True
            wait_until(window_matches, 20, "the window to show the canvas", interval=0.5)
            assert t.stop() == 0, t.log_text()
    finally:
        xvfb.terminate()
        xvfb.wait(10)
    print("ok")


if __name__ == "__main__":
    main()
