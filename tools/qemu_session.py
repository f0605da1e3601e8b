#!/usr/bin/env python3
"""Drive an exec-rt guest through its serial console, as a person would.

QEMU runs with the first serial port on its stdin/stdout; everything the
guest prints is appended to LOGDIR/NAME.log (raw bytes) and kept in memory
for expect(). Only the QEMU process started here is ever killed, by its pid.
Used by tests/system/test_shell.py (make check), the boot tests of
tools/check.sh and the boot figure of make bench.

As a command (tools/check.sh):
  tools/qemu_session.py --name N [--iso F [--uefi] | --kernel K --initrd I
      --append A] [--machine q35] [--smp 2] [--timeout S] [--icount]
      [--expect TEXT]... [--poweroff] [-- extra qemu args]
waits for every --expect text in order, then (with --poweroff) for the
shell's prompt, types `poweroff` and wants QEMU to end on its own.
"""
import argparse
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

PROMPT = "exec-rt> "
OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd"
OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd"


class Timeout(Exception):
    pass


class Guest:
    def __init__(self, name, logdir="build/logs", iso=None, uefi=False,
                 kernel=None, initrd=None, append="", machine="q35", smp=2,
                 mem="512", icount=False, extra=(), timeout=120):
        os.makedirs(logdir, exist_ok=True)
        self.name = name
        self.logpath = os.path.join(logdir, name + ".log")
        self.log = open(self.logpath, "wb")
        self.buf = b""
        self.pos = 0  # expect() searches from here
        self.deadline = time.monotonic() + timeout
        self.tmp = tempfile.mkdtemp(prefix="execrt-qemu-")
        args = ["qemu-system-x86_64", "-M", machine, "-cpu", "max",
                "-m", str(mem), "-smp", str(smp), "-display", "none",
                "-serial", "stdio", "-monitor", "none", "-no-reboot",
                "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
        if uefi:
            vars_copy = os.path.join(self.tmp, "vars.fd")
            shutil.copy(OVMF_VARS, vars_copy)
            args += ["-drive", "if=pflash,format=raw,unit=0,readonly=on,"
                     "file=" + OVMF_CODE,
                     "-drive", "if=pflash,format=raw,unit=1,file=" + vars_copy]
        if iso:
            args += ["-cdrom", iso, "-boot", "d"]
        if kernel:
            args += ["-kernel", kernel, "-append", append]
            if initrd:
                args += ["-initrd", initrd]
        if icount:
            args += ["-icount", "shift=0,sleep=off"]
        args += list(extra)
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, bufsize=0)
        self.status = None

    # ---- output ----
    def _pump(self, wait):
        """Reads what QEMU printed within `wait` seconds."""
        if self.proc.stdout is None:
            return False
        r, _, _ = select.select([self.proc.stdout], [], [], max(wait, 0))
        if not r:
            return True
        data = os.read(self.proc.stdout.fileno(), 65536)
        if not data:
            self.proc.stdout = None
            return False
        self.buf += data
        self.log.write(data)
        self.log.flush()
        return True

    def text(self, start=0):
        return self.buf[start:].decode("utf-8", "replace")

    def expect(self, pattern, timeout=30, regex=False):
        """Waits until pattern appears after the last match; returns the
        match (or the text up to it) and moves past it."""
        end = min(time.monotonic() + timeout, self.deadline)
        pat = re.compile(pattern.encode() if regex else re.escape(
            pattern.encode()))
        while True:
            m = pat.search(self.buf, self.pos)
            if m:
                before = self.buf[self.pos:m.start()].decode("utf-8",
                                                                "replace")
                self.pos = m.end()
                return before, m
            left = end - time.monotonic()
            if left <= 0:
                raise Timeout("%s: no %r within %ss (tail: %r)" % (
                    self.name, pattern, timeout, self.text(self.pos)[-400:]))
            if not self._pump(min(left, 0.2)) and self.proc.poll() is not None:
                raise Timeout("%s: QEMU ended (status %s) before %r" % (
                    self.name, self.proc.returncode, pattern))

    def drain(self, secs):
        end = time.monotonic() + secs
        while time.monotonic() < end and self._pump(end - time.monotonic()):
            pass

    # ---- input ----
    def send(self, data, delay=0.004, chunk=1):
        """Types data: `chunk` bytes at a time, `delay` seconds apart."""
        if isinstance(data, str):
            data = data.encode()
        for i in range(0, len(data), chunk):
            self.proc.stdin.write(data[i:i + chunk])
            self.proc.stdin.flush()
            self._pump(delay)

    def line(self, text, **kw):
        self.send(text + "\r", **kw)

    def command(self, text, timeout=30, **kw):
        """Types a command at the prompt; returns its output (up to the
        next prompt)."""
        # Whatever the guest still prints from before (a redrawn prompt
        # after garbage input) must not count as this command's end.
        self.drain(0.2)
        self.pos = len(self.buf)
        self.line(text, **kw)
        if text.isprintable():  # edited lines echo differently
            self.expect(text[-32:] + "\r\n", timeout)
        out, _ = self.expect(PROMPT, timeout)
        return out

    # ---- end ----
    def wait_exit(self, timeout=30):
        end = min(time.monotonic() + timeout, self.deadline)
        while self.proc.poll() is None and time.monotonic() < end:
            self._pump(0.1)
        # Before the drain: _pump(0) is True while a live QEMU prints
        # nothing, so draining a hung guest never ended (a CI run spun here).
        if self.proc.poll() is None:
            raise Timeout("%s: QEMU still running after %ss" % (self.name,
                                                                 timeout))
        while self._pump(0):
            if self.proc.stdout is None:
                break
        self.status = self.proc.returncode
        return self.status

    def close(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)  # only ours, by pid
            self.proc.wait()
        self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--name", default="session")
    ap.add_argument("--logdir", default="build/logs")
    ap.add_argument("--iso")
    ap.add_argument("--uefi", action="store_true")
    ap.add_argument("--kernel")
    ap.add_argument("--initrd")
    ap.add_argument("--append", default="")
    ap.add_argument("--machine", default="q35")
    ap.add_argument("--smp", default="2")
    ap.add_argument("--mem", default="512")
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--icount", action="store_true")
    ap.add_argument("--expect", action="append", default=[])
    ap.add_argument("--poweroff", action="store_true")
    ap.add_argument("extra", nargs="*")
    a = ap.parse_args()
    g = Guest(a.name, a.logdir, a.iso, a.uefi, a.kernel, a.initrd, a.append,
              a.machine, a.smp, a.mem, a.icount, a.extra, a.timeout)
    t0 = time.monotonic()
    ok = False
    try:
        for e in a.expect:
            g.expect(e, a.timeout)
        if a.poweroff:
            g.expect(PROMPT, a.timeout)
            g.line("poweroff")
            g.expect("powering off", 30)
            g.wait_exit(30)
            if "PANIC" in g.text():
                raise Timeout("%s: kernel panic in the log" % a.name)
        ok = True
    except Timeout as e:
        print("  " + str(e))
    finally:
        g.close()
    print("%s %s (%.1fs, log: %s)" % ("PASS" if ok else "FAIL", a.name,
                                       time.monotonic() - t0, g.logpath))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
