#!/usr/bin/env python3
"""HTTP connection churn (hardening issue): N keep-alive clients, each sends one request and
closes its connection; tessera's descriptors and RSS before, after and once settled.

  python3 bench/bench_http_connections.py --tessera build/tessera [--connections 10000]

Passes when descriptors are back to the start and RSS is within 2 MB of it."""
import argparse
import http.client
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
from tessera_harness import Tessera, http_request, wait_until  # noqa: E402
from test_http_limits import CONFIG, fds, rss_kb  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tessera", required=True)
    parser.add_argument("--connections", type=int, default=10000)
    args = parser.parse_args()
    with Tessera(args.tessera, CONFIG, duration=600) as t:
        wait_until(lambda: http_request(t.url + "/healthz")[0] == 200, 30, "/healthz")
        pid = t.proc.pid
        # Warm up: first-use allocations (TLS-free here, but libsoup's and GLib's) are not a leak.
        for _ in range(200):
            c = http.client.HTTPConnection("127.0.0.1", t.port, timeout=10)
            c.request("GET", "/healthz")
            c.getresponse().read()
            c.close()
        time.sleep(1)
        fd0, rss0 = fds(pid), rss_kb(pid)
        t0 = time.monotonic()
        for _ in range(args.connections):
            c = http.client.HTTPConnection("127.0.0.1", t.port, timeout=10)
            c.request("GET", "/healthz")
            c.getresponse().read()
            c.close()
        elapsed = time.monotonic() - t0
        fd1, rss1 = fds(pid), rss_kb(pid)
        time.sleep(2)
        fd2, rss2 = fds(pid), rss_kb(pid)
        print(f"{args.connections} keep-alive connections closed by the client in {elapsed:.1f} s "
              f"({args.connections / elapsed:.0f}/s)")
        print(f"descriptors: {fd0} before, {fd1} right after, {fd2} settled")
        print(f"RSS: {rss0 / 1024:.1f} MB before, {rss1 / 1024:.1f} MB right after, "
              f"{rss2 / 1024:.1f} MB settled ({(rss2 - rss0) / 1024:+.2f} MB)")
        ok = fd2 <= fd0 and rss2 - rss0 <= 2048
        print("ok" if ok else "FAILED")
        t.stop()
        sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
