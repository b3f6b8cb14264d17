#!/usr/bin/env python3
"""Feed-count benchmark: tessera against a plain GStreamer `compositor` pipeline, side by side.

For each feed count N, both run the same N pulled 320x240@15 H.264 clips onto a 1920x1080@30
canvas encoded with x264 ultrafast and written as HLS, and each is measured the same way over the
same window:

  cores         CPU seconds of the process (utime+stime, children included) / wall seconds
  cpu/out-s     CPU seconds per second of output stream (CPU / (output frames / 30)); equals
                `cores` when the output is real-time, exceeds it when the output falls behind
  out fps       output frames per wall second (tessera: render frames counter; reference: frames
                reaching the sink after the encoder)
  feed fps      tessera only: frames each feed delivered per second (the clips are 15 fps), so a
                steady 30 out fps made of dropped input frames cannot pass unnoticed
  dropped       tessera only: HLS frames the encoder could not take + render ticks > 1 frame late
  peak RSS      VmHWM at the end of the window
  decode-only   the floor: the same clips demuxed and decoded in one gst-launch-1.0, nothing else
  others        CPU used by every other process on the machine during each window; the script
                waits (--quiet-wait) for an idle machine before each run and marks rows where
                others still used more than 0.15 cores

It also samples every thread's CPU over the window (from /proc/PID/task) and prints the busiest
thread groups (digits in thread names folded, so 256 `qtdemuxNN:sink` threads are one row).

  cmake -S . -B /tmp/build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release
  ninja -C /tmp/build-bench tessera
  bench/make_clips.sh /tmp/tessera-clips 256      # optional: done on demand otherwise
  bench/bench_feeds.py --tessera /tmp/build-bench/tessera --counts 16 64 256

Python 3 standard library only. Every wait is bounded; every process started here is stopped
on exit, including on Ctrl-C.
"""

import argparse
import json
import os
import re
import resource
import shlex
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
CANVAS = (1920, 1080)
FPS = 30
TILE = (160, 120)
GAP_PX = 2  # compositor::gridLayout's default gap
CLK_TCK = os.sysconf("SC_CLK_TCK")
CONTENDED_CORES = 0.15  # other processes' CPU above this during a window spoils the row

_children = []  # Popen objects we started; stopped on exit


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- processes


def start(argv, logfile, **kw):
    out = open(logfile, "wb")
    p = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                         start_new_session=True, **kw)
    out.close()
    _children.append(p)
    return p


def stop(p, sig=signal.SIGTERM, timeout=20.0):
    """Sends `sig` to p's process group, waits up to `timeout`; SIGKILL after that.
    Returns (exit code, seconds to exit, killed)."""
    if p.poll() is not None:
        return p.returncode, 0.0, False
    t0 = time.monotonic()
    try:
        os.killpg(p.pid, sig)
    except ProcessLookupError:
        pass
    try:
        p.wait(timeout)
        return p.returncode, time.monotonic() - t0, False
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait(10)
        return p.returncode, time.monotonic() - t0, True


def stop_all():
    for p in _children:
        if p.poll() is None:
            stop(p, signal.SIGKILL, 10)


def on_signal(signum, _frame):
    stop_all()
    sys.exit(128 + signum)


# ----------------------------------------------------------------------------- /proc


def proc_cpu_s(pid):
    """utime+stime+cutime+cstime of a process, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[0] is field 3 (state); utime is field 14.
    return sum(int(fields[i]) for i in (11, 12, 13, 14)) / CLK_TCK


def machine_cpu_s():
    """(busy, steal) CPU seconds of the whole machine, from /proc/stat. Busy includes steal;
    steal is time the hypervisor gave to someone else, which makes a run unreliable."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal ...
    return (sum(v[:8]) - v[3] - v[4]) / CLK_TCK, v[7] / CLK_TCK


def wait_quiet(max_s, threshold_cores=0.2):
    """Waits (at most max_s) until the rest of the machine is idle: other people's builds on a
    2-core machine change the figures more than anything measured here."""
    deadline = time.monotonic() + max_s
    while True:
        b0, t0 = machine_cpu_s()[0], time.monotonic()
        time.sleep(2)
        busy = (machine_cpu_s()[0] - b0) / (time.monotonic() - t0)
        if busy < threshold_cores:
            return busy
        if time.monotonic() >= deadline:
            log(f"machine still busy ({busy:.2f} cores used by others) after {max_s:.0f} s; "
                f"measuring anyway, see the `others` column")
            return busy
        log(f"waiting for the machine to go quiet ({busy:.2f} cores busy)")


def proc_status_kib(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def thread_cpu(pid):
    """{tid: (name, cpu seconds)} for every live thread of pid."""
    out = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return out
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                raw = f.read()
        except (FileNotFoundError, ProcessLookupError):
            continue
        name = raw[raw.index("(") + 1:raw.rindex(")")]
        fields = raw.rsplit(")", 1)[1].split()
        out[tid] = (name, (int(fields[11]) + int(fields[12])) / CLK_TCK)
    return out


def thread_groups(before, after, wall_s):
    """Cores per thread group over the window; digits in names are folded to '#'."""
    groups = {}
    for tid, (name, cpu) in after.items():
        used = cpu - before.get(tid, (name, 0.0))[1]
        key = re.sub(r"\d+", "#", name)
        g = groups.setdefault(key, [0.0, 0])
        g[0] += used / wall_s
        g[1] += 1
    # Thread names are cut at 15 characters ("multiqueue12:sr"): fold a cut name into the one
    # longer group it is a prefix of.
    for key in sorted(groups, key=len):
        longer = [k for k in groups if k != key and k.startswith(key)]
        if len(key) >= 13 and len(longer) == 1:
            into = groups[longer[0]]
            into[0] += groups[key][0]
            into[1] += groups[key][1]
            del groups[key]
    return sorted(groups.items(), key=lambda kv: -kv[1][0])


def busiest_threads(before, after, wall_s, count):
    """The `count` busiest single threads: [(cores, tid, name)]."""
    rows = [((cpu - before.get(tid, (name, 0.0))[1]) / wall_s, tid, name)
            for tid, (name, cpu) in after.items()]
    return sorted(rows, reverse=True)[:count]


# ----------------------------------------------------------------------------- clips


def mp4_duration_s(path):
    """Duration from the moov/mvhd box (mp4mux writes it at the end of the file)."""
    def boxes(f, end):
        while f.tell() + 8 <= end:
            start = f.tell()
            size, kind = struct.unpack(">I4s", f.read(8))
            if size == 1:
                size = struct.unpack(">Q", f.read(8))[0]
            elif size == 0:
                size = end - start
            if size < 8:
                return
            yield kind, start, size
            f.seek(start + size)

    with open(path, "rb") as f:
        f.seek(0, 2)
        end = f.tell()
        f.seek(0)
        for kind, start, size in list(boxes(f, end)):
            if kind != b"moov":
                continue
            f.seek(start + 8)
            for k2, s2, _ in boxes(f, start + size):
                if k2 == b"mvhd":
                    f.seek(s2 + 8)
                    version = f.read(1)[0]
                    f.read(3)
                    if version == 1:
                        _, _, scale, duration = struct.unpack(">QQIQ", f.read(28))
                    else:
                        _, _, scale, duration = struct.unpack(">IIII", f.read(16))
                    return duration / scale
    return 0.0


def ensure_clips(clip_dir, count, min_seconds):
    subprocess.run([str(HERE / "make_clips.sh"), str(clip_dir), str(count)], check=True,
                   stdout=sys.stderr, timeout=3600)
    clips = [clip_dir / f"clip{i:03d}.mp4" for i in range(count)]
    short = min(mp4_duration_s(c) for c in clips)
    if short < min_seconds:
        sys.exit(f"bench: clips last {short:.1f} s but warm-up + window need {min_seconds:.0f} s "
                 f"(the reference does not loop): remake them with CLIP_SECONDS")
    return clips


# ----------------------------------------------------------------------------- layout


def grid_layout(n, canvas=CANVAS, aspect=TILE, gap=GAP_PX):
    """compositor::gridLayout (compositor/grid.cpp), non-degenerate case: [(x, y, w, h)]."""
    best = (0, 0, 1, 1)  # w, h, columns, rows
    for columns in range(1, n + 1):
        rows = -(-n // columns)
        max_w = max(0, canvas[0] - gap * (columns + 1)) // columns
        max_h = max(0, canvas[1] - gap * (rows + 1)) // rows
        h_for_w = max_w * aspect[1] // aspect[0]
        w, h = (max_w, h_for_w) if h_for_w <= max_h else (max_h * aspect[0] // aspect[1], max_h)
        if w * h > best[0] * best[1]:
            best = (w, h, columns, rows)
    w, h, columns, rows = best
    span = lambda count, size: count * size + (count - 1) * gap
    left = (canvas[0] - span(columns, w)) // 2
    top = (canvas[1] - span(rows, h)) // 2
    last_count = min(columns, n - (rows - 1) * columns)
    last_left = (canvas[0] - span(last_count, w)) // 2
    out = []
    for i in range(n):
        row, column = divmod(i, columns)
        x = (last_left if row == rows - 1 else left) + column * (w + gap)
        out.append((x, top + row * (h + gap), w, h))
    return out


# ----------------------------------------------------------------------------- tessera


def write_installation(path, clips, hls, extra="", feed_priority=None):
    lines = [
        "# Written by bench/bench_feeds.py.",
        '[installation]\nname = "bench"\n',
        f"[canvas]\nwidth = {CANVAS[0]}\nheight = {CANVAS[1]}\nfps = {FPS}\n",
        '[http]\nlisten = "127.0.0.1:0"\n',
        f"[ingest]\nmax_feeds = {max(len(clips), 1)}\ntile_width = {TILE[0]}\n"
        f"tile_height = {TILE[1]}\n"
        + (f'feed_priority = "{feed_priority}"\n' if feed_priority else ""),
        "[ingest.synthetic]\ncount = 0\n",
        "[ingest.whip]\nenabled = false\n",
    ]
    for c in clips:
        lines.append(f'[[ingest.pull]]\nuri = "file://{c}"\nloop = true\n')
    lines.append("[analysis]\nworkers = 0\n")
    lines.append(f"[output]\nwindow = false\nhls = {'true' if hls else 'false'}\n")
    lines.append(extra)
    path.write_text("\n".join(lines))


def http_get(port, path, timeout=15.0):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as r:
        return r.read().decode()


def scrape(port):
    """Prometheus text -> {name: value} (unlabelled) and feed frame total (labelled, summed)."""
    values, feed_frames = {}, 0.0
    for line in http_get(port, "/metrics").splitlines():
        if not line or line.startswith("#"):
            continue
        name, _, value = line.rpartition(" ")
        if name.startswith("tessera_feed_frames_total{"):
            feed_frames += float(value)
        else:
            values[name] = float(value)
    return values, feed_frames


def scrape_at_update(port, timeout=3.0):
    """Scrapes until the render counters change. tessera publishes render statistics once a
    second, so a scrape at a random moment is up to a second stale (+-30 frames); measuring
    between two updates makes the frame counts and the wall time agree."""
    first, feeds = scrape(port)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(0.02)
        values, feeds = scrape(port)
        if values.get("tessera_render_frames_total") != first.get("tessera_render_frames_total"):
            return values, feeds
    return values, feeds


def canvas_fps_each_second(port, first, until):
    """Canvas frames in each one-second statistics update from `first` until `until` (monotonic):
    the worst second beside the best, which a window's average hides."""
    rates, last, last_t = [], first.get("tessera_render_frames_total", 0), time.monotonic()
    while time.monotonic() < until - 1.0:
        values, _ = scrape_at_update(port)
        now = time.monotonic()
        frames = values.get("tessera_render_frames_total", last)
        if frames != last and now > last_t:
            rates.append((frames - last) / (now - last_t))
            last, last_t = frames, now
        time.sleep(max(0.0, 0.9 - (time.monotonic() - now)))
    return rates


def tail(path, lines=30):
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


def perf_profile(pid, seconds, out_prefix):
    """perf record on a running process, then the hottest comm/dso/symbol rows as text."""
    data = f"{out_prefix}.perf.data"

    def more_files():
        # perf opens a descriptor per thread and CPU: ~1000 threads at 256 feeds pass 1024.
        _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    try:
        with open(f"{out_prefix}.perf.log", "wb") as perf_log:
            subprocess.run(["perf", "record", "-q", "-F", "199", "-g", "-p", str(pid), "-o", data,
                            "--", "sleep", str(seconds)], stdout=perf_log, stderr=perf_log,
                           preexec_fn=more_files, timeout=seconds + 60, check=True)
        def report(sort, limit):
            return subprocess.run(
                ["perf", "report", "-i", data, "--no-children", "--sort", sort, "--stdio",
                 "-g", "none", "--percent-limit", limit],
                capture_output=True, text=True, timeout=300).stdout
        # By thread name, by library (llvmpipe's JIT code shows as "[JIT] tid N"), by symbol.
        text = "\n".join([report("comm", "1"), report("dso", "0.5"), report("dso,sym", "0.7")])
    except (FileNotFoundError, subprocess.SubprocessError) as e:
        return f"(perf unavailable: {e})"
    Path(f"{out_prefix}.perf.txt").write_text(text)
    return text


def run_tessera(args, clips, work):
    n = len(clips)
    toml = work / f"tessera-{n}.toml"
    logfile = work / f"tessera-{n}.log"
    write_installation(toml, clips, hls=True, extra=args.extra_toml,
                       feed_priority=args.feed_priority)
    wait_quiet(args.quiet_wait)
    argv = [str(args.tessera), "run", str(toml), "--http", f"127.0.0.1:{args.port}",
            "--headless"]
    log(f"N={n}: tessera: {shlex.join(argv)} (log {logfile})")
    t_launch = time.monotonic()
    p = start(argv, logfile)
    result = {"n": n, "log": str(logfile)}

    # Bounded wait until every feed is live.
    deadline = t_launch + args.live_timeout
    health = None
    while time.monotonic() < deadline:
        if p.poll() is not None:
            result["error"] = f"exited with {p.returncode} before all feeds were live"
            log(f"N={n}: tessera {result['error']}; log tail:\n{tail(logfile)}")
            return result
        try:
            health = json.loads(http_get(args.port, "/healthz", timeout=2))
            if health.get("live_feeds", 0) >= n and health.get("fps", 0) > 0:
                break
        except (OSError, ValueError):
            pass
        time.sleep(0.5)
    else:
        result["error"] = f"only {health and health.get('live_feeds')} of {n} feeds live after " \
                          f"{args.live_timeout:.0f} s"
        log(f"N={n}: tessera: {result['error']}; log tail:\n{tail(logfile)}")
        stop(p)
        return result
    result["live_after_s"] = time.monotonic() - t_launch
    log(f"N={n}: all {n} feeds live after {result['live_after_s']:.1f} s; "
        f"warming up {args.warmup:.0f} s, measuring {args.window:.0f} s")
    time.sleep(args.warmup)

    m0, f0 = scrape_at_update(args.port)
    cpu0, t0 = proc_cpu_s(p.pid), time.monotonic()
    threads0 = thread_cpu(p.pid)
    machine0 = machine_cpu_s()
    per_second = canvas_fps_each_second(args.port, m0, t0 + max(0.0, args.window - 0.5))
    m1, f1 = scrape_at_update(args.port)
    cpu1, t1 = proc_cpu_s(p.pid), time.monotonic()
    machine1 = machine_cpu_s()
    threads1 = thread_cpu(p.pid)
    health = json.loads(http_get(args.port, "/healthz"))
    wall = t1 - t0
    d = lambda k: m1.get(k, 0) - m0.get(k, 0)
    frames = d("tessera_render_frames_total")
    # As a user meets it: from the process's start (start-up, joins and warm-up included).
    since_start = t1 - t_launch
    start_frames = m1.get("tessera_render_frames_total", 0)
    result.update(
        fps_from_start=start_frames / since_start,
        cpu_per_out_s_from_start=cpu1 / (start_frames / FPS) if start_frames else float("inf"),
        fps_worst_s=min(per_second) if per_second else None,
        fps_best_s=max(per_second) if per_second else None,
        cores=(cpu1 - cpu0) / wall,
        cpu_per_out_s=(cpu1 - cpu0) / (frames / FPS) if frames else float("inf"),
        fps=frames / wall,
        redraw_fps=d("tessera_render_redraws_total") / wall,
        feed_fps=(f1 - f0) / wall / n,
        hls_frames=d("tessera_hls_frames_total"),
        hls_dropped=d("tessera_hls_dropped_frames_total"),
        late=d("tessera_render_late_ticks_total"),
        live_end=health.get("live_feeds"),
        work_ms=m1.get("tessera_render_work_ms", 0),
        # One-second averages at the window's end (the render thread's phases).
        draw_ms=m1.get("tessera_render_draw_ms", 0),
        readback_ms=m1.get("tessera_render_readback_ms", 0),
        handoff_ms=m1.get("tessera_render_handoff_ms", 0),
        rss_mb=proc_status_kib(p.pid, "VmHWM") / 1024,
        threads=thread_groups(threads0, threads1, wall),
        busiest=busiest_threads(threads0, threads1, wall, 6),
        nthreads=len(threads1),
        machine_cores=(machine1[0] - machine0[0]) / wall,
        steal_cores=(machine1[1] - machine0[1]) / wall,
    )
    if args.perf and n in args.perf_counts:
        log(f"N={n}: perf record for {args.perf:.0f} s")
        result["perf"] = perf_profile(p.pid, args.perf, str(work / f"tessera-{n}"))

    code, took, killed = stop(p, signal.SIGTERM, args.stop_timeout)
    result["exit"] = code
    result["exit_s"] = took
    # tessera writes HLS to $TMPDIR/tessera-NAME-PID/ and leaves it there (~10 MB a run).
    shutil.rmtree(Path(tempfile.gettempdir()) / f"tessera-bench-{p.pid}", ignore_errors=True)
    if killed or code != 0:
        result["error"] = (f"SIGTERM: {'killed after ' + str(args.stop_timeout) + ' s' if killed else 'exit ' + str(code)}")
        log(f"N={n}: tessera {result['error']}; log tail:\n{tail(logfile)}")
    return result


# ----------------------------------------------------------------------------- reference


def reference_pipeline(clips, hls_dir):
    """gst-launch-1.0 arguments: N x (filesrc ! qtdemux ! h264parse ! avdec_h264 ! videoscale)
    -> compositor (tiles at tessera's grid positions) -> x264enc ultrafast -> HLS, plus a
    synchronised fpsdisplaysink branch that paces the pipeline to real time and counts frames."""
    tiles = grid_layout(len(clips))
    desc = [
        f"compositor name=comp background=black",
        *[f"sink_{i}::xpos={x} sink_{i}::ypos={y}" for i, (x, y, _, _) in enumerate(tiles)],
        f"! video/x-raw,format=I420,width={CANVAS[0]},height={CANVAS[1]},framerate={FPS}/1",
        "! videoconvert",
        f"! x264enc tune=zerolatency speed-preset=ultrafast bitrate=4000 key-int-max={FPS * 2}",
        "! video/x-h264,profile=constrained-baseline ! h264parse ! tee name=t",
        f"t. ! queue ! hlssink2 target-duration=2 playlist-length=6 max-files=10 "
        f"location={hls_dir}/segment%05d.ts playlist-location={hls_dir}/index.m3u8",
        "t. ! queue ! fpsdisplaysink name=out video-sink=fakesink text-overlay=false sync=true",
    ]
    for i, (clip, (_, _, w, h)) in enumerate(zip(clips, tiles)):
        # Even sizes: I420 chroma is subsampled by 2.
        desc.append(f"filesrc location={clip} ! qtdemux ! h264parse ! avdec_h264 max-threads=1 "
                    f"! videoscale ! video/x-raw,width={w - w % 2},height={h - h % 2},"
                    f"pixel-aspect-ratio=1/1 ! comp.sink_{i}")
    return " ".join(desc)


def decode_pipeline(clips):
    """The floor: demux and decode only, each feed paced to real time, nothing composed or
    encoded. Feed 0's sink counts frames, so `fps` is one feed's decoded rate (15 if on time)."""
    desc = []
    for i, clip in enumerate(clips):
        sink = ("fpsdisplaysink name=out video-sink=fakesink text-overlay=false sync=true"
                if i == 0 else "fakesink sync=true")
        desc.append(f"filesrc location={clip} ! qtdemux ! h264parse ! avdec_h264 max-threads=1 "
                    f"! {sink}")
    return " ".join(desc)


class LineWatcher(threading.Thread):
    """Reads gst-launch's output; keeps (time, rendered count) from fpsdisplaysink."""

    RENDERED = re.compile(r"out: last-message = rendered: (\d+), dropped: (\d+)")

    def __init__(self, stream, logfile):
        super().__init__(daemon=True)
        self.stream, self.logfile = stream, logfile
        self.samples = []
        self.playing = threading.Event()
        self.lock = threading.Lock()

    def run(self):
        with open(self.logfile, "w") as out:
            for raw in self.stream:
                line = raw.decode(errors="replace")
                m = self.RENDERED.search(line)
                if m:
                    with self.lock:
                        self.samples.append((time.monotonic(), int(m.group(1))))
                    continue  # two lines a second; not worth the log
                if "Setting pipeline to PLAYING" in line:
                    self.playing.set()
                out.write(line)
                out.flush()

    def last(self):
        with self.lock:
            return self.samples[-1] if self.samples else (time.monotonic(), 0)


def run_gst(args, clips, work, kind):
    """Runs and measures the reference compositor pipeline (kind "reference") or the decode-only
    floor (kind "decode") with gst-launch-1.0."""
    n = len(clips)
    logfile = work / f"{kind}-{n}.log"
    if kind == "reference":
        hls_dir = work / f"reference-{n}-hls"
        hls_dir.mkdir(exist_ok=True)
        for old in hls_dir.iterdir():
            old.unlink()
        pipeline = reference_pipeline(clips, hls_dir)
    else:
        pipeline = decode_pipeline(clips)
    (work / f"{kind}-{n}.pipeline").write_text(pipeline + "\n")
    wait_quiet(args.quiet_wait)
    # -v prints fpsdisplaysink's counter; -X caps keeps thousands of caps lines out of it.
    argv = ["gst-launch-1.0", "-v", "-X", "caps", *shlex.split(pipeline)]
    log(f"N={n}: {kind}: gst-launch-1.0 -v -X caps $(cat {work / f'{kind}-{n}.pipeline'}) "
        f"(log {logfile})")
    t_launch = time.monotonic()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         stdin=subprocess.DEVNULL, start_new_session=True)
    _children.append(p)
    watch = LineWatcher(p.stdout, logfile)
    watch.start()
    result = {"n": n, "log": str(logfile)}

    deadline = t_launch + args.live_timeout
    while time.monotonic() < deadline and p.poll() is None:
        if watch.playing.is_set() and watch.last()[1] > 0:
            break
        time.sleep(0.2)
    if p.poll() is not None or not watch.playing.is_set() or watch.last()[1] == 0:
        result["error"] = (f"exited with {p.returncode}" if p.poll() is not None else
                           f"no output frames after {args.live_timeout:.0f} s")
        log(f"N={n}: {kind} {result['error']}; log tail:\n{tail(logfile)}")
        stop(p, signal.SIGKILL)
        return result
    result["live_after_s"] = time.monotonic() - t_launch
    time.sleep(args.warmup)

    try:
        threads0 = thread_cpu(p.pid)
        machine0 = machine_cpu_s()
        cpu0, t0 = proc_cpu_s(p.pid), time.monotonic()
        s0 = watch.last()
        time.sleep(args.window)
        cpu1, t1 = proc_cpu_s(p.pid), time.monotonic()
        machine1 = machine_cpu_s()
        s1 = watch.last()
        threads1 = thread_cpu(p.pid)
        rss_mb = proc_status_kib(p.pid, "VmHWM") / 1024
    except OSError:  # /proc/PID vanished: the pipeline ended
        result["error"] = "ended during the window (clips too short?)"
        log(f"N={n}: {kind} {result['error']}; log tail:\n{tail(logfile)}")
        stop(p, signal.SIGKILL)
        return result
    wall = t1 - t0
    fps = (s1[1] - s0[1]) / (s1[0] - s0[0]) if s1[0] > s0[0] else 0.0
    result.update(
        cores=(cpu1 - cpu0) / wall,
        fps=fps,
        rss_mb=rss_mb,
        threads=thread_groups(threads0, threads1, wall),
        busiest=busiest_threads(threads0, threads1, wall, 6),
        nthreads=len(threads1),
        machine_cores=(machine1[0] - machine0[0]) / wall,
        steal_cores=(machine1[1] - machine0[1]) / wall,
    )
    if kind == "reference":
        # Output seconds = frames out / 30: above `cores` when the pipeline is not real-time.
        result["cpu_per_out_s"] = (cpu1 - cpu0) / (fps * wall / FPS) if fps else float("inf")
    if p.poll() is not None:
        result["error"] = "ended during the window (clips too short?)"
    elif args.perf and n in args.perf_counts and kind == "reference":
        log(f"N={n}: perf record ({kind}) for {args.perf:.0f} s")
        result["perf"] = perf_profile(p.pid, args.perf, str(work / f"{kind}-{n}"))
    stop(p, signal.SIGINT, 10)  # gst-launch stops on SIGINT; SIGKILL after 10 s
    return result


# ----------------------------------------------------------------------------- report


def others(res):
    if "machine_cores" not in res:
        return "-"
    return f"{max(0.0, res['machine_cores'] - res['cores']):.2f}"


def fmt(v, spec):
    return format(v, spec) if isinstance(v, (int, float)) else "-"


def print_report(rows, args):
    """rows: [{"n": N, "tessera": result, "reference": result, "decode": result}]."""
    print()
    print(f"canvas {CANVAS[0]}x{CANVAS[1]}@{FPS}, x264 ultrafast, HLS on; "
          f"inputs 320x240@15 H.264; window {args.window:.0f} s after {args.warmup:.0f} s warm-up; "
          f"{os.cpu_count()} CPUs")
    print()
    print("| N | tessera cores | tessera cpu/out-s | reference cores | reference cpu/out-s "
          "| ratio | decode-only cores | tessera fps | reference fps | feed fps (of 15) "
          "| dropped (hls+late) | tessera peak RSS MB | reference peak RSS MB | others |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        t, r, d = row["tessera"], row["reference"], row["decode"]
        ratio = (t["cpu_per_out_s"] / r["cpu_per_out_s"]
                 if "cpu_per_out_s" in t and r.get("cpu_per_out_s") else None)
        dropped = f"{t['hls_dropped']:.0f}+{t['late']:.0f}" if "late" in t else "-"
        contended = any(float(others(x)) > CONTENDED_CORES for x in (t, r, d) if others(x) != "-")
        print(f"| {row['n']}{'*' if contended else ''} | {fmt(t.get('cores'), '.2f')} | {fmt(t.get('cpu_per_out_s'), '.2f')} "
              f"| {fmt(r.get('cores'), '.2f')} | {fmt(r.get('cpu_per_out_s'), '.2f')} "
              f"| {fmt(ratio, '.2f')} | {fmt(d.get('cores'), '.2f')} | {fmt(t.get('fps'), '.1f')} "
              f"| {fmt(r.get('fps'), '.1f')} | {fmt(t.get('feed_fps'), '.1f')} | {dropped} "
              f"| {fmt(t.get('rss_mb'), '.0f')} | {fmt(r.get('rss_mb'), '.0f')} "
              f"| {others(t)}/{others(r)}/{others(d)} |")
    print()
    print("ratio = tessera cpu/out-s / reference cpu/out-s (target <= 0.6); "
          "decode-only = the same clips demuxed and decoded, nothing else; others = cores used "
          "by other processes during the tessera/reference/decode windows; * = others above "
          f"{CONTENDED_CORES} cores in some window: do not trust that row")
    results = [(name, row[name]) for row in rows for name in ("tessera", "reference", "decode")]
    for name, res in results:
        if "error" in res:
            print(f"N={res['n']} {name}: ERROR: {res['error']} (log {res['log']})")
    for name, res in results:
        if "threads" not in res:
            continue
        extra = ""
        if name == "tessera":
            extra = (f"; redraws {res['redraw_fps']:.1f}/s, render work "
                     f"{res['work_ms']:.1f} ms/frame (draw {res['draw_ms']:.1f}, readback "
                     f"{res['readback_ms']:.1f}, hand-off {res['handoff_ms']:.1f}), live at end {res['live_end']}, "
                     f"exit {res.get('exit')} in {res.get('exit_s', 0):.1f} s; canvas fps "
                     f"worst/best second {fmt(res.get('fps_worst_s'), '.1f')}/"
                     f"{fmt(res.get('fps_best_s'), '.1f')}; from process start (all live after "
                     f"{res['live_after_s']:.1f} s): {res['fps_from_start']:.1f} fps, "
                     f"{res['cpu_per_out_s_from_start']:.2f} cpu/out-s")
        elif name == "decode":
            extra = f"; feed 0 decoded {res['fps']:.1f} fps, peak RSS {res['rss_mb']:.0f} MB"
        print(f"\nN={res['n']} {name}: {res['nthreads']} threads, {res['cores']:.2f} cores{extra}; "
              f"machine busy {res['machine_cores']:.2f} cores, steal {res['steal_cores']:.2f}")
        for key, (cores, count) in res["threads"][:args.top_threads]:
            if cores < 0.005:
                break
            print(f"  {cores:5.2f} cores  {count:4d} x {key}")
        print("  busiest single threads: " + ", ".join(
            f"{thread} {cores:.2f}" for cores, _, thread in res["busiest"]))
    for name, res in results:
        if "perf" in res:
            print(f"\nN={res['n']} {name}: perf report (full text in {args.work})")
            print("\n".join(l for l in res["perf"].splitlines()
                            if l.strip() and not l.startswith("#")))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tessera", type=Path, default=Path("build/tessera"),
                    help="tessera binary (a Release build)")
    ap.add_argument("--counts", type=int, nargs="+", default=[16, 64, 256])
    ap.add_argument("--clips", type=Path, default=Path(tempfile.gettempdir()) / "tessera-clips")
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "tessera-bench",
                    help="installation files, logs, perf data")
    ap.add_argument("--window", type=float, default=20, help="measuring window, seconds")
    ap.add_argument("--warmup", type=float, default=5, help="settling time before the window")
    ap.add_argument("--live-timeout", type=float, default=180,
                    help="longest wait for all feeds live / first reference frame")
    ap.add_argument("--stop-timeout", type=float, default=20, help="longest wait after SIGTERM")
    ap.add_argument("--port", type=int, default=18480)
    ap.add_argument("--no-reference", action="store_true", help="measure tessera only")
    ap.add_argument("--no-tessera", action="store_true", help="skip tessera")
    ap.add_argument("--no-decode", action="store_true", help="skip the decode-only floor")
    ap.add_argument("--perf", type=float, default=0,
                    help="after the window, perf record this many seconds (needs perf)")
    ap.add_argument("--perf-counts", type=int, nargs="*", default=None,
                    help="feed counts to profile with --perf (default: the largest)")
    ap.add_argument("--quiet-wait", type=float, default=120,
                    help="longest wait, before each run, for other processes to stop using CPU")
    ap.add_argument("--repeat", type=int, default=1, help="runs per feed count (one row each)")
    ap.add_argument("--top-threads", type=int, default=12)
    ap.add_argument("--feed-priority", choices=["idle", "low"], default=None,
                    help="[ingest] feed_priority for tessera (default: the server's, idle)")
    ap.add_argument("--extra-toml", default="",
                    help='appended to tessera\'s installation, e.g. "[sync]\\nenabled = false"')
    args = ap.parse_args()
    args.tessera = args.tessera.resolve()
    if not args.no_tessera and not args.tessera.is_file():
        sys.exit(f"bench: no tessera binary at {args.tessera} (--tessera)")
    if args.perf_counts is None:
        args.perf_counts = [max(args.counts)]
    args.work.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    clip_dir = args.clips.resolve()
    # The reference does not loop: its clips must outlast start-up, warm-up, window and perf.
    clips = ensure_clips(clip_dir, max(args.counts), args.warmup + args.window + args.perf + 10)
    rows = []
    try:
        for n in [n for n in args.counts for _ in range(args.repeat)]:
            row = {"n": n}
            row["tessera"] = {"n": n} if args.no_tessera else run_tessera(args, clips[:n], args.work)
            for kind in ("reference", "decode"):
                skip = args.no_reference if kind == "reference" else args.no_decode
                row[kind] = {"n": n} if skip else run_gst(args, clips[:n], args.work, kind)
            rows.append(row)
            log(f"N={n}: " + "; ".join(
                f"{kind} {fmt(row[kind].get('cores'), '.2f')} cores, "
                f"{fmt(row[kind].get('fps'), '.1f')} fps" for kind in ("tessera", "reference", "decode")))
    finally:
        stop_all()
    print_report(rows, args)
    failed = any("error" in row[k] for row in rows for k in ("tessera", "reference", "decode"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
