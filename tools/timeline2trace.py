#!/usr/bin/env python3
"""Convert scheduler telemetry dumps from a serial log into trace-event JSON.

    tools/timeline2trace.py [-o OUT.json] [--last] [--summary] [LOG ...]

`timeline-inspect --dump`, run in the guest, prints "tl-" lines (format v1:
tl-dump, tl-thread, tl-rec, tl-lost, tl-end). This tool picks them out of a
serial log (other lines, ANSI escapes and '\\r' are ignored) and writes a
Chrome/Perfetto trace (open it in ui.perfetto.dev or chrome://tracing).
No LOG, or "-", reads stdin; no -o writes stdout. All dumps are merged,
records being unique by (cpu, seq); --last keeps only the last dump.
--summary prints a per-thread table to stderr (max latency: over wake-ups,
as SYS_SCHED_STATS counts it). Malformed tl- lines are
reported on stderr and counted, not fatal. Exit: 0 ok, 1 no dump, 2 usage.

Trace ids: Perfetto reads pid/tid as uint32, keys thread names by tid alone
and treats pid 0 / tid 0 as the swapper, so every id is nonzero, unique and
below 2**32:
    pid 1                kernel threads (task=0)
    pid 2                "CPUs"; tid 1000 + n is the track "CPU n"
    pid 3                threads with no tl-thread line (already gone)
    pid 1000000 + k      the task with koid k ("task k")
    tid 1000000 + k      the thread with koid k (named "name (class)")
Koids are unique over all kernel objects, so a task pid never equals a
thread tid. Each event's args carry the real koid and CPU. Lines with a
CPU or koid too large for this scheme are reported as malformed.
"""
import argparse
import json
import re
import sys
from collections import defaultdict

PID_KERNEL, PID_CPUS, PID_GONE = 1, 2, 3
CPU_TID_BASE = 1000
KOID_BASE = 1000000
ID_MAX = 2**32 - 1
MAX_CPU = KOID_BASE - CPU_TID_BASE - 1
MAX_KOID = ID_MAX - KOID_BASE

CLASSES = ("BE", "RT", "DL", "IDLE")
FLAGS = ((0x01, "WOKEN"), (0x02, "PREEMPTED"), (0x04, "THROTTLED"),
         (0x08, "BLOCKED"), (0x10, "DL_MET"), (0x20, "DL_MISS"),
         (0x40, "DONATED"))
DL_MISS, WOKEN = 0x20, 0x01

# CSI sequences, OSC strings, ESC + intermediates + final, 2-byte escapes.
ANSI_RE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?"
                     r"|[ -/]+[0-~]|[0-~])")
NAME_RE = re.compile(r"(?:^| )name=(.*)$")

# Required keys per line kind; all values are unsigned ints except these.
KEYS = {"tl-dump": ("cpus", "now"), "tl-thread": ("koid", "task", "cls"),
        "tl-rec": ("cpu", "seq", "koid", "cls", "start", "run", "lat", "dl",
                   "flags"),
        "tl-lost": ("cpu", "n"), "tl-end": ()}
LIMITS = {"cpu": MAX_CPU, "cpus": MAX_CPU + 1, "koid": MAX_KOID,
          "task": MAX_KOID}


class Malformed(Exception):
    pass


def parse_fields(kind, text):
    """key=value fields (any order; unknown keys ignored, for later versions)."""
    out = {}
    for tok in text.split():
        key, eq, val = tok.partition("=")
        if not eq or not key:
            raise Malformed(f"not key=value: {tok!r}")
        if key in out:
            raise Malformed(f"duplicate key {key!r}")
        out[key] = val
    missing = [k for k in KEYS[kind] if k not in out]
    if missing:
        raise Malformed("missing " + ", ".join(missing))
    for key in KEYS[kind]:
        val = out[key]
        if key == "cls":
            if val not in CLASSES:
                raise Malformed(f"bad class {val!r}")
            continue
        digits = r"(0[xX])?[0-9a-fA-F]+" if key == "flags" else r"[0-9]+"
        if not re.fullmatch(digits, val):
            raise Malformed(f"bad number {key}={val!r}")
        num = int(val, 16 if key == "flags" else 10)
        if num > LIMITS.get(key, 2**64 - 1):
            raise Malformed(f"{key}={val} out of range")
        out[key] = num
    return out


class Dump:
    def __init__(self, where, fields):
        self.where, self.cpus, self.now = where, fields["cpus"], fields["now"]
        self.threads = {}              # koid -> (task, cls, name)
        self.recs = {}                 # (cpu, seq) -> fields
        self.lost = {}                 # cpu -> n


def parse_log(lines, source, dumps, warn):
    """Append the dumps found in lines to dumps; return the malformed count."""
    bad, cur = 0, None
    for lineno, raw in enumerate(lines, 1):
        line = ANSI_RE.sub("", raw.replace("\r", "")).strip()
        if not line.startswith("tl-"):
            continue
        kind, _, rest = line.partition(" ")
        try:
            if kind not in KEYS:
                raise Malformed(f"unknown line kind {kind!r}")
            if kind == "tl-dump":
                if cur is not None:
                    warn(f"{cur.where}: dump has no tl-end, kept as is")
                    cur = None
                version, _, rest = rest.partition(" ")
                if version != "v1":
                    raise Malformed(f"unsupported dump version {version!r}")
                cur = Dump(f"{source}:{lineno}", parse_fields(kind, rest))
                dumps.append(cur)
                continue
            if cur is None:
                raise Malformed("outside a dump (no tl-dump before it)")
            if kind == "tl-thread":
                # The name is the rest of the line and may hold spaces.
                m = NAME_RE.search(rest)
                if not m:
                    raise Malformed("missing name")
                f = parse_fields(kind, rest[:m.start()])
                name = m.group(1) or f"thread {f['koid']}"
                cur.threads[f["koid"]] = (f["task"], f["cls"], name)
            elif kind == "tl-rec":
                f = parse_fields(kind, rest)
                cur.recs[(f["cpu"], f["seq"])] = f
            elif kind == "tl-lost":
                f = parse_fields(kind, rest)
                cur.lost[f["cpu"]] = cur.lost.get(f["cpu"], 0) + f["n"]
            else:                                   # tl-end
                parse_fields(kind, rest)
                cur = None
        except Malformed as e:
            bad += 1
            warn(f"{source}:{lineno}: malformed {kind} line: {e}")
    if cur is not None:
        warn(f"{cur.where}: dump has no tl-end (log truncated?), kept as is")
    return bad


def us(ns):
    return ns / 1000    # trace-event times are µs; the fraction keeps the ns


def convert(dumps, sources, malformed):
    """Merge the dumps into a trace; also return the per-thread summary rows."""
    threads, recs, lost, ncpus = {}, {}, {}, 0
    for d in dumps:             # later dumps win: newer names and classes
        threads.update(d.threads)
        recs.update(d.recs)
        ncpus = max(ncpus, d.cpus)
        # Overlapping dumps re-read the same rings, so losses are cumulative.
        for cpu, n in d.lost.items():
            lost[cpu] = max(lost.get(cpu, 0), n)

    meta, events = [], []

    def name_meta(kind, pid, tid, name, sort=None):
        # kind: "process" or "thread"; sort indexes order tracks in chrome.
        ids = {"pid": pid} if tid is None else {"pid": pid, "tid": tid}
        meta.append({"ph": "M", "name": kind + "_name", **ids,
                     "args": {"name": name}})
        if sort is not None:
            meta.append({"ph": "M", "name": kind + "_sort_index", **ids,
                         "args": {"sort_index": sort}})

    name_meta("process", PID_CPUS, None, "CPUs", -2)
    cpus = sorted(set(range(ncpus)) | {cpu for cpu, _ in recs})
    for cpu in cpus:
        name_meta("thread", PID_CPUS, CPU_TID_BASE + cpu, f"CPU {cpu}", cpu)

    tracks, pids = {}, set()        # koid -> (pid, tid, name, cls)

    def track(koid, cls):
        if koid not in tracks:
            task, cls, name = threads.get(koid, (None, cls, f"thread {koid}"))
            if task is None:
                pid, pname = PID_GONE, "gone threads"
            elif task == 0:
                pid, pname = PID_KERNEL, "kernel"
            else:
                pid, pname = KOID_BASE + task, f"task {task}"
            if pid not in pids:
                pids.add(pid)
                name_meta("process", pid, None, pname,
                          -1 if pid == PID_KERNEL else None)
            tracks[koid] = (pid, KOID_BASE + koid, name, cls)
            name_meta("thread", pid, KOID_BASE + koid, f"{name} ({cls})")
        return tracks[koid]

    stats = defaultdict(lambda: [0, 0, 0, 0])   # koid -> n, run, max lat, miss
    deadlines = set()
    for (cpu, seq), r in sorted(recs.items(), key=lambda kv: (kv[1]["start"], kv[0])):
        koid, cls = r["koid"], r["cls"]
        pid, tid, name, _ = track(koid, cls)
        args = {"koid": koid, "class": cls, "cpu": cpu, "seq": seq,
                "latency_us": us(r["lat"]),
                "flags": [n for bit, n in FLAGS if r["flags"] & bit]}
        if r["flags"] & ~0x7f:
            args["flags"].append(hex(r["flags"] & ~0x7f))
        if cls == "DL":
            args["deadline_us"] = us(r["dl"])
        for p, t in ((PID_CPUS, CPU_TID_BASE + cpu), (pid, tid)):
            events.append({"ph": "X", "name": name, "cat": cls, "pid": p,
                           "tid": t, "ts": us(r["start"]), "dur": us(r["run"]),
                           "args": args})
        end = r["start"] + r["run"]
        if cls == "DL" and r["dl"] and (koid, r["dl"]) not in deadlines:
            deadlines.add((koid, r["dl"]))
            events.append({"ph": "i", "s": "t", "name": "deadline", "cat": "DL",
                           "pid": pid, "tid": tid, "ts": us(r["dl"]),
                           "args": {"koid": koid}})
        if r["flags"] & DL_MISS:
            late = max(0, end - r["dl"]) if r["dl"] else 0
            events.append({"ph": "i", "s": "t", "name": "deadline miss",
                           "cat": "DL", "pid": pid, "tid": tid,
                           "ts": us(r["dl"] or end),
                           "args": {"koid": koid, "cpu": cpu, "seq": seq,
                                    "deadline_us": us(r["dl"]),
                                    "end_us": us(end),
                                    "late_us": us(late)}})
        s = stats[koid]
        s[0] += 1
        s[1] += r["run"]
        if r["flags"] & WOKEN:
            s[2] = max(s[2], r["lat"])
        s[3] += bool(r["flags"] & DL_MISS)

    # Holes between the first and last record kept for a CPU.
    seqs = defaultdict(list)
    for cpu, seq in recs:
        seqs[cpu].append(seq)
    gaps = {str(c): max(s) - min(s) + 1 - len(s) for c, s in sorted(seqs.items())}
    trace = {"traceEvents": meta + events, "displayTimeUnit": "ns",
             "otherData": {
                 "source": sources, "dumps": len(dumps),
                 "dump_now_ns": [d.now for d in dumps],
                 "records": len(recs),
                 "lost_per_cpu": {str(c): n for c, n in sorted(lost.items())},
                 "seq_gaps_per_cpu": gaps,
                 "malformed_lines": malformed,
                 "id_scheme": f"pid {PID_CPUS}: CPUs (tid {CPU_TID_BASE}+cpu); "
                              f"pid {PID_KERNEL}: kernel; pid {PID_GONE}: gone "
                              f"threads; pid/tid {KOID_BASE}+koid: tasks/threads"}}
    rows = [(tracks[k][2], tracks[k][3], *v) for k, v in stats.items()]
    return trace, rows


def print_summary(rows, out):
    out.write(f"{'thread':<24} {'class':<5} {'dispatches':>10} {'run ms':>10} "
              f"{'max lat us':>10} {'misses':>6}\n")
    for name, cls, n, run, lat, miss in sorted(rows, key=lambda r: -r[3]):
        out.write(f"{name[:24]:<24} {cls:<5} {n:>10} {run / 1e6:>10.3f} "
                  f"{lat / 1e3:>10.3f} {miss:>6}\n")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("logs", nargs="*", metavar="LOG", help='serial log ("-": stdin)')
    ap.add_argument("-o", "--output", metavar="OUT.json", help="default: stdout")
    ap.add_argument("--last", action="store_true", help="convert only the last dump")
    ap.add_argument("--summary", action="store_true",
                    help="print a per-thread table to stderr")
    args = ap.parse_args(argv)

    def warn(msg):
        print(f"timeline2trace: {msg}", file=sys.stderr)

    dumps, malformed, sources = [], 0, args.logs or ["-"]
    for src in sources:
        try:
            if src == "-":
                stdin = open(sys.stdin.fileno(), encoding="utf-8",
                             errors="replace", closefd=False, newline="\n")
                malformed += parse_log(stdin, "<stdin>", dumps, warn)
            else:
                # Lines end at '\n' only, so line numbers match grep -n.
                with open(src, encoding="utf-8", errors="replace",
                          newline="\n") as f:
                    malformed += parse_log(f, src, dumps, warn)
        except OSError as e:
            warn(f"{src}: {e.strerror}")
            return 2
    if malformed:
        warn(f"{malformed} malformed tl- line(s) skipped")
    if not dumps:
        warn("no tl-dump found")
        return 1
    trace, rows = convert(dumps[-1:] if args.last else dumps, sources, malformed)
    text = json.dumps(trace, separators=(",", ":")) + "\n"
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    if args.summary:
        print_summary(rows, sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
