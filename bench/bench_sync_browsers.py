#!/usr/bin/env python3
"""Crowd-sync bench: N Chromium participants (default 16) join a real `tessera run` through the
join page, their frames held back 0-500 ms in the sender (tests/browser/sync_participants.mjs,
Encoded Transform), every picture stamped with its capture time (a 24-block time code: 20 bits
of Unix ms and a checksum) and a flash at one shared instant.

After SIGTERM every canvas frame of the HLS output is read back: in each, the time codes of the
tiles give the capture-time spread of the frames drawn together (max - min over the tiles), the
true figure, measured on the participants' own clock rather than the server's estimate. Also: the
flash's spread in canvas frames, the server's /metrics tessera_sync_* gauges if it has them, and
the join page's clock-exchange bytes per second on the wire (headers included).

    python3 bench/bench_sync_browsers.py --tessera build/tessera [--participants 16]
        [--runs sync,nosync] [--delay-ms auto] [--camera-phase free|grid] [--cue]

With --cue the operator's cue (POST /api/v1/cue, a flash in the room) comes first and the
measured window starts after its flash. Each result also gives the pages' own frame rates into
their senders and out of their encoders (`camera_frames_per_s`): pictures lost before the server.

Run it inside a loopback-only namespace like the browser tests:
    unshare -n -- sh -c 'ip link set lo up && exec python3 bench/bench_sync_browsers.py ...'
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "e2e"))
from tessera_harness import Tessera  # noqa: E402

TOKEN = "sync-bench-token"
ADMIN_TOKEN = "sync-bench-admin"
WIDTH, HEIGHT, FPS = 640, 360, 30
CODE_WRAP = 1 << 20


def config(sync, delay_ms, participants):
    delay = f'"{delay_ms}"' if delay_ms == "auto" else delay_ms
    return f"""
[installation]
name = "sync-bench"
[http]
admin_token = "{ADMIN_TOKEN}"
[canvas]
width = {WIDTH}
height = {HEIGHT}
fps = {FPS}
[ingest]
max_feeds = {participants + 4}
[ingest.synthetic]
count = 0
[ingest.whip]
token = "{TOKEN}"
ice_addresses = ["127.0.0.1"]
posts_per_minute = 300
[sync]
enabled = {"true" if sync else "false"}
delay_ms = {delay}
[analysis]
workers = 0
[output]
hls = true
hls_playlist_length = 40
"""


class MetricsSampler(threading.Thread):
    """Polls /metrics once a second for tessera_sync_* lines (bounded by `stop`)."""

    def __init__(self, url):
        super().__init__(daemon=True)
        self.url, self.samples, self.stop_event = url, [], threading.Event()

    def run(self):
        while not self.stop_event.wait(1.0):
            try:
                with urllib.request.urlopen(self.url + "/metrics", timeout=2) as r:
                    text = r.read().decode()
            except OSError:
                continue
            values = {}
            for line in text.splitlines():
                if line.startswith("tessera_sync_"):
                    name, _, value = line.partition(" ")
                    try:
                        values[name] = float(value)
                    except ValueError:
                        pass
            if values:
                self.samples.append((time.time() * 1000, values))

    def summary(self, start_ms, end_ms):
        """Median and max of each gauge over the samples taken in [start_ms, end_ms]."""
        window = [v for t, v in self.samples if start_ms <= t <= end_ms]
        out = {}
        for name in sorted({n for v in window for n in v}):
            series = [v[name] for v in window if name in v]
            out[name] = {"median": round(statistics.median(series), 1),
                         "max": round(max(series), 1)}
        return out


def decode_code(gray, rect):
    """The capture time (ms mod 2^20) a tile shows, or None when its code does not check out."""
    sx, sy = rect["w"] / 160, rect["h"] / 120
    word = 0
    for i in range(24):
        cx = rect["x"] + (2 + 13 * (i % 12) + 6.5) * sx
        cy = rect["y"] + (2 + 12 * (i // 12) + 6) * sy
        x, y = int(cx), int(cy)
        if not (0 < x < WIDTH - 1 and 0 < y < HEIGHT - 1):
            return None
        luma = sum(gray[(y + dy) * WIDTH + x + dx] for dy in (-1, 0, 1) for dx in (-1, 0, 1)) / 9
        word = word * 2 + (1 if luma > 128 else 0)
    v, check = word >> 4, word & 15
    # An all-dark tile (no picture yet) reads as 0 with a matching checksum: not a code.
    if word == 0:
        return None
    return v if (v ^ (v >> 4) ^ (v >> 8) ^ (v >> 12) ^ (v >> 16)) & 15 == check else None


def flash_luma(gray, rect):
    """Mean luma of the picture below the time code (where the camera flashes)."""
    x0, x1 = int(rect["x"] + rect["w"] * 0.25), int(rect["x"] + rect["w"] * 0.75)
    y0, y1 = int(rect["y"] + rect["h"] * 0.40), int(rect["y"] + rect["h"] * 0.80)
    total = n = 0
    for y in range(y0, y1, 2):
        row = y * WIDTH
        for x in range(x0, x1, 2):
            total += gray[row + x]
            n += 1
    return total / max(1, n)


def read_hls(hls_dir, tiles):
    """Every canvas frame: ({feed: capture ms mod 2^20 or None}, {feed: flash luma})."""
    cmd = ["ffmpeg", "-v", "error", "-nostdin", "-i", os.path.join(hls_dir, "index.m3u8"),
           "-vsync", "passthrough", "-f", "rawvideo", "-pix_fmt", "gray", "-"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE)
    size = WIDTH * HEIGHT
    frames = []
    try:
        while True:
            gray = proc.stdout.read(size)
            if len(gray) < size:
                break
            frames.append(({f: decode_code(gray, r) for f, r in tiles.items()},
                           {f: flash_luma(gray, r) for f, r in tiles.items()}))
    finally:
        proc.stdout.close()
        proc.wait(timeout=60)
    return frames


def unwrap(values):
    """Codes are ms mod 2^20: place each near the first so a wrap does not look like 17 min."""
    ref = values[0]
    return [ref + ((v - ref + CODE_WRAP // 2) % CODE_WRAP) - CODE_WRAP // 2 for v in values]


def percentile(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(round(p / 100 * (len(s) - 1)))))] if s else None


def capture_spreads(frames, tile_count, start_ms, end_ms):
    """Per canvas frame with at least 3/4 of the codes read and drawn from pictures taken between
    `start_ms` and `end_ms` (Unix ms: everyone live and timed, nobody leaving yet): the spread, every tile's distance to
    the frame's median capture time, and each feed's median distance (its steady misalignment,
    what is left once the cameras' free-running phases average out)."""
    spreads, deviations, read, counted = [], [], 0, 0
    by_feed, pictures, last = {}, {}, {}
    for codes, _ in frames:
        known = {f: v for f, v in codes.items() if v is not None}
        read += len(known)
        if len(known) < max(2, tile_count * 3 // 4):
            continue
        feeds = list(known)
        values = unwrap([end_ms % CODE_WRAP, start_ms % CODE_WRAP] + [known[f] for f in feeds])
        end, start, values = values[0], values[1], values[2:]
        median = statistics.median(values)
        if not start <= median <= end:
            continue
        counted += 1
        spreads.append(max(values) - min(values))
        for f, v in zip(feeds, values):
            deviations.append(abs(v - median))
            by_feed.setdefault(f, []).append(v - median)
            pictures[f] = pictures.get(f, 0) + (last.get(f) != v)
            last[f] = v
    bias = {f: statistics.median(d) for f, d in by_feed.items()}
    # Distinct pictures a tile showed per second of canvas: how often its camera was drawn.
    drawn_fps = statistics.mean(pictures.values()) * FPS / max(1, counted) if pictures else None
    return spreads, deviations, bias, drawn_fps, read / max(1, len(frames) * tile_count)


def first_frame_after(frames, start_ms, tile_count):
    """The first canvas frame whose tiles' median capture time is past `start_ms` (3/4 of the
    codes read: earlier layouts put other pictures, or none, under the final tiles)."""
    for i, (codes, _) in enumerate(frames):
        known = [v for v in codes.values() if v is not None]
        if len(known) >= max(2, tile_count * 3 // 4):
            values = unwrap([start_ms % CODE_WRAP] + known)
            if statistics.median(values[1:]) >= values[0]:
                return i
    return len(frames)


def flash_spread(frames, tiles, after):
    """Canvas frames between the first and the last tile showing the flash, searched from frame
    `after` (2 s before the flash) over the next 4 s, and only a rise that lasts 5 frames (the
    cameras stay white 1.5 s): a tile whose picture brightens for another reason (a feed that
    joins or moves, a time code) is not taken for the flash. None if a tile never shows it."""
    found = []
    window = 4 * FPS
    for feed in tiles:
        lumas = [lumas_of[feed] for _, lumas_of in frames]
        first = None
        for i in range(max(5, after), min(len(lumas) - 5, after + window)):
            base = sorted(lumas[max(0, i - 30):i])
            median = base[len(base) // 2]
            if all(lumas[j] - median > 60 for j in range(i, i + 5)):
                first = i
                break
        found.append(first)
    return None if None in found else max(found) - min(found)


def camera_rates(participants):
    """Each page's pictures per second into its sender (media-source frames) and out of its
    encoder (frames encoded), over the sender's life, min and median over the pages: below the
    camera rate, pictures were lost before the server saw them (the page's timer late by a whole
    frame, the capture, the encoder's frame dropper)."""
    source, encoded = [], []
    for p in participants:
        s = p.get("sender") or {}
        life = sum((s.get("qualityLimitationDurations") or {}).values())
        if life > 0 and s.get("sourceFrames") is not None:
            source.append(s["sourceFrames"] / life)
            encoded.append(s["framesEncoded"] / life)
    if not source:
        return None
    return {"source": {"min": round(min(source), 2), "median": round(statistics.median(source), 2)},
            "encoded": {"min": round(min(encoded), 2),
                        "median": round(statistics.median(encoded), 2)}}


def run(binary, sync, args, delays):
    with Tessera(binary, config(sync, args.delay_ms, len(delays)), duration=900) as t:
        t.wait_healthy(0)
        sampler = MetricsSampler(t.url)
        sampler.start()
        env = dict(os.environ, TESSERA_URL=t.url, TESSERA_TOKEN=TOKEN,
                   SYNC_DELAYS=",".join(str(d) for d in delays), SYNC_FPS=str(args.camera_fps),
                   SYNC_TIMECODE="1", SYNC_LIVE_MS=str(args.live_s * 1000), SYNC_HOLD_MS="3000",
                   SYNC_PHASE=args.camera_phase, SYNC_CUE="1" if args.cue else "0",
                   TESSERA_ADMIN_TOKEN=ADMIN_TOKEN)
        started = time.monotonic()
        r = subprocess.run(["node", os.path.join(SOURCE_DIR, "tests/browser/sync_participants.mjs")],
                           env=env, capture_output=True, text=True, timeout=600)
        sampler.stop_event.set()
        if r.returncode != 0:
            print(r.stderr[-4000:], file=sys.stderr)
            raise SystemExit("participants failed")
        report = json.loads(r.stdout.strip().splitlines()[-1])
        health = t.json("/healthz")
        hls = t.hls_dir()
        assert t.stop() == 0, t.log_text()[-3000:]
    tiles = {f["id"]: f["tile"] for f in report["feeds"] if f.get("tile")}
    frames = read_hls(hls, tiles)
    if args.dump:
        with open(f"{args.dump}.{'sync' if sync else 'nosync'}.json", "w") as f:
            json.dump({"delays": delays, "feeds": report["feeds"],
                       "participants": report["participants"], "cue": report.get("cue"),
                       "flash_at_ms": report["flash_at_ms"],
                       "codes": [{str(k): v for k, v in codes.items()} for codes, _ in frames],
                       "lumas": [{str(k): v for k, v in lumas.items()} for _, lumas in frames]},
                      f)
    # The participants stay 1.5 s white and 3 s more after the flash, then leave.
    end_ms = report["flash_at_ms"] + 1500 + 2500
    start_ms = report["all_live_at_ms"] + 5000
    if report.get("cue"):  # the show starts after the cue's flash (white 1.5 s)
        start_ms = max(start_ms, report["cue"]["flash_at_ms"] + 1500 + 1000)
    spreads, deviations, bias, drawn_fps, read_share = capture_spreads(frames, len(tiles),
                                                                        start_ms, end_ms)
    costs = [p["clock_cost"] for p in report["participants"]]
    return {
        "sync": sync,
        "participants": len(delays),
        "seconds": round(time.monotonic() - started, 1),
        "canvas_frames_read": len(frames),
        "codes_read_share": round(read_share, 3),
        "camera_pictures_drawn_per_s": round(drawn_fps, 1) if drawn_fps else None,
        "capture_spread_ms": {"p50": percentile(spreads, 50), "p95": percentile(spreads, 95),
                              "max": max(spreads) if spreads else None, "frames": len(spreads)},
        "deviation_from_median_ms": {"p50": percentile(deviations, 50),
                                     "p95": percentile(deviations, 95)},
        "feed_bias_ms": {"max_abs": max((abs(b) for b in bias.values()), default=None),
                         "by_feed": bias},
        "flash_spread_frames": flash_spread(
            frames, tiles, first_frame_after(frames, report["flash_at_ms"] - 2000, len(tiles))),
        "clock_bytes_per_s": {
            "session_mean": round(statistics.mean(c["bytes_per_s"] for c in costs), 1),
            "steady_mean": round(statistics.mean(c["steady_bytes_per_s"] for c in costs), 1),
            "steady_max": round(max(c["steady_bytes_per_s"] for c in costs), 1),
            "bytes_per_round": round(sum(c["bytes"] for c in costs) /
                                     max(1, sum(c["requests"] for c in costs)), 1)},
        "clock_offset_ms": [p["clock_offset_ms"] for p in report["participants"]],
        "camera_frames_per_s": camera_rates(report["participants"]),
        "cue_offset_ms": ({str(f["id"]): f["offset_ms"] for f in report["cue"]["feeds"]}
                          if report.get("cue") else None),
        "healthz": {k: health.get(k) for k in ("fps", "sync_delay_ms") if k in health},
        "metrics": sampler.summary(start_ms, report["flash_at_ms"]),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    ap.add_argument("--participants", type=int, default=16)
    ap.add_argument("--max-delay-ms", type=int, default=500)
    ap.add_argument("--camera-fps", type=int, default=30)
    ap.add_argument("--camera-phase", default="free", choices=["free", "grid"],
                    help="free: each camera on its own timer, as phones are (the spread then "
                    "includes up to one camera frame of phase); grid: every camera on one "
                    "wall-clock frame grid (what is left is the server's alignment error)")
    ap.add_argument("--live-s", type=int, default=20, help="live time before the flash")
    ap.add_argument("--cue", action="store_true",
                    help="the operator's cue first (POST /api/v1/cue, a flash in the room): each "
                    "feed's residual error is measured and corrected before the live time")
    ap.add_argument("--delay-ms", default="auto", help='the playout delay: "auto" or ms')
    ap.add_argument("--runs", default="sync,nosync")
    ap.add_argument("--dump", help="also write every frame's time codes to DUMP.sync.json ...")
    args = ap.parse_args()
    n = args.participants
    delays = [round(i * args.max_delay_ms / max(1, n - 1)) for i in range(n)]
    results = []
    for name in args.runs.split(","):
        result = run(args.tessera, name == "sync", args, delays)
        print(json.dumps(result), flush=True)
        results.append(result)
    for r in results:
        c = r["capture_spread_ms"]
        m = r["metrics"].get("tessera_sync_spread_ms", {})
        print(f"| {'on' if r['sync'] else 'off'} | {r['participants']} | {c['p50']} | {c['p95']} |"
              f" {c['max']} | {r['deviation_from_median_ms']['p95']} |"
              f" {r['feed_bias_ms']['max_abs']} |"
              f" {r['clock_bytes_per_s']['steady_mean']} | {r['clock_bytes_per_s']['session_mean']} |"
              f" {m.get('median')} |")


if __name__ == "__main__":
    main()
