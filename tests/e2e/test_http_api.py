"""HTTP API contract: admin scene switch (401/403/404/200), problem+json errors, methods, paths."""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from tessera_harness import Tessera, http_request  # noqa: E402

CONFIG = """
[installation]
name = "api-e2e"
[http]
admin_token = "s3cret"
[ingest.synthetic]
count = 2
[analysis]
workers = 0
[output]
hls = false
[[scenes]]
name = "grid"
layout = "grid"
[[scenes]]
name = "calm"
layout = "grid"
"""


def problem(status_body_headers, status):
    code, headers, body = status_body_headers
    assert code == status, (code, body)
    assert headers.get("Content-Type", "").startswith("application/problem+json"), headers
    doc = json.loads(body)
    assert doc["status"] == status and doc["detail"], doc
    return doc


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    b = ap.parse_args().tessera
    with Tessera(b, CONFIG) as t:
        t.wait_healthy(2)
        scene = t.url + "/api/v1/scene"
        body = json.dumps({"name": "calm"}).encode()
        ctype = {"Content-Type": "application/json"}

        doc = problem(http_request(scene, "POST", body, ctype), 401)
        assert "Authorization" in doc["detail"], doc
        problem(http_request(scene, "POST", body, {**ctype, "Authorization": "Bearer nope"}), 401)
        auth = {**ctype, "Authorization": "Bearer s3cret"}
        doc = problem(http_request(scene, "POST", json.dumps({"name": "nope"}).encode(), auth),
                      404)
        assert "calm" in doc["detail"] and "grid" in doc["detail"], doc
        problem(http_request(scene, "POST", b"{not json", auth), 400)
        problem(http_request(scene, "POST", b'{"name": 3}', auth), 400)
        problem(http_request(scene, "GET"), 405)

        code, _, reply = http_request(scene, "POST", body, auth)
        assert code == 200 and json.loads(reply) == {"scene": "calm"}, (code, reply)
        assert t.json("/healthz")["scene"] == "calm"

        # Unknown paths, wrong methods, HLS off, and no way out of served directories.
        problem(http_request(t.url + "/nope"), 404)
        problem(http_request(t.url + "/api/v1/feeds", "DELETE"), 405)
        problem(http_request(t.url + "/hls/index.m3u8"), 404)
        for path in ("/static/../../README.md", "/static/..%2f..%2fREADME.md", "/static/.hidden"):
            code, _, reply = http_request(t.url + path)
            assert code in (400, 404) and b"make run" not in reply, (path, code)

        # Feeds and metrics are well-formed.
        feeds = t.json("/api/v1/feeds")
        assert [f["id"] for f in feeds] == sorted(f["id"] for f in feeds)
        code, headers, metrics = http_request(t.url + "/metrics")
        assert code == 200 and headers["Content-Type"].startswith("text/plain"), headers
        for line in metrics.decode().splitlines():
            assert line.startswith("#") or len(line.split(" ")) == 2, line
        assert t.stop() == 0

    # Without an admin token the admin API is refused outright.
    with Tessera(b, CONFIG.replace('admin_token = "s3cret"', "")) as t:
        t.wait_healthy(2)
        doc = problem(http_request(t.url + "/api/v1/scene", "POST", b'{"name":"calm"}',
                                   {"Authorization": "Bearer s3cret"}), 403)
        assert "admin_token" in doc["detail"], doc
        assert t.stop() == 0
    print("ok")


if __name__ == "__main__":
    main()
