#!/usr/bin/env python3
"""ppm2png: a binary PPM (P6, maxval 255; QEMU's screendump) to PNG,
with nothing but the standard library (zlib + struct): 8-bit RGB,
filter 0 (none) on every row, one IDAT chunk.

usage: tools/ppm2png.py IN.ppm OUT.png [--crop X,Y,W,H] [--half]
--half: every other pixel of every other row (a smaller README image).
"""
import re
import struct
import sys
import zlib


def read_ppm(path):
    data = open(path, "rb").read()
    m = re.match(rb"P6\s+(\d+)\s+(\d+)\s+(\d+)\s", data)
    if not m or m.group(3) != b"255":
        raise ValueError("%s: not a P6 PPM with maxval 255" % path)
    w, h = int(m.group(1)), int(m.group(2))
    px = data[m.end():m.end() + w * h * 3]
    if len(px) != w * h * 3:
        raise ValueError("%s: short pixel data" % path)
    return w, h, px


def chunk(kind, body):
    c = struct.pack(">I", len(body)) + kind + body
    return c + struct.pack(">I", zlib.crc32(kind + body) & 0xffffffff)


def png(w, h, rows):
    """rows: h byte strings of w*3 bytes (RGB)."""
    raw = b"".join(b"\x00" + r for r in rows)
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) +
            chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def convert(src, dst, crop=None, half=False):
    w, h, px = read_ppm(src)
    x0, y0, cw, ch = crop if crop else (0, 0, w, h)
    if x0 < 0 or y0 < 0 or cw <= 0 or ch <= 0 or x0 + cw > w or y0 + ch > h:
        raise ValueError("crop outside the %dx%d image" % (w, h))
    rows = [px[((y0 + y) * w + x0) * 3:((y0 + y) * w + x0 + cw) * 3]
            for y in range(ch)]
    if half:
        rows = [b"".join(r[i:i + 3] for i in range(0, len(r), 6))
                for r in rows[::2]]
        cw, ch = (cw + 1) // 2, len(rows)
    with open(dst, "wb") as f:
        f.write(png(cw, ch, rows))
    return cw, ch


def main():
    args = sys.argv[1:]
    crop, half = None, False
    if "--half" in args:
        args.remove("--half")
        half = True
    if "--crop" in args:
        i = args.index("--crop")
        crop = tuple(int(v) for v in args[i + 1].split(","))
        del args[i:i + 2]
    if len(args) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    w, h = convert(args[0], args[1], crop, half)
    print("%s: %dx%d PNG" % (args[1], w, h))
    return 0


if __name__ == "__main__":
    sys.exit(main())
