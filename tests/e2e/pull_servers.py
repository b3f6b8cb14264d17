"""Real servers on loopback for the pull-protocol tests: each serves (or sends) H.264 or JPEG of
one solid colour at 320x240@15, can be killed and started again on the same port, and is
stopped by the test. Only 127.0.0.1 is used; every wait is bounded.
"""
import http.server
import os
import socket
import ssl
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from tessera_harness import wait_until  # noqa: E402
from test_push_outputs import Nginx  # noqa: E402,F401 - nginx-rtmp with its own config

PYTHON = "/usr/bin/python3"
HERE = os.path.dirname(os.path.abspath(__file__))
SIZE = "video/x-raw,width=320,height=240,framerate=15/1"
X264 = ["x264enc", "tune=zerolatency", "speed-preset=ultrafast", "key-int-max=15", "bitrate=300"]


# Benches set this: sources send moving SMPTE bars (a realistic bitrate for the decoders) instead
# of a solid colour (what tests check pixels against).
MOVING = False


def solid(colour):
    """A live videotestsrc of one colour (0xRRGGBB) at the test size, as gst-launch arguments."""
    if MOVING:
        return ["videotestsrc", "is-live=true", "pattern=smpte", "horizontal-speed=4", "!", SIZE]
    return ["videotestsrc", "is-live=true", "pattern=solid-color",
            f"foreground-color={0xFF000000 | colour}", "!", SIZE]


def quiet(args, log=None):
    return subprocess.Popen(args, stdout=subprocess.DEVNULL,
                            stderr=open(log, "w") if log else subprocess.DEVNULL)


def stop(proc):
    if proc and proc.poll() is None:
        proc.kill()
        proc.wait(10)


def tcp_listening(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


class Restartable:
    """A server the test kills and starts again; subclasses define start() and kill()."""

    def restart(self):
        self.kill()
        self.start()


class RtmpPublisher(Restartable):
    """nginx-rtmp on `port`, and a GStreamer publisher (rtmp2sink) sending to /live/KEY."""

    def __init__(self, workdir, port, key, colour):
        self.nginx = Nginx(workdir, port)
        self.url = f"rtmp://127.0.0.1:{port}/live/{key}"
        self.colour, self.proc = colour, None

    def start(self):
        self.nginx.start()
        self.proc = quiet(["gst-launch-1.0", "-q", *solid(self.colour), "!", *X264, "!",
                           "flvmux", "streamable=true", "!", "rtmp2sink",
                           f"location={self.url}"])

    def kill(self):
        stop(self.proc)
        self.nginx.kill()


class Certificates:
    """A private CA and a server certificate it signed for 127.0.0.1 and localhost, made with
    openssl in `workdir` (EC P-256, valid two days), as a venue's relay or camera would have."""

    def __init__(self, workdir):
        self.ca_cert = os.path.join(workdir, "venue-ca.pem")
        self.ca_key = os.path.join(workdir, "venue-ca.key")
        self.server_cert = os.path.join(workdir, "server.pem")
        self.server_key = os.path.join(workdir, "server.key")
        csr, ext = os.path.join(workdir, "server.csr"), os.path.join(workdir, "server.ext")
        with open(ext, "w") as f:
            f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
                    "extendedKeyUsage=serverAuth\n")
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
        for args in (
                ["req", "-x509", *ec, "-keyout", self.ca_key, "-out", self.ca_cert, "-days", "2",
                 "-subj", "/CN=tessera test venue CA", "-addext",
                 "basicConstraints=critical,CA:TRUE", "-addext",
                 "keyUsage=critical,keyCertSign,cRLSign"],
                ["req", *ec, "-keyout", self.server_key, "-out", csr, "-subj", "/CN=127.0.0.1"],
                ["x509", "-req", "-in", csr, "-CA", self.ca_cert, "-CAkey", self.ca_key,
                 "-CAcreateserial", "-out", self.server_cert, "-days", "2", "-extfile", ext]):
            subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=30)


def rtmps_nginx_conf(workdir, rtmp_port, tls_ports, tls):
    """nginx-rtmp on `rtmp_port`, and nginx's stream module terminating TLS on each of
    `tls_ports` in front of it (nginx-rtmp speaks no TLS itself; relays do it this way)."""
    listens = "".join(f"""
  server {{
    listen 127.0.0.1:{port} ssl;
    ssl_certificate {tls.server_cert};
    ssl_certificate_key {tls.server_key};
    proxy_pass 127.0.0.1:{rtmp_port};
  }}""" for port in tls_ports)
    return f"""
load_module /usr/lib/nginx/modules/ngx_rtmp_module.so;
load_module /usr/lib/nginx/modules/ngx_stream_module.so;
daemon off;
master_process off;
user root;
worker_processes 1;
pid {workdir}/nginx.pid;
error_log {workdir}/nginx-error.log info;
events {{ worker_connections 64; }}
rtmp {{
  server {{
    listen 127.0.0.1:{rtmp_port};
    chunk_size 4096;
    application live {{
      live on;
      record off;
    }}
  }}
}}
stream {{{listens}
}}
"""


class RtmpsPublisher(RtmpPublisher):
    """RtmpPublisher behind TLS: rtmps://127.0.0.1:TLS_PORT/live/KEY for each of `tls_ports`
    (the first is `url`)."""

    def __init__(self, workdir, rtmp_port, tls_ports, key, colour, tls):
        workdir = os.path.join(workdir, "rtmps")
        os.makedirs(workdir, exist_ok=True)
        super().__init__(workdir, rtmp_port, key, colour)
        with open(self.nginx.conf, "w") as f:
            f.write(rtmps_nginx_conf(workdir, rtmp_port, tls_ports, tls))
        self.tls_ports = tls_ports
        self.urls = [f"rtmps://127.0.0.1:{p}/live/{key}" for p in tls_ports]

    def start(self):
        super().start()
        wait_until(lambda: all(tcp_listening(p) for p in self.tls_ports), 10,
                   "nginx's TLS listeners")


class RtspServer(Restartable):
    """tests/e2e/rtsp_server.py (libgstrtspserver): rtsp://127.0.0.1:PORT/cam, or
    rtsps://127.0.0.1:PORT/cam with `tls` (a Certificates)."""

    def __init__(self, port, colour, user=None, password=None, tcp_only=False, tls=None,
                 transports=None):
        self.port, self.colour, self.user, self.password = port, colour, user, password
        self.tcp_only, self.tls, self.transports, self.proc = tcp_only, tls, transports, None
        self.url = f"{'rtsps' if tls else 'rtsp'}://127.0.0.1:{port}/cam"

    def start(self):
        args = [PYTHON, os.path.join(HERE, "rtsp_server.py"), "--port", str(self.port),
                "--color", hex(self.colour)]
        if self.user:
            args += ["--user", self.user, "--password", self.password]
        if self.tcp_only:
            args.append("--tcp-only")
        if self.tls:
            args += ["--tls-cert", self.tls.server_cert, "--tls-key", self.tls.server_key]
        if self.transports:  # a file: every SETUP's Transport header, one a line
            args += ["--transports", self.transports]
        if MOVING:
            args.append("--moving")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     text=True)
        line = self.proc.stdout.readline()  # bounded: the script prints at once or exits
        assert line.strip() == "ready", f"rtsp server: {line!r}"

    def kill(self):
        stop(self.proc)


class SrtListenerSender(Restartable):
    """A GStreamer srtsink *listening* on PORT with a passphrase: tessera calls it."""

    def __init__(self, port, colour, passphrase):
        self.port, self.colour, self.passphrase, self.proc = port, colour, passphrase, None

    def start(self):
        self.proc = quiet(["gst-launch-1.0", "-q", *solid(self.colour), "!", *X264, "!",
                           "mpegtsmux", "!", "srtsink", f"uri=srt://:{self.port}",
                           "mode=listener", f"passphrase={self.passphrase}", "latency=80",
                           "wait-for-connection=false", "sync=false"])

    def kill(self):
        stop(self.proc)


class SrtCallerSender(Restartable):
    """GStreamer into UDP, srt-live-transmit calling tessera's SRT listener (auto-reconnect)."""

    def __init__(self, port, udp_port, colour):
        self.port, self.udp_port, self.colour = port, udp_port, colour
        self.procs = []

    def start(self):
        self.procs = [
            quiet(["srt-live-transmit", "-q", "-a:yes", f"udp://127.0.0.1:{self.udp_port}",
                   f"srt://127.0.0.1:{self.port}?latency=80"]),
            quiet(["gst-launch-1.0", "-q", *solid(self.colour), "!", *X264, "!", "mpegtsmux",
                   "alignment=7", "!", "udpsink", "host=127.0.0.1", f"port={self.udp_port}"]),
        ]

    def kill(self):
        for p in self.procs:
            stop(p)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    # What a DASH server says its manifests and segments are.
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".mpd": "application/dash+xml", ".m4s": "video/iso.segment"}

    def log_message(self, *args):
        pass


class _Server(http.server.ThreadingHTTPServer):
    allow_reuse_address = True
    daemon_threads = True


class HttpDirectory:
    """A threaded HTTP server for one directory, on `port`, in this process; HTTPS when given a
    Certificates' server certificate (`tls`)."""

    def __init__(self, directory, port, handler=None, tls=None):
        self.directory, self.port = directory, port
        self.handler, self.tls = handler, tls
        self.server = None

    def start(self):
        handler = self.handler or (lambda *a, **k: _Quiet(*a, directory=self.directory, **k))
        self.server = _Server(("127.0.0.1", self.port), handler)
        if self.tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(self.tls.server_cert, self.tls.server_key)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def kill(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


class _FfmpegHttp(Restartable):
    """ffmpeg writing a live stream of 1 s segments into a directory served over HTTP (HTTPS
    with `tls`, a Certificates)."""

    def __init__(self, workdir, port, colour, kind, manifest, muxer_args, tls=None):
        self.dir = os.path.join(workdir, f"{kind}-{port}")
        os.makedirs(self.dir, exist_ok=True)
        self.http = HttpDirectory(self.dir, port, tls=tls)
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{port}/{manifest}"
        self.kind, self.manifest, self.muxer_args = kind, manifest, muxer_args
        self.colour, self.proc = colour, None

    def start(self):
        for name in os.listdir(self.dir):
            os.remove(os.path.join(self.dir, name))
        self.proc = quiet(
            ["ffmpeg", "-nostdin", "-loglevel", "error", "-re", "-f", "lavfi", "-i",
             ("testsrc2=s=320x240:r=15" if MOVING else
              f"color=c=0x{self.colour:06x}:s=320x240:r=15"), "-c:v", "libx264", "-preset",
             "ultrafast", "-tune", "zerolatency", "-g", "15", "-b:v", "300k", *self.muxer_args,
             os.path.join(self.dir, self.manifest)])
        self.http.start()
        wait_until(lambda: os.path.exists(os.path.join(self.dir, self.manifest)), 15,
                   f"ffmpeg's first {self.kind} manifest")

    def kill(self):
        stop(self.proc)
        self.http.kill()


class HlsServer(_FfmpegHttp):
    """A live HLS playlist: /index.m3u8 (over HTTPS with `tls`)."""

    def __init__(self, workdir, port, colour, tls=None):
        super().__init__(workdir, port, colour, "hls", "index.m3u8",
                         ["-f", "hls", "-hls_time", "1", "-hls_list_size", "4", "-hls_flags",
                          "delete_segments"], tls=tls)


class DashServer(_FfmpegHttp):
    """A live DASH manifest (SegmentTimeline): /index.mpd."""

    def __init__(self, workdir, port, colour):
        super().__init__(workdir, port, colour, "dash", "index.mpd",
                         ["-f", "dash", "-seg_duration", "1", "-window_size", "4",
                          "-extra_window_size", "2", "-use_template", "1", "-use_timeline", "1"])


class MjpegServer(Restartable):
    """An MJPEG IP camera: GET /video answers multipart/x-mixed-replace JPEGs at 15 fps (over
    HTTPS with `tls`)."""

    def __init__(self, workdir, port, colour, tls=None):
        path = os.path.join(workdir, f"mjpeg-{port}.jpg")
        subprocess.run(["gst-launch-1.0", "-q", *solid(colour)[:-2], "num-buffers=1", "!",
                        SIZE, "!", "jpegenc", "!", "filesink", f"location={path}"],
                       check=True, timeout=30)
        with open(path, "rb") as f:
            jpeg = f.read()
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{port}/video"
        stopping = self.stopping = threading.Event()

        class Camera(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
                self.end_headers()
                deadline = time.monotonic() + 600  # bounded, like every loop here
                while not stopping.is_set() and time.monotonic() < deadline:
                    try:
                        self.wfile.write(b"--frame\r\nContent-Type: image/jpeg\r\n"
                                         b"Content-Length: %d\r\n\r\n" % len(jpeg) + jpeg
                                         + b"\r\n")
                        self.wfile.flush()
                    except OSError:
                        return
                    time.sleep(1 / 15)

        self.http = HttpDirectory(workdir, port, Camera, tls=tls)

    def start(self):
        self.stopping.clear()
        self.http.start()

    def kill(self):
        self.stopping.set()
        self.http.kill()
