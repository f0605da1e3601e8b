"""Shared pieces of the host-driven system tests (tests/system/*.py):
a minimal QMP client over QEMU's unix socket, screendump reading (P6
PPM) and writing (PNG, zlib only: no PIL on a fresh Debian), and the
Failed/need pair the suites count failures with."""
import json
import re
import socket
import struct
import time
import zlib

from qemu_session import Timeout


class Failed(Exception):
    pass


def need(cond, why):
    if not cond:
        raise Failed(why)


class Qmp:
    """QMP over a unix socket; waits up to `timeout` for QEMU to create it."""

    def __init__(self, path, timeout=30):
        end = time.monotonic() + timeout
        while True:
            try:
                self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.s.connect(path)
                break
            except OSError:
                self.s.close()
                if time.monotonic() > end:
                    raise Timeout("no QMP socket at %s" % path)
                time.sleep(0.1)
        self.s.settimeout(timeout)
        self.f = self.s.makefile("rwb", buffering=0)
        self._read()  # the greeting
        self.cmd("qmp_capabilities")

    def _read(self):
        while True:
            line = self.f.readline()
            if not line:
                raise Timeout("QMP closed")
            msg = json.loads(line)
            if "event" not in msg:
                return msg

    def cmd(self, name, **args):
        req = {"execute": name}
        if args:
            req["arguments"] = args
        self.f.write(json.dumps(req).encode() + b"\n")
        r = self._read()
        if "error" in r:
            raise Failed("QMP %s: %s" % (name, r["error"]))
        return r.get("return")

    def send_events(self, events, device=None):
        args = {"events": events}
        if device:
            args["device"] = device
        self.cmd("input-send-event", **args)

    def screendump(self, path):
        """The screen as (w, h, rgb bytes)."""
        self.cmd("screendump", filename=path)
        return read_ppm(path)

    def close(self):
        self.s.close()


def read_ppm(path):
    """QEMU's screendump: binary PPM (P6, maxval 255) -> (w, h, rgb)."""
    data = open(path, "rb").read()
    m = re.match(rb"P6\s+(\d+)\s+(\d+)\s+(\d+)\s", data)
    need(m and m.group(3) == b"255", "not a P6 PPM screendump")
    w, h = int(m.group(1)), int(m.group(2))
    px = data[m.end():]
    need(len(px) >= w * h * 3, "short PPM")
    return w, h, px


def pixel(img, x, y):
    w, _, px = img
    i = (y * w + x) * 3
    return tuple(px[i:i + 3])


def write_png(img, path):
    """An RGB image (w, h, rgb) as an 8-bit truecolour PNG."""
    w, h, px = img
    rows = b"".join(b"\0" + px[y * w * 3:(y + 1) * w * 3] for y in range(h))

    def chunk(kind, data):
        c = struct.pack(">I", len(data)) + kind + data
        return c + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(rows, 9)))
        f.write(chunk(b"IEND", b""))
