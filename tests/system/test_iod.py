#!/usr/bin/env python3
"""iod through the shell (docs/devices.md "iod"): boots the ISO with
virtio-gpu, a virtio keyboard and tablet, types `lspci`, asks /svc/iod
for a device's details with portctl, restarts a driver 20 times in a row
and iod itself, and checks what comes back.

usage: tests/system/test_iod.py [--iso build/exec-rt.iso] [--machine q35]
                                [--name iod] [--uefi] [--smp N]
Prints one line per test ("ok NAME" / "FAIL NAME: why") and ends with
"N passed, N failed"; exit status 1 on any failure.

What is checked depends on the machine only where the hardware differs:
q35 routes legacy lines through the ACPI _PRT (GSI 16-23); pc's _PRT is
computed by AML iod does not run, so there iod reads the interrupt-line
register (an ISA IRQ, mapped through the isa_irq lines). A driver whose
program is not in /boot/bin must be listed as `missing`, one that is
must come up `running`.
"""
import argparse
import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..",
                                "tools"))
from qemu_session import Guest, Timeout  # noqa: E402

DEVICES = ["-device", "virtio-gpu-pci", "-device", "virtio-keyboard-pci",
           "-device", "virtio-tablet-pci"]
LINE = re.compile(r"^([0-9a-f]{2}:[0-9a-f]{2}\.[0-7]) (.+) \[([0-9a-f]{4})\]:"
                  r" ([0-9a-f]{4}):([0-9a-f]{4})(?: driver=(\S+) (\S+))?"
                  r"(?: \(restarts (\d+)\))?$")


class Failed(Exception):
    pass


def need(cond, why):
    if not cond:
        raise Failed(why)


class Ctx:
    def __init__(self, g, machine):
        self.g = g
        self.machine = machine
        self.bin = set()

    def lspci(self):
        out = self.g.command("lspci")
        devs = {}
        for ln in out.replace("\r", "").split("\n"):
            m = LINE.match(ln.strip())
            if m:
                devs[m.group(1)] = {
                    "name": m.group(2), "class": m.group(3),
                    "id": m.group(4) + ":" + m.group(5),
                    "driver": m.group(6), "state": m.group(7),
                    "restarts": int(m.group(8) or 0)}
        return out, devs

    def iod(self, req, svc="iod"):
        out = self.g.command("portctl %s '%s' --compact" % (svc, req))
        for ln in out.replace("\r", "").split("\n"):
            ln = ln.strip()
            if ln.startswith("{"):
                return json.loads(ln)
        raise Failed("portctl iod %s: %r" % (req, out[-300:]))

    def find(self, devs, ident):
        for bdf, d in devs.items():
            if d["id"] == ident:
                return bdf
        raise Failed("no %s in lspci: %r" % (ident, devs))

    def settle(self, bdf, want, secs=15):
        """lspci until bdf's driver state is `want` (or the deadline)."""
        end = time.monotonic() + secs
        while True:
            _, devs = self.lspci()
            if devs.get(bdf, {}).get("state") == want:
                return devs
            if time.monotonic() > end:
                raise Failed("%s not %s: %r" % (bdf, want, devs.get(bdf)))
            self.g.drain(0.5)


def t_boot(c):
    c.g.expect(r"sh: ready in ([0-9.]+) ms", 120, regex=True)
    out = c.g.command("ls /boot/bin")
    c.bin = set(out.split())


def t_lspci(c):
    out, devs = c.lspci()
    need(len(devs) >= 4, "lspci: %r" % out)
    host = "8086:29c0" if c.machine == "q35" else "8086:1237"
    need(any(d["id"] == host and d["class"] == "0600" and
             d["name"] == "Host bridge" for d in devs.values()),
         "no host bridge %s: %r" % (host, out))
    gpu = devs[c.find(devs, "1af4:1050")]
    # 0300 as the only display, 0380 beside QEMU's standard VGA
    need((gpu["class"], gpu["name"]) in (
        ("0300", "VGA compatible controller"),
        ("0380", "Display controller")), "virtio-gpu: %r" % gpu)
    need(gpu["driver"] == "virtio-gpu", "virtio-gpu driver: %r" % gpu)
    inputs = [d for d in devs.values() if d["id"] == "1af4:1052"]
    need(len(inputs) == 2, "two virtio-input functions: %r" % devs)
    for d in [gpu] + inputs:
        want = "missing" if d["driver"] not in c.bin else None
        if want:
            need(d["state"] == want, "%r: its program is not in /boot/bin"
                 % d)
    need("isa-i8042" in out, "no PS/2 controller line: %r" % out)


def t_info(c):
    _, devs = c.lspci()
    bdf = c.find(devs, "1af4:1050")
    r = c.iod('{"cmd":"info","dev":"pci-%s"}' % bdf)
    need(r["ok"], "info: %r" % r)
    res = r["result"]
    mem = [b for b in res["bars"] if b["type"].startswith("mem")]
    need(len(mem) >= 2 and all(b["size"] >= 4096 for b in mem),
         "virtio-gpu BARs: %r" % res["bars"])
    need(any(b["type"] == "mem64" and b["prefetch"] for b in mem),
         "no 64-bit prefetchable BAR: %r" % res["bars"])
    msix = res["irq"].get("msix")
    need(msix and msix["count"] >= 2, "MSI-X: %r" % res["irq"])
    vendor = [cp for cp in res["caps"] if cp["id"] == "09"]
    need(len(vendor) >= 4, "virtio vendor caps: %r" % res["caps"])
    leg = res["irq"]["legacy"]
    need(leg.get("pin") == "A", "pin: %r" % leg)
    if c.machine == "q35":
        need(leg["via"] == "acpi-prt" and 16 <= leg["gsi"] <= 23,
             "q35 routing: %r" % leg)
    else:
        need(leg["via"] == "interrupt-line" and leg["gsi"] in (5, 9, 10, 11),
             "pc routing: %r" % leg)
    st = c.iod('{"cmd":"status"}')["result"]
    need(st["routing"] == ("acpi-prt" if c.machine == "q35"
                           else "interrupt-line"), "status: %r" % st)


def t_restart_20(c):
    _, devs = c.lspci()
    bdf = c.find(devs, "1af4:1050")
    if devs[bdf]["driver"] not in c.bin:
        r = c.iod('{"cmd":"restart","dev":"pci-%s"}' % bdf, "iod-ctl")
        need(not r["ok"] and r["error"]["code"] == "BAD_STATE",
             "restart without a driver: %r" % r)
        print("     restart_20: virtio-gpu not in /boot/bin; refusal checked")
        return
    before = devs[bdf]["restarts"]
    # /svc/iod answers anyone: restart is only on /svc/iod-ctl (F3)
    r = c.iod('{"cmd":"restart","dev":"pci-%s"}' % bdf)
    need(not r["ok"] and r["error"]["code"] == "DENIED",
         "restart on /svc/iod: %r" % r)
    for _ in range(20):
        r = c.iod('{"cmd":"restart","dev":"pci-%s"}' % bdf, "iod-ctl")
        need(r["ok"], "restart: %r" % r)
    devs = c.settle(bdf, "running", 20)
    need(devs[bdf]["restarts"] >= before + 20, "restarts: %r" % devs[bdf])


def t_iod_restart(c):
    _, before = c.lspci()
    out = c.g.command("clctl restart iod")
    need("error" not in out.lower(), "clctl restart iod: %r" % out)
    end = time.monotonic() + 15
    while True:
        _, after = c.lspci()
        if set(after) == set(before):
            break
        need(time.monotonic() < end, "after iod's restart: %r" % after)
        c.g.drain(0.5)
    for bdf, d in after.items():
        need(d["id"] == before[bdf]["id"], "%s changed: %r" % (bdf, d))
        need(d["restarts"] == 0, "a new iod starts afresh: %r" % d)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iso", default="build/exec-rt.iso")
    ap.add_argument("--uefi", action="store_true")
    ap.add_argument("--machine", default="q35")
    ap.add_argument("--name", default="iod")
    ap.add_argument("--logdir", default="build/logs")
    ap.add_argument("--smp", default="2")
    a = ap.parse_args()
    g = Guest(a.name, a.logdir, iso=a.iso, uefi=a.uefi, machine=a.machine,
              smp=a.smp, extra=DEVICES, timeout=400)
    c = Ctx(g, a.machine)
    passed = failed = 0
    tests = [("boot", t_boot), ("lspci", t_lspci), ("info", t_info),
             ("driver_restart_20", t_restart_20),
             ("iod_restart", t_iod_restart)]
    try:
        for name, fn in tests:
            try:
                fn(c)
                print("ok   %s" % name)
                passed += 1
            except (Failed, Timeout, KeyError, ValueError) as e:
                print("FAIL %s: %s" % (name, str(e)[:600]))
                failed += 1
                if isinstance(e, Timeout) or name == "boot":
                    break
    finally:
        g.close()
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(0 if failed == 0 else 1)


if __name__ == "__main__":
    main()
