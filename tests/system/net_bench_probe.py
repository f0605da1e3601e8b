#!/usr/bin/env python3
"""Where exec-rt's time goes in the network bench (docs/net.md "Compared
with Linux"): the full system as test_net.py --bench boots it, plus httpd,
whose /status.json is read before and after each measurement of
tests/system/net_bench.py (1000 UDP round trips of 64 B; 32 MiB to
nc --sink). Prints per operation: the CPU's context switches, and each
task's runtime (tasks above 1 ms in all). With --icount
(-icount shift=0,sleep=off) a guest nanosecond is one instruction, so the
runtimes are instruction counts and do not depend on the host's load; the
host-clocked round trips and MB/s printed beside them then mean nothing.
httpd renders the page at most every 500 ms of guest time, so a window
also holds what ran while waiting for the next one (netd's timers, the
other services): a large "idle" says the window was long. A diagnostic,
not a test: nothing is asserted.

usage: tests/system/net_bench_probe.py [--kernel K --initrd I] [--icount]
         [--logdir D] [--name N]
Only the QEMU started here is killed (by pid).
"""
import argparse
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
sys.path.insert(0, HERE)
from qemu_session import Guest  # noqa: E402
import net_bench as nb  # noqa: E402
import net_load as nl  # noqa: E402
import test_net as tn  # noqa: E402


def fresh(c, prev=None):
    """/status.json sampled after prev's (httpd renders it at most every
    500 ms of guest time): until the CPU's switch count moves."""
    end = time.monotonic() + 60
    while True:
        js = c.status()
        if prev is None or (js["cpus"][0]["switches"] !=
                            prev["cpus"][0]["switches"]):
            return js
        if time.monotonic() > end:
            raise nl.LoadError("httpd's /status.json is not sampled again")
        time.sleep(0.2)


def delta(a, b, n, what):
    ca, cb = a["cpus"][0], b["cpus"][0]
    before = {t["koid"]: t for t in a["tasks"]}
    print("%s: %.1f switches/op, idle %.0f ms in all" % (
        what, (cb["switches"] - ca["switches"]) / n,
        (cb["idle_ns"] - ca["idle_ns"]) / 1e6))
    tot = 0
    for t in b["tasks"]:
        if t["koid"] not in before:
            continue
        d = t["runtime_ns"] - before[t["koid"]]["runtime_ns"]
        tot += d
        if d > 1e6:
            print("   %-14s %9.1f us/op" % (t["name"], d / n / 1e3))
    print("   %-14s %9.1f us/op" % ("all tasks", tot / n / 1e3))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kernel", default="build/kernel.elf")
    ap.add_argument("--initrd", default="build/initrd.cpio")
    ap.add_argument("--logdir", default="build/logs")
    ap.add_argument("--name", default="net-probe")
    ap.add_argument("--icount", action="store_true")
    a = ap.parse_args()
    ports = nb.host_ports([nb.G_UDP, nb.G_SINK, tn.G_HTTP])
    g = Guest(a.name, a.logdir, kernel=a.kernel, initrd=a.initrd,
              append="", smp=1, icount=a.icount, extra=nb.qemu_net(ports),
              timeout=900)
    c = tn.Ctx(g, ports, 0, 0)
    c.hostile_nic = False
    try:
        tn.t_boot(c)
        c.bg("httpd", "httpd -p %d" % tn.G_HTTP, "httpd: listening on")
        c.bg("udp", "nc -l -u -p %d --echo" % nb.G_UDP, "listening on udp")
        c.bg("sink", "nc -l -k -p %d --sink" % nb.G_SINK, "listening on tcp")
        a0 = fresh(c)
        t0 = time.monotonic()
        rtts, _ = nl.udp_rtt(c.a(nb.G_UDP), nb.UDP_ROUNDS, size=nb.UDP_SIZE)
        wall = time.monotonic() - t0
        a1 = fresh(c, a0)
        print("udp: median round trip %.0f us (host clock), %.0f us/op "
              "wall" % (statistics.median(rtts) * 1e6, wall * 1e3))
        delta(a0, a1, nb.UDP_ROUNDS, "udp round trip")
        dt, _ = nl.tcp_send(c.a(nb.G_SINK), nb.TCP_BYTES, timeout=300)
        a2 = fresh(c, a1)
        print("tcp host->guest: %.1f MB/s (host clock)" %
              (nb.TCP_BYTES / dt / 1e6))
        delta(a1, a2, nb.TCP_BYTES >> 20, "tcp host->guest, per MiB")
    finally:
        g.close()


if __name__ == "__main__":
    main()
