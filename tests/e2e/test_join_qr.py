"""The join URL printed at start-up is what /join/qr.png and, with [output] qr = true, the
canvas's bottom-right corner encode: both are decoded with zbarimg and compared."""
import argparse
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from tessera_harness import Tessera, http_get, wait_until  # noqa: E402

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
        assert t.stop() == 0, t.log_text()
    print("ok")


if __name__ == "__main__":
    main()
