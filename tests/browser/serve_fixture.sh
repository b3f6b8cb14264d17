#!/usr/bin/env bash
# Development fixture for the browser pages: a real live H.264 HLS stream made by GStreamer, served
# with web/ on 127.0.0.1 under the URLs tessera's server uses. It stands in for the C++ server only
# while developing the pages; the browser test is meant to run against the real server.
#
#   tests/browser/serve_fixture.sh [--port N] [--size WxH] [--hls-delay S] [-- COMMAND...]
#
# Without COMMAND it serves until interrupted. With COMMAND it waits until the HTTP server answers,
# runs COMMAND with TESSERA_URL and TESSERA_CANVAS exported, stops everything and exits with
# COMMAND's status. --hls-delay starts the stream S seconds late, so a page opened right away sees
# a missing playlist first (as it would while the real server is starting).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
web="$(cd "$here/../../web" && pwd)"
port=18080
size=1280x720
hls_delay=0
cmd=()

usage() { sed -n '2,11s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --port) port="$2"; shift 2 ;;
    --size) size="$2"; shift 2 ;;
    --hls-delay) hls_delay="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    --) shift; cmd=("$@"); break ;;
    *) echo "serve_fixture: unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
done

if [[ ! "$size" =~ ^([0-9]+)x([0-9]+)$ ]]; then
  echo "serve_fixture: --size must be WxH, got '$size'" >&2; exit 2
fi
width="${BASH_REMATCH[1]}"
height="${BASH_REMATCH[2]}"
if [[ ! -f "$web/node_modules/hls.js/dist/hls.min.js" ]]; then
  echo "serve_fixture: $web/node_modules is missing; run 'npm ci' in web/ first" >&2; exit 2
fi
for tool in gst-launch-1.0 python3 curl; do
  command -v "$tool" >/dev/null || { echo "serve_fixture: $tool not found" >&2; exit 2; }
done

dir="$(mktemp -d "${TMPDIR:-/tmp}/tessera-fixture.XXXXXX")"
gst_pid=""
http_pid=""
# shellcheck disable=SC2317  # Called through the EXIT trap.
cleanup() {
  # Only the two processes this script started, by id. A killed child's status is not an error.
  local pid
  for pid in $http_pid $gst_pid; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

caps="video/x-raw,width=$width,height=$height,framerate=30/1"

# A still for /api/v1/canvas.png.
timeout 20 gst-launch-1.0 -q videotestsrc num-buffers=1 ! "$caps" ! videoconvert ! pngenc \
  ! filesink location="$dir/canvas.png" >/dev/null

(
  sleep "$hls_delay"
  exec gst-launch-1.0 videotestsrc is-live=true ! "$caps" ! videoconvert \
    ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30 ! h264parse \
    ! hlssink2 location="$dir/segment%05d.ts" playlist-location="$dir/index.m3u8" target-duration=1
) >"$dir/gst.log" 2>&1 &
gst_pid=$!

python3 "$here/fixture_server.py" --web "$web" --hls "$dir" --port "$port" &
http_pid=$!

url="http://127.0.0.1:$port"
for _ in $(seq 1 50); do
  curl -fsS -o /dev/null --max-time 1 "$url/healthz" 2>/dev/null && break
  if ! kill -0 "$http_pid" 2>/dev/null; then
    echo "serve_fixture: HTTP server exited (port $port busy?)" >&2; exit 1
  fi
  sleep 0.2
done
curl -fsS -o /dev/null --max-time 1 "$url/healthz" \
  || { echo "serve_fixture: HTTP server did not answer on $url within 10 s" >&2; exit 1; }

export TESSERA_URL="$url" TESSERA_CANVAS="$size"
if [[ ${#cmd[@]} -eq 0 ]]; then
  echo "serve_fixture: viewer at $url/ (stream in $dir; Ctrl-C stops)"
  if ! wait "$gst_pid"; then
    echo "serve_fixture: GStreamer exited:" >&2; cat "$dir/gst.log" >&2; exit 1
  fi
  exit 0
fi

status=0
"${cmd[@]}" || status=$?
if ! kill -0 "$gst_pid" 2>/dev/null; then
  echo "serve_fixture: GStreamer exited early:" >&2; cat "$dir/gst.log" >&2
  [[ $status -eq 0 ]] && status=1
fi
exit "$status"
