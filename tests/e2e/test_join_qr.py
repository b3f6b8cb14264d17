"""The join URL printed at start-up is what /join/qr.png and, with [output] qr = true, the
canvas's bottom-right corner encode: both are decoded with zbarimg and compared. On a terminal
the code is also printed (half blocks): run under `script` (a pseudo-terminal), it is read back
into a picture and decoded too; a log file gets the URL alone."""
import argparse
import os
import re
import shlex
import struct
import subprocess
import sys
import tempfile
import zlib

sys.path.insert(0, os.path.dirname(__file__))
from tessera_harness import Tessera, free_port, http_get, wait_until  # noqa: E402

CONFIG = """
[installation]
name = "qr-e2e"
[canvas]
width = 1280
height = 720
fps = 15
[http]
public_url = "https://gallery.example:8443/"
[ingest.synthetic]
count = 6
[ingest.whip]
token = "tok-123"
[analysis]
workers = 0
[output]
hls = false
qr = true
"""


def decode_qr(png_bytes):
    path = os.path.join(tempfile.mkdtemp(prefix="qr-e2e-"), "image.png")
    with open(path, "wb") as f:
        f.write(png_bytes)
    r = subprocess.run(["zbarimg", "--quiet", "--raw", path], capture_output=True, text=True,
                       timeout=30)
    return r.stdout.strip() if r.returncode == 0 else None


def write_png(path, rows):
    """An 8-bit greyscale PNG of `rows` (lists of 0-255)."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    raw = b"".join(b"\x00" + bytes(r) for r in rows)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", len(rows[0]),
                                                                      len(rows), 8, 0, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


# Half blocks: which of the cell's two modules (top, bottom) are light.
GLYPHS = {" ": (0, 0), "\u2580": (1, 0), "\u2584": (0, 1), "\u2588": (1, 1)}


def terminal_qr(text, scale=6):
    """The QR code printed on a terminal, as a PNG's bytes (None when there is none)."""
    lines = re.findall(r"\x1b\[40;97m(.*?)\x1b\[0m", text)
    if not lines:
        return None
    modules = []
    for line in lines:
        cells = [GLYPHS[c] for c in line]
        modules += [[c[0] for c in cells], [c[1] for c in cells]]
    rows = [[255 * m for m in row for _ in range(scale)] for row in modules for _ in range(scale)]
    path = os.path.join(tempfile.mkdtemp(prefix="qr-e2e-"), "terminal.png")
    write_png(path, rows)
    with open(path, "rb") as f:
        return f.read()


def check_terminal(binary):
    d = tempfile.mkdtemp(prefix="qr-e2e-tty-")
    config = os.path.join(d, "i.toml")
    with open(config, "w") as f:
        f.write(CONFIG.replace("qr = true", "qr = false"))
    port = free_port()
    cmd = shlex.join([binary, "run", config, "--headless", "--http", f"127.0.0.1:{port}",
                      "--duration", "3"])
    r = subprocess.run(["script", "-qec", cmd, "/dev/null"], capture_output=True, text=True,
                       timeout=60, env=dict(os.environ, XDG_DATA_HOME=os.path.join(d, "data")))
    assert r.returncode == 0, r.stdout[-3000:]
    printed = re.search(r"join: (\S+)", r.stdout).group(1)
    png = terminal_qr(r.stdout)
    assert png and decode_qr(png) == printed, (decode_qr(png) if png else r.stdout[-3000:])
    print(f"the terminal's QR code decodes to {printed}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    b = ap.parse_args().tessera
    with Tessera(b, CONFIG) as t:
        t.wait_healthy(6)
        printed = re.search(r"join: (\S+)", t.log_text()).group(1)
        assert printed == "https://gallery.example:8443/join?t=tok-123", printed
        status, headers, png = http_get(t.url + "/join/qr.png")
        assert status == 200 and headers["Content-Type"] == "image/png", headers
        assert decode_qr(png) == printed, decode_qr(png)
        # The canvas carries the same code in its corner, readable from the wall.
        wait_until(lambda: decode_qr(http_get(t.url + "/api/v1/canvas.png")[2]) == printed, 10,
                   "the canvas's QR code to decode to the join URL")
        assert "\u2588" not in t.log_text(), "a log file got the terminal's QR code"
        assert t.stop() == 0, t.log_text()
    check_terminal(b)
    print("ok")


if __name__ == "__main__":
    main()
