"""End to end: the canvas pushed to real receivers (issue "outputs").

One `tessera run` (640x360 at 30 fps, HLS on) pushes to:
  - nginx with the RTMP module (Debian nginx-light + libnginx-mod-rtmp), started here with its
    own configuration on a free loopback port; the URI carries a stream key;
  - srt-live-transmit listening (tessera is the SRT caller), writing what it gets to a file;
  - tessera as SRT listener, with srt-live-transmit calling it and writing to a file.
Checked:
1. GET /api/v1/outputs lists the four, each `live` with a bitrate; the stream key appears neither
   in the API nor in the log (masked "***").
2. ffprobe reads H.264 at the canvas size from nginx (RTMP) and from both SRT recordings.
3. nginx killed (SIGKILL): the RTMP output goes `retrying` with its error, while HLS and both SRT
   outputs keep every frame (their dropped counters do not move, their frame counts keep up with
   the encoder) and the canvas keeps its rate.
4. nginx back on the same port: the push resumes by itself (restarts >= 1, `live`, ffprobe reads
   it again).
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from tessera_harness import Tessera, free_port, wait_until  # noqa: E402

WIDTH, HEIGHT = 640, 360
KEY = "s3cr3t-stream-key"


def nginx_conf(workdir, port):
    return f"""
load_module /usr/lib/nginx/modules/ngx_rtmp_module.so;
daemon off;
master_process off;
user root;
worker_processes 1;
pid {workdir}/nginx.pid;
error_log {workdir}/nginx-error.log info;
events {{ worker_connections 64; }}
rtmp {{
  server {{
    listen 127.0.0.1:{port};
    chunk_size 4096;
    application live {{
      live on;
      record off;
    }}
  }}
}}
"""


class Nginx:
    def __init__(self, workdir, port):
        self.workdir, self.port = workdir, port
        self.conf = os.path.join(workdir, "nginx.conf")
        with open(self.conf, "w") as f:
            f.write(nginx_conf(workdir, port))
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(["nginx", "-p", self.workdir, "-c", self.conf],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: self.listening(), 10, f"nginx listening on {self.port}")

    def listening(self):
        import socket
        assert self.proc.poll() is None, open(os.path.join(self.workdir, "nginx-error.log")).read()
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", self.port)) == 0

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def srt_receiver(uri, path):
    """srt-live-transmit from `uri` into a file (its own log beside it)."""
    out, log = open(path, "wb"), open(path + ".log", "w")
    return subprocess.Popen(["srt-live-transmit", "-q", uri, "file://con"], stdout=out,
                            stderr=log)


def probe(url_or_file, timeout=20):
    r = subprocess.run(["ffprobe", "-v", "error", "-rw_timeout", "8000000", "-select_streams",
                        "v:0", "-show_entries", "stream=codec_name,width,height", "-of", "json",
                        url_or_file], capture_output=True, text=True, timeout=timeout)
    streams = json.loads(r.stdout or "{}").get("streams", [])
    return streams[0] if streams else None


def outputs(t):
    return {o["kind"] + (":" + o["uri"] if o["kind"] == "srt" else ""): o
            for o in t.json("/api/v1/outputs")}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="tessera-push-")
    rtmp_port, srt_port, srt_listen = free_port(), free_port(), free_port()
    nginx = Nginx(work, rtmp_port)
    nginx.start()
    caller_file, listener_file = os.path.join(work, "caller.ts"), os.path.join(work, "listener.ts")
    receivers = [srt_receiver(f"srt://:{srt_port}", caller_file)]
    config = f"""
[installation]
name = "e2e-push"
[canvas]
width = {WIDTH}
height = {HEIGHT}
fps = 30
[ingest.synthetic]
count = 4
[analysis]
workers = 0
[output]
hls = true
bitrate_kbps = 1000
[[output.push]]
uri = "rtmp://127.0.0.1:{rtmp_port}/live/{KEY}"
[[output.push]]
uri = "srt://127.0.0.1:{srt_port}"
[[output.push]]
uri = "srt://:{srt_listen}"
"""
    try:
        with Tessera(args.tessera, config, duration=150) as t:
            t.wait_healthy(4)
            receivers.append(srt_receiver(f"srt://127.0.0.1:{srt_listen}", listener_file))
            rtmp_uri = f"rtmp://127.0.0.1:{rtmp_port}/live/***"
            keys = ["hls", "rtmp", f"srt:srt://127.0.0.1:{srt_port}", f"srt:srt://:{srt_listen}"]
            all_live = wait_until(
                lambda: (o := outputs(t)) and all(o.get(k, {}).get("state") == "live" and
                                                   o[k]["bitrate_kbps"] > 0 for k in keys) and o,
                30, "every output live with a bitrate", 0.3)
            assert all_live["rtmp"]["uri"] == rtmp_uri, all_live
            raw = json.dumps(t.json("/api/v1/outputs")) + t.log_text()
            assert KEY not in raw, "the stream key leaked into the API or the log"

            got = probe(f"rtmp://127.0.0.1:{rtmp_port}/live/{KEY}")
            assert got == {"codec_name": "h264", "width": WIDTH, "height": HEIGHT}, got

            # 3. The RTMP server dies.
            before = outputs(t)
            nginx.kill()
            down = wait_until(lambda: (o := outputs(t))["rtmp"]["state"] == "retrying" and o,
                              30, "the RTMP output retrying", 0.2)
            assert down["rtmp"]["last_error"], down
            fps_during = []
            deadline = time.time() + 5
            while time.time() < deadline:
                fps_during.append(t.json("/healthz")["fps"])
                time.sleep(0.5)
            during = outputs(t)
            for k in keys[:1] + keys[2:]:
                assert during[k]["dropped_frames"] == before[k]["dropped_frames"], (k, before, during)
                assert during[k]["frames"] > before[k]["frames"] + 100, (k, before, during)
                assert during[k]["state"] == "live", (k, during)
            assert min(fps_during) >= 25, fps_during

            # 4. It comes back; the push resumes by itself.
            nginx.start()
            back = wait_until(lambda: (o := outputs(t))["rtmp"]["state"] == "live" and o, 40,
                              "the RTMP push resumed", 0.3)
            assert back["rtmp"]["restarts"] >= 1, back
            got = probe(f"rtmp://127.0.0.1:{rtmp_port}/live/{KEY}")
            assert got == {"codec_name": "h264", "width": WIDTH, "height": HEIGHT}, got
            final = outputs(t)
            for k in keys[:1] + keys[2:]:
                assert final[k]["dropped_frames"] == before[k]["dropped_frames"], (k, final)
            assert t.stop() == 0, t.log_text()[-3000:]
            assert KEY not in t.log_text(), "the stream key leaked into the log"
        for path in (caller_file, listener_file):
            got = probe(path)
            assert got == {"codec_name": "h264", "width": WIDTH, "height": HEIGHT}, (path, got)
        print("push outputs e2e: ok")
    finally:
        nginx.kill()
        for r in receivers:
            r.terminate()
            try:
                r.wait(5)
            except subprocess.TimeoutExpired:
                r.kill()


if __name__ == "__main__":
    main()
