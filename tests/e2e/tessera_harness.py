"""Shared helpers for end-to-end tests: run a real `tessera run`, talk HTTP, decode PNGs.

Only loopback addresses are used; every wait is bounded.
"""
import json
import os
import re
import signal
import socket
import ssl
import struct
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import zlib


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout, what, interval=0.1):
    """Polls `predicate` until it returns a truthy value; fails naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except Exception as e:  # noqa: BLE001 - the condition may not be reachable yet
            last_error = e
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}"
                         + (f" (last error: {last_error})" if last_error else ""))


def tls_context(url, cafile=None):
    """For https URLs: verified against `cafile` when given, else unverified (tessera's
    self-signed certificate on loopback); None for http."""
    if not url.startswith("https:"):
        return None
    return ssl.create_default_context(cafile=cafile) if cafile else ssl._create_unverified_context()


def http_get(url, timeout=10, cafile=None):
    with urllib.request.urlopen(url, timeout=timeout, context=tls_context(url, cafile)) as r:
        return r.status, r.headers, r.read()


def http_request(url, method="GET", body=None, headers=None, timeout=10):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout, context=tls_context(url)) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def decode_png(data):
    """Decodes an 8-bit RGB or RGBA PNG (what tessera writes) into (width, height, rows)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        chunk = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, ctype = struct.unpack(">IIBB", chunk[:10])
            assert depth == 8 and ctype in (2, 6), f"unsupported PNG depth {depth} type {ctype}"
            channels = 4 if ctype == 6 else 3
        elif kind == b"IDAT":
            idat += chunk
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, channels, rows


def mean_rgb(image, rect, inset=0.2):
    """Mean colour of a rectangle's interior (inset on each side) of a decoded PNG."""
    width, height, channels, rows = image
    x0 = int(rect["x"] + rect["w"] * inset)
    x1 = int(rect["x"] + rect["w"] * (1 - inset))
    y0 = int(rect["y"] + rect["h"] * inset)
    y1 = int(rect["y"] + rect["h"] * (1 - inset))
    total, n = [0, 0, 0], 0
    for y in range(y0, y1, 2):
        row = rows[y]
        for x in range(x0, x1, 2):
            for k in range(3):
                total[k] += row[x * channels + k]
            n += 1
    return [t / n for t in total]


def https_configured(toml_text):
    """Whether an installation's [http] tls is on ("auto" or given files): its URLs are https."""
    m = re.search(r"^\s*tls\s*=\s*(.+)$", toml_text, re.M)
    return bool(m) and not m.group(1).strip().startswith('"off"')


class Tessera:
    """A `tessera run` process on a loopback port, stopped (SIGTERM) when the test ends.

    `url` is https when the installation turns TLS on; its self-signed certificate is kept in a
    data directory of this run's own (XDG_DATA_HOME). `host` is the address to listen on: only a
    test in a network namespace of its own (TESSERA_NETNS=1) listens beyond loopback."""

    def __init__(self, binary, toml_text, extra_args=(), duration=120, headless=True,
                 host="127.0.0.1", env=None):
        self.dir = tempfile.mkdtemp(prefix="tessera-e2e-")
        self.config = os.path.join(self.dir, "installation.toml")
        with open(self.config, "w") as f:
            f.write(toml_text)
        self.port = free_port()
        self.scheme = "https" if https_configured(toml_text) else "http"
        self.url = f"{self.scheme}://127.0.0.1:{self.port}"
        self.env = dict(env or os.environ)
        self.env.setdefault("XDG_DATA_HOME", os.path.join(self.dir, "data"))
        self.log_path = os.path.join(self.dir, "tessera.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [binary, "run", self.config, "--http", f"{host}:{self.port}",
             *(["--headless"] if headless else []), "--duration", str(duration), *extra_args],
            stdout=self.log, stderr=subprocess.STDOUT, env=self.env)

    def json(self, path):
        status, _, body = http_get(self.url + path)
        assert status == 200, f"{path}: HTTP {status}"
        return json.loads(body)

    def canvas(self):
        """The latest canvas frame, decoded (see decode_png)."""
        status, _, png = http_get(self.url + "/api/v1/canvas.png")
        assert status == 200, f"/api/v1/canvas.png: HTTP {status}"
        return decode_png(png)

    def log_text(self):
        with open(self.log_path) as f:
            return f.read()

    def hls_dir(self):
        m = re.search(r"hls: writing .* to (\S+)/index\.m3u8", self.log_text())
        return m.group(1) if m else None

    def wait_healthy(self, feeds, timeout=30):
        def ready():
            assert self.proc.poll() is None, f"tessera exited early:\n{self.log_text()}"
            h = self.json("/healthz")
            return h if h.get("status") == "ok" and h.get("live_feeds") == feeds else None
        return wait_until(ready, timeout, f"/healthz ok with {feeds} live feeds")

    def stop(self, timeout=15):
        """SIGTERM, then the exit code (the process must exit by itself within `timeout`)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError(f"tessera did not stop within {timeout}s of SIGTERM")
        self.log.close()
        return self.proc.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if not self.log.closed:
            self.log.close()
