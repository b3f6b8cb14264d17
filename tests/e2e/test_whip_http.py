"""WHIP endpoint (RFC 9725) status codes from a plain HTTP client, garbage included; the server
stays healthy afterwards. Offers are valid SDP written here (no browser): they negotiate (201)
but never connect, so the silence timeout also gets exercised."""
import argparse
import json
import os
import socket
import sys

sys.path.insert(0, os.path.dirname(__file__))
from tessera_harness import Tessera, http_request, wait_until  # noqa: E402

TOKEN = "phone-token"


def offer(video=True, codec="VP8"):
    lines = ["v=0", "o=- 4611731400430051336 2 IN IP4 127.0.0.1", "s=-", "t=0 0",
             "a=group:BUNDLE 0", "a=msid-semantic: WMS"]
    if video:
        lines += ["m=video 9 UDP/TLS/RTP/SAVPF 96", "c=IN IP4 0.0.0.0", "a=rtcp:9 IN IP4 0.0.0.0",
                  "a=ice-ufrag:abcd", "a=ice-pwd:aaaaaaaaaaaaaaaaaaaaaaaa",
                  "a=fingerprint:sha-256 " + ":".join(["AB"] * 32), "a=setup:actpass", "a=mid:0",
                  "a=sendonly", "a=rtcp-mux", f"a=rtpmap:96 {codec}/90000",
                  "a=rtcp-fb:96 nack pli"]
    else:
        lines += ["m=audio 9 UDP/TLS/RTP/SAVPF 111", "c=IN IP4 0.0.0.0", "a=ice-ufrag:abcd",
                  "a=ice-pwd:aaaaaaaaaaaaaaaaaaaaaaaa",
                  "a=fingerprint:sha-256 " + ":".join(["AB"] * 32), "a=setup:actpass",
                  "a=mid:0", "a=sendonly", "a=rtcp-mux", "a=rtpmap:111 opus/48000/2"]
    return ("\r\n".join(lines) + "\r\n").encode()


def post(t, body, token=TOKEN, ctype="application/sdp"):
    headers = {"Content-Type": ctype}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return http_request(t.url + "/whip", "POST", body, headers)


def problem(resp, status, needle=None):
    code, headers, body = resp
    assert code == status, (code, status, body[:300])
    assert headers.get("Content-Type", "").startswith("application/problem+json"), headers
    detail = json.loads(body)["detail"]
    assert detail, body
    if needle:
        assert needle in detail, (needle, detail)
    return headers


CONFIG = f"""
[installation]
name = "whip-http"
[ingest]
max_feeds = 3
[ingest.synthetic]
count = 1
[ingest.whip]
token = "{TOKEN}"
ice_addresses = ["127.0.0.1"]
silence_timeout_s = 3
posts_per_minute = 12
[analysis]
workers = 0
[output]
hls = false
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    b = ap.parse_args().tessera
    with Tessera(b, CONFIG) as t:
        t.wait_healthy(1)

        # OPTIONS: CORS preflight and Accept-Post.
        code, headers, _ = http_request(t.url + "/whip", "OPTIONS")
        assert code == 204, code
        assert headers.get("Accept-Post") == "application/sdp", headers
        assert headers.get("Access-Control-Allow-Origin") == "*", headers
        assert "POST" in headers.get("Access-Control-Allow-Methods", ""), headers

        # Refusals (each names what is wrong). Posts so far: 0.
        problem(post(t, offer(), token=None), 401, "Authorization")          # 1
        problem(post(t, offer(), token="wrong"), 401, "wrong token")         # 2
        problem(post(t, offer(), ctype="text/plain"), 415, "application/sdp")  # 3
        problem(post(t, b"hello, this is not SDP"), 400)                     # 4
        problem(post(t, bytes(range(256)) * 8), 400)                         # 5 garbage
        problem(post(t, offer(video=False)), 406, "video")                   # 6
        problem(post(t, offer(codec="AV1")), 406, "VP8 or H.264")            # 7
        problem(post(t, b"v=0\r\n" + b"a=x\r\n" * 20000), 413)               # 8 (~120 KiB)
        # Garbage on the raw socket: the server answers or closes, and stays up.
        with socket.create_connection(("127.0.0.1", t.port), timeout=5) as s:
            s.sendall(b"POST /whip HTTP/1.1\r\nContent-Length: zzz\r\n\r\n\x00\xff" * 3)
            s.recv(4096)

        # A good offer: 201 with the answer, Location, ETag.
        code, headers, answer = post(t, offer())                             # 9
        assert code == 201, (code, answer[:300])
        assert headers["Content-Type"] == "application/sdp", headers
        assert answer.startswith(b"v=0") and b"a=candidate:" in answer, answer[:400]
        assert b"VP8/90000" in answer, answer
        location, etag = headers["Location"], headers["ETag"]
        assert location.startswith("/whip/") and len(location) >= 6 + 32, location
        assert etag.startswith('"'), etag
        session = t.url + location
        feeds = t.json("/api/v1/feeds")
        assert any(f["source"] == "whip" and f["state"] == "connecting" for f in feeds), feeds

        # PATCH: trickle ICE (204), ETag rules (412), ICE restart (422), type (415).
        frag = b"a=ice-ufrag:abcd\r\na=ice-pwd:aaaaaaaaaaaaaaaaaaaaaaaa\r\nm=video 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\na=candidate:1 1 UDP 2130706431 127.0.0.1 9 typ host\r\n"
        auth = {"Authorization": f"Bearer {TOKEN}"}
        sdpfrag = {**auth, "Content-Type": "application/trickle-ice-sdpfrag"}
        code, _, _ = http_request(session, "PATCH", frag, {**sdpfrag, "If-Match": etag})
        assert code == 204, code
        problem(http_request(session, "PATCH", frag, {**sdpfrag, "If-Match": '"nope"'}), 412)
        problem(http_request(session, "PATCH", frag, {**sdpfrag, "If-Match": "*"}), 422, "restart")
        problem(http_request(session, "PATCH", frag, {**auth, "Content-Type": "application/sdp"}),
                415)
        problem(http_request(t.url + "/whip/0123456789abcdef", "PATCH", frag, sdpfrag), 404)
        problem(http_request(session, "GET", None, auth), 405)
        problem(http_request(t.url + "/whip", "GET"), 405)
        problem(http_request(session, "DELETE", None), 401)

        # DELETE: 200, then the session and its feed are gone; again: 404.
        code, _, _ = http_request(session, "DELETE", None, auth)
        assert code == 200, code
        problem(http_request(session, "DELETE", None, auth), 404)
        assert not any(f["source"] == "whip" for f in t.json("/api/v1/feeds"))

        # max_feeds = 3 with one synthetic feed: two joins fit, the third gets 503 + Retry-After.
        assert post(t, offer())[0] == 201                                     # 10
        assert post(t, offer())[0] == 201                                     # 11
        headers = problem(post(t, offer()), 503, "full")                      # 12
        assert int(headers["Retry-After"]) > 0, headers
        # The rate limit: at most 12 POSTs a minute from one address (the early-refused 413
        # never reached it), so the 13th is refused whatever the capacity.
        # Counted so far (token refusals and the early 413 are not): 415, 400, 400, 406, 406,
        # 201, 201, 201, 503 = 9; three more 503s, then 429.
        statuses = []
        for _ in range(6):
            statuses.append(post(t, offer()))
            if statuses[-1][0] == 429:
                break
        assert [s[0] for s in statuses] == [503, 503, 503, 429], [s[0] for s in statuses]
        headers = problem(statuses[-1], 429, "12 joins a minute")
        assert int(headers["Retry-After"]) > 0, headers

        # Offers that never connect are removed after the silence timeout.
        wait_until(lambda: not any(f["source"] == "whip" for f in t.json("/api/v1/feeds")), 15,
                   "silent sessions to be removed")
        assert "no media within 3 s" in t.log_text(), t.log_text()[-2000:]

        # Still healthy after all of it.
        assert t.json("/healthz")["status"] == "ok"
        assert t.stop() == 0, t.log_text()

    # Offers that break the rules are refused before webrtcbin sees them, naming the line;
    # trickle fragments too. Nothing is left behind and the server stays healthy.
    good = offer().decode()
    bad_offers = {
        "duplicate mid": (good + "m=video 9 UDP/TLS/RTP/SAVPF 97\r\na=mid:0\r\na=sendonly\r\n"
                          "a=rtpmap:97 VP8/90000\r\n", "line 19", "two m= sections"),
        "recvonly video": (good.replace("a=sendonly", "a=recvonly"), "line 7", "recvonly"),
        "inactive video": (good.replace("a=sendonly", "a=inactive"), "line 7", "inactive"),
        "payload type 2^32": (good.replace("SAVPF 96", "SAVPF 4294967296"), "line 7", "0-127"),
        "rtpmap 2^32": (good.replace("rtpmap:96", "rtpmap:4294967296"), "line 17", "0-127"),
        "port overflow": (good.replace("m=video 9", "m=video 99999999999999999999"), "line 7",
                          "port"),
        "long line": (good + "a=x:" + "y" * 5000 + "\r\n", "line 19", "bytes"),
    }
    with Tessera(b, CONFIG.replace("posts_per_minute = 12", "posts_per_minute = 1000")) as t:
        t.wait_healthy(1)
        for name, (body, line, needle) in bad_offers.items():
            headers = problem(post(t, body.encode()), 400, needle)
            detail = json.loads(post(t, body.encode())[2])["detail"]
            assert line in detail, (name, detail)
        assert "offer refused: line 7" in t.log_text(), t.log_text()[-2000:]
        code, headers, _ = post(t, offer())
        assert code == 201, code
        session = t.url + headers["Location"]
        sdpfrag = {"Authorization": f"Bearer {TOKEN}",
                   "Content-Type": "application/trickle-ice-sdpfrag"}
        for frag, needle in [
                (b"a=candidate:1 1 UDP 4294967296 127.0.0.1 9 typ host\r\n", "priority"),
                (b"a=candidate:1 1 UDP 1 127.0.0.1 65536 typ host\r\n", "port"),
                (b"m=video 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\nm=video 9 UDP/TLS/RTP/SAVPF 0\r\n"
                 b"a=mid:0\r\n", "two m= sections"),
                (b"a=rtpmap:96 VP8/90000\r\n", "does not belong"),
                (b"a=candidate:1 1 UDP 1 127.0.0.1 9 typ host\r\n" * 70, "line 65")]:
            problem(http_request(session, "PATCH", frag, sdpfrag), 400, needle)
        assert "trickle fragment refused: line 1" in t.log_text(), t.log_text()[-2000:]
        code, _, _ = http_request(session, "DELETE", None, {"Authorization": f"Bearer {TOKEN}"})
        assert code == 200, code
        assert not any(f["source"] == "whip" for f in t.json("/api/v1/feeds"))
        assert t.json("/healthz")["status"] == "ok"
        assert t.stop() == 0, t.log_text()

    # Configured STUN/TURN servers are announced as Link headers (RFC 9725 section 4.6).
    servers = 'ice_servers = ["stun:stun.example.org:3478", "turn:user:secret@turn.example.org:3478"]'
    with Tessera(b, CONFIG.replace("silence_timeout_s = 3", servers)) as t:
        t.wait_healthy(1)
        code, headers, _ = http_request(t.url + "/whip", "OPTIONS")
        link = ", ".join(headers.get_all("Link") or [])
        assert '<stun:stun.example.org:3478>; rel="ice-server"' in link, link
        assert '<turn:turn.example.org:3478>; rel="ice-server"; username="user"' in link, link
        assert 'credential="secret"' in link, link
        assert t.stop() == 0
    print("ok")


if __name__ == "__main__":
    main()
