#!/usr/bin/env python3
"""Development stand-in for tessera's HTTP server: serves web/ and an HLS directory on loopback.

Only for developing and testing the browser pages without the C++ server. It maps the URLs the
real server serves (see /work/shared/CONTRACT.md, HTTP) onto files:

  /                   -> web/index.html
  /join               -> web/join.html
  /static/<name>      -> web/static/<name>
  /vendor/hls.min.js  -> web/node_modules/hls.js/dist/hls.min.js
  /hls/<name>         -> HLS_DIR/<name>
  /api/v1/canvas.png  -> HLS_DIR/canvas.png (if present)
  /healthz            -> fake JSON
"""

import argparse
import http.server
import json
import os
import posixpath
import sys
import time
import urllib.parse

CONTENT_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".ts": "video/mp2t",
    ".m4s": "video/iso.segment",
    ".mp4": "video/mp4",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".png": "image/png",
}


def make_handler(web_dir, hls_dir, started_at, fps):
    vendor = {"/vendor/hls.min.js": os.path.join(web_dir, "node_modules/hls.js/dist/hls.min.js")}

    def inside(root, rel):
        # Normalise and refuse anything that climbs out of root.
        rel = posixpath.normpath("/" + rel).lstrip("/")
        path = os.path.join(root, *rel.split("/"))
        real_root = os.path.realpath(root)
        if os.path.commonpath([os.path.realpath(path), real_root]) != real_root:
            return None
        return path

    class Handler(http.server.SimpleHTTPRequestHandler):
        server_version = "tessera-fixture/1"

        def log_message(self, fmt, *args):
            # Playlist and segment polling would drown everything else; keep errors only.
            if len(args) >= 2 and str(args[1]).startswith(("4", "5")):
                sys.stderr.write("fixture: %s\n" % (fmt % args))

        def end_headers(self):
            self.send_header("Cache-Control", "no-cache")
            super().end_headers()

        def guess_type(self, path):
            return CONTENT_TYPES.get(os.path.splitext(path)[1], super().guess_type(path))

        def translate_path(self, path):
            path = urllib.parse.unquote(urllib.parse.urlsplit(path).path)
            if path == "/":
                return os.path.join(web_dir, "index.html")
            if path == "/join":
                return os.path.join(web_dir, "join.html")
            if path in vendor:
                return vendor[path]
            if path.startswith("/static/"):
                return inside(os.path.join(web_dir, "static"), path[len("/static/"):]) or ""
            if path.startswith("/hls/"):
                return inside(hls_dir, path[len("/hls/"):]) or ""
            if path == "/api/v1/canvas.png":
                return os.path.join(hls_dir, "canvas.png")
            return ""  # Not a mapped URL: 404 (SimpleHTTPRequestHandler lists nothing).

        def do_GET(self):
            self.serve(super().do_GET)

        def do_HEAD(self):
            self.serve(super().do_HEAD)

        def serve(self, serve_file):
            if urllib.parse.urlsplit(self.path).path == "/healthz":
                return self.send_healthz()
            path = self.translate_path(self.path)
            if not path or not os.path.isfile(path):
                return self.send_problem(404, "Not Found", "no such resource: " + self.path)
            return serve_file()

        def send_healthz(self):
            body = json.dumps({
                "status": "ok",
                "installation": "fixture",
                "feeds": 48,
                "workers": 4,
                "fps": fps,
                "scene": "grid",
                "uptime_s": round(time.monotonic() - started_at, 1),
            }).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def send_problem(self, code, title, detail):
            body = json.dumps({"title": title, "status": code, "detail": detail}).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/problem+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

    return Handler


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # Players cancel segment downloads all the time; a closed connection is not news.
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--web", required=True, help="the web/ directory")
    parser.add_argument("--hls", required=True, help="directory hlssink2 writes into")
    parser.add_argument("--port", type=int, default=18080)
    parser.add_argument("--fps", type=float, default=30.0, help="fps reported by /healthz")
    args = parser.parse_args()

    handler = make_handler(os.path.abspath(args.web), os.path.abspath(args.hls), time.monotonic(),
                           args.fps)
    # Loopback only: this fixture must never be reachable from the network.
    server = Server(("127.0.0.1", args.port), handler)
    print("fixture: serving http://127.0.0.1:%d/" % args.port, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
