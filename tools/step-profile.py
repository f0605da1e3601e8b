#!/usr/bin/env python3
"""Instructions per function over one round of a kernel function, by
single-stepping a QEMU guest under gdb (docs/ipc.md "Benchmarks").

  qemu ... -icount shift=0,sleep=off -gdb tcp::1299 -S &   # e.g. the bench
  tools/step-profile.py [--sym sys_port_call] [--skip 300] [--port 1299]

Stops at the (skip+1)-th entry of --sym, steps until the next entry (one
round trip for a call/reply loop) and prints the instructions spent in
each function, kernel and user (symbols of build/kernel.elf and
--user ELF), most first, then the path as runs of functions."""
import argparse
import bisect
import collections
import os
import subprocess
import sys
import tempfile

GDB_SCRIPT = r'''
import gdb
gdb.execute("set pagination off")
gdb.execute("target remote :%(port)d")
bp = gdb.Breakpoint("*0x%%x" %% int(gdb.parse_and_eval("&%(sym)s")))
bp.ignore_count = %(skip)d
gdb.execute("continue")
bp.enabled = False
start = int(gdb.parse_and_eval("$pc"))
with open("%(out)s", "w") as f:
    for i in range(%(limit)d):
        gdb.execute("stepi", to_string=True)
        pc = int(gdb.parse_and_eval("$pc"))
        if pc == start:
            break
        f.write("%%x\n" %% pc)
gdb.execute("kill")
'''


def symbols(elf):
    out = subprocess.run(["nm", "-n", "--defined-only", elf],
                         capture_output=True, text=True, check=True).stdout
    syms = [(int(p[0], 16), p[2]) for p in (l.split() for l in out.splitlines())
            if len(p) >= 3 and p[1] in "tTwW"]
    return [a for a, _ in syms], [n for _, n in syms]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kernel", default="build/kernel.elf")
    ap.add_argument("--user", default="build/user/bench.elf")
    ap.add_argument("--sym", default="sys_port_call")
    ap.add_argument("--skip", type=int, default=300)
    ap.add_argument("--port", type=int, default=1299)
    ap.add_argument("--limit", type=int, default=100000)
    ap.add_argument("--top", type=int, default=40)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        pcs, script = os.path.join(d, "pcs"), os.path.join(d, "g.py")
        with open(script, "w") as f:
            f.write(GDB_SCRIPT % dict(port=a.port, sym=a.sym, skip=a.skip,
                                      out=pcs, limit=a.limit))
        subprocess.run(["gdb", "-q", "-batch", "-x", script, a.kernel],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        trace = [int(l, 16) for l in open(pcs)]
    ka, kn = symbols(a.kernel)
    ua, un = symbols(a.user) if os.path.exists(a.user) else ([], [])
    count, runs = collections.Counter(), []
    for pc in trace:
        addrs, names, pre = (ka, kn, "") if pc >= 1 << 63 else (ua, un, "U:")
        i = bisect.bisect_right(addrs, pc) - 1
        n = pre + (names[i] if i >= 0 else "?")
        count[n] += 1
        if runs and runs[-1][0] == n:
            runs[-1][1] += 1
        else:
            runs.append([n, 1])
    print("%d instructions from %s to %s" % (len(trace), a.sym, a.sym))
    for n, c in count.most_common(a.top):
        print("%7d  %s" % (c, n))
    print("path:", " ".join("%s(%d)" % (n, c) for n, c in runs))
    return 0 if trace else 1


if __name__ == "__main__":
    sys.exit(main())
