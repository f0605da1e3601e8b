#!/usr/bin/env python3
"""blitterd in the booted system (room gfx-blit, docs/graphics.md
"blitterd"): the full system from the initrd (PVH -kernel, no display),
then in the shell: blitterd is up at boot (`clctl status`), `blitcheck`
(a rect_fill on a grant of its own memory, a bound surface with an
overlapping rect_copy, each checked byte for byte, a session cleaned up),
portctl's malformed requests get the protocol's errors (bad JSON
itself portctl refuses before sending: tests/guest/t_blitterd.c sends it), and after
`clctl restart blitterd` blitcheck passes again.

Prints "ok NAME" / "FAIL NAME: why" and "N passed, N failed".
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..",
                                "tools"))
from qemu_session import Guest, Timeout  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--name", default="blitterd")
    ap.add_argument("--logdir", default="build/logs")
    ap.add_argument("--kernel", default="build/kernel.elf")
    ap.add_argument("--initrd", default="build/initrd.cpio")
    a = ap.parse_args()
    passed = failed = 0

    def step(name, ok, why=""):
        nonlocal passed, failed
        if ok:
            passed += 1
            print("ok " + name)
        else:
            failed += 1
            print("FAIL %s: %s" % (name, why))

    g = Guest(a.name, logdir=a.logdir, kernel=a.kernel, initrd=a.initrd,
              append="", timeout=240)
    try:
        g.expect("sh: ready in", timeout=90)
        g.expect("exec-rt> ", timeout=30)
        out = g.command("clctl status", timeout=30)
        # init's status right after boot may still say "starting" for
        # every service; a task number and no failure is what counts.
        line = [x.split() for x in out.splitlines()
                if x.startswith("blitterd ")]
        step("up_at_boot", len(line) == 1 and line[0][1] in
             ("up", "starting", "running") and line[0][2].isdigit(),
             repr(line))
        out = g.command("blitcheck", timeout=60)
        step("blitcheck", "blitcheck: ok" in out, out.strip()[-300:])
        cases = [
            ("'{\"cmd\":\"ping\"}'", '"blitterd"'),
            ("'{\"cmd\":\"warp\"}'", '"BAD_CMD"'),
            ("'{\"cmd\":\"rect_fill\",\"dst\":{\"surface\":\"x\"}}'",
             '"BAD_ARG"'),
            ("'{\"cmd\":\"rect_fill\",\"dst\":{\"surface\":77},"
             "\"rect\":{\"x\":0,\"y\":0,\"w\":1,\"h\":1},"
             "\"color\":{\"r\":1,\"g\":1,\"b\":1}}'", '"NOT_FOUND"'),
            ("'{\"cmd\":\"rect_fill\",\"dst\":{\"fd\":0,\"w\":4,\"h\":4,"
             "\"format\":\"RGBA8\",\"stride\":16}}'", '"BAD_ARG"'),
        ]
        for i, (req, want) in enumerate(cases):
            out = g.command("portctl /svc/blitterd " + req, timeout=30)
            step("portctl_%d" % i, want in out and
                 ('"ok": true' in out) == (i == 0), out.strip()[-200:])
        out = g.command("clctl restart blitterd", timeout=30)
        g.drain(1)
        out = g.command("blitcheck", timeout=60)
        step("blitcheck_after_restart", "blitcheck: ok" in out,
             out.strip()[-300:])
        g.line("poweroff")
        g.wait_exit(timeout=60)
    except Timeout as e:
        step("session", False, "timeout: %s" % e)
    finally:
        g.close()
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
