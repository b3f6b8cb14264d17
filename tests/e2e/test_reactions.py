"""Viewers' reactions, POST /api/v1/reactions, on a real server:
- the answers: 413 for a body over the route's limit (refused unread), 400 for a malformed body,
  422 for an unknown kind, 202 for a reaction, 429 + Retry-After beyond the per-address rate
  ([reactions] per_address_per_minute), 405 for another method; GET counts them per kind;
- the default overlay: after reactions the canvas shows coloured shapes, which are gone once the
  burst is over; with [reactions] overlay = false it never does;
- CROWD_REACTIONS: a shader that paints the canvas grey at CROWD_REACTIONS / 8
  (data/reactions_meter.fs) is dark before, brighter after a burst of reactions, and dark again
  as the rate decays; `tessera shader render --reactions R` previews it;
- [reactions] enabled = false: 404."""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from tessera_harness import Tessera, decode_png, http_get, http_request, wait_until  # noqa: E402

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
METER = os.path.join(DATA, "reactions_meter.fs")  # ISF
METER_TOY = os.path.join(DATA, "reactions_meter.glsl")  # ShaderToy
JSON = {"Content-Type": "application/json"}


def installation(reactions, scene):
    return f"""[canvas]
width = 320
height = 180
fps = 15
[analysis]
workers = 0
[output]
hls = false
[reactions]
{reactions}
[[scenes]]
name = "s"
fade_seconds = 0
{scene}
"""


def post(t, body):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return http_request(t.url + "/api/v1/reactions", "POST", data, JSON)


def coloured_pixels(image):
    """Pixels of a saturated colour (the overlay's shapes; the empty canvas and the meter's
    output are grey)."""
    width, height, channels, rows = image
    n = 0
    for row in rows:
        for x in range(0, width * channels, channels):
            r, g, b = row[x], row[x + 1], row[x + 2]
            if max(r, g, b) > 150 and max(r, g, b) - min(r, g, b) > 90:
                n += 1
    return n


def at_least(value, floor):
    """`value` when it reaches `floor` (for wait_until, which returns it), else None."""
    return value if value >= floor else None


def mean_grey(image):
    width, height, channels, rows = image
    total, n = 0, 0
    for row in rows[::4]:
        for x in range(0, width * channels, 4 * channels):
            total += row[x]
            n += 1
    return total / n


def check_answers_and_overlay(binary, failures):
    rate = 6
    with Tessera(binary, installation(f"per_address_per_minute = {rate}", 'layout = "grid"')) as t:
        wait_until(lambda: t.json("/healthz").get("status") == "ok", 30, "the canvas")
        info = t.json("/api/v1/reactions")
        if not info["enabled"] or info["total"] != 0 or info["per_address_per_minute"] != rate:
            failures.append(f"GET /api/v1/reactions at start: {info}")
        if coloured_pixels(t.canvas()):
            failures.append("the canvas has coloured pixels before any reaction")

        # Over the body limit: refused before the body is read, and not counted.
        status, _, body = post(t, b'{"kind": "heart", "pad": "' + b"x" * 1000 + b'"}')
        if status != 413:
            failures.append(f"1 KB body: HTTP {status} {body[:200]!r}, expected 413")
        # Malformed and unknown: 400 and 422 (each counts towards the rate).
        bad = ((b"{not json", 400), ({"kind": 3}, 400), ({"kind": "applause"}, 422))
        for sent, expected in bad:
            status, headers, body = post(t, sent)
            if status != expected or "problem+json" not in headers.get("Content-Type", ""):
                failures.append(f"{sent!r}: HTTP {status} {body[:200]!r}, expected {expected}")
        status, headers, _ = http_request(t.url + "/api/v1/reactions", "PUT", b"{}", JSON)
        if status != 405 or "POST" not in headers.get("Allow", ""):
            failures.append(f"PUT: HTTP {status}, expected 405 with Allow")
        # The rest of the minute's allowance is accepted, then 429 with Retry-After.
        kinds = ["heart", "clap", "wow"]
        for kind in kinds:
            status, _, body = post(t, {"kind": kind})
            if status != 202 or json.loads(body).get("kind") != kind:
                failures.append(f"{kind}: HTTP {status} {body[:200]!r}, expected 202")
        # The overlay: the accepted reactions rise over the canvas (gone again below).
        seen = wait_until(lambda: at_least(coloured_pixels(t.canvas()), 20), 5,
                          "the overlay's shapes on the canvas after 3 reactions")
        print(f"overlay: {seen} coloured pixels during the burst")
        status, headers, body = post(t, {"kind": "fire"})
        retry = headers.get("Retry-After", "")
        if status != 429 or not retry.isdigit() or not 1 <= int(retry) <= 61:
            failures.append(f"beyond {rate} a minute: HTTP {status} Retry-After {retry!r} "
                            f"{body[:200]!r}, expected 429 and 1..61 s")
        info = t.json("/api/v1/reactions")
        if info["counts"] != {"heart": 1, "clap": 1, "wow": 1, "fire": 0} or info["total"] != 3:
            failures.append(f"counts after 3 accepted reactions: {info}")
        if not info["per_second"] > 0:
            failures.append(f"per_second after 3 reactions: {info}")
        _, _, metrics = http_get(t.url + "/metrics")
        if b'tessera_reactions_total{kind="heart"} 1' not in metrics or \
                not re.search(rb"tessera_http_reactions_refused_total 1\b", metrics):
            failures.append("metrics lack the reactions: " + metrics.decode()[-800:])

        wait_until(lambda: coloured_pixels(t.canvas()) == 0, 8, "the burst to end")
        assert t.stop() == 0


def check_meter_without_overlay(binary, failures):
    scene = f'layout = "grid"\nfilters = ["{METER}"]\nshader_scale = 1'
    with Tessera(binary, installation("overlay = false\nper_address_per_minute = 300", scene)) as t:
        wait_until(lambda: t.json("/healthz").get("status") == "ok", 30, "the canvas")
        before = mean_grey(t.canvas())
        if before > 3:
            failures.append(f"CROWD_REACTIONS before any reaction: canvas grey {before:.1f}, "
                            "expected black")
        sent = 0
        for i in range(14):
            status, _, _ = post(t, {"kind": ["heart", "clap", "wow", "fire"][i % 4]})
            sent += status == 202
        if sent != 14:
            failures.append(f"{sent} of 14 reactions accepted")
        # 14 reactions in a moment read about 7 a second: grey ~220 (less as it decays).
        peak = wait_until(lambda: at_least(mean_grey(t.canvas()), 100), 5,
                          "the canvas to brighten with CROWD_REACTIONS")
        print(f"meter: grey {before:.1f} before, {peak:.1f} after 14 reactions")
        # No overlay: no coloured shape ever appears while the burst would be alive (2 s).
        deadline = time.monotonic() + 2.5
        while time.monotonic() < deadline:
            n = coloured_pixels(t.canvas())
            if n:
                failures.append(f"overlay = false, yet {n} coloured pixels on the canvas")
                break
        # The rate decays (tau 2 s): half in about 1.4 s, near black within ~10 s.
        wait_until(lambda: mean_grey(t.canvas()) < peak / 2, 6, "CROWD_REACTIONS to decay by half")
        wait_until(lambda: mean_grey(t.canvas()) < 8, 15, "CROWD_REACTIONS to decay to ~0")
        assert t.stop() == 0


def check_disabled(binary, failures):
    with Tessera(binary, installation("enabled = false", 'layout = "grid"')) as t:
        wait_until(lambda: t.json("/healthz").get("status") == "ok", 30, "the canvas")
        status, _, body = post(t, {"kind": "heart"})
        if status != 404:
            failures.append(f"enabled = false: HTTP {status} {body[:200]!r}, expected 404")
        if t.json("/api/v1/reactions")["enabled"]:
            failures.append("enabled = false, yet GET says enabled")
        assert t.stop() == 0


def check_preview(binary, failures):
    """`tessera shader render --reactions R` previews CROWD_REACTIONS = R, ISF and ShaderToy."""
    out = os.path.join(tempfile.mkdtemp(prefix="tessera-reactions-"), "meter.png")
    for shader in (METER, METER_TOY):
        for rate, grey in ((0, 0), (4, 128), (20, 255)):
            what = f"shader render {os.path.basename(shader)} --reactions {rate}"
            r = subprocess.run([binary, "shader", "render", shader, "--out", out, "--size",
                                "32x18", "--reactions", str(rate)],
                               capture_output=True, text=True, timeout=60)
            if r.returncode != 0:
                failures.append(f"{what}: exit {r.returncode}\n{r.stderr}")
                continue
            with open(out, "rb") as f:
                got = mean_grey(decode_png(f.read()))
            if abs(got - grey) > 2:
                failures.append(f"{what}: grey {got:.1f}, expected {grey}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    binary = ap.parse_args().tessera
    failures = []
    check_preview(binary, failures)
    check_answers_and_overlay(binary, failures)
    check_meter_without_overlay(binary, failures)
    check_disabled(binary, failures)
    assert not failures, "\n\n".join(failures)
    print("ok")


if __name__ == "__main__":
    main()
