"""End to end: one tessera installation pulled as tiles of another (issue "pull protocols").

Installation A (320x240 canvas of synthetic participants) serves HLS and pushes SRT as a
listener. Installation B pulls A's HLS playlist over HTTP and A's SRT output as a caller.
Checked: both of B's pulled feeds go live with protocols "hls" and "srt", at A's canvas size,
and each tile of B shows A's picture (its mean colour close to A's canvas).
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from tessera_harness import Tessera, free_port, mean_rgb, wait_until  # noqa: E402

TOLERANCE = 30


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    args = ap.parse_args()
    srt_port = free_port()
    config_a = f"""
[installation]
name = "chain-a"
[canvas]
width = 320
height = 240
fps = 15
[ingest.synthetic]
count = 2
[analysis]
workers = 0
[output]
hls = true
[[output.push]]
uri = "srt://:{srt_port}"
"""
    with Tessera(args.tessera, config_a, duration=120) as a:
        a.wait_healthy(2)
        config_b = f"""
[installation]
name = "chain-b"
[canvas]
width = 640
height = 240
fps = 15
[ingest]
tile_width = 320
tile_height = 240
[[ingest.pull]]
uri = "{a.url}/hls/index.m3u8"
[[ingest.pull]]
uri = "srt://127.0.0.1:{srt_port}"
[sync]
enabled = false
[analysis]
workers = 0
[output]
hls = false
"""
        with Tessera(args.tessera, config_b, duration=100) as b:
            def live():
                f = b.json("/api/v1/feeds")
                return len(f) == 2 and all(x["state"] == "live" and x["tile"] for x in f) and f
            try:
                feeds = wait_until(live, 40, "A's HLS and SRT live in B", 0.3)
            except AssertionError:
                print(b.log_text()[-4000:])
                raise
            assert [f["protocol"] for f in feeds] == ["hls", "srt"], feeds
            for f in feeds:
                assert (f["width"], f["height"]) == (320, 240), f
                print(f"chain {f['protocol']}: first frame {f['first_frame_ms']:.0f} ms")

            def same_picture():
                whole = {"x": 0, "y": 0, "w": 320, "h": 240}
                want = mean_rgb(a.canvas(), whole, 0.05)
                canvas_b = b.canvas()
                got = [mean_rgb(canvas_b, f["tile"], 0.05) for f in b.json("/api/v1/feeds")]
                far = [g for g in got if any(abs(x - y) > TOLERANCE for x, y in zip(g, want))]
                assert not far and max(want) > 20, (want, got)
                return True
            wait_until(same_picture, 20, "B's tiles showing A's canvas", 0.5)
            assert b.stop() == 0
        assert a.stop() == 0
    print("pull chain e2e: ok")


if __name__ == "__main__":
    main()
