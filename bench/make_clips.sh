#!/usr/bin/env bash
# Makes N distinct 320x240@15 H.264 MP4 clips for the feed benchmarks: camera-sized inputs whose
# decoding cost is realistic (moving content, a keyframe every 30 frames, no audio).
#
#   bench/make_clips.sh DIR N
#
# Clips are DIR/clip000.mp4 ... ; existing ones are kept, so a second run only adds the missing
# ones. CLIP_SECONDS (default 60) sets the length: the reference compositor pipeline does not
# loop, so a clip must outlast its warm-up plus measuring window (bench/bench_feeds.py checks).
# Each clip differs in pattern, motion speed, colours and profile (baseline or main).
set -euo pipefail

if [[ $# -ne 2 || ! "$2" =~ ^[0-9]+$ ]]; then
  echo "usage: $0 DIR N   (CLIP_SECONDS=60 by default)" >&2
  exit 2
fi
dir=$1
count=$2
seconds=${CLIP_SECONDS:-60}
fps=15
frames=$((seconds * fps))
mkdir -p "$dir"

# Patterns that move with horizontal-speed (or by themselves) and encode at camera-like
# bitrates; `snow` is left out because pure noise costs far more to decode than any camera.
patterns=(smpte ball circular zone-plate bar pinwheel spokes gradient colors checkers-8
          smpte75 chroma-zone-plate gamut smpte100 checkers-4 red)
# Foreground/background colours (ARGB) so that equal patterns still look different.
colours=(0xffffffff 0xffff4040 0xff40ff40 0xff4040ff 0xffffff40 0xff40ffff 0xffff40ff 0xff808080)

made=0
skipped=0
start=$(date +%s)
for ((i = 0; i < count; i++)); do
  out=$(printf '%s/clip%03d.mp4' "$dir" "$i")
  if [[ -s "$out" ]]; then
    skipped=$((skipped + 1))
    continue
  fi
  pattern=${patterns[$((i % ${#patterns[@]}))]}
  fg=${colours[$((i % ${#colours[@]}))]}
  bg=${colours[$(((i / ${#colours[@]} + 3) % ${#colours[@]}))]}
  # 1..8 px per frame, signed, so neighbouring clips never move in step.
  speed=$(((i % 8) + 1))
  ((i % 2)) && speed=$((-speed))
  if ((i % 2)); then profile=main; bframes=2; else profile=baseline; bframes=0; fi
  # A keyframe every 30 frames (2 s at 15 fps), as IP cameras commonly send.
  tmp="$out.part"
  if ! gst-launch-1.0 -q -e \
      videotestsrc num-buffers="$frames" pattern="$pattern" horizontal-speed="$speed" \
        foreground-color="$fg" background-color="$bg" motion=$((i % 3)) \
      ! "video/x-raw,width=320,height=240,framerate=$fps/1,format=I420" \
      ! x264enc speed-preset=veryfast bitrate=400 key-int-max=30 bframes="$bframes" \
      ! "video/x-h264,profile=$profile" ! h264parse ! mp4mux ! filesink location="$tmp" \
      >/dev/null; then
    rm -f "$tmp"
    echo "make_clips: clip $i ($pattern): gst-launch-1.0 failed" >&2
    exit 1
  fi
  mv "$tmp" "$out"
  made=$((made + 1))
  if ((made % 16 == 0 || i == count - 1)); then
    echo "make_clips: $((i + 1))/$count ($made made, $skipped kept, $(($(date +%s) - start)) s)"
  fi
done
echo "make_clips: $count clips in $dir ($made made, $skipped already there)"
