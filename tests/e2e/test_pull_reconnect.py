"""A live pulled source (MPEG-TS over UDP on loopback) that stops is reconnected with backoff
and shows again when it comes back; a pulled URI that does not exist is reported and retried
without disturbing the other feeds."""
import argparse
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from tessera_harness import Tessera, free_port, wait_until  # noqa: E402


def sender(port):
    return subprocess.Popen(
        ["gst-launch-1.0", "-q", "videotestsrc", "is-live=true", "pattern=smpte", "!",
         "video/x-raw,width=320,height=240,framerate=15/1", "!", "x264enc", "tune=zerolatency",
         "speed-preset=ultrafast", "key-int-max=15", "!", "mpegtsmux", "!", "udpsink",
         "host=127.0.0.1", f"port={port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    b = ap.parse_args().tessera
    port = free_port()
    config = f"""
[installation]
name = "reconnect-e2e"
[ingest.synthetic]
count = 2
[[ingest.pull]]
uri = "udp://127.0.0.1:{port}"
[[ingest.pull]]
uri = "file:///nonexistent/clip.mp4"
[analysis]
workers = 0
[output]
hls = false
"""
    send = sender(port)
    try:
        with Tessera(b, config) as t:
            def feed(uri):
                return next(f for f in t.json("/api/v1/feeds") if f.get("uri") == uri)
            udp = f"udp://127.0.0.1:{port}"
            wait_until(lambda: feed(udp)["state"] == "live", 20, "the UDP feed to go live")
            assert (feed(udp)["width"], feed(udp)["height"]) == (320, 240), feed(udp)
            missing = feed("file:///nonexistent/clip.mp4")
            assert missing["state"] == "retrying" and "not found" in missing["last_error"], missing

            # The camera stops: frozen, then restarted by the watchdog (no error is posted).
            send.terminate()
            send.wait(10)
            wait_until(lambda: feed(udp)["state"] in ("frozen", "retrying"), 10, "frozen")
            wait_until(lambda: feed(udp)["restarts"] >= 1, 20, "a reconnect attempt")
            # The others never stopped.
            synth = [f for f in t.json("/api/v1/feeds") if f["source"] == "synthetic"]
            assert all(f["state"] == "live" for f in synth), synth

            # The camera comes back: the feed is live again.
            send = sender(port)
            wait_until(lambda: feed(udp)["state"] == "live", 30, "the UDP feed to come back")
            assert feed("file:///nonexistent/clip.mp4")["restarts"] >= 2
            assert "no frame for 5 s" in t.log_text() or "ended" in t.log_text(), t.log_text()
            assert t.stop() == 0
    finally:
        send.kill()
    print("ok")


if __name__ == "__main__":
    main()
