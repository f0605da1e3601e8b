#!/usr/bin/env python3
"""Print the exec-rt / Linux side-by-side table of `make bench-linux`.

Reads the serial logs that tools/bench-linux.sh (and tools/bench.sh)
left: exec-rt's "bench: ..." lines and the Linux program's "lbench: ..."
lines, under -icount shift=0 (one log each: the figures repeat) and on
normal TCG (several runs: the median of the runs' medians, and the spread
max/min over the runs). See docs/benchmarks.md.

usage: bench_linux_table.py --icount EXECRT_LOG LINUX_LOG
                            [--tcg EXECRT_LOG LINUX_LOG]...
                            [--boot-icount LOG] [--boot-tcg LOG]...
                            [--net EXECRT_OUT LINUX_OUT]... [--net-only]

--net: the printed lines of tests/system/test_net.py --bench (exec-rt's
"bench: net ..." and, with --linux-kernel, Linux's "lbench: net ...") of
one run each; the network block shows the median over the runs and the
goal of issue 17 point 6: at least Linux's figures.
"""
import argparse
import re
import statistics

CYC = re.compile(r"^(l?bench): (.*?)\s+median\s+(\d+)\s+min\s+\d+\s+max\s+\d+ cycles/(?:op|page)")
LAT = re.compile(r"^(l?bench): (.*?)\s+min\s+(\d+)\s+avg\s+(\d+)\s+p99\s+(\d+)\s+max\s+(\d+) ns")
SH_BOOT = re.compile(r"sh: ready in ([0-9.]+) ms")
LX_BOOT = re.compile(r"^lbench: boot \[\s*([0-9.]+)\] Run /init")

# (what, exec-rt name prefix, Linux key, unit); a lateness row names the
# statistic after a colon.
PAIRS = [
    ("call/reply 16 B vs pipe ping-pong", "call/reply round trip, 16 B", "pipe_pingpong_16", "cyc"),
    ("call/reply 16 B vs UNIX socket ping-pong", "call/reply round trip, 16 B", "unix_pingpong_16", "cyc"),
    ("call/reply 16 B vs futex ping-pong (2 processes)", "call/reply round trip, 16 B", "futex_pingpong_proc", "cyc"),
    ("notification round trip vs eventfd (2 threads)", "notification signal-to-wake", "eventfd_thread", "cyc"),
    ("notification round trip vs futex wake (2 threads)", "notification signal-to-wake", "futex_wake_thread", "cyc"),
    ("grant map+unmap 1 MiB vs 1 MiB through a pipe", "grant map + unmap, 1 MiB", "pipe_1m", "cyc"),
    ("grant map+unmap 1 MiB vs memfd mmap+munmap", "grant map + unmap, 1 MiB", "memfd_map_unmap_1m", "cyc"),
    ("null call vs getppid", "null system call", "getppid", "cyc"),
    ("yield ping-pong BE vs sched_yield SCHED_OTHER", "yield ping-pong BE, trace off", "yield_other", "cyc"),
    ("yield ping-pong RT 50 vs sched_yield SCHED_FIFO", "yield ping-pong RT 50", "yield_fifo", "cyc"),
    ("thread create+start+join vs pthread_create+join", "thread create + start + join", "thread_create_join", "cyc"),
    ("fsd read 1 MiB vs pread 1 MiB (page cache)", "fsd read 1 MiB, 1 bulk call + copy", "file_read_1m", "cyc"),
    ("fsd read 4 KiB vs pread 4 KiB (page cache)", "fsd read 4 KiB (bulk) latency", "file_pread_4k", "cyc"),
    ("fsd stat vs stat", "fsd stat (path) latency", "file_stat", "cyc"),
    ("first touch per page, pager task (16 ahead) vs anonymous fault", "first touch via pager task, 16 ahead", "anon_fault_page", "cyc"),
    ("first touch per page, eager anonymous map vs anonymous fault", "anonymous map + touch (eager)", "anon_fault_page", "cyc"),
]
for stat in ("min", "avg", "p99", "max"):
    PAIRS.append((f"1 kHz lateness + hog, DL vs SCHED_DEADLINE, {stat}",
                  "1 kHz wake-up lateness, DL", "lateness_deadline", "ns:" + stat))
for stat in ("min", "avg", "p99", "max"):
    PAIRS.append((f"1 kHz lateness + hog, RT vs SCHED_FIFO, {stat}",
                  "1 kHz wake-up lateness, RT", "lateness_fifo", "ns:" + stat))
STATS = {"min": 0, "avg": 1, "p99": 2, "max": 3}

NET_UDP = re.compile(r"(l?bench): net udp round trip host<->guest median "
                     r"([0-9.]+) us, p99 ([0-9.]+) us")
NET_TCP = re.compile(r"(l?bench): net tcp host->guest ([0-9.]+) MB/s, "
                     r"guest->host ([0-9.]+) MB/s")
# (row, key, unit, higher is better)
NET_ROWS = [("UDP round trip 64 B, median", "udp_med", "us", False),
            ("UDP round trip 64 B, p99", "udp_p99", "us", False),
            ("TCP host->guest (to nc --sink)", "tcp_up", "MB/s", True),
            ("TCP guest->host (from nc --source)", "tcp_down", "MB/s", True)]


def parse_net(path):
    """{key: value} of one test_net.py --bench output."""
    out = {}
    try:
        text = open(path, errors="replace").read()
    except OSError:
        return out
    for line in text.splitlines():
        m = NET_UDP.search(line)
        if m:
            out["udp_med"], out["udp_p99"] = float(m[2]), float(m[3])
        m = NET_TCP.search(line)
        if m:
            out["tcp_up"], out["tcp_down"] = float(m[2]), float(m[3])
    return out


def net_table(pairs):
    """exec-rt vs Linux host<->guest; ratio = how many times Linux's
    figure exec-rt achieves (>= 1: the goal is met)."""
    runs = [(parse_net(e), parse_net(l)) for e, l in pairs]
    print()
    print("Network host<->guest through QEMU user net (hostfwd on "
          "127.0.0.1), virtio-net-pci, -smp 1, the same nc (apps/nc) "
          "in both guests; normal TCG only: the figures are host wall-clock "
          "time, which -icount does not make repeatable (with sleep=off "
          "the guest's clock runs apart from the host's and QEMU's user "
          "net), so there is no icount column.")
    print(f"Median of {len(runs)} runs each (every run: 1000 UDP round "
          "trips, TCP the median of 3 x 32 MiB). ratio = exec-rt's "
          "performance as a multiple of Linux's (Linux/exec-rt for times, "
          "exec-rt/Linux for MB/s). Goal (issue 17): at least Linux's "
          "figures, ratio >= 1.")
    print("| network | exec-rt | Linux | ratio | goal: at least Linux | "
          "runs exec-rt | runs Linux |")
    print("|" + "---|" * 7)
    for what, key, unit, higher in NET_ROWS:
        ev = [e[key] for e, _ in runs if key in e]
        lv = [l[key] for _, l in runs if key in l]
        em = statistics.median(ev) if ev else None
        lm = statistics.median(lv) if lv else None
        if em and lm:
            r = em / lm if higher else lm / em
            rs, verdict = f"{r:.2f}x", ("met" if r >= 1 else
                                        f"not met ({(1 - r) * 100:.0f}% short)")
        else:
            rs, verdict = "-", "-"
        nf = (lambda v: "-" if v is None else
              (f"{v:,.0f}" if unit == "us" else f"{v:.1f}"))
        print(f"| {what} ({unit}) | {nf(em)} | {nf(lm)} | {rs} | "
              f"{verdict} | {' '.join(nf(v) for v in ev)} | "
              f"{' '.join(nf(v) for v in lv)} |")


def parse(path):
    """Returns {(side, name): value or (min, avg, p99, max)}."""
    out = {}
    try:
        text = open(path, errors="replace").read().replace("\r", "")
    except OSError:
        return out
    for line in text.splitlines():
        m = CYC.match(line)
        if m:
            out.setdefault((m[1], m[2].strip()), int(m[3]))
            continue
        m = LAT.match(line)
        if m:
            out.setdefault((m[1], m[2].strip()),
                           tuple(int(m[i]) for i in range(3, 7)))
            continue
        m = LX_BOOT.match(line)
        if m:
            out[("lbench", "boot")] = float(m[1]) * 1000.0
        m = SH_BOOT.search(line)
        if m:
            out.setdefault(("bench", "boot"), float(m[1]))
    return out


def lookup(figs, side, name, unit):
    for (s, n), v in figs.items():
        if s != side:
            continue
        if (side == "bench" and n.startswith(name)) or n == name:
            if unit.startswith("ns:"):
                return v[STATS[unit[3:]]] if isinstance(v, tuple) else None
            return None if isinstance(v, tuple) else v
    return None


def fmt(v):
    if v is None:
        return "-"
    if isinstance(v, float) and v < 10000:
        return f"{v:.1f}"
    return f"{int(round(v)):,}"


def ratio(lx, ex):
    if lx is None or ex is None or ex == 0:
        return "-"
    return f"{lx / ex:.2f}x"


def spread(vals):
    vals = [v for v in vals if v]
    if len(vals) < 2:
        return "-"
    return f"{max(vals) / min(vals):.1f}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--icount", nargs=2, metavar=("EXECRT", "LINUX"))
    ap.add_argument("--tcg", nargs=2, action="append", default=[],
                    metavar=("EXECRT", "LINUX"))
    ap.add_argument("--boot-icount", help="exec-rt boot log (icount)")
    ap.add_argument("--boot-tcg", action="append", default=[])
    ap.add_argument("--net", nargs=2, action="append", default=[],
                    metavar=("EXECRT", "LINUX"))
    ap.add_argument("--net-only", action="store_true")
    a = ap.parse_args()
    if a.net_only:
        net_table(a.net)
        return

    ic_e = parse(a.icount[0]) if a.icount else {}
    ic_l = parse(a.icount[1]) if a.icount else {}
    tcg = [(parse(e), parse(l)) for e, l in a.tcg]
    rows = [(w, e, l, u) for w, e, l, u in PAIRS]
    rows.append(("boot, ms: exec-rt to the shell prompt, Linux to /init", "boot", "boot", "ms"))
    boot_ic = parse(a.boot_icount) if a.boot_icount else {}
    boot_tcg = [parse(p) for p in a.boot_tcg]

    n = len(tcg)
    print("Side-by-side, same QEMU (-M q35 -cpu max -m 512 -smp 1); "
          "figures are TSC cycles per operation unless marked ns or ms.")
    print("ratio = Linux / exec-rt (above 1: exec-rt is cheaper). "
          f"TCG: median of {n} runs each; spread = max/min over the runs "
          "(exec-rt/Linux).")
    hdr = ("| pair | exec-rt icount | Linux icount | ratio | "
           "exec-rt TCG | Linux TCG | ratio | TCG spread |")
    print(hdr)
    print("|" + "---|" * 8)
    for what, ename, lname, unit in rows:
        if unit == "ms":
            ei = boot_ic.get(("bench", "boot"))
            li = ic_l.get(("lbench", "boot"))
            et = [b.get(("bench", "boot")) for b in boot_tcg]
            lt = [l.get(("lbench", "boot")) for _, l in tcg]
        else:
            ei = lookup(ic_e, "bench", ename, unit)
            li = lookup(ic_l, "lbench", lname, unit)
            et = [lookup(e, "bench", ename, unit) for e, _ in tcg]
            lt = [lookup(l, "lbench", lname, unit) for _, l in tcg]
        et = [v for v in et if v is not None]
        lt = [v for v in lt if v is not None]
        em = statistics.median(et) if et else None
        lm = statistics.median(lt) if lt else None
        if unit.startswith("ns:"):
            what += " (ns)"
        print(f"| {what} | {fmt(ei)} | {fmt(li)} | {ratio(li, ei)} | "
              f"{fmt(em)} | {fmt(lm)} | {ratio(lm, em)} | "
              f"{spread(et)}/{spread(lt)} |")
    if a.net:
        net_table(a.net)


if __name__ == "__main__":
    main()
