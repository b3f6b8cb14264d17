#!/usr/bin/env python3
"""WHIP join/leave churn: does a session leave anything behind?

  python3 bench/bench_whip_churn.py --tessera build/tessera [--cycles 1000] [--warmup 50]

Each cycle POSTs an SDP offer to /whip (it negotiates: webrtcbin, ICE agent, DTLS; it never
connects), then DELETEs the session. After --warmup cycles (allocator pools, GStreamer's
registry and type caches settle), it prints the server's RSS and open descriptors every
--every cycles and at the end the growth per cycle. Loopback only. Not a ctest test: the
bounded regression test is tests/e2e/test_whip_churn.py (100 cycles)."""
import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
from tessera_harness import Tessera, http_request  # noqa: E402
from test_whip_http import offer  # noqa: E402
# The installation and the process probes are the regression test's (e2e.whip_churn).
from test_whip_churn import CONFIG, TOKEN, fds, rss_kb  # noqa: E402


def cycle(t):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    code, headers, body = http_request(t.url + "/whip", "POST", offer(),
                                       {**auth, "Content-Type": "application/sdp"})
    assert code == 201, (code, body[:300])
    code, _, _ = http_request(t.url + headers["Location"], "DELETE", None, auth)
    assert code == 200, code


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    ap.add_argument("--cycles", type=int, default=1000)
    ap.add_argument("--warmup", type=int, default=50)
    ap.add_argument("--every", type=int, default=100)
    a = ap.parse_args()
    with Tessera(a.tessera, CONFIG, duration=3600) as t:
        t.wait_healthy(0)
        pid = t.proc.pid
        for _ in range(a.warmup):
            cycle(t)
        rss0, fd0, start = rss_kb(pid), fds(pid), time.monotonic()
        print(f"after {a.warmup} warm-up cycles: rss {rss0} kB, fds {fd0}")
        for i in range(1, a.cycles + 1):
            cycle(t)
            if i % a.every == 0 or i == a.cycles:
                print(f"cycle {i}: rss {rss_kb(pid)} kB (+{rss_kb(pid) - rss0}), "
                      f"fds {fds(pid)} ({fds(pid) - fd0:+d})", flush=True)
        rss1, fd1 = rss_kb(pid), fds(pid)
        secs = time.monotonic() - start
        print(f"{a.cycles} cycles in {secs:.1f} s ({1000 * secs / a.cycles:.1f} ms each): "
              f"rss +{rss1 - rss0} kB ({1024 * (rss1 - rss0) / a.cycles:.0f} B/cycle), "
              f"fds {fd1 - fd0:+d}")
        assert t.stop() == 0


if __name__ == "__main__":
    main()
