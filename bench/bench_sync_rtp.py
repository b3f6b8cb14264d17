#!/usr/bin/env python3
"""Crowd-sync benchmark with pulled RTP senders: how far apart in capture time are the frames
that one canvas frame shows?

N senders (tests/support/rtp_flash_sender.py, JPEG over RTP with RTCP Sender Reports, one
process) each delay their RTP packets by a known amount spread evenly over 0..MAX ms (netsim
after the capture timestamps are fixed). tessera pulls them all (`file:///...sdp`) with
[sync] delay_ms = "auto". Once every feed is aligned and the playout delay covers them:

  spread (metrics)  tessera_sync_spread_ms from /metrics, sampled each second: the p95, over the
                    last second, of max - min capture time of the aligned tiles drawn in one
                    canvas frame (the server's own view; includes the frame grid: frames are
                    picked nearest to now - delay, so two feeds may differ by up to a frame)
  flash spread      a few flashes at one wall-clock instant; the HLS output decoded frame by
                    frame: max - min canvas frame in which the tiles first showed each flash
                    (the viewer's view, in frames of 33 ms)

  bench/bench_sync_rtp.py --tessera build/tessera [--senders 64] [--max-delay-ms 500]

Needs python3-gi for the senders (see tests/e2e/rtp_senders.py). Loopback only; every wait is
bounded; every process started here is stopped on exit.
"""
import argparse
import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
from rtp_senders import RtpSenders, pull_tables, pulled_installation  # noqa: E402
from sync_probe import flash_frames, hls_frames, tiles_of  # noqa: E402
from tessera_harness import Tessera, http_get, wait_until  # noqa: E402

WIDTH, HEIGHT = 1280, 720


def config(uris, enabled):
    return pulled_installation("bench-sync-rtp", WIDTH, HEIGHT, pull_tables(uris), enabled,
                               extra="[ingest]\nmax_feeds = 256\n")


def metric(text, name):
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.split()[-1])
    return None


def per_feed(text, name):
    """{feed: value} of a per-feed counter in /metrics text."""
    out = {}
    for line in text.splitlines():
        if line.startswith(name + "{"):
            feed = line.split('feed="', 1)[1].split('"', 1)[0]
            out[feed] = float(line.split()[-1])
    return out


def cpu_seconds(pid):
    """User + system CPU seconds of a process (its threads included) from /proc."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rates(before, after, seconds):
    """min / median of (after - before) / seconds over the feeds in both."""
    r = [(after[k] - before[k]) / seconds for k in after if k in before]
    return {"min": round(min(r), 2), "median": round(statistics.median(r), 2)} if r else None


def percentile(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(round(p * (len(s) - 1)))))]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tessera", required=True)
    ap.add_argument("--senders", type=int, default=64)
    ap.add_argument("--max-delay-ms", type=int, default=500)
    ap.add_argument("--samples", type=int, default=20, help="seconds of /metrics samples")
    ap.add_argument("--flashes", type=int, default=3)
    ap.add_argument("--fps", type=int, default=30, help="the senders' frame rate")
    ap.add_argument("--settle-s", type=float, default=90,
                    help="how long to wait for every feed to be aligned before measuring")
    args = ap.parse_args()
    n = args.senders
    delays = [round(i * args.max_delay_ms / max(1, n - 1)) for i in range(n)]
    result = {"senders": n, "delays_ms": [delays[0], delays[-1]]}
    result["sender_fps"] = args.fps
    with RtpSenders([(d, True) for d in delays], fps=args.fps) as senders, \
            Tessera(args.tessera, config(senders.uris, True), duration=600) as t:
        started = time.monotonic()
        wait_until(lambda: t.json("/healthz").get("live_feeds") == n, 180,
                   f"{n} live feeds", 1.0)

        def settled():
            feeds = t.json("/api/v1/feeds")
            aligned = [f for f in feeds if f["sync"]["state"] == "aligned" and f["tile"]]
            delay = t.json("/healthz")["sync_delay_ms"]
            late = max(f["sync"]["latency_ms"] for f in feeds)
            return feeds if len(aligned) == n and delay >= late else None
        try:
            wait_until(settled, args.settle_s, "every feed aligned under the playout delay", 1.0)
            result["settle_s"] = round(time.monotonic() - started, 1)
        except AssertionError:
            result["settle_s"] = None  # measured anyway: how many were aligned is reported
        feeds = t.json("/api/v1/feeds")
        result["playout_delay_ms"] = t.json("/healthz")["sync_delay_ms"]
        lat = [f["sync"]["latency_ms"] for f in feeds]
        result["latency_ms"] = {"min": min(lat), "median": statistics.median(lat), "max": max(lat)}
        tiles = tiles_of(feeds)

        # Where pictures are lost: frames each feed delivered (and skipped late) over the
        # samples, against the senders' rate; and what the two processes cost meanwhile.
        first_text = http_get(t.url + "/metrics")[2].decode()
        window_start = time.monotonic()
        cpu_start = {"tessera": cpu_seconds(t.proc.pid), "senders": cpu_seconds(senders.proc.pid)}
        spreads, fps, aligned = [], [], []
        for _ in range(args.samples):
            time.sleep(1.0)  # one sample per second of the server's own 1 s window
            text = http_get(t.url + "/metrics")[2].decode()
            spreads.append(metric(text, "tessera_sync_spread_ms"))
            fps.append(t.json("/healthz")["fps"])
            aligned.append(sum(f["sync"]["state"] == "aligned" for f in t.json("/api/v1/feeds")))
        window = time.monotonic() - window_start
        last_text = http_get(t.url + "/metrics")[2].decode()
        result["feed_frames_per_s"] = rates(per_feed(first_text, "tessera_feed_frames_total"),
                                            per_feed(last_text, "tessera_feed_frames_total"),
                                            window)
        skipped = [per_feed(x, "tessera_feed_skipped_frames_total")
                   for x in (first_text, last_text)]
        result["feed_skipped_per_s_max"] = round(
            max([(skipped[1][k] - skipped[0].get(k, 0)) / window for k in skipped[1]] or [0]), 2)
        result["cpu_cores"] = {
            "tessera": round((cpu_seconds(t.proc.pid) - cpu_start["tessera"]) / window, 2),
            "senders": round((cpu_seconds(senders.proc.pid) - cpu_start["senders"]) / window, 2)}
        spreads = [s for s in spreads if s is not None]
        if spreads:
            result["metrics_spread_ms_p95_samples"] = [round(v, 1) for v in spreads]
            result["metrics_spread_ms_p95"] = {
                "median_of_samples": statistics.median(spreads), "max_of_samples": max(spreads)}
        result["canvas_fps"] = statistics.median(fps)
        result["aligned_feeds"] = {"min": min(aligned), "median": statistics.median(aligned)}

        flash_aligned = []
        for _ in range(args.flashes):
            flash_aligned.append({f["id"] for f in t.json("/api/v1/feeds")
                                  if f["sync"]["state"] == "aligned"})
            at = senders.flash_soon(1.0)
            wait_until(lambda: time.time() > at + 3.0, 10, "the flash drawn", 0.2)
        assert t.stop() == 0
        frames, scale = hls_frames(t.hls_dir(), WIDTH, HEIGHT)

    after, flash_spreads, aligned_spreads, missing = 0, [], [], 0
    for k in range(args.flashes):
        found = flash_frames(frames, scale, tiles, threshold=120, after=after)
        seen = {f: v for f, v in found.items() if v is not None}
        missing += len(found) - len(seen)
        if not seen:
            break
        flash_spreads.append(max(seen.values()) - min(seen.values()))
        kept = [v for f, v in seen.items() if f in flash_aligned[k]]
        if kept:
            aligned_spreads.append(max(kept) - min(kept))
        after = max(seen.values()) + 20
    result["flash_spread_frames_all_tiles"] = flash_spreads
    result["flash_spread_frames_aligned_tiles"] = aligned_spreads
    result["aligned_at_each_flash"] = [len(a) for a in flash_aligned]
    result["tiles_missing_a_flash"] = missing
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
