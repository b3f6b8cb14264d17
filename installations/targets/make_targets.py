#!/usr/bin/env python3
"""Writes the bundled photomosaic target images (PNG, standard library only).

sunset.png (192x108): a sunset over the sea, with a sun, mountains and their reflection; large
areas of distinct colour read well as a mosaic of a few hundred cells.

    python3 installations/targets/make_targets.py
"""
import math
import os
import struct
import zlib


def write_png(path, width, height, pixel):
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter: none
        for x in range(width):
            rows.extend(bytes(max(0, min(255, int(round(c)))) for c in pixel(x, y)))

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    png = (b"\x89PNG\r\n\x1a\n"
           + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(bytes(rows), 9)) + chunk(b"IEND", b""))
    with open(path, "wb") as f:
        f.write(png)


def mix(a, b, t):
    t = max(0.0, min(1.0, t))
    return tuple(x + (y - x) * t for x, y in zip(a, b))


W, H = 192, 108
HORIZON = 62
SUN = (128, 50, 13)  # centre x, y, radius
NIGHT, DUSK, GLOW = (24, 30, 84), (196, 72, 96), (255, 170, 60)
SUN_CORE, SEA_DEEP, MOUNTAIN = (255, 236, 150), (16, 32, 70), (46, 26, 58)


def ridge(x):
    return HORIZON - 10 - 9 * math.sin(x / 23.0) - 5 * math.sin(x / 9.0 + 1.3)


def sky(x, y):
    t = y / HORIZON
    c = mix(NIGHT, DUSK, t * 1.4) if t < 0.7 else mix(DUSK, GLOW, (t - 0.7) / 0.3)
    d = math.hypot(x - SUN[0], y - SUN[1])
    if d < SUN[2]:
        return SUN_CORE
    return mix(c, GLOW, max(0.0, 1 - (d - SUN[2]) / 30) * 0.6)


def sunset(x, y):
    if y < HORIZON:
        if x < 110 and y > ridge(x):
            return MOUNTAIN
        return sky(x, y)
    # The sea: the sky mirrored, darker with depth, broken into ripples; the sun's path glitters.
    depth = (y - HORIZON) / (H - HORIZON)
    mirror = 2 * HORIZON - y - 1 + 2 * math.sin(y * 1.7 + x / 11.0)
    c = MOUNTAIN if x < 110 and mirror > ridge(x) else sky(x, max(0, mirror))
    c = mix(c, SEA_DEEP, 0.35 + 0.5 * depth)
    if abs(x - SUN[0]) < 10 + 14 * depth and math.sin(y * 2.1 + x * 0.4) > 0.2:
        c = mix(c, GLOW, 0.55 * (1 - depth))
    return c


if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    write_png(os.path.join(here, "sunset.png"), W, H, sunset)
