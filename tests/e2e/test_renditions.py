"""End to end: HLS renditions (issue "outputs").

A 640x360 canvas with `[output] renditions = [360, 180]`:
1. /hls/index.m3u8 is a master playlist listing each height (RESOLUTION 640x360 and 320x180,
   BANDWIDTH from each rendition's bitrate, largest first) and its media playlist.
2. Each media playlist's segments decode (ffprobe over HTTP) at its own size.
3. Two encoders run whatever the outputs (/metrics tessera_output_encoders 2); /api/v1/outputs
   lists one HLS output per rendition, both live.
4. A rendition above the canvas height is refused by `tessera check` with file, line and key.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from tessera_harness import Tessera, http_get, wait_until  # noqa: E402

CONFIG = """
[installation]
name = "e2e-renditions"
[canvas]
width = 640
height = 360
fps = 30
[ingest.synthetic]
count = 4
[analysis]
workers = 0
[output]
hls = true
bitrate_kbps = 1200
hls_segment_seconds = 1
renditions = [180, 360]
"""


def get_text(url):
    status, _, body = http_get(url)
    return status, body.decode(errors="replace")


def probe_size(url):
    r = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                        "stream=codec_name,width,height", "-of", "json", url],
                       capture_output=True, text=True, timeout=30)
    streams = json.loads(r.stdout or "{}").get("streams", [])
    return streams[0] if streams else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    args = ap.parse_args()

    with Tessera(args.tessera, CONFIG, duration=60) as t:
        t.wait_healthy(4)
        status, master = get_text(t.url + "/hls/index.m3u8")
        assert status == 200, (status, master)
        variants = re.findall(r"#EXT-X-STREAM-INF:BANDWIDTH=(\d+),RESOLUTION=(\d+)x(\d+)[^\n]*\n"
                              r"(\S+)", master)
        assert [(w, h, uri) for _, w, h, uri in variants] == [
            ("640", "360", "index-360p.m3u8"), ("320", "180", "index-180p.m3u8")], master
        bandwidths = [int(b) for b, _, _, _ in variants]
        assert bandwidths[0] == 1200 * 1100 and bandwidths[1] < bandwidths[0], bandwidths

        for _, width, height, uri in variants:
            def segments():
                s, text = get_text(t.url + "/hls/" + uri)
                return s == 200 and re.findall(r"^(\S+\.ts)$", text, re.M)
            names = wait_until(segments, 20, f"segments in {uri}", 0.3)
            got = probe_size(t.url + "/hls/" + names[-1])
            assert got == {"codec_name": "h264", "width": int(width), "height": int(height)}, \
                (uri, got)

        _, _, metrics = http_get(t.url + "/metrics")
        assert re.search(r"^tessera_output_encoders 2$", metrics.decode(), re.M), metrics
        everything = t.json("/api/v1/outputs")
        outputs = [o for o in everything if o["kind"] != "whep"]  # WHEP rides along with HLS
        assert [o["uri"] for o in outputs] == ["/hls/index-360p.m3u8", "/hls/index-180p.m3u8"], \
            everything
        assert all(o["kind"] == "hls" and o["state"] == "live" for o in outputs), outputs
        assert t.stop() == 0

    bad = os.path.join(tempfile.mkdtemp(prefix="tessera-renditions-"), "bad.toml")
    with open(bad, "w") as f:
        f.write(CONFIG.replace("renditions = [180, 360]", "renditions = [720, 360]"))
    r = subprocess.run([args.tessera, "check", bad], capture_output=True, text=True, timeout=30)
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert (f"{bad}:16: output.renditions: expected heights up to the canvas's (360), got 720"
            in r.stderr + r.stdout), r.stderr + r.stdout
    print("renditions e2e: ok")


if __name__ == "__main__":
    main()
