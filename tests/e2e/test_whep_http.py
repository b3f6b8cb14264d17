"""End to end: the WHEP endpoint's HTTP contract (draft-ietf-wish-whep), without a browser.

Offers are a real Chromium recvonly offer (data/whep_offer_chromium.sdp) and variants of it:
1. OPTIONS /whep: 204, Accept-Post application/sdp, CORS; GET: 405.
2. A good offer: 201, Location /whep/<id>, an SDP answer that sends H.264 (sendonly) on the
   offer's Constrained Baseline payload with a candidate; /api/v1/outputs lists the viewer.
3. Refusals: 415 (not application/sdp), 400 (not SDP), 406 (VP8 only), 413 (too big).
4. max_viewers = 2: the third offer gets 503 + Retry-After; DELETE of one frees its place;
   DELETE again: 404; PATCH: 405 (no trickle).
5. Offers per address: beyond posts_per_minute (30), 429 + Retry-After.
6. `whep = false`: /whep answers 404 while HLS plays; `max_viewers = 0` is refused by
   `tessera check` with the key named.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from tessera_harness import Tessera, http_request, wait_until  # noqa: E402

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
SDP = {"Content-Type": "application/sdp"}

CONFIG = """
[installation]
name = "e2e-whep-http"
[canvas]
width = 320
height = 180
fps = 15
[ingest.synthetic]
count = 1
[ingest.whip]
ice_addresses = ["127.0.0.1"]
[analysis]
workers = 0
[output]
hls = true
{output}
"""


def chromium_offer():
    with open(os.path.join(DATA, "whep_offer_chromium.sdp"), "rb") as f:
        return f.read()


def post(t, body, headers=SDP):
    return http_request(t.url + "/whep", "POST", body, headers)


def check_contract(t):
    status, headers, _ = http_request(t.url + "/whep", "OPTIONS")
    assert status == 204 and headers["Accept-Post"] == "application/sdp", (status, headers)
    assert headers["Access-Control-Allow-Origin"] == "*", headers
    assert http_request(t.url + "/whep")[0] == 405

    offer = chromium_offer()
    status, headers, body = post(t, offer)
    answer = body.decode()
    assert status == 201, (status, answer)
    location = headers["Location"]
    assert re.fullmatch(r"/whep/[0-9a-f]{32}", location), location
    assert "Location" in headers["Access-Control-Expose-Headers"], headers
    assert headers["Content-Type"].startswith("application/sdp"), headers
    # The offer's 42e01f packetization-mode=1 payload is 108; the server only sends.
    assert re.search(r"^m=video \d+ UDP/TLS/RTP/SAVPF 108\r?$", answer, re.M), answer
    assert re.search(r"^a=rtpmap:108 H264/90000", answer, re.M), answer
    assert re.search(r"^a=sendonly", answer, re.M), answer
    assert re.search(r"^a=candidate:.* 127\.0\.0\.1 \d+ typ host", answer, re.M), answer
    whep = [o for o in t.json("/api/v1/outputs") if o["kind"] == "whep"]
    assert whep and whep[0]["viewers"] == 1 and whep[0]["uri"] == "/whep", whep

    assert post(t, offer, {"Content-Type": "text/plain"})[0] == 415
    assert post(t, b"hello")[0] == 400
    vp8 = re.sub(rb"a=rtpmap:(\d+) H264/90000", rb"a=rtpmap:\1 X264/90000", offer)
    status, _, body = post(t, vp8)
    assert status == 406 and b"H.264" in body, (status, body)
    status, _, body = post(t, b"v=0\r\n" + b"a=x\r\n" * 20000)
    assert status == 413, status

    # Full at 2: the third waits with a Retry-After; a DELETE frees a place.
    status, headers2, _ = post(t, offer)
    assert status == 201
    status, headers3, body = post(t, offer)
    assert status == 503 and int(headers3["Retry-After"]) > 0, (status, headers3, body)
    assert http_request(t.url + location, "DELETE")[0] == 200
    assert http_request(t.url + location, "DELETE")[0] == 404
    assert http_request(t.url + headers2["Location"], "PATCH", b"a=candidate:x", SDP)[0] == 405
    status, headers4, _ = post(t, offer)
    assert status == 201, status
    _, _, metrics = http_request(t.url + "/metrics")
    assert re.search(rb"^tessera_whep_refused_total 1$", metrics, re.M), metrics
    assert re.search(rb"^tessera_whep_sessions_total 3$", metrics, re.M), metrics
    for loc in (headers2["Location"], headers4["Location"]):
        assert http_request(t.url + loc, "DELETE")[0] == 200
    assert wait_until(lambda: [o for o in t.json("/api/v1/outputs")
                               if o["kind"] == "whep"][0]["viewers"] == 0, 5, "no viewers")

    # Offers per address: 30 a minute (5 + 4 made above, each counted before its body is read).
    statuses = [post(t, b"hello")[0] for _ in range(30)]
    assert statuses.count(429) >= 1 and statuses[0] == 400, statuses
    status, headers, _ = post(t, offer)
    assert status == 429 and int(headers["Retry-After"]) > 0, (status, headers)


def check_off(binary):
    with Tessera(binary, CONFIG.replace("{output}", "whep = false")) as t:
        t.wait_healthy(1)
        assert http_request(t.url + "/whep", "POST", b"v=0\r\n", SDP)[0] == 404
        wait_until(lambda: http_request(t.url + "/hls/index.m3u8")[0] == 200, 20, "HLS playing")
        assert not [o for o in t.json("/api/v1/outputs") if o["kind"] == "whep"]
        assert t.stop() == 0
    with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as f:
        f.write(CONFIG.replace("{output}", "max_viewers = 0"))
    r = subprocess.run([binary, "check", f.name], capture_output=True, text=True, timeout=30)
    os.unlink(f.name)
    assert r.returncode == 2 and "max_viewers" in r.stdout + r.stderr, (r.returncode, r.stdout,
                                                                         r.stderr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    binary = ap.parse_args().tessera
    with Tessera(binary, CONFIG.replace("{output}", "max_viewers = 2")) as t:
        t.wait_healthy(1)
        check_contract(t)
        assert t.stop() == 0, t.log_text()[-3000:]
    check_off(binary)
    print("ok")


if __name__ == "__main__":
    main()
