"""The join page's clock exchange, POST /whip/{id}/clock, from a plain HTTP client: rounds are
answered and estimated (this client reads the server's own clock, so the offset is ~0), garbage
gets a clear 4xx, unknown sessions 404, bursts 429; the server stays healthy throughout.
The session comes from a valid SDP offer that never connects (as in test_whip_http.py)."""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from tessera_harness import Tessera, http_request  # noqa: E402
from test_whip_http import offer, post, problem, TOKEN  # noqa: E402

CONFIG = f"""
[installation]
name = "whip-clock"
[ingest]
max_feeds = 3
[ingest.synthetic]
count = 1
[ingest.whip]
token = "{TOKEN}"
ice_addresses = ["127.0.0.1"]
silence_timeout_s = 60
[analysis]
workers = 0
[output]
hls = false
"""

JSON = {"Content-Type": "application/json"}


def now_ms():
    return time.time() * 1000


def clock(url, body, headers=JSON):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return http_request(url, "POST", data, headers)


def exchange(url, prev=None):
    """One round as the join page makes it; returns (reply, [t0, t1, t2, t3])."""
    t0 = now_ms()
    code, _, body = clock(url, {"t0": t0, **({"prev": prev} if prev else {})})
    t3 = now_ms()
    assert code == 200, (code, body[:300])
    reply = json.loads(body)
    return reply, [t0, reply["t1"], reply["t2"], t3]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    b = ap.parse_args().tessera
    with Tessera(b, CONFIG) as t:
        t.wait_healthy(1)
        code, headers, _ = post(t, offer())
        assert code == 201, code
        url = t.url + headers["Location"] + "/clock"

        # Rounds: the first has nothing to estimate from; each next one carries the last.
        reply, last = exchange(url)
        assert reply["accepted"] is False and reply["offset_ms"] is None, reply
        assert reply["t1"] <= reply["t2"], reply
        assert 0 < reply["next_ms"] <= 1000, reply  # the first rounds
        for _ in range(5):
            reply, last = exchange(url, last)
            assert reply["accepted"] is True, reply
        # The same clock on both ends: the offset is within the loopback's round trip.
        assert abs(reply["offset_ms"]) < 5, reply
        assert reply["next_ms"] > 1000, reply  # then one round every few seconds

        # Garbage: each a clear 4xx with a detail.
        problem(clock(url, b"not json"), 400, "JSON")
        problem(clock(url, b"NaN"), 400)
        problem(clock(url, b"[1, 2]"), 400)
        problem(clock(url, {}), 400, "t0")
        problem(clock(url, {"t0": "soon"}), 422, "t0")
        problem(clock(url, {"t0": 1e308}), 422, "t0")
        problem(clock(url, {"t0": -5}), 422, "t0")
        problem(clock(url, b'{"t0": 1e999}'), 400)  # not a JSON number nlohmann keeps
        problem(clock(url, {"t0": now_ms(), "extra": 1}), 400, "extra")
        problem(clock(url, {"t0": now_ms(), "prev": [1, 2, 3]}), 400, "prev")
        problem(clock(url, {"t0": now_ms(), "prev": "x"}), 400, "prev")
        old = [last[0] - 300e3, last[1] - 300e3, last[2] - 300e3, last[3] - 300e3]
        problem(clock(url, {"t0": now_ms(), "prev": old}), 422, "recent")  # not our t1/t2
        backwards = [last[3], last[1], last[2], last[0] - 10]
        problem(clock(url, {"t0": now_ms(), "prev": backwards}), 422, "t3")
        problem(clock(url, {"t0": now_ms(), "pad": "x" * 600}), 413)
        problem(clock(url, {"t0": now_ms()}, {"Content-Type": "text/plain"}), 415, "json")
        problem(http_request(url, "GET"), 405)
        code, headers, _ = http_request(url, "OPTIONS")
        assert code == 204 and "POST" in headers.get("Allow", ""), (code, headers)
        problem(clock(t.url + "/whip/" + "0" * 32 + "/clock", {"t0": now_ms()}), 404)

        # A burst beyond the bucket: 429 with Retry-After, and the session still answers later.
        codes = [clock(url, {"t0": now_ms()})[0] for _ in range(20)]
        assert 429 in codes, codes
        headers = problem(clock(url, {"t0": now_ms()}), 429, "retry")
        assert int(headers["Retry-After"]) >= 1, headers

        # The feed reports the exchange as its clock estimate once media flows; without media
        # the feed is not synced, but the server must be healthy.
        code, _, body = http_request(t.url + "/healthz")
        assert code == 200, (code, body)
        assert t.stop() == 0, t.log_text()
    print("ok")


if __name__ == "__main__":
    main()
