"""The HTTP layer's limits against a real server (docs/http-api.md, "Limits"): connections closed
by clients give their descriptors back, bodies over a route's limit are refused before they are
read (Content-Length or chunked), credentials before any body, ambiguous framing is refused and
the connection closed, slow or idle connections time out, one address cannot hold every
connection, the listen backlog absorbs a burst, the WHIP rate limit forgets addresses."""
import argparse
import http.client
import os
import re
import select
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from tessera_harness import Tessera, http_request, wait_until  # noqa: E402

ADMIN = "admin-token"
WHIP = "phone-token"
CONFIG = f"""
[installation]
name = "http-limits"
[http]
admin_token = "{ADMIN}"
[ingest.synthetic]
count = 1
[ingest.whip]
token = "{WHIP}"
ice_addresses = ["127.0.0.1"]
[analysis]
workers = 0
[output]
hls = false
"""


def fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(next(line for line in f if line.startswith("VmRSS")).split()[1])


def connect(t, source="127.0.0.1", timeout=10):
    s = socket.socket()
    s.settimeout(timeout)
    s.bind((source, 0))
    s.connect(("127.0.0.1", t.port))
    return s


def response_complete(data):
    head, sep, body = data.partition(b"\r\n\r\n")
    m = re.search(rb"Content-Length: (\d+)", head, re.IGNORECASE)
    return bool(sep and m and len(body) >= int(m.group(1)))


def read_response(s, deadline_s=10):
    """Reads one response (until its end or the server's close); returns (status, bytes)."""
    data = b""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end and not response_complete(data):
        try:
            chunk = s.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            break
        if not chunk:
            break
        data += chunk
    m = re.match(rb"HTTP/1\.1 (\d+)", data)
    return (int(m.group(1)) if m else None), data


def check_descriptors(t):
    pid = t.proc.pid
    before = fds(pid)
    for _ in range(2000):
        c = http.client.HTTPConnection("127.0.0.1", t.port, timeout=10)
        c.request("GET", "/healthz")  # HTTP/1.1: the client offers keep-alive
        r = c.getresponse()
        r.read()
        c.close()
    wait_until(lambda: fds(pid) <= before + 2, 5,
               f"descriptors back to {before} (now {fds(pid)}) after 2000 closed connections")
    print(f"descriptors: {before} before, {fds(pid)} after 2000 connections")


def check_bodies(t):
    pid = t.proc.pid
    rss_before = rss_kb(pid)
    auth = f"Authorization: Bearer {ADMIN}\r\n".encode()
    whip_auth = f"Authorization: Bearer {WHIP}\r\n".encode()
    cases = [
        # (what, request head, body bytes to offer, expected status)
        ("200 MB offer with Content-Length", b"POST /whip HTTP/1.1\r\nHost: x\r\n" + whip_auth +
         b"Content-Type: application/sdp\r\nContent-Length: 200000000\r\n\r\n", 0, 413),
        ("22 MB JSON with Content-Length", b"PATCH /api/v1/params HTTP/1.1\r\nHost: x\r\n" + auth +
         b"Content-Type: application/json\r\nContent-Length: 22000000\r\n\r\n", 0, 413),
        ("chunked scene body, no token", b"POST /api/v1/scene HTTP/1.1\r\nHost: x\r\n"
         b"Transfer-Encoding: chunked\r\n\r\n", 0, 401),
        ("Content-Length scene body, no token", b"POST /api/v1/scene HTTP/1.1\r\nHost: x\r\n"
         b"Content-Length: 100000000\r\n\r\n", 0, 401),
        ("chunked scene body over 4 KiB", b"POST /api/v1/scene HTTP/1.1\r\nHost: x\r\n" + auth +
         b"Transfer-Encoding: chunked\r\n\r\n", 5_000_000, 413),
        ("chunked trickle PATCH over 16 KiB", b"PATCH /whip/0123/x HTTP/1.1\r\nHost: x\r\n" +
         whip_auth + b"Content-Type: application/trickle-ice-sdpfrag\r\n"
         b"Transfer-Encoding: chunked\r\n\r\n", 5_000_000, 413),
        ("chunked trickle PATCH over 16 KiB", b"PATCH /whip/0123 HTTP/1.1\r\nHost: x\r\n" +
         whip_auth + b"Content-Type: application/trickle-ice-sdpfrag\r\n"
         b"Transfer-Encoding: chunked\r\n\r\n", 5_000_000, 413),
        ("chunked body on a GET route", b"POST /healthz HTTP/1.1\r\nHost: x\r\n"
         b"Transfer-Encoding: chunked\r\n\r\n", 5_000_000, 413),
    ]
    for what, head, offer, expected in cases:
        s = connect(t)
        s.sendall(head)
        sent = 0
        chunk = b"1000\r\n" + b"a" * 0x1000 + b"\r\n"
        s.settimeout(0.05)
        status, data = None, b""
        # Offer the body (if any) while watching for the answer: it must come before the body
        # has gone far past the limit, and the server must then stop reading.
        end = time.monotonic() + 10
        while time.monotonic() < end:
            try:
                data += s.recv(65536)
                if data:
                    break
            except socket.timeout:
                pass
            except (ConnectionResetError, BrokenPipeError):
                break
            if sent >= offer:
                if offer:
                    break
                continue
            try:
                s.sendall(chunk)
                sent += len(chunk)
            except (ConnectionResetError, BrokenPipeError, socket.timeout):
                break
        s.settimeout(10)
        status, rest = read_response(s)
        data += rest
        s.close()
        m = re.match(rb"HTTP/1\.1 (\d+)", data)
        status = int(m.group(1)) if m else None
        assert status == expected, f"{what}: got {status} ({data[:200]!r}), expected {expected}"
        assert b"Connection: close" in data, (what, data[:300])
        assert sent < 1_000_000, f"{what}: the server read {sent} bytes before refusing"
        print(f"{what}: {status} after {sent} body bytes")
    grew = rss_kb(pid) - rss_before
    assert grew < 20_000, f"RSS grew {grew} kB while refusing bodies"
    # A body within the limit still works, chunked too.
    s = connect(t)
    body = b'{"name": "no-such-scene"}'
    s.sendall(b"POST /api/v1/scene HTTP/1.1\r\nHost: x\r\n" + auth +
              b"Transfer-Encoding: chunked\r\n\r\n" + f"{len(body):x}\r\n".encode() + body +
              b"\r\n0\r\n\r\n")
    status, data = read_response(s)
    s.close()
    assert status == 404, data[:300]


def check_smuggling(t):
    s = connect(t)
    s.sendall(b"POST /api/v1/scene HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
              b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
              b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    status, data = read_response(s)
    s.close()
    assert status == 400, data[:300]
    assert data.count(b"HTTP/1.1 ") == 1, f"the pipelined request was served: {data!r}"
    s = connect(t)
    s.sendall(b"POST /api/v1/scene HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
              b"Content-Length: 50\r\n\r\n{}")
    status, data = read_response(s)
    s.close()
    assert status == 400, data[:300]


def check_backlog(t):
    """500 clients connecting at once (from 100 loopback addresses, under the per-address cap):
    none is reset, every one is answered."""
    results, lock = [], threading.Lock()
    start = threading.Event()

    def client(i):
        start.wait()
        t0 = time.monotonic()
        try:
            s = connect(t, source=f"127.0.1.{i % 100 + 1}")
            s.sendall(b"GET /api/v1/join HTTP/1.1\r\nHost: x\r\n\r\n")
            status, _ = read_response(s)
            s.close()
        except OSError as e:
            status = repr(e)
        with lock:
            results.append((status, time.monotonic() - t0))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(500)]
    for th in threads:
        th.start()
    start.set()
    for th in threads:
        th.join(30)
    bad = [r for r in results if r[0] != 200]
    slow = sum(1 for r in results if r[1] >= 1.0)
    print(f"backlog: {len(results)} clients, {len(bad)} failed, {slow} waited >= 1 s")
    assert len(results) == 500 and not bad, bad[:5]


def hold_unfinished(t, source, count):
    """`count` connections from `source` whose request headers never end."""
    held = [connect(t, source=source) for _ in range(count)]
    for s in held:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # headers never end
    return held


def check_slow_clients(t):
    """Connections that never finish their request are closed at the request timeout (10 s);
    one address holds at most 32 connections; others are served meanwhile."""
    held = hold_unfinished(t, "127.0.2.1", 32)
    # The 33rd from the same address is closed at once.
    extra = connect(t, source="127.0.2.1")
    extra.settimeout(5)
    assert extra.recv(100) == b"", "a 33rd connection from one address was kept"
    extra.close()
    # Another address is still served.
    assert http_request(t.url + "/healthz")[0] in (200, 503)
    t0 = time.monotonic()
    for s in held:
        s.settimeout(15)
        status, data = read_response(s, deadline_s=15)
        assert not data or status in (400, 408), data[:200]
        s.close()
    waited = time.monotonic() - t0
    print(f"slow clients: all 32 closed by the server after {waited:.1f} s")
    assert waited < 13, f"slow connections were held {waited:.1f} s"


def check_configured_caps(binary):
    """[http] max_connections_per_address raises the per-address cap (a venue's phones behind one
    NAT address, each holding a status poll): 40 held from one address, the 41st closed."""
    config = CONFIG.replace("[http]\n", "[http]\nmax_connections = 64\n"
                            "max_connections_per_address = 40\n")
    with Tessera(binary, config) as t:
        wait_until(lambda: http_request(t.url + "/healthz")[0] == 200, 30, "/healthz")
        held = hold_unfinished(t, "127.0.4.1", 40)
        extra = connect(t, source="127.0.4.1")
        extra.settimeout(5)
        assert extra.recv(100) == b"", "a 41st connection from one address was kept"
        extra.close()
        # None of the 40 was closed (a closed one would read as ready, with b"").
        ready, _, _ = select.select(held, [], [], 0.5)
        assert not ready, f"{len(ready)} of 40 connections from one address were closed"
        for s in held:
            s.close()
        assert http_request(t.url + "/healthz")[0] == 200
        assert t.stop() == 0, t.log_text()[-2000:]
    print("configured caps: 40 connections from one address held, the 41st closed")


def check_rate_map(t):
    """The WHIP rate limit remembers at most 4096 addresses."""
    head = (f"POST /whip HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {WHIP}\r\n"
            "Content-Type: text/plain\r\nContent-Length: 0\r\n\r\n").encode()
    for i in range(4200):
        s = connect(t, source=f"127.3.{i // 250}.{i % 250 + 1}")
        s.sendall(head)
        read_response(s)
        s.close()
    _, _, metrics = http_request(t.url + "/metrics")
    m = re.search(rb"tessera_http_whip_rate_addresses (\d+)", metrics)
    assert m, "no tessera_http_whip_rate_addresses in /metrics"
    assert int(m.group(1)) <= 4096, m.group(0)
    print(f"rate limit map: {int(m.group(1))} addresses after 4200")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tessera", required=True)
    parser.add_argument("--only", help="run one check (descriptors, bodies, smuggling, ...)")
    args = parser.parse_args()
    checks = [check_descriptors, check_bodies, check_smuggling, check_backlog, check_slow_clients,
              check_rate_map, check_descriptors]
    if args.only == "configured_caps" or not args.only:
        check_configured_caps(args.tessera)
    if args.only:
        checks = [c for c in checks if c.__name__ == "check_" + args.only][:1]
    with Tessera(args.tessera, CONFIG) as t:
        wait_until(lambda: http_request(t.url + "/healthz")[0] == 200, 30, "/healthz")
        for check in checks:
            check(t)
        assert http_request(t.url + "/healthz")[0] == 200
        assert t.stop() == 0, t.log_text()[-2000:]
    print("ok")


if __name__ == "__main__":
    main()
