#!/usr/bin/env python3
"""Display end to end (docs/display.md "Testing"): boots the ISO with a
display device and a QMP socket, runs drawtest in the shell, takes a QMP
screendump and compares chosen pixels with drawtest's pattern exactly.

usage: tests/system/test_display.py [--iso build/exec-rt.iso | --kernel K
           --initrd I]
           [--device virtio|gop] [--kills N] [--bench N] [--name display]
  virtio: -vga none -device virtio-gpu-pci, SeaBIOS (the virtio-gpu driver)
  gop:    -vga std under UEFI (OVMF): the boot framebuffer (fbdisplay)
--kills N: the driver is restarted N times through iod (`restart`, which
kills it); after each it must come back and drawtest must work again.
--bench N: `drawtest --bench N` and the figures printed.
Prints "ok NAME" / "FAIL NAME: why" and "N passed, N failed".
"""
import argparse
import json
import os
import re
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..",
                                "tools"))
from qemu_session import Guest, Timeout  # noqa: E402
from qmp import Failed, Qmp, need, pixel, read_ppm  # noqa: E402,F401

BG = (0x20, 0x20, 0x20)
# drawtest.c's pattern: (x, y, w, h, rgb)
SOLID = [
    (10, 10, 100, 50, (0xff, 0, 0)),
    (120, 10, 100, 50, (0, 0xff, 0)),
    (230, 10, 100, 50, (0, 0, 0xff)),
    (10, 70, 50, 50, (0xff, 0xff, 0xff)),
    (70, 70, 60, 40, (0xc0, 0x80, 0x40)),
    (340, 10, 30, 30, (0xff, 0, 0xff)),   # magenta: present 2, damage only
    (340, 50, 30, 30, (0, 0xff, 0xff)),   # cyan: present 3, damage only
]


def check_pattern(img, w, h):
    need((img[0], img[1]) == (w, h),
         "screendump is %dx%d, drawtest drew %dx%d" % (img[0], img[1], w, h))
    points = []
    for (x, y, rw, rh, rgb) in SOLID:
        for (px, py) in ((x, y), (x + rw - 1, y), (x, y + rh - 1),
                         (x + rw - 1, y + rh - 1), (x + rw // 2, y + rh // 2)):
            points.append((px, py, rgb))
    # Just outside the rectangles and far away: background.
    for (px, py) in ((5, 5), (115, 30), (335, 45), (400, 300), (w - 1, h - 1),
                     (9, 10), (10, 9), (110, 10), (60, 119)):
        points.append((px, py, BG))
    # The gradient at (10, 130), 256 x 16: (x, 255 - x, 128).
    for gx in (0, 1, 77, 128, 200, 255):
        for gy in (130, 137, 145):
            points.append((10 + gx, gy, (gx, 255 - gx, 128)))
    bad = []
    for (x, y, want) in points:
        got = pixel(img, x, y)
        if got != want:
            bad.append("(%d,%d) %s want %s" % (x, y, got, want))
    need(not bad, "%d of %d pixels differ: %s" % (len(bad), len(points),
                                                    "; ".join(bad[:6])))
    return len(points)


class Suite:
    def __init__(self, g):
        self.g, self.passed, self.failed = g, 0, 0

    def run(self, name, fn):
        try:
            fn()
            print("ok   %s" % name)
            self.passed += 1
        except (Failed, Timeout, OSError, ValueError) as e:
            rc = self.g.proc.poll()
            print("FAIL %s: %s%s" % (name, str(e)[:600],
                                     "" if rc is None else
                                     " (QEMU exited with %d)" % rc))
            self.failed += 1
            try:
                self.g.send("\x03\x15\r")
                self.g.expect("exec-rt> ", timeout=10)
            except (Timeout, OSError):
                pass


def drawtest(g, qmp=None, shot=None, timeout=90, args=""):
    """Runs drawtest; with qmp, takes a screendump into `shot` while
    drawtest still holds the screen (--hold: a screen console would take
    it back once drawtest ends) and checks it. Without qmp there is no
    screendump to wait for, so no hold (it cost 4 s a run, 76 s over the
    20 restarts). Returns (w, h, output)."""
    g.drain(0.2)
    g.pos = len(g.buf)
    g.line("drawtest" + (" --hold 4000" if qmp else "") + args)
    out, m = g.expect(r"drawtest: done (\d+)x(\d+) \(", timeout=timeout,
                      regex=True)
    w, h = int(m.group(1)), int(m.group(2))
    need(out.count("drawtest: presented") == 3,
         "three presents: %r" % out[-400:])
    n = 0
    if qmp:
        qmp.cmd("screendump", filename=shot)
        n = check_pattern(read_ppm(shot), w, h)
    rest, _ = g.expect("exec-rt> ", timeout=30)
    need("exited with status" not in rest, "drawtest failed: %r" % rest)
    return w, h, n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iso", default="build/exec-rt.iso")
    ap.add_argument("--kernel", help="boot through PVH instead of the ISO")
    ap.add_argument("--initrd", default="build/initrd.cpio")
    ap.add_argument("--device", choices=["virtio", "gop"], default="virtio")
    ap.add_argument("--kills", type=int, default=0)
    ap.add_argument("--bench", type=int, default=0)
    # Two vCPUs: the kernel parks the other CPUs around PCI configuration
    # writes (QEMU 7.2's TCG could crash when a write remapped memory while
    # another vCPU did MMIO; docs/devices.md), so 20 restarts are safe.
    ap.add_argument("--smp", default="2")
    ap.add_argument("--name", default="display")
    ap.add_argument("--logdir", default="build/logs")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="execrt-disp-")
    sock = os.path.join(tmp, "qmp.sock")
    extra = ["-qmp", "unix:%s,server=on,wait=off" % sock]
    if a.device == "virtio":
        extra += ["-vga", "none", "-device", "virtio-gpu-pci"]
        driver = "virtio-gpu"
    else:
        extra += ["-vga", "std"]
        driver = "fbdisplay"
    how = dict(kernel=a.kernel, initrd=a.initrd) if a.kernel else \
        dict(iso=a.iso, uefi=(a.device == "gop"))
    g = Guest(a.name, logdir=a.logdir, timeout=600 + 30 * a.kills,
              smp=a.smp, extra=extra, **how)
    s = Suite(g)
    qmp = None
    state = {}
    try:
        g.expect("exec-rt> ", timeout=180)
        qmp = Qmp(sock)

        def boot():
            out = g.command("drawtest --status", timeout=60)
            m = re.search(r'\{"ok":true.*\}', out)
            need(m, "no status from /svc/display: %r" % out[-300:])
            st = json.loads(m.group(0))["result"]
            need(st["driver"] == driver, "driver %s, want %s" %
                 (st["driver"], driver))
            state["dev"] = st["device"]
            state["status"] = st

        def pattern():
            _, _, n = drawtest(g, qmp, os.path.join(tmp, "shot.ppm"))
            state["checked"] = n

        def set_mode():
            w, h, _ = drawtest(g, qmp, os.path.join(tmp, "mode.ppm"),
                               args=" --size 1024x768")
            need((w, h) == (1024, 768), "drew %dx%d" % (w, h))
            st = json.loads(re.search(r'\{"ok":true.*\}', g.command(
                "drawtest --status", timeout=60)).group(0))["result"]
            out = st["outputs"][0]
            need((out["width"], out["height"]) == (1024, 768),
                 "status says %dx%d" % (out["width"], out["height"]))

        def frame_clock():
            a1 = json.loads(re.search(r'\{"ok":true.*\}', g.command(
                "drawtest --status", timeout=60)).group(0))["result"]
            time.sleep(1.0)
            a2 = json.loads(re.search(r'\{"ok":true.*\}', g.command(
                "drawtest --status", timeout=60)).group(0))["result"]
            need(a2["frame"] > a1["frame"], "the frame clock stands still")
            need(a2["clock"] in ("dl", "rt", "be"), "clock %s" % a2["clock"])

        def kills():
            dev = state["dev"]
            req = json.dumps({"cmd": "restart", "dev": dev},
                             separators=(",", ":"))
            for i in range(a.kills):
                out = g.command("portctl iod-ctl '%s'" % req, timeout=30)
                need(re.search(r'"ok":\s*true', out),
                     "restart %d: %r" % (i, out[-300:]))
                last = i == a.kills - 1
                drawtest(g, qmp if last else None,
                         os.path.join(tmp, "kill.ppm"))
            out = g.command("portctl iod '%s'" % json.dumps(
                {"cmd": "info", "dev": dev}, separators=(",", ":")),
                timeout=30)
            m = re.search(r'"restarts":\s*(\d+)', out)
            need(m and int(m.group(1)) >= a.kills,
                 "iod counts %s restarts" % (m.group(1) if m else "no"))

        def bench():
            out = g.command("drawtest --bench %d" % a.bench, timeout=300)
            lines = re.findall(r"^bench: .*$", out.replace("\r", ""),
                               re.M)
            need(len(lines) == 3, "no figures: %r" % out[-300:])
            for line in lines:
                print("  " + line.strip())

        s.run("display_%s_driver_serves" % a.device, boot)
        s.run("display_%s_pattern_pixel_exact" % a.device, pattern)
        if a.bench:  # before the mode changes: the output's own mode
            s.run("display_%s_bench" % a.device, bench)
        if a.device == "virtio":
            s.run("display_virtio_set_mode_1024x768", set_mode)
        s.run("display_%s_frame_clock_ticks" % a.device, frame_clock)
        if a.kills:
            s.run("display_%s_driver_killed_%d_times_comes_back" %
                  (a.device, a.kills), kills)
    except Timeout as e:
        print("FAIL display_%s_boot: %s" % (a.device, e))
        s.failed += 1
    finally:
        if qmp:
            qmp.close()
        g.close()
    print("%d passed, %d failed" % (s.passed, s.failed))
    return 1 if s.failed else 0


if __name__ == "__main__":
    sys.exit(main())
