#!/usr/bin/env python3
"""The virtio-net driver with the real netd (docs/net-driver.md): boots the
ISO with a virtio-net device on QEMU's user network (restrict=on: nothing
leaves the host) and checks through the shell that iod's driver attaches
to netd, that the interface gets QEMU's DHCP address through it (frames
both ways), and that both ends recover: netd restarted (the driver's HOLD
ends, it attaches again with a fresh region) and the driver restarted by
iod (netd sees it go and takes the new instance).

usage: tests/system/test_netdev.py [--iso build/exec-rt.iso] [--machine q35]
                                   [--name netdev] [--irq msix|intx]
Prints "ok NAME" / "FAIL NAME: why" per step and "N passed, N failed".
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..",
                                "tools"))
from qemu_session import Guest, Timeout  # noqa: E402

SLOT = 8
DEV = "pci-00:%02x.0" % SLOT
MAC = "52:54:00:12:34:56"
ADDR = "10.0.2.15"


class Failed(Exception):
    pass


def need(cond, why):
    if not cond:
        raise Failed(why)


def portctl(g, svc, req):
    out = g.command("portctl %s '%s' --compact" % (svc, req), timeout=30)
    for ln in out.replace("\r", "").split("\n"):
        ln = ln.strip()
        if ln.startswith("{"):
            return json.loads(ln)
    raise Failed("portctl %s %s: %r" % (svc, req, out[-300:]))


def our_if(g):
    """netd's interface with the device's MAC, or None."""
    r = portctl(g, "netd", '{"cmd":"ifconfig"}')
    need(r.get("ok"), "ifconfig: %r" % r)
    for i in r["result"].get("interfaces", []):
        if i.get("mac") == MAC:
            return i
    return None


def wait_addr(g, secs):
    end = time.monotonic() + secs
    while True:
        i = our_if(g)
        if i and i.get("addr") == ADDR:
            return i
        need(time.monotonic() < end, "no %s on the interface: %r" % (ADDR, i))
        time.sleep(0.5)


def count(g, text):
    return g.text(0).count(text)


def wait_count(g, text, n, secs):
    end = time.monotonic() + secs
    while count(g, text) < n:
        need(time.monotonic() < end, "%r seen %d times, not %d" %
             (text, count(g, text), n))
        g.drain(0.2)


def t_boot(g, a):
    g.expect("exec-rt> ", timeout=90)
    line = "%s: virtio-net %s, %s, " % (DEV, MAC,
                                         "INTx" if a.irq == "intx" else "MSI-X")
    wait_count(g, line, 1, 20)


def t_attached(g, a):
    wait_count(g, "%s: attached to netd (interface " % DEV, 1, 20)


def t_dhcp(g, a):
    # a lease is an exchange of frames both ways through the rings
    i = wait_addr(g, 30)
    need(i.get("rx_packets", 1) > 0 and i.get("tx_packets", 1) > 0,
         "counters: %r" % i)


def t_netd_restart(g, a):
    n = count(g, "%s: attached to netd" % DEV)
    out = g.command("clctl restart netd", timeout=30)
    need("error" not in out.lower(), "clctl restart netd: %r" % out)
    wait_count(g, "%s: netd gone: attaching again" % DEV, 1, 20)
    wait_count(g, "%s: attached to netd" % DEV, n + 1, 20)
    wait_addr(g, 30)


def t_driver_restart(g, a):
    n = count(g, "%s: attached to netd" % DEV)
    r = portctl(g, "iod-ctl", '{"cmd":"restart","dev":"%s"}' % DEV)
    need(r.get("ok"), "restart: %r" % r)
    wait_count(g, "%s: attached to netd" % DEV, n + 1, 20)
    wait_addr(g, 30)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iso", default="build/exec-rt.iso")
    ap.add_argument("--machine", default="q35")
    ap.add_argument("--name", default="netdev")
    ap.add_argument("--logdir", default="build/logs")
    ap.add_argument("--irq", default="msix", choices=["msix", "intx"])
    a = ap.parse_args()
    dev = "virtio-net-pci,netdev=n,addr=0x%x" % SLOT
    if a.irq == "intx":
        dev += ",vectors=0"
    g = Guest(a.name, a.logdir, iso=a.iso, machine=a.machine, timeout=300,
              extra=["-netdev", "user,id=n,restrict=on", "-device", dev])
    passed = failed = 0
    tests = [("boot", t_boot), ("attached", t_attached), ("dhcp", t_dhcp),
             ("netd_restart", t_netd_restart),
             ("driver_restart", t_driver_restart)]
    try:
        for name, fn in tests:
            try:
                fn(g, a)
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
