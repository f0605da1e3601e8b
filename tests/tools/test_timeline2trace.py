#!/usr/bin/env python3
"""Tests for tools/timeline2trace.py: run it on sample-timeline.log (two
overlapping dumps in a noisy serial log) and on small inline logs, and check
the trace it writes. Standard library only.

    python3 tests/tools/test_timeline2trace.py

Exits non-zero if a check fails; the last line is
"timeline2trace: N passed, M failed"."""
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOOL = os.path.join(HERE, "..", "..", "tools", "timeline2trace.py")
SAMPLE = os.path.join(HERE, "sample-timeline.log")
KOID_BASE, CPU_TID_BASE, PID_KERNEL, PID_CPUS, PID_GONE = 1000000, 1000, 1, 2, 3

passed = failed = 0


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print(f"ok   {name}")
    else:
        failed += 1
        print(f"FAIL {name}" + (f": {detail}" if detail else ""))


def run(*args, stdin=b""):
    p = subprocess.run([sys.executable, TOOL, *args], input=stdin,
                       capture_output=True, timeout=60)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def load(text):
    try:
        return json.loads(text)
    except ValueError as e:
        check("output is valid JSON", False, str(e))
        return {"traceEvents": [], "otherData": {}}


def sample_records():
    """The well-formed tl-rec lines of the sample, parsed independently:
    {(cpu, seq): {key: int}}. Duplicates across dumps are identical."""
    recs = {}
    with open(SAMPLE, "rb") as f:
        for raw in f:
            line = re.sub(rb"\x1b\[[0-9;]*[A-Za-z]", b"", raw).decode().strip()
            if not line.startswith("tl-rec "):
                continue
            toks = [t.split("=", 1) for t in line.split()[1:]]
            if any(len(t) != 2 for t in toks):
                continue
            rec = dict(toks)
            if len(rec) != 9 or not all(rec[k].isdigit() for k in rec
                                        if k not in ("cls", "flags")):
                continue
            recs[(int(rec["cpu"]), int(rec["seq"]))] = {
                k: (v if k == "cls" else int(v, 0)) for k, v in rec.items()}
    return recs


def sample_lineno(needle):
    with open(SAMPLE, "rb") as f:
        for n, raw in enumerate(f, 1):
            if needle in raw:
                return n
    return -1


def by(events, **kv):
    return [e for e in events if all(e.get(k) == v for k, v in kv.items())]


def test_full_sample():
    rc, out, err = run(SAMPLE)
    check("sample: exit 0", rc == 0, f"rc={rc} stderr={err!r}")
    t = load(out)
    od, evs = t.get("otherData", {}), t.get("traceEvents", [])
    check("sample: object format", t.get("displayTimeUnit") == "ns"
          and isinstance(evs, list) and evs)
    check("sample: 2 dumps", od.get("dumps") == 2, od.get("dumps"))
    recs = sample_records()
    check("sample: independent parse sees 15 records", len(recs) == 15, len(recs))
    check("sample: records deduplicated by (cpu, seq)",
          od.get("records") == len(recs), od.get("records"))
    check("sample: malformed lines counted", od.get("malformed_lines") == 2,
          od.get("malformed_lines"))
    for needle in (b"run=10[", b"n=\r"):
        n = sample_lineno(needle)
        check(f"sample: malformed line {n} reported on stderr",
              f"sample-timeline.log:{n}: malformed" in err, err)
    check("sample: lost per cpu", od.get("lost_per_cpu") == {"0": 3, "1": 3},
          od.get("lost_per_cpu"))
    check("sample: source recorded", od.get("source") == [SAMPLE])

    xs = by(evs, ph="X")
    check("X: one per record per track (CPU + thread)", len(xs) == 2 * len(recs),
          len(xs))
    missing = [e for e in xs if any(k not in e for k in
                                    ("ts", "dur", "pid", "tid", "name"))]
    check("X: every event has ts/dur/pid/tid/name", not missing, missing[:1])
    cpu_x = by(xs, pid=PID_CPUS)
    keys = sorted((e["args"]["cpu"], e["args"]["seq"]) for e in cpu_x)
    check("X: CPU tracks hold each record once", keys == sorted(recs), keys)
    bad = [e for e in xs if (e["args"]["cpu"], e["args"]["seq"]) in recs and (
        e["dur"] != recs[(e["args"]["cpu"], e["args"]["seq"])]["run"] / 1000 or
        e["ts"] != recs[(e["args"]["cpu"], e["args"]["seq"])]["start"] / 1000)]
    check("X: dur == run/1000 and ts == start/1000", not bad, bad[:1])
    check("X: CPU track tid is CPU_TID_BASE + cpu",
          all(e["tid"] == CPU_TID_BASE + e["args"]["cpu"] for e in cpu_x))
    check("X: cat is the class", all(e["cat"] == e["args"]["class"] for e in xs))
    check("X: deadline_us only on DL records",
          all(("deadline_us" in e["args"]) == (e["cat"] == "DL") for e in xs))
    donated = [e for e in cpu_x if e["args"]["cpu"] == 1 and e["args"]["seq"] == 6]
    check("X: flags decoded to names", donated and donated[0]["args"]["flags"] ==
          ["WOKEN", "BLOCKED", "DONATED"], donated)
    check("X: latency in us", donated and donated[0]["args"]["latency_us"] == 3.0)

    meta = by(evs, ph="M")
    tnames = {(e["pid"], e["tid"]): e["args"]["name"]
              for e in by(meta, name="thread_name")}
    pnames = {e["pid"]: e["args"]["name"] for e in by(meta, name="process_name")}
    check("meta: CPUs process and tracks", pnames.get(PID_CPUS) == "CPUs" and
          tnames.get((PID_CPUS, CPU_TID_BASE)) == "CPU 0" and
          tnames.get((PID_CPUS, CPU_TID_BASE + 1)) == "CPU 1", tnames)
    check("meta: kernel thread under the kernel process",
          pnames.get(PID_KERNEL) == "kernel" and
          tnames.get((PID_KERNEL, KOID_BASE + 12)) == "timer_wheel (RT)", tnames)
    check("meta: task process and thread named with class",
          pnames.get(KOID_BASE + 30) == "task 30" and
          tnames.get((KOID_BASE + 30, KOID_BASE + 31)) == "audio_mixer (DL)")
    check("unknown koid: named 'thread <koid>'",
          tnames.get((PID_GONE, KOID_BASE + 37)) == "thread 37 (BE)" and
          len(by(xs, name="thread 37")) == 2, tnames)

    # No id collisions: every tid names one track, pids and tids are distinct
    # from each other and from 0, and fit Perfetto's uint32.
    tids = {}
    for e in evs:
        if "tid" in e:
            tids.setdefault(e["tid"], set()).add(e["pid"])
    pids = {e["pid"] for e in evs}
    check("ids: each tid belongs to one pid",
          all(len(p) == 1 for p in tids.values()), tids)
    check("ids: pids and tids disjoint, nonzero, uint32",
          not (pids & set(tids)) and
          all(0 < i < 2**32 for i in pids | set(tids)), (pids, set(tids)))

    inst = by(evs, ph="i")
    check("instants: thread scoped", inst and all(e.get("s") == "t" for e in inst))
    dl31 = sorted(e["ts"] for e in by(inst, name="deadline", tid=KOID_BASE + 31))
    check("DL: one deadline marker per distinct deadline",
          dl31 == [1010000.0, 1020000.0, 1040000.0], dl31)
    dl33 = [e["ts"] for e in by(inst, name="deadline", tid=KOID_BASE + 33)]
    check("DL: donated DL record marks its deadline", dl33 == [1030000.0], dl33)
    miss = by(inst, name="deadline miss")
    check("DL: one deadline miss, at the deadline, with lateness",
          len(miss) == 1 and miss[0]["tid"] == KOID_BASE + 31 and
          miss[0]["pid"] == KOID_BASE + 30 and miss[0]["ts"] == 1020000.0 and
          miss[0]["args"]["late_us"] == 600.0, miss)


def test_last():
    rc, out, _ = run("--last", SAMPLE)
    t = load(out)
    od, xs = t["otherData"], by(t["traceEvents"], ph="X", pid=PID_CPUS)
    keys = {(e["args"]["cpu"], e["args"]["seq"]) for e in xs}
    want = {(0, s) for s in range(3, 10)} | {(1, s) for s in range(3, 7)}
    check("--last: only the last dump", rc == 0 and od.get("dumps") == 1 and
          od.get("records") == 11 and keys == want, (od, sorted(keys)))


def test_io_and_exit_codes():
    with open(SAMPLE, "rb") as f:
        data = f.read()
    _, ref, _ = run(SAMPLE)
    rc, out, _ = run(stdin=data)
    same = rc == 0 and load(out)["traceEvents"] == load(ref)["traceEvents"]
    check("stdin (no LOG) gives the same events", same)
    rc, out, _ = run("-", stdin=data)
    check('stdin ("-") works', rc == 0 and load(out)["otherData"]["records"] == 15)
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "out.json")
        rc, out, _ = run("-o", path, SAMPLE)
        ok = rc == 0 and out == "" and os.path.exists(path)
        if ok:
            with open(path, encoding="utf-8") as f:
                ok = json.load(f)["otherData"]["records"] == 15
        check("-o writes the file, not stdout", ok)
        rc, out, err = run(SAMPLE, SAMPLE)
        check("same log twice: still deduplicated", rc == 0 and
              load(out)["otherData"]["records"] == 15)
        rc, _, _ = run(os.path.join(d, "missing.log"))
        check("missing LOG: exit 2", rc == 2, rc)
    rc, _, err = run("--summary", SAMPLE)
    rows = {l[:24].strip(): l[24:].split() for l in err.splitlines()[-6:]}
    check("--summary: per-thread table on stderr", rc == 0 and "dispatches" in err
          and rows.get("audio_mixer") == ["DL", "4", "5.000", "8.500", "1"], rows)
    # init's seq 8 waited 150 us after a preemption: not a wake-up latency.
    check("--summary: max latency over wake-ups only",
          rows.get("init") == ["BE", "3", "13.300", "12.000", "0"], rows)
    noise = b"\x1b[2J GRUB\r\n[    1.000000] I sched: no dump here\r\ntl-bogus\r\n"
    rc, out, err = run(stdin=noise)
    check("no dump: exit 1, nothing on stdout", rc == 1 and out == "", (rc, err))
    rc, out, _ = run(stdin=b"")
    check("empty log: exit 1", rc == 1, rc)
    rc, _, _ = run("--no-such-option")
    check("usage error: exit 2", rc == 2, rc)


def test_inline_edge_cases():
    log = "\r\n".join([
        "tl-rec cpu=0 seq=0 koid=5 cls=BE start=1 run=1 lat=0 dl=0 flags=0x0",
        "\x1b]0;title\x07\x1b(Btl-dump v1 now=5000 cpus=1",
        # Keys in another order, an unknown key, a name with spaces and "=".
        "tl-thread cls=RT task=7 koid=8 name=net rx a=b ",
        "tl-rec seq=1 cpu=0 koid=8 cls=RT run=1500 start=1001 lat=7 dl=0 "
        "flags=0x81 extra=1",
        "tl-rec cpu=0 seq=2 koid=8 cls=XX start=1 run=1 lat=0 dl=0 flags=0x0",
        "tl-rec cpu=0 seq=3 koid=8 cls=RT start=-1 run=1 lat=0 dl=0 flags=0x0",
        "tl-rec cpu=0 seq=4 koid=8 koid=8 cls=RT start=1 run=1 lat=0 dl=0 flags=1",
        "tl-rec cpu=0 seq=5 koid=8 cls=RT start=1 run=1 lat=0 dl=0",
        "  tl-dump v2 cpus=1 now=1",
        # No tl-end: a truncated log still converts.
    ]).encode() + b"\r\n"
    rc, out, err = run(stdin=log)
    t = load(out)
    xs = by(t["traceEvents"], ph="X", pid=PID_CPUS)
    check("inline: dump without tl-end kept", rc == 0 and len(xs) == 1 and
          "no tl-end" in err, (rc, err))
    check("inline: OSC/charset escapes stripped, keys in any order",
          xs and xs[0]["ts"] == 1.001 and xs[0]["dur"] == 1.5, xs)
    names = [e["args"]["name"] for e in by(t["traceEvents"], name="thread_name")]
    check("inline: thread name is the rest of the line", "net rx a=b (RT)" in names,
          names)
    check("inline: unknown flag bits kept as hex",
          xs and xs[0]["args"]["flags"] == ["WOKEN", "0x80"], xs)
    check("inline: outside-dump, bad class, negative, duplicate/missing key, "
          "version", t["otherData"].get("malformed_lines") == 6 and
          all(f"<stdin>:{n}: malformed" in err for n in (1, 5, 6, 7, 8, 9)) and
          "missing flags" in err, err)


if __name__ == "__main__":
    for test in (test_full_sample, test_last, test_io_and_exit_codes,
                 test_inline_edge_cases):
        try:
            test()
        except Exception as e:  # a crash in a test is one failure, not an abort
            check(f"{test.__name__} ran", False, f"{type(e).__name__}: {e}")
    print(f"timeline2trace: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)
