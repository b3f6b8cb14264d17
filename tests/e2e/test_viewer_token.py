"""The private channel ([http] viewer_token, issue 11): every viewer route answers 401 without the
token (or with a wrong one), before any body is read; ?t=, a bearer header and the cookie the
viewer page sets each open it; the join side (page, /api/v1/join, WHIP) and the admin API keep
their own rules. Without viewer_token everything is public as before."""
import argparse
import json
import os
import re
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from tessera_harness import Tessera, http_request, wait_until  # noqa: E402
from test_whip_http import offer  # noqa: E402

VIEWER = "v1ew-Token_~."
PHONE = "phone-token"
ADMIN = "s3cret"

CONFIG = """
[installation]
name = "viewer-token"
[canvas]
width = 320
height = 180
fps = 10
[http]
admin_token = "{admin}"
{viewer_line}
[ingest.synthetic]
count = 1
[ingest.whip]
token = "{phone}"
ice_addresses = ["127.0.0.1"]
[analysis]
workers = 0
[output]
hls = true
hls_segment_seconds = 1
"""


def config(viewer):
    line = f'viewer_token = "{viewer}"' if viewer else ""
    return CONFIG.format(admin=ADMIN, phone=PHONE, viewer_line=line)


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def first_segment(t, headers):
    """The name of a segment the live playlist lists (waits for one)."""
    def listed():
        code, _, body = http_request(t.url + "/hls/index.m3u8", headers=headers)
        names = re.findall(r"^([^#\s][^\s]*\.ts)$", body.decode(errors="replace"), re.M)
        return code == 200 and names and names[-1]
    return wait_until(listed, 30, "an HLS segment in the playlist")


def viewer_routes(segment):
    """(method, path, body, headers, answer with the token): 200, or None for "the route's own
    answer" (routes other work adds, 404 until then: anything but 401)."""
    sdp = {"Content-Type": "application/sdp"}
    reaction = {"Content-Type": "application/json"}
    return [
        ("GET", "/", None, {}, 200),
        ("GET", "/index.html", None, {}, 200),
        ("HEAD", "/", None, {}, 200),
        ("GET", "/hls/index.m3u8", None, {}, 200),
        ("GET", "/hls/" + segment, None, {}, 200),
        ("GET", "/api/v1/canvas.png", None, {}, 200),
        ("POST", "/whep", offer(), sdp, None),
        ("DELETE", "/whep/some-session", None, {}, None),
        ("POST", "/api/v1/reactions", b'{"kind": "heart"}', reaction, None),
    ]


def with_query(path, token):
    return f"{path}?t={token}"


def refused(resp, what):
    code, headers, body = resp
    assert code == 401, (what, code, body[:200])
    assert headers.get("WWW-Authenticate") == "Bearer", (what, dict(headers))
    if not what.startswith("HEAD "):  # a HEAD answer has no body
        assert json.loads(body)["detail"], (what, body)
    assert len(body) < 400, (what, "a short body", body)


def answered(resp, expected, what):
    code, _, body = resp
    if expected is None:
        assert code != 401, (what, code, body[:200])
    else:
        assert code == expected, (what, code, body[:200])


def settle(t):
    """Refused connections linger 2 s, and 32 open from one address is the cap: wait them out."""
    def closed():
        code, _, body = http_request(t.url + "/metrics")
        found = re.search(rb"^tessera_http_connections_open (\d+)$", body, re.M)
        return code == 200 and found and int(found.group(1)) <= 1
    wait_until(closed, 10, "refused connections to close", interval=0.25)


def refused_unread(t, path):
    """A request whose body never comes is answered 401 from its headers alone."""
    with socket.create_connection(("127.0.0.1", t.port), timeout=5) as s:
        s.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/sdp\r\n"
                  "Content-Length: 60000\r\n\r\n".encode())
        begun = time.monotonic()
        reply = s.recv(4096)
        assert reply.startswith(b"HTTP/1.1 401"), (path, reply[:200])
        assert time.monotonic() - begun < 3, path


def check_private(b):
    with Tessera(b, config(VIEWER)) as t:
        t.wait_healthy(1)  # /healthz stays public
        segment = first_segment(t, bearer(VIEWER))
        routes = viewer_routes(segment)

        # Without the token, or with a wrong one however it comes: 401 on every viewer route.
        wrong = "x" + VIEWER[1:]
        for method, path, body, headers, _ in routes:
            what = f"{method} {path}"
            refused(http_request(t.url + path, method, body, headers), what + " without")
            refused(http_request(t.url + with_query(path, wrong), method, body, headers),
                    what + " with a wrong ?t=")
            refused(http_request(t.url + path, method, body, {**headers, **bearer(wrong)}),
                    what + " with a wrong bearer")
            refused(http_request(t.url + path, method, body,
                                 {**headers, "Cookie": f"tessera_viewer={wrong}"}),
                    what + " with a wrong cookie")
            refused(http_request(t.url + path, method, body, {**headers, **bearer(ADMIN)}),
                    what + " with the admin token")
            settle(t)
        refused_unread(t, "/whep")
        refused_unread(t, "/api/v1/reactions")
        settle(t)

        # ?t=, a bearer header: each opens every viewer route (a segment still listed).
        routes = viewer_routes(first_segment(t, bearer(VIEWER)))
        for method, path, body, headers, expected in routes:
            what = f"{method} {path}"
            answered(http_request(t.url + with_query(path, VIEWER), method, body, headers),
                     expected, what + " with ?t=")
            answered(http_request(t.url + path, method, body, {**headers, **bearer(VIEWER)}),
                     expected, what + " with a bearer")

        # A private channel's HLS is for the token's holder, not a shared cache.
        for path in ("/hls/index.m3u8", "/hls/" + first_segment(t, bearer(VIEWER))):
            cache = http_request(t.url + path, headers=bearer(VIEWER))[1].get("Cache-Control", "")
            assert cache.startswith("private, "), (path, cache)

        # The viewer page opened with ?t= sets the cookie; the players' requests carry only it.
        code, headers, page = http_request(t.url + with_query("/", VIEWER))
        assert code == 200 and b"<video" in page, (code, page[:200])
        cookie = headers.get("Set-Cookie", "")
        assert cookie.startswith(f"tessera_viewer={VIEWER};"), cookie
        for attribute in ("HttpOnly", "SameSite=Strict", "Path=/"):
            assert attribute in cookie, (attribute, cookie)
        jar = {"Cookie": cookie.split(";")[0]}
        routes = viewer_routes(first_segment(t, jar))
        for method, path, body, headers, expected in routes:
            answered(http_request(t.url + path, method, body, {**headers, **jar}), expected,
                     f"{method} {path} with the cookie")
        # Only a valid ?t= on the page sets it.
        for url, hdrs in ((with_query("/", "x" + VIEWER[1:]), {}), ("/", bearer(VIEWER)),
                          (with_query("/hls/index.m3u8", VIEWER), {})):
            assert "Set-Cookie" not in http_request(t.url + url, headers=hdrs)[1], url

        # A CORS preflight carries no credentials: not refused.
        assert http_request(t.url + "/whep", "OPTIONS")[0] != 401

        # The join side needs no viewer token: page, assets, join info, WHIP with its own token.
        for path in ("/join", "/static/viewer.js", "/static/style.css", "/static/join.js",
                     "/api/v1/feeds", "/metrics", "/healthz"):
            code, _, _ = http_request(t.url + path)
            assert code == 200, (path, code)
        info = json.loads(http_request(t.url + "/api/v1/join")[2])
        assert info["viewer"] is None, info  # no join token, no viewer link
        info = json.loads(http_request(t.url + "/api/v1/join", headers=bearer(PHONE))[2])
        assert info["viewer"] == f"/?t={VIEWER}", info
        code, headers, answer = http_request(
            t.url + "/whip", "POST", offer(), {"Content-Type": "application/sdp", **bearer(PHONE)})
        assert code == 201 and answer.startswith(b"v=0"), (code, answer[:200])
        session = t.url + headers["Location"]
        assert http_request(session, "DELETE", None, bearer(PHONE))[0] == 200
        assert http_request(t.url + "/whip", "POST", offer(),
                            {"Content-Type": "application/sdp"})[0] == 401  # its own token

        # The admin API keeps its rules: the admin token, not the viewer token.
        scene = t.url + "/api/v1/scene"
        body, ctype = b'{"name": "grid"}', {"Content-Type": "application/json"}
        assert http_request(scene, "POST", body, {**ctype, **bearer(VIEWER)})[0] == 401
        assert http_request(scene, "POST", body, {**ctype, **bearer(ADMIN)})[0] == 200

        assert f"viewer: http://127.0.0.1:{t.port}/?t={VIEWER}" in t.log_text(), t.log_text()
        assert t.stop() == 0


def check_public(b):
    with Tessera(b, config(None)) as t:
        t.wait_healthy(1)
        segment = first_segment(t, {})
        for method, path, body, headers, expected in viewer_routes(segment):
            resp = http_request(t.url + path, method, body, headers)
            answered(resp, expected, f"{method} {path} in public")
            assert "Set-Cookie" not in resp[1], path
        assert "Set-Cookie" not in http_request(t.url + "/?t=anything")[1]
        cache = http_request(t.url + "/hls/" + first_segment(t, {}))[1].get("Cache-Control", "")
        assert cache == "max-age=300", cache  # as before
        assert json.loads(http_request(t.url + "/api/v1/join")[2])["viewer"] == "/"
        log = t.log_text()
        assert re.search(rf"viewer: http://127\.0\.0\.1:{t.port}/$", log, re.M), log
        assert t.stop() == 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    b = ap.parse_args().tessera
    check_private(b)
    check_public(b)
    print("ok")


if __name__ == "__main__":
    main()
