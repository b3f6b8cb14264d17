"""End to end: the replay (issue "outputs").

`[output] replay_hours = 0.003` (a 10.8 s window, 1 s segments) in a directory named by the
installation file:
1. While it runs: /hls/replay.m3u8 is an EVENT playlist with EXT-X-PROGRAM-DATE-TIME on every
   segment, 1 s apart and close to the wall clock; past the window the oldest segments leave the
   playlist and the disk (MEDIA-SEQUENCE > 0, the files on disk are exactly those listed);
   /api/v1/outputs reports it with `disk_bytes` equal to the files' sizes.
2. After a clean stop it ends with EXT-X-ENDLIST and ffmpeg decodes it from its start, over
   HTTP while it ran and from disk after, frame count matching its duration.
3. A second run continues the same playlist after an EXT-X-DISCONTINUITY (nothing of the first
   run that is inside the window is lost).
"""
import argparse
import datetime
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from tessera_harness import Tessera, http_get, wait_until  # noqa: E402

WINDOW_S = 0.003 * 3600


def config(directory):
    return f"""
[installation]
name = "e2e-replay"
[canvas]
width = 320
height = 180
fps = 30
[ingest.synthetic]
count = 2
[analysis]
workers = 0
[output]
hls_segment_seconds = 1
replay_hours = 0.003
replay_dir = "{directory}"
"""


def parse(text):
    dates = [datetime.datetime.fromisoformat(d.replace("Z", "+00:00")).timestamp()
             for d in re.findall(r"#EXT-X-PROGRAM-DATE-TIME:(\S+)", text)]
    durations = [float(d) for d in re.findall(r"#EXTINF:([0-9.]+),", text)]
    names = re.findall(r"^(replay-\S+\.ts)$", text, re.M)
    sequence = int(re.search(r"#EXT-X-MEDIA-SEQUENCE:(\d+)", text).group(1))
    return dates, durations, names, sequence


def decoded_frames(source, seconds=None):
    """Video frames ffmpeg decodes from `source` from its first segment (at most `seconds`)."""
    limit = ["-t", f"{seconds:.2f}"] if seconds else []
    r = subprocess.run(["ffmpeg", "-v", "error", "-live_start_index", "0", "-i", source, *limit,
                        "-map", "0:v", "-f", "framemd5", "-"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return sum(1 for line in r.stdout.splitlines() if line and not line.startswith("#"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    args = ap.parse_args()
    directory = os.path.join(tempfile.mkdtemp(prefix="tessera-replay-"), "replay")

    with Tessera(args.tessera, config(directory), duration=60) as t:
        t.wait_healthy(2)

        def rotated():
            status, _, body = http_get(t.url + "/hls/replay.m3u8")
            return status == 200 and parse(body.decode())[3] > 0 and body.decode()
        text = wait_until(rotated, 40, "the replay rotated past its window", 0.5)
        assert "#EXT-X-PLAYLIST-TYPE:EVENT" in text and "#EXT-X-ENDLIST" not in text, text
        dates, durations, names, _ = parse(text)
        assert len(dates) == len(durations) == len(names) >= 5, text
        span = dates[-1] + durations[-1] - dates[0]
        assert WINDOW_S - 2 <= span <= WINDOW_S + 2, (span, text)
        for a, b, d in zip(dates, dates[1:], durations):
            assert abs(b - a - d) < 0.05, (a, b, d, text)
        assert abs(dates[-1] + durations[-1] - time.time()) < 4, (dates[-1], time.time())
        on_disk = sorted(f for f in os.listdir(directory) if f.endswith(".ts"))
        # The newest segment may be open (on disk, not listed yet); none older than the head.
        assert set(names) <= set(on_disk) and len(on_disk) - len(names) <= 1, (names, on_disk)
        assert min(on_disk) == names[0], (names, on_disk)
        replay = [o for o in t.json("/api/v1/outputs") if o["kind"] == "replay"]
        assert len(replay) == 1 and replay[0]["state"] == "live", replay
        listed_bytes = sum(os.path.getsize(os.path.join(directory, n)) for n in names)
        assert abs(replay[0]["disk_bytes"] - listed_bytes) <= listed_bytes // 5, (replay, listed_bytes)
        # From its first segment (the EVENT playlist is still growing: a bounded stretch).
        stretch = sum(durations) - 1
        over_http = decoded_frames(t.url + "/hls/replay.m3u8", stretch)
        assert abs(over_http - 30 * stretch) <= 10, (over_http, stretch)
        assert t.stop() == 0

    with open(os.path.join(directory, "replay.m3u8")) as f:
        first = f.read()
    assert first.rstrip().endswith("#EXT-X-ENDLIST"), first
    dates, durations, names, _ = parse(first)
    frames = decoded_frames(os.path.join(directory, "replay.m3u8"))
    assert abs(frames - 30 * sum(durations)) <= 30 * 0.1 * sum(durations) + 5, (frames, durations)

    # 3. The next run continues the playlist.
    with Tessera(args.tessera, config(directory), duration=60) as t:
        t.wait_healthy(2)
        assert "continuing" in t.log_text(), t.log_text()

        def continued():
            status, _, body = http_get(t.url + "/hls/replay.m3u8")
            return status == 200 and "#EXT-X-DISCONTINUITY\n" in body.decode() and body.decode()
        text = wait_until(continued, 20, "the second run's segments after a discontinuity", 0.5)
        before = text.split("#EXT-X-DISCONTINUITY\n")[0]
        kept = parse(before)[2]
        assert kept and set(kept) <= set(names), (kept, names)
        assert t.stop() == 0
    print("replay e2e: ok")


if __name__ == "__main__":
    main()
