"""End to end: pulled sources over TLS (rtsps://, rtmps://, https://) from real servers on
loopback whose certificate a private CA signed (made with openssl in a temp dir), as venue
cameras and relays have.

One `tessera run` pulls:
  - RTSPS from libgstrtspserver (GstRTSPAuth's TLS certificate), tls_ca_file     green
  - RTMPS: nginx-rtmp behind nginx's stream module (TLS), tls_ca_file             red
  - HLS over HTTPS (Python's http.server wrapped in ssl), tls_ca_file             cyan
  - MJPEG over HTTPS, tls_verify = false (accepted, logged as insecure)          orange
  - the same three kinds of server, each on a second port, without tls_ca_file: the system
    store does not know the private CA
Checked:
0. `tessera check` accepts the file; refuses tls_ca_file on rtsp://, a CA file holding a private
   key, and (through GIO's TLS library) a CA file whose armour is right but whose DER is not,
   which `tessera run` refuses too (exit 2);
1. every trusted feed goes live, says its protocol and a time to first frame, and its tile
   shows its colour in canvas.png;
   RTSPS asks for its media interleaved in the TLS connection, never plain UDP;
2. every untrusted feed says "TLS certificate not trusted: unknown CA" as its last error (not
   a stall, not "internal data stream error") and never goes live;
3. the log says tls_verify = false is insecure.
Figures printed: first frame per TLS scheme.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from pull_servers import (Certificates, HlsServer, HttpDirectory, MjpegServer,  # noqa: E402
                          RtmpsPublisher, RtspServer)
from tessera_harness import Tessera, free_port, mean_rgb, wait_until  # noqa: E402

KEY = "tls-stream-key-7"
RED, GREEN, CYAN, ORANGE = 0xFF0000, 0x00FF00, 0x00FFFF, 0xFF8000
TOLERANCE = 50  # per channel: YUV 4:2:0, H.264 and JPEG shift solid colours a little
UNTRUSTED = "TLS certificate not trusted: unknown CA"


def rgb(colour):
    return [(colour >> 16) & 255, (colour >> 8) & 255, colour & 255]


def close(got, colour):
    return all(abs(g - w) <= TOLERANCE for g, w in zip(got, rgb(colour)))


def check(tessera, path, text):
    with open(path, "w") as f:
        f.write(text)
    r = subprocess.run([tessera, "check", path], capture_output=True, text=True, timeout=60)
    return r.returncode, r.stdout + r.stderr


def check_refusals(tessera, work, tls):
    """`tessera check` names what is wrong with a TLS setting, by line and key."""
    with open(tls.ca_cert) as f:
        ca = f.read()
    with_key = os.path.join(work, "ca-with-key.pem")
    with open(with_key, "w") as f, open(tls.ca_key) as key:
        f.write(ca + key.read())
    bad_der = os.path.join(work, "ca-bad-der.pem")  # right armour, a SEQUENCE, broken inside
    with open(bad_der, "w") as f:
        f.write("-----BEGIN CERTIFICATE-----\nMIIBlTCCATugAwIBAgIUAAAA\n"
                "-----END CERTIFICATE-----\n")
    code, said = check(tessera, os.path.join(work, "bad.toml"),
                       '[[ingest.pull]]\nuri = "rtsp://127.0.0.1:1/cam"\n'
                       f'tls_ca_file = "{tls.ca_cert}"\n'
                       '[[ingest.pull]]\nuri = "https://127.0.0.1:2/a.m3u8"\n'
                       f'tls_ca_file = "{with_key}"\n')
    assert code == 2, said
    assert ":3: ingest.pull[0].tls_ca_file: only TLS sources check a certificate" in said, said
    assert ":6: ingest.pull[1].tls_ca_file: " + with_key + ": it holds a private key" in said, said
    assert "PRIVATE KEY" not in said and "BEGIN" not in said.replace('"-----BEGIN', ""), said
    bad_der_toml = os.path.join(work, "bad-der.toml")
    code, said = check(tessera, bad_der_toml,
                       '[[ingest.pull]]\nuri = "rtmps://127.0.0.1:3/live/k"\n'
                       f'tls_ca_file = "{bad_der}"\n')
    assert code == 2, said
    assert ":0: ingest.pull[0].tls_ca_file: " + bad_der in said, said
    # `tessera run` refuses it as check does, before anything starts.
    r = subprocess.run([tessera, "run", bad_der_toml, "--headless", "--duration", "1"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2, r.stdout + r.stderr
    assert ":0: ingest.pull[0].tls_ca_file: " + bad_der in r.stdout + r.stderr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="tessera-pull-tls-")
    tls = Certificates(work)
    check_refusals(args.tessera, work, tls)

    ports = {n: free_port() for n in ("rtsps", "rtsps_untrusted", "rtmp", "rtmps",
                                      "rtmps_untrusted", "hls", "hls_untrusted", "mjpeg")}
    rtmps = RtmpsPublisher(work, ports["rtmp"], [ports["rtmps"], ports["rtmps_untrusted"]], KEY,
                           RED, tls)
    hls = HlsServer(work, ports["hls"], CYAN, tls=tls)
    servers = {
        "rtsps": RtspServer(ports["rtsps"], GREEN, tls=tls,
                            transports=os.path.join(work, "rtsps-transports.txt")),
        "rtsps_untrusted": RtspServer(ports["rtsps_untrusted"], GREEN, tls=tls),
        "rtmps": rtmps,
        "hls": hls,
        # The same playlist from a second HTTPS port: a server tessera was not told about.
        "hls_untrusted": HttpDirectory(hls.dir, ports["hls_untrusted"], tls=tls),
        "mjpeg": MjpegServer(work, ports["mjpeg"], ORANGE, tls=tls),
    }
    hls_path = hls.url.split("/", 3)[3]
    feeds_toml = [
        ("rtsps", servers["rtsps"].url, f'tls_ca_file = "{tls.ca_cert}"\n'),
        ("rtmps", rtmps.urls[0], f'tls_ca_file = "{tls.ca_cert}"\n'),
        ("hls", hls.url, f'tls_ca_file = "{tls.ca_cert}"\n'),
        ("mjpeg", servers["mjpeg"].url, "tls_verify = false\n"),
        ("rtsps_untrusted", servers["rtsps_untrusted"].url, ""),
        ("rtmps_untrusted", rtmps.urls[1], ""),
        ("hls_untrusted", f"https://127.0.0.1:{ports['hls_untrusted']}/{hls_path}", ""),
    ]
    order = [n for n, _, _ in feeds_toml]
    colours = {"rtsps": GREEN, "rtmps": RED, "hls": CYAN, "mjpeg": ORANGE}
    protocols = {"rtsps": "rtsps", "rtmps": "rtmps", "hls": "hls", "mjpeg": "mjpeg"}
    untrusted = [n for n in order if n.endswith("_untrusted")]
    pulls = "".join(f'[[ingest.pull]]\nuri = "{uri}"\n{extra}' for _, uri, extra in feeds_toml)
    config = f"""
[installation]
name = "pull-tls"
[canvas]
width = 640
height = 480
fps = 15
[ingest]
tile_width = 160
tile_height = 120
{pulls}
[sync]
enabled = false
[analysis]
workers = 0
[output]
hls = false
"""
    code, said = check(args.tessera, os.path.join(work, "check.toml"), config)
    assert code == 0, said

    try:
        for s in servers.values():
            s.start()
        started = time.monotonic()
        with Tessera(args.tessera, config, duration=90) as t:
            def feeds():
                listed = t.json("/api/v1/feeds")
                assert len(listed) == len(order), listed
                return dict(zip(order, listed))

            def all_live():
                f = feeds()
                return all(f[n]["state"] == "live" for n in colours) and f

            try:
                f = wait_until(all_live, 40, "every trusted TLS feed live", 0.2)
            except AssertionError:
                print(t.log_text()[-6000:])
                raise
            print(f"all live {time.monotonic() - started:.1f} s after start")
            for n in colours:
                assert f[n]["protocol"] == protocols[n], (n, f[n])
                assert f[n]["first_frame_ms"] is not None and f[n]["first_frame_ms"] > 0, f[n]
                print(f"first frame {n}: {f[n]['first_frame_ms']:.0f} ms")

            # 1. Each tile shows its source's colour.
            def tiles_right():
                f, canvas = feeds(), t.canvas()
                got = {n: mean_rgb(canvas, f[n]["tile"], 0.3) for n in colours}
                wrong = {n: g for n, g in got.items() if not close(g, colours[n])}
                assert not wrong, wrong
                return True
            wait_until(tiles_right, 15, "every tile showing its colour", 0.3)
            with open(servers["rtsps"].transports) as f:
                asked = f.read().split()
            assert asked and all(a.startswith("RTP/AVP/TCP;") for a in asked), asked

            # 2. An unknown CA is said in words, and such a feed never goes live.
            def refusals_said():
                f = feeds()
                return all(f[n].get("last_error") == UNTRUSTED for n in untrusted) and f
            try:
                f = wait_until(refusals_said, 20, f'"{UNTRUSTED}" for every untrusted feed')
            except AssertionError:
                print({n: feeds()[n] for n in untrusted})
                raise
            for n in untrusted:
                assert f[n]["state"] in ("retrying", "connecting"), f[n]
                assert f[n]["first_frame_ms"] is None, f[n]

            # 3. The opt-out is logged as insecure.
            assert "tls_verify = false: ANY certificate is accepted" in t.log_text()
            assert t.stop() == 0, t.log_text()[-3000:]
            assert KEY not in t.log_text(), "the stream key leaked into the log"
        print("pull TLS e2e: ok")
    finally:
        for s in servers.values():
            try:
                s.kill()
            except Exception as e:  # noqa: BLE001 - clean up the rest
                print("cleanup:", e)


if __name__ == "__main__":
    main()
