#!/usr/bin/env python3
"""Dump the ACPI tables QEMU generates for a machine, in the layout of the
kernel's ACPI tables object (START_H_ACPI, docs/devices.md): every table
whole, one after another, the DSDT first, then the tables the RSDT/XSDT
lists (each once), walk by header length. The RSDP is left out.

QEMU runs its firmware (SeaBIOS) with no boot device; once the firmware
has installed the tables, guest RAM is saved through QMP `pmemsave` and
the tables are read out of it. The files are test data for iod's AML
reader (tests/host/data/acpi-*.bin); they are produced by QEMU.

usage: tools/acpi-dump.py --machine q35 -o tests/host/data/acpi-q35.bin
       [-- extra qemu args]
"""
import argparse
import json
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time

MEM = 128 << 20


def qmp(sock_path, cmds, timeout=10):
    end = time.time() + timeout
    while True:
        try:
            s = socket.socket(socket.AF_UNIX)
            s.connect(sock_path)
            break
        except OSError:
            if time.time() > end:
                raise
            time.sleep(0.05)
    f = s.makefile("rw")
    f.readline()  # greeting
    out = []
    for c in [{"execute": "qmp_capabilities"}] + cmds:
        f.write(json.dumps(c) + "\n")
        f.flush()
        while True:
            r = json.loads(f.readline())
            if "return" in r or "error" in r:
                out.append(r)
                break
    s.close()
    return out


def table_at(ram, addr):
    sig = ram[addr:addr + 4]
    (length,) = struct.unpack_from("<I", ram, addr + 4)
    if length < 36 or addr + length > len(ram):
        raise ValueError("bad table %r at %#x" % (sig, addr))
    return bytes(ram[addr:addr + length])


def find_rsdp(ram):
    for a in range(0xE0000, 0x100000, 16):
        if ram[a:a + 8] == b"RSD PTR ":
            return a
    raise ValueError("no RSDP in the BIOS area")


def collect(ram):
    r = find_rsdp(ram)
    rev = ram[r + 15]
    (rsdt,) = struct.unpack_from("<I", ram, r + 16)
    entries = []
    if rev >= 2:
        (xsdt,) = struct.unpack_from("<Q", ram, r + 24)
        if xsdt:
            t = table_at(ram, xsdt)
            entries = list(struct.unpack_from("<%dQ" % ((len(t) - 36) // 8), t, 36))
    if not entries:
        t = table_at(ram, rsdt)
        entries = list(struct.unpack_from("<%dI" % ((len(t) - 36) // 4), t, 36))
    tables = []
    dsdt = None
    for a in entries:
        t = table_at(ram, a)
        tables.append(t)
        if t[:4] == b"FACP":
            (d32,) = struct.unpack_from("<I", t, 40)
            d64 = struct.unpack_from("<Q", t, 140)[0] if len(t) >= 148 else 0
            dsdt = table_at(ram, d64 or d32)
    if dsdt is None:
        raise ValueError("no FADT/DSDT")
    return [dsdt] + tables


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--machine", default="q35")
    ap.add_argument("-o", "--out", required=True)
    ap.add_argument("extra", nargs="*")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        sock = os.path.join(d, "qmp")
        ramf = os.path.join(d, "ram")
        p = subprocess.Popen(
            ["qemu-system-x86_64", "-M", a.machine, "-m", "128M",
             "-display", "none", "-qmp", "unix:%s,server=on,wait=off" % sock,
             "-net", "none", "-no-reboot"] + a.extra,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        try:
            time.sleep(3)  # SeaBIOS installs the tables, finds no boot disk
            r = qmp(sock, [{"execute": "pmemsave",
                            "arguments": {"val": 0, "size": MEM,
                                          "filename": ramf}}])
            if "error" in r[-1]:
                sys.exit("pmemsave: %s" % r[-1]["error"])
            ram = open(ramf, "rb").read()
        finally:
            p.kill()
            p.wait()
    tables = collect(ram)
    with open(a.out, "wb") as f:
        for t in tables:
            f.write(t)
    print("%s: %s" % (a.out, " ".join("%s(%d)" % (t[:4].decode(), len(t))
                                      for t in tables)))


if __name__ == "__main__":
    main()
