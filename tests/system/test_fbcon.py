#!/usr/bin/env python3
"""The screen console end to end (docs/console.md "Screen terminal"):
boots the ISO in QEMU with a display and a QMP socket, types shell
commands with QMP `input-send-event` (PS/2 keyboard: the input room's
i8042 driver), and reads the screen back with QMP `screendump`: every
character cell of the dump is matched pixel for pixel against the glyphs
of the same PSF font the build packs (build/share/font.psf, read by a
small PSF reader here), so the test sees the screen's text exactly and
checks that the command, its output and the next prompt are drawn; the
serial console must show the same command ran.

usage: tests/system/test_fbcon.py [--iso build/exec-rt.iso] [--keep]
         [--font build/share/font.psf] [--display std|virtio]
         [--name fbcon] [--logdir build/logs]
--display std: -vga std under UEFI (the boot framebuffer: fbdisplay);
virtio: -vga none -device virtio-gpu-pci (virtio-gpu). Prints one line per
test and "N passed, N failed"; exit status 1 on any failure.
"""
import argparse
import os
import re
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..",
                                "tools"))
from qemu_session import PROMPT, Guest, Timeout  # noqa: E402
from test_input import Failed, Qmp, key, need  # noqa: E402

SP = PROMPT.rstrip()  # screen rows are read without trailing blanks
# The terminal's default colours (servers/fbcon/render.c palette 7 on 0)
FG, BG = (0xaa, 0xaa, 0xaa), (0, 0, 0)


class Font:
    """A PSF1/PSF2 reader: glyph bitmaps and the unicode table."""

    def __init__(self, path):
        d = open(path, "rb").read()
        if d[:2] == b"\x36\x04":
            mode, self.h = d[2], d[3]
            self.w, n, off, cs = 8, 512 if mode & 1 else 256, 4, d[3]
            table = mode & 6
        elif d[:4] == b"\x72\xb5\x4a\x86":
            f = [int.from_bytes(d[i:i + 4], "little") for i in range(0, 32,
                                                                     4)]
            off, flags, n, cs, self.h, self.w = f[2], f[3], f[4], f[5], \
                f[6], f[7]
            table = flags & 1
        else:
            raise ValueError("%s: not a PSF font" % path)
        rb = (self.w + 7) // 8
        self.glyphs = []
        for g in range(n):
            b = d[off + g * cs: off + (g + 1) * cs]
            self.glyphs.append(tuple(
                tuple((b[y * rb + x // 8] >> (7 - x % 8)) & 1
                      for x in range(self.w)) for y in range(self.h)))
        self.uni = {}
        if table:
            self._table(d[off + n * cs:], n, d[:2] == b"\x36\x04")

    def _table(self, t, n, psf1):
        i = 0
        for g in range(n):
            seq = False
            while i < len(t):
                if psf1:
                    v = int.from_bytes(t[i:i + 2], "little")
                    i += 2
                    if v == 0xffff:
                        break
                    if v == 0xfffe:
                        seq = True
                    elif not seq:
                        self.uni.setdefault(v, g)
                else:
                    if t[i] == 0xff:
                        i += 1
                        break
                    if t[i] == 0xfe:
                        seq, i = True, i + 1
                        continue
                    j = i + 1
                    while j < len(t) and t[j] & 0xc0 == 0x80:
                        j += 1
                    if not seq:
                        self.uni.setdefault(
                            ord(t[i:j].decode("utf-8", "replace")), g)
                    i = j

    def glyph(self, ch):
        return self.glyphs[self.uni.get(ord(ch), ord(ch))
                           if self.uni else ord(ch)]


class Screen:
    """A screendump (PPM) read as text: each cell matched exactly against
    the font's glyphs of printable ASCII, foreground FG on BG or
    inverted (the cursor). Unmatched cells read as '\\0'."""

    def __init__(self, path, font):
        d = open(path, "rb").read()
        m = re.match(rb"P6\s+(\d+)\s+(\d+)\s+(\d+)\s", d)
        need(m, "screendump is not a PPM")
        self.w, self.h = int(m.group(1)), int(m.group(2))
        px = d[m.end():]
        self.font = font
        table = {}
        for c in range(32, 127):
            table.setdefault(font.glyph(chr(c)), chr(c))
        cols, rows = self.w // font.w, self.h // font.h
        self.rows = []
        self.cursor = None
        for r in range(rows):
            line = []
            for c in range(cols):
                bits, inv = self._cell(px, r, c)
                ch = table.get(bits, "\0") if bits else "\0"
                if inv and ch != "\0":
                    self.cursor = (r, c)
                line.append(ch)
            self.rows.append("".join(line).rstrip(" "))

    def _cell(self, px, r, c):
        """The cell's bitmap (pixel == FG -> 1, == BG -> 0), or with the
        colours swapped; None when it has other colours."""
        f = self.font
        rows_fg = []
        for y in range(f.h):
            o = ((r * f.h + y) * self.w + c * f.w) * 3
            row = []
            for x in range(f.w):
                p = tuple(px[o + 3 * x: o + 3 * x + 3])
                if p == FG:
                    row.append(1)
                elif p == BG:
                    row.append(0)
                else:
                    return None, False
            rows_fg.append(tuple(row))
        bits = tuple(rows_fg)
        if bits in self._known():
            return bits, False
        inv = tuple(tuple(1 - b for b in row) for row in bits)
        return (inv, True) if inv in self._known() else (bits, False)

    def _known(self):
        if not hasattr(self, "_k"):
            self._k = {self.font.glyph(chr(c)) for c in range(32, 127)}
        return self._k

    def text(self):
        return "\n".join(self.rows)


class Session:
    def __init__(self, g, qmp, font, tmp, keep=None):
        self.g, self.qmp, self.font, self.tmp = g, qmp, font, tmp
        self.keep = keep  # a directory for the last screendump
        self.n = 0

    def screen(self):
        self.n += 1
        path = os.path.join(self.tmp, "screen%d.ppm" % self.n)
        self.qmp.cmd("screendump", filename=path)
        s = Screen(path, self.font)
        if self.keep:
            os.replace(path, os.path.join(self.keep, "fbcon-last.ppm"))
        else:
            os.unlink(path)
        return s

    def wait_screen(self, cond, what, timeout=30):
        end = time.monotonic() + timeout
        while True:
            s = self.screen()
            if cond(s):
                return s
            if time.monotonic() > end:
                raise Failed("%s; the screen shows:\n%s" % (
                    what, "\n".join(r for r in s.rows if r.strip("\0"))
                    [-1500:]))
            self.g.drain(0.3)

    def type(self, keys):
        """QMP key presses (qcodes), each a press and a release."""
        for k in keys:
            self.qmp.send_events([key(k, True)])
            self.qmp.send_events([key(k, False)])
            time.sleep(0.03)


QCODE = {" ": "spc", "-": "minus", ".": "dot", "/": "slash", "=": "equal"}


def qcodes(text):
    return [QCODE.get(c, c) for c in text]


def lines_after(s, prefix):
    """The screen rows from the last one starting with prefix on."""
    idx = [i for i, r in enumerate(s.rows) if r.startswith(prefix)]
    return s.rows[idx[-1]:] if idx else []


def t_boot(se):
    se.g.expect(PROMPT, 180)
    # The prompt drawn on screen: the console's output reaches it.
    se.wait_screen(lambda s: any(r.startswith(SP) for r in s.rows),
                   "no prompt on screen", 60)


def t_typed_command_runs(se):
    """`echo fbcon-hi` + Enter typed on the keyboard: drawn on screen with
    its output and a new prompt, and run as the serial console shows."""
    se.g.drain(0.3)
    start = len(se.g.buf)
    se.g.pos = start
    se.type(qcodes("echo fbcon") + ["minus", "h", "i"])
    t0 = time.monotonic()
    se.type(["ret"])
    se.g.expect("echo fbcon-hi\r\nfbcon-hi\r\n", 30)
    t1 = time.monotonic()
    se.g.expect(PROMPT, 30)

    def ok(s):
        after = lines_after(s, PROMPT + "echo fbcon-hi")
        return len(after) >= 3 and after[1] == "fbcon-hi" and \
            after[2].startswith(SP)
    s = se.wait_screen(ok, "no `echo fbcon-hi`, output, prompt on screen")
    # A host-side figure (TCG): Enter typed on the PS/2 keyboard (i8042
    # -> inputd -> fbcon -> console -> sh) to the command's output on the
    # serial line. (The screen's side is not timed: reading a screendump
    # here costs more than the frame.)
    print("     Enter -> output on serial: %.0f ms" % ((t1 - t0) * 1000))
    # The cursor is drawn after the new prompt.
    r = len(s.rows) - 1 - s.rows[::-1].index(
        next(x for x in reversed(s.rows) if x.startswith(SP)))
    need(s.cursor == (r, len(PROMPT)), "cursor at %s, want %s" % (
        s.cursor, (r, len(PROMPT))))


def t_editing_keys(se):
    """Backspace edits the line; Up recalls the last line (history): the
    line discipline gets the same bytes as from a serial terminal."""
    se.g.drain(0.3)
    se.g.pos = len(se.g.buf)
    se.type(qcodes("echo edx") + ["backspace"] + qcodes("it") + ["ret"])
    se.g.expect("\r\nedit\r\n", 30)
    se.g.expect(PROMPT, 30)
    se.wait_screen(lambda s: "edit" in s.rows and any(
        r == PROMPT + "echo edit" for r in s.rows), "no edited line")
    se.g.pos = len(se.g.buf)
    se.type(["up", "ret"])
    se.g.expect("\r\nedit\r\n", 30)
    se.g.expect(PROMPT, 30)
    se.wait_screen(lambda s: s.rows.count("edit") >= 2 or sum(
        1 for r in s.rows if r == "edit") >= 2, "history line not run")


def t_serial_mirrored(se):
    """A command typed on the serial console shows on the screen too."""
    se.g.command("echo from-serial", 30)
    se.wait_screen(lambda s: "from-serial" in s.rows,
                   "serial command output not on screen")


def t_console_status(se):
    out = se.g.command("portctl /svc/console '{\"cmd\":\"status\"}'", 30)
    need(re.search(r'"screen": ?true', out), "no screen: %r" % out)
    m = re.search(r'"screen_in": ?(\d+)', out)
    need(m and int(m.group(1)) >= 10, "screen_in: %r" % out)


def t_screen_taken_and_given_back(se):
    """drawtest takes the screen (DISP_BUF_TAKE, its pattern replaces the
    console), then ends: fbcon gets the screen back and draws the
    console again, with what was printed meanwhile."""
    out = se.g.command("drawtest", 60)
    need("drawtest: done" in out, "drawtest: %r" % out)
    se.g.command("echo console-back", 30)
    se.wait_screen(lambda s: "console-back" in s.rows and any(
        r.startswith("drawtest: done") for r in s.rows),
        "the console did not come back after drawtest", 30)


def t_display_restart(se, dev):
    """The display driver restarted by iod: fbcon reconnects and draws
    the whole console again, then new output."""
    out = se.g.command("portctl /svc/iod-ctl '{\"cmd\":\"restart\","
                       "\"dev\":\"%s\"}'" % dev, 30)
    need(re.search(r'"ok": ?true', out), "iod restart: %r" % out)
    se.g.drain(1.0)
    se.g.command("echo after-restart", 30)
    se.wait_screen(lambda s: "after-restart" in s.rows,
                   "no output on screen after the driver restart", 40)


def t_poweroff(se):
    se.g.line("poweroff")
    se.g.expect("powering off", 30)
    se.g.wait_exit(30)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iso", default="build/exec-rt.iso")
    ap.add_argument("--font", default="build/share/font.psf")
    ap.add_argument("--display", default="std", choices=["std", "virtio"])
    ap.add_argument("--name", default="fbcon")
    ap.add_argument("--logdir", default="build/logs")
    ap.add_argument("--keep", action="store_true",
                    help="keep the last screendump as LOGDIR/fbcon-last.ppm")
    a = ap.parse_args()
    font = Font(a.font)
    tmp = tempfile.mkdtemp(prefix="execrt-fbcon-")
    sock = os.path.join(tmp, "qmp.sock")
    extra = ["-qmp", "unix:%s,server=on,wait=off" % sock]
    if a.display == "std":
        extra += ["-vga", "std"]
        dev = "fb0"
    else:
        extra += ["-vga", "none", "-device", "virtio-gpu-pci"]
        dev = None
    g = Guest(a.name, a.logdir, iso=a.iso, uefi=True, machine="q35",
              extra=extra, timeout=600)
    passed = failed = 0
    qmp = None
    se = None
    tests = [("boot_prompt_on_screen", t_boot),
             ("typed_command_runs_and_shows", t_typed_command_runs),
             ("backspace_and_history_keys", t_editing_keys),
             ("serial_output_mirrored", t_serial_mirrored),
             ("console_status_screen", t_console_status),
             ("screen_taken_and_given_back", t_screen_taken_and_given_back)]
    if dev:
        tests.append(("display_driver_restart",
                      lambda s: t_display_restart(s, dev)))
    try:
        qmp = Qmp(sock)
        se = Session(g, qmp, font, tmp, a.logdir if a.keep else None)
        for name, fn in tests + [("poweroff", t_poweroff)]:
            try:
                fn(se)
                print("ok   %s" % name)
                passed += 1
            except (Failed, Timeout, OSError) as e:
                if isinstance(e, OSError):  # QMP gone: did QEMU end?
                    e = "%s (QEMU status %s)" % (e, g.proc.poll())
                print("FAIL %s: %s" % (name, str(e)[:1500]))
                failed += 1
                if name == "boot_prompt_on_screen":
                    break
                try:
                    g.send("\x03")
                    g.drain(0.5)
                    g.send("\x15\r")
                    g.expect(PROMPT, 20)
                except Timeout:
                    break
    except Timeout as e:
        print("FAIL qmp: %s" % e)
        failed += 1
    finally:
        if qmp:
            qmp.close()
        g.close()
        for f in os.listdir(tmp):
            os.unlink(os.path.join(tmp, f))
        os.rmdir(tmp)
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(0 if failed == 0 else 1)


if __name__ == "__main__":
    main()
