"""End to end: venue cameras and other servers as pulled feeds, each against its real server on
loopback (issue "pull protocols").

One `tessera run` pulls:
  - RTMP from nginx-rtmp (a GStreamer publisher, a stream key in the URL)      red
  - RTSP from libgstrtspserver, open                                           green
  - RTSP with a password (user:pass@), the server refusing UDP (TCP interleaved) blue
  - SRT as caller, from a GStreamer srtsink listening, with a passphrase       yellow
  - SRT as listener (srt://:PORT?mode=listener), srt-live-transmit calling     magenta
  - HLS over HTTP, a live playlist from ffmpeg                                 cyan
  - DASH over HTTP, a live manifest (SegmentTimeline) from ffmpeg               purple
  - MJPEG over HTTP (multipart/x-mixed-replace), a small Python camera          orange
  - RTSP with the wrong password, and RTMP to a closed port (error words)
Checked:
0. `tessera check` accepts the file, and names a bad port, a caller without a host and an unknown
   scheme by line and key without repeating the password;
1. every good feed goes live, says its protocol, a time to first frame and a bitrate, and its
   tile shows its colour in canvas.png;
2. the wrong password says "authentication failed", the closed port "connection refused";
3. no password, passphrase or stream key in /api/v1/feeds, /metrics or the log;
4. the RTSP feed is timed by its RTCP Sender Reports (sync clock "sr_arrival");
5. every server killed: each feed leaves `live`; every server started again: each feed is live
   again with its colour, by itself.
Figures printed: first frame per protocol, time back after the restart.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from pull_servers import (DashServer, HlsServer, MjpegServer, RtmpPublisher, RtspServer,  # noqa: E402
                          SrtCallerSender, SrtListenerSender)
from tessera_harness import Tessera, free_port, http_get, mean_rgb, wait_until  # noqa: E402

KEY = "stream-key-0042"
PASSWORD = "hunter2-cam"
PASSPHRASE = "srt-passphrase-77"

RED, GREEN, BLUE, YELLOW = 0xFF0000, 0x00FF00, 0x0000FF, 0xFFFF00
PURPLE = 0x8000FF
MAGENTA, CYAN, ORANGE = 0xFF00FF, 0x00FFFF, 0xFF8000
TOLERANCE = 50  # per channel, 0-255: YUV 4:2:0, H.264 and JPEG shift solid colours a little


def rgb(colour):
    return [(colour >> 16) & 255, (colour >> 8) & 255, colour & 255]


def close(got, colour):
    return all(abs(g - w) <= TOLERANCE for g, w in zip(got, rgb(colour)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="tessera-pull-")
    ports = {name: free_port() for name in
             ("rtmp", "rtsp", "rtsp_auth", "srt_caller", "srt_listener", "srt_udp", "hls",
              "dash", "mjpeg", "closed")}
    servers = {
        "rtmp": RtmpPublisher(work, ports["rtmp"], KEY, RED),
        "rtsp": RtspServer(ports["rtsp"], GREEN),
        "rtsp_auth": RtspServer(ports["rtsp_auth"], BLUE, "cam", PASSWORD, tcp_only=True),
        "srt_caller": SrtListenerSender(ports["srt_caller"], YELLOW, PASSPHRASE),
        "srt_listener": SrtCallerSender(ports["srt_listener"], ports["srt_udp"], MAGENTA),
        "hls": HlsServer(work, ports["hls"], CYAN),
        "dash": DashServer(work, ports["dash"], PURPLE),
        "mjpeg": MjpegServer(work, ports["mjpeg"], ORANGE),
    }
    uris = {
        "rtmp": servers["rtmp"].url,
        "rtsp": f"rtsp://127.0.0.1:{ports['rtsp']}/cam",
        "rtsp_auth": f"rtsp://cam:{PASSWORD}@127.0.0.1:{ports['rtsp_auth']}/cam",
        "srt_caller": f"srt://127.0.0.1:{ports['srt_caller']}?passphrase={PASSPHRASE}",
        "srt_listener": f"srt://:{ports['srt_listener']}?mode=listener",
        "hls": servers["hls"].url,
        "dash": servers["dash"].url,
        "mjpeg": servers["mjpeg"].url,
        "rtsp_wrong": f"rtsp://cam:wrong-password@127.0.0.1:{ports['rtsp_auth']}/cam",
        "closed": f"rtmp://127.0.0.1:{ports['closed']}/live/x",
    }
    colours = {"rtmp": RED, "rtsp": GREEN, "rtsp_auth": BLUE, "srt_caller": YELLOW,
               "srt_listener": MAGENTA, "hls": CYAN, "dash": PURPLE, "mjpeg": ORANGE}
    protocols = {"rtmp": "rtmp", "rtsp": "rtsp", "rtsp_auth": "rtsp", "srt_caller": "srt",
                 "srt_listener": "srt", "hls": "hls", "dash": "dash", "mjpeg": "mjpeg"}
    order = list(uris)  # feed ids follow the file's order
    pulls = "".join(f'[[ingest.pull]]\nuri = "{uris[n]}"\n' +
                    ("latency_ms = 80\n" if n.startswith(("rtsp", "srt")) else "")
                    for n in order)
    config = f"""
[installation]
name = "pull-protocols"
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
    # `tessera check`: the file is valid; broken URIs are named by line and key, password unsaid.
    checked = os.path.join(work, "check.toml")
    with open(checked, "w") as f:
        f.write(config)
    r = subprocess.run([args.tessera, "check", checked], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    with open(checked, "w") as f:
        f.write(f'[[ingest.pull]]\nuri = "rtsp://cam:{PASSWORD}@h:99999/s"\n'
                '[[ingest.pull]]\nuri = "srt://:9000?mode=caller"\n'
                '[[ingest.pull]]\nuri = "rmtp://typo/live/x"\n')
    r = subprocess.run([args.tessera, "check", checked], capture_output=True, text=True,
                       timeout=60)
    said = r.stdout + r.stderr
    assert r.returncode == 2, said
    assert ":2: ingest.pull[0].uri: expected a port" in said, said
    assert ":4: ingest.pull[1].uri: an SRT caller needs a host" in said, said
    assert ':6: ingest.pull[2].uri: unknown scheme "rmtp"' in said, said
    assert PASSWORD not in said, said

    try:
        for s in servers.values():
            s.start()
        started = time.monotonic()
        with Tessera(args.tessera, config, duration=170) as t:
            def feeds():
                listed = t.json("/api/v1/feeds")
                assert len(listed) == len(order), listed
                return dict(zip(order, listed))

            good = list(colours)

            def all_live():
                f = feeds()
                return all(f[n]["state"] == "live" for n in good) and f

            try:
                f = wait_until(all_live, 40, "every pulled feed live", 0.2)
            except AssertionError:
                print(t.log_text()[-6000:])
                raise
            print(f"all live {time.monotonic() - started:.1f} s after start")
            for n in good:
                assert f[n]["protocol"] == protocols[n], (n, f[n])
                assert f[n]["first_frame_ms"] is not None and f[n]["first_frame_ms"] > 0, f[n]
                print(f"first frame {n}: {f[n]['first_frame_ms']:.0f} ms")
            wait_until(lambda: all((feeds()[n]["bitrate_kbps"] or 0) > 0 for n in good), 10,
                       "a bitrate for every live feed: " +
                       str({n: v["bitrate_kbps"] for n, v in feeds().items()}))

            # 1. Each tile shows its camera's colour.
            def tiles_right():
                f, canvas = feeds(), t.canvas()
                got = {n: mean_rgb(canvas, f[n]["tile"], 0.3) for n in good}
                wrong = {n: g for n, g in got.items() if not close(g, colours[n])}
                assert not wrong, wrong
                return True
            wait_until(tiles_right, 15, "every tile showing its colour", 0.3)

            # 2. Errors in technician words.
            def errors_said():
                f = feeds()
                return (f["rtsp_wrong"].get("last_error") == "authentication failed" and
                        f["closed"].get("last_error") == "connection refused" and f)
            f = wait_until(errors_said, 15, "authentication failed / connection refused")
            assert f["rtsp_wrong"]["state"] in ("retrying", "connecting"), f["rtsp_wrong"]

            # 3. Secrets masked everywhere.
            _, _, metrics = http_get(t.url + "/metrics")
            shown = json.dumps(t.json("/api/v1/feeds")) + metrics.decode() + t.log_text()
            for secret in (KEY, PASSWORD, PASSPHRASE, "wrong-password"):
                assert secret not in shown, f"{secret} leaked"
            f = feeds()
            assert f["rtsp_auth"]["uri"] == f"rtsp://cam:***@127.0.0.1:{ports['rtsp_auth']}/cam"
            assert f["rtmp"]["uri"] == f"rtmp://127.0.0.1:{ports['rtmp']}/live/***", f["rtmp"]
            assert f["srt_caller"]["uri"].endswith("?passphrase=***"), f["srt_caller"]
            assert 'protocol="rtsp"' in metrics.decode()

            # 4. RTSP frames carry the sender's capture time (RTCP Sender Reports).
            wait_until(lambda: feeds()["rtsp"]["sync"]["clock"] == "sr_arrival", 15,
                       "the RTSP feed timed by Sender Reports")

            # 5. Every server goes away, then comes back.
            for s in servers.values():
                s.kill()
            wait_until(lambda: all(feeds()[n]["state"] != "live" for n in good), 20,
                       "every feed noticing its server went away", 0.2)
            for s in servers.values():
                s.start()
            back = time.monotonic()
            f = wait_until(all_live, 45, "every feed live again", 0.2)
            print(f"all back {time.monotonic() - back:.1f} s after the servers restarted")
            for n in good:
                assert f[n]["restarts"] >= 1, (n, f[n])
            wait_until(tiles_right, 15, "every tile showing its colour again", 0.3)
            assert t.stop() == 0, t.log_text()[-3000:]
            for secret in (KEY, PASSWORD, PASSPHRASE, "wrong-password"):
                assert secret not in t.log_text(), f"{secret} leaked into the log"
        print("pull protocols e2e: ok")
    finally:
        for s in servers.values():
            try:
                s.kill()
            except Exception as e:  # noqa: BLE001 - clean up the rest
                print("cleanup:", e)


if __name__ == "__main__":
    main()
