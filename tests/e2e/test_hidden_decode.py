"""Decode only what is seen: a feed the scene does not draw (here hidden by the operator) is
decoded at its keyframes only, and at its full rate again once shown.

A pulled file (30 fps, a keyframe a second) and a WHIP participant (webrtcbin, VP8 at 15 fps,
a keyframe every 128 frames unless asked) are hidden and shown again; their decoded frames per
second are read from /metrics (`tessera_feed_frames_total`). Hidden, the participant is asked
for a keyframe a second (its thumbnail stays current); shown again, it is asked at once rather
than the tile waiting 8 s for its next one."""
import argparse
import os
import re
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "support"))
from rtp_senders import make_h264_clip, run_under_gi_python  # noqa: E402

run_under_gi_python()  # the WHIP senders need GStreamer's Python bindings

from tessera_harness import Tessera, http_get, http_request, wait_until  # noqa: E402
from whip_sender import WhipSender  # noqa: E402

ADMIN = "op-token"
AUTH = {"Authorization": f"Bearer {ADMIN}"}
WINDOW_S = 3.0


def decoded(t):
    """tessera_feed_frames_total by feed id."""
    status, _, body = http_get(t.url + "/metrics")
    assert status == 200
    return {int(m.group(1)): float(m.group(2)) for m in re.finditer(
        r'^tessera_feed_frames_total\{feed="(\d+)",[^}]*\} ([0-9.e+]+)$', body.decode(), re.M)}


def rates(t, seconds=WINDOW_S):
    """Frames decoded per second for each feed over `seconds`."""
    before, t0 = decoded(t), time.monotonic()
    time.sleep(seconds)  # a measurement window, not a wait for a condition
    after, t1 = decoded(t), time.monotonic()
    return {i: (after[i] - before.get(i, 0)) / (t1 - t0) for i in after}


def act(t, feed, action):
    code, _, _ = http_request(t.url + f"/api/v1/feeds/{feed}/{action}", "POST", b"", AUTH)
    assert code == 200, f"{action} feed {feed}: HTTP {code}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    binary = ap.parse_args().tessera
    with tempfile.TemporaryDirectory() as tmp:
        clip = os.path.join(tmp, "clip.mp4")
        make_h264_clip(clip, 320, 240, 30, frames=90, keyint=30, pattern="ball")
        config = f"""
[installation]
name = "hidden-decode-e2e"
[http]
admin_token = "{ADMIN}"
[ingest.synthetic]
count = 0
[ingest.whip]
ice_addresses = ["127.0.0.1"]
[[ingest.pull]]
uri = "file://{clip}"
loop = true
[analysis]
workers = 0
[output]
hls = false
"""
        with Tessera(binary, config) as t:
            t.wait_healthy(feeds=1)  # the pulled file: the server is up
            sender = WhipSender(t.url, "")
            try:
                assert sender.start(), "the WHIP participant was not answered"
                wait_until(lambda: len([f for f in t.json("/api/v1/feeds")
                                        if f["state"] == "live"]) == 2, 30, "two live feeds")
                feeds = {f["source"]: f["id"] for f in t.json("/api/v1/feeds")}
                pulled, whip = feeds["pull"], feeds["whip"]

                shown = rates(t)
                print(f"shown: {shown}")
                # Full rate is 30 and 15; a loaded machine (the sanitizer job runs tests in
                # parallel) starves the idle-class file feed to ~12: well above a keyframe a second.
                assert shown[pulled] > 8 and shown[whip] > 8, shown

                act(t, pulled, "hide")
                act(t, whip, "hide")
                time.sleep(1.0)  # the gate takes effect at the next delta frame; let it settle
                hidden = rates(t)
                print(f"hidden: {hidden}")
                # A keyframe a second: the file's own, the participant's asked for.
                assert hidden[pulled] <= 3, hidden
                assert 0.3 <= hidden[whip] <= 2.5, hidden
                states = {f["id"]: f["state"] for f in t.json("/api/v1/feeds")}
                # Alive, not frozen or restarted: their video arrives, it is just not decoded.
                assert states[pulled] == "live" and states[whip] == "live", states

                act(t, pulled, "show")
                act(t, whip, "show")
                # Back at the full rate within the file's next keyframe (1 s) and the
                # participant's answer to the PLI, not its next keyframe 8.5 s away.
                wait_until(lambda: min(rates(t, 1.0)[i] for i in (pulled, whip)) > 8, 6,
                           "both feeds at their full rate again")
                assert t.stop() == 0
            finally:
                sender.stop()
    print("ok")


if __name__ == "__main__":
    main()
