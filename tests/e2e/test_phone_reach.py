"""Phones on the network can reach the join page and film: the join URL printed at start-up is
this machine's LAN address when listening on every interface (https with tls = "auto", its
certificate naming that address), and the server warns, in a technician's words, when it serves
plain HTTP where phones will come (their browsers then refuse the camera); not on loopback, not
with TLS, not behind an HTTPS proxy (public_url).

A browser on the "LAN" (headless Chromium with a fake camera, tests/browser/join_state.mjs)
opens the printed link: over plain HTTP the page gets no camera and says so (what the warning
is about); over HTTPS it is ready to go live.

CMake runs this in a network namespace of its own (unshare -n, TESSERA_NETNS=1): the "LAN" is a
veth pair with a documentation address (192.0.2.10) that exists only there, so listening on
0.0.0.0 exposes nothing outside the namespace.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from tessera_harness import Tessera, http_get  # noqa: E402

SOURCE_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
LAN = "192.0.2.10"
WARNING = "phones on the network cannot use their cameras"

CONFIG = """
[installation]
name = "reach-e2e"
[http]
{http}
[ingest.synthetic]
count = 1
[analysis]
workers = 0
[output]
hls = false
"""


def make_lan():
    for cmd in (["ip", "link", "add", "lan0", "type", "veth", "peer", "name", "lan1"],
                ["ip", "addr", "add", f"{LAN}/24", "dev", "lan0"],
                ["ip", "link", "set", "lan0", "up"], ["ip", "link", "set", "lan1", "up"]):
        subprocess.run(cmd, check=True, timeout=10)


def decode_qr(png_bytes):
    path = os.path.join(tempfile.mkdtemp(prefix="reach-e2e-"), "qr.png")
    with open(path, "wb") as f:
        f.write(png_bytes)
    r = subprocess.run(["zbarimg", "--quiet", "--raw", path], capture_output=True, text=True,
                       timeout=30)
    return r.stdout.strip() if r.returncode == 0 else None


def phone_sees(url):
    """What a browser on the LAN sees on the join page at `url` (state, status, buttons)."""
    r = subprocess.run(["node", os.path.join(SOURCE_DIR, "tests/browser/join_state.mjs"), url],
                       capture_output=True, text=True, timeout=90)
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


def start(binary, http, host, xdg):
    t = Tessera(binary, CONFIG.format(http=http), host=host, duration=60,
                env=dict(os.environ, XDG_DATA_HOME=xdg))
    t.wait_healthy(1)
    return t


def printed_join(t):
    m = re.search(r"server: join: (\S+)", t.log_text())
    assert m, t.log_text()
    return m.group(1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    b = ap.parse_args().tessera
    assert os.environ.get("TESSERA_NETNS") == "1", \
        "run through ctest: this test listens on 0.0.0.0 inside a network namespace of its own"
    make_lan()
    xdg = tempfile.mkdtemp(prefix="reach-xdg-")

    # Plain HTTP on every interface: the warning, and a join URL a phone on the LAN can open.
    with start(b, 'tls = "off"', "0.0.0.0", xdg) as t:
        join = printed_join(t)
        assert join == f"http://{LAN}:{t.port}/join", join
        warning = [line for line in t.log_text().splitlines() if WARNING in line]
        assert len(warning) == 1, t.log_text()
        assert " warn " in warning[0] and f"0.0.0.0:{t.port}" in warning[0], warning
        assert 'tls = "auto"' in warning[0], warning  # it says what to do
        status, _, body = http_get(join)
        assert status == 200 and b"Go live" in body, status
        seen = phone_sees(join)
        assert seen["state"] == "insecure" and not seen["secure"], seen
        assert "without HTTPS" in seen["status"] and seen["buttons"] == [], seen
        assert t.stop() == 0, t.log_text()
    print(f"plain HTTP on 0.0.0.0: {warning[0].split(' server: ')[1][:110]}...")
    print(f"a phone there sees: {seen['status']}")

    # tls = "auto": no warning; the URL is https on the LAN address, and the self-signed
    # certificate names that address (a phone that trusts it opens the link without a warning).
    with start(b, 'tls = "auto"', "0.0.0.0", xdg) as t:
        join = printed_join(t)
        assert join == f"https://{LAN}:{t.port}/join", join
        assert WARNING not in t.log_text(), t.log_text()
        cert = os.path.join(xdg, "tessera/tls/reach-e2e/cert.pem")
        status, _, body = http_get(join, cafile=cert)
        assert status == 200 and b"Go live" in body, status
        status, _, png = http_get(f"https://127.0.0.1:{t.port}/join/qr.png")
        assert status == 200 and decode_qr(png) == join, decode_qr(png)
        seen = phone_sees(join)
        assert seen["state"] == "ready" and seen["secure"], seen
        assert seen["buttons"] == ["Go live"], seen
        assert t.stop() == 0, t.log_text()

    # Loopback only (this machine's browser may film over HTTP): no warning.
    with start(b, 'tls = "off"', "127.0.0.1", xdg) as t:
        assert printed_join(t) == f"http://127.0.0.1:{t.port}/join", printed_join(t)
        assert WARNING not in t.log_text(), t.log_text()
        assert t.stop() == 0, t.log_text()

    # Behind a proxy that speaks HTTPS to the phones: no warning, the proxy's URL is printed.
    with start(b, 'tls = "off"\npublic_url = "https://wall.example.org"', "0.0.0.0", xdg) as t:
        assert printed_join(t) == "https://wall.example.org/join", printed_join(t)
        assert WARNING not in t.log_text(), t.log_text()
        assert t.stop() == 0, t.log_text()
    print("ok")


if __name__ == "__main__":
    main()
