"""Reads every canvas frame back from tessera's HLS output and finds when each tile flashed.

The crowd-sync tests and benches ask: in which canvas frame does a flash (a step to white in
the sources) first appear in each tile? HLS carries every canvas frame the render thread made,
stamped from the render clock, so decoding it frame by frame answers that exactly, after the
run, without racing the server.
"""
import json
import os
import subprocess


def hls_frames(hls_dir, width, height, playlist="index.m3u8", scale=4):
    """Every frame of the HLS playlist as (pts_seconds, rows) with rows a list of bytes (RGB),
    downscaled by `scale` (the tiles stay many pixels wide). Uses ffmpeg; bounded by the files."""
    w, h = width // scale, height // scale
    path = os.path.join(hls_dir, playlist)
    # showinfo prints each frame's pts_time on stderr in output order.
    cmd = ["ffmpeg", "-v", "info", "-nostdin", "-i", path, "-vf",
           f"scale={w}:{h}:flags=area,showinfo", "-vsync", "passthrough", "-f", "rawvideo",
           "-pix_fmt", "rgb24", "-"]
    out = subprocess.run(cmd, capture_output=True, timeout=300)
    assert out.returncode == 0, f"ffmpeg could not read {path}: {out.stderr[-2000:]!r}"
    times = []
    for line in out.stderr.decode(errors="replace").splitlines():
        if "Parsed_showinfo" in line and "pts_time:" in line:
            times.append(float(line.split("pts_time:")[1].split()[0]))
    frame_bytes = w * h * 3
    count = len(out.stdout) // frame_bytes
    frames = []
    for i in range(count):
        data = out.stdout[i * frame_bytes:(i + 1) * frame_bytes]
        rows = [data[y * w * 3:(y + 1) * w * 3] for y in range(h)]
        frames.append((times[i] if i < len(times) else None, rows))
    return frames, scale


def tile_luma(rows, rect, scale, inset=0.25):
    """Mean luma (0-255) of a tile's interior in a downscaled frame."""
    x0 = int((rect["x"] + rect["w"] * inset) / scale)
    x1 = max(x0 + 1, int((rect["x"] + rect["w"] * (1 - inset)) / scale))
    y0 = int((rect["y"] + rect["h"] * inset) / scale)
    y1 = max(y0 + 1, int((rect["y"] + rect["h"] * (1 - inset)) / scale))
    total, n = 0.0, 0
    for y in range(y0, y1):
        row = rows[y]
        for x in range(x0, x1):
            r, g, b = row[3 * x], row[3 * x + 1], row[3 * x + 2]
            total += 0.299 * r + 0.587 * g + 0.114 * b
            n += 1
    return total / max(1, n)


def flash_frames(frames, scale, tiles, threshold=60.0, after=0):
    """For each tile ({feed_id: rect}), the index of the first frame from `after` on whose luma
    rose more than `threshold` above the tile's median before that frame; None if never."""
    result = {}
    for feed, rect in tiles.items():
        lumas = [tile_luma(rows, rect, scale) for _, rows in frames]
        found = None
        for i in range(max(after, 5), len(lumas)):
            base = sorted(lumas[max(0, i - 30):i])
            median = base[len(base) // 2]
            if lumas[i] - median > threshold:
                found = i
                break
        result[feed] = found
    return result


def spread_in_frames(found):
    """Max - min of the flash frame indexes over the tiles that flashed (None if none did)."""
    values = [v for v in found.values() if v is not None]
    return (max(values) - min(values)) if values else None


def tiles_of(feeds_json):
    """{feed id: tile rect} for every feed with a tile, from GET /api/v1/feeds."""
    return {f["id"]: f["tile"] for f in feeds_json if f.get("tile")}


if __name__ == "__main__":
    import sys
    frames, scale = hls_frames(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
    print(json.dumps({"frames": len(frames), "first_pts": frames[0][0] if frames else None,
                      "last_pts": frames[-1][0] if frames else None}))
