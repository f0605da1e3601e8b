#!/usr/bin/env python3
"""copperd through the shell (docs/graphics.md "copperd"): boots the ISO,
waits for copperd to be up (started by init at boot), then through
`portctl`: ping; status (the frame thread in the deadline class, jobs
counted, the kernel's DL judgement); every malformed load answered with
BAD_ARG naming the op; a JSON program and a binary (hex) one loaded,
started, watched running, stopped, unloaded; irq events on a --stream
subscription; and what became of the writes: sent to compositord when
one runs, dropped and counted when none does.

usage: tests/system/test_copperd.py [--iso build/exec-rt.iso]
                                    [--name copperd] [--logdir D] [--uefi]
Prints one line per test ("ok NAME" / "FAIL NAME: why") and ends with
"N passed, N failed"; exit status 1 on any failure.
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..",
                                "tools"))
from qemu_session import Guest, Timeout, PROMPT  # noqa: E402

CTRL_C = "\x03"
SPRITE = ('{"cmd":"load","program":{"version":1,"program":['
          '{"op":"MOVE","reg":"layer[1].x","value":100},{"label":"L"},'
          '{"op":"ADD","reg":"layer[1].x","delta":4},'
          '{"op":"WAIT","vsync":true},'
          '{"op":"LOOP","count":-1,"label":"L"}]}}')
# L: IRQ 7; WAIT 100 ms; JUMP L (binary, hex).
TICKER = ("0900000000000001" "0500000000000007" "02000000000186a0"
          "0600000000000001")


class Failed(Exception):
    pass


class Skip(Exception):
    pass


def need(cond, why):
    if not cond:
        raise Failed(why)


def portctl(g, req, timeout=30):
    """One request; the parsed answer."""
    out = g.command("portctl copperd '%s'" % req, timeout)
    i = out.find("{")
    need(i >= 0, "no JSON answer to %s: %r" % (req[:60], out[-300:]))
    try:
        return json.loads(out[i:out.rfind("}") + 1])
    except ValueError:
        raise Failed("not JSON: %r" % out[-300:])


def ok(g, req):
    a = portctl(g, req)
    need(a.get("ok") is True, "%s: %s" % (req[:60], a))
    return a["result"]


def err(g, req, code, message=None):
    a = portctl(g, req)
    need(a.get("ok") is False and a["error"]["code"] == code,
         "%s: wanted %s, got %s" % (req[:70], code, a))
    if message is not None:
        need(a["error"]["message"].startswith(message),
             "%s: message %r, wanted %r" % (req[:70], a["error"]["message"],
                                            message))


def status(g):
    return ok(g, '{"cmd":"status"}')


def until(g, what, cond, secs=20):
    """Polls status until cond(status) holds (the guest's time is the
    host's: under load a frame can take long); the last status."""
    end = time.monotonic() + secs
    while True:
        st = status(g)
        if cond(st):
            return st
        need(time.monotonic() < end, "%s: not within %d s: %s" % (
            what, secs, {k: v for k, v in st.items() if k != "programs"}
            if "programs" not in what else st["programs"]))
        time.sleep(0.3)


def prog(st, pid):
    for p in st["programs"]:
        if p["id"] == pid:
            return p
    return None


def t_boot(g):
    g.expect("sh: ready in", 150)
    g.expect(PROMPT, 30)
    end = time.monotonic() + 30
    while True:  # init may still be starting it
        out = g.command("clctl status")
        line = [ln for ln in out.split("\n") if ln.startswith("copperd ")]
        if line and "running" in line[0]:
            return
        need(time.monotonic() < end, "copperd not running: %r" % line)
        time.sleep(1)


def t_ping(g):
    r = ok(g, '{"cmd":"ping"}')
    need(r == {"name": "copperd", "version": "0.1.0",
               "protocol": "ports/v0"}, "ping: %s" % r)


def t_status_frame_thread(g):
    a = status(g)
    need(a["sched"] == "dl", "frame thread class %s" % a["sched"])
    need(a["hz"] > 0 and a["period_ns"] == 1000000000 // a["hz"],
         "hz %s period %s" % (a["hz"], a["period_ns"]))
    until(g, "jobs judged met", lambda s: s["jobs"] > a["jobs"] + 10 and
          s["deadlines_met"] > a["deadlines_met"] + 10)


def t_malformed(g):
    err(g, '{"cmd":"fly"}', "BAD_CMD")
    err(g, '{"cmd":"start","id":"1"}', "BAD_ARG")
    err(g, '{"cmd":"start","id":99999}', "NOT_FOUND")
    err(g, '{"cmd":"load"}', "BAD_ARG")
    err(g, '{"cmd":"load","program":[{"op":"NOP"},{"op":"FOO"}]}', "BAD_ARG",
        'op 1: unknown op "FOO"')
    err(g, '{"cmd":"load","program":[{"op":"JUMP","label":"x"}]}', "BAD_ARG",
        'op 0: no label "x"')
    err(g, '{"cmd":"load","mask":{"layers":[1],"regs":["x"]},"program":['
        '{"op":"MOVE","reg":"layer[1].x","value":1},'
        '{"op":"MOVE","reg":"layer[1].y","value":1}]}', "BAD_ARG",
        "op 1: register layer[1].y is outside the program's mask")
    err(g, '{"cmd":"load","binary":"01000000000000000b00000000000000"}',
        "BAD_ARG", "op 1: unknown opcode 0x0b")
    err(g, '{"cmd":"load","binary":"0100"}', "BAD_ARG", "binary:")
    err(g, '{"cmd":"load","program":[{"label":"L"},{"op":"LOOP","count":0,'
        '"label":"L"}]}', "BAD_ARG", "op 1: LOOP count")
    st = status(g)
    need(st["load_errors"] >= 6, "load_errors %s" % st["load_errors"])


def t_round_trip_json(g):
    r = ok(g, SPRITE)
    pid = r["id"]
    need(r["ops"] == 5, "ops %s" % r)
    need(prog(status(g), pid)["state"] == "stopped", "loaded not stopped")
    ok(g, '{"cmd":"start","id":%d}' % pid)
    a = prog(until(g, "programs running", lambda s: prog(s, pid)["state"] ==
                   "running"), pid)
    until(g, "programs running on", lambda s: prog(s, pid)["ops_run"] >
          a["ops_run"] + 3)
    ok(g, '{"cmd":"stop","id":%d}' % pid)
    c = prog(until(g, "programs stopped", lambda s: prog(s, pid)["state"] ==
                   "stopped"), pid)
    jobs = status(g)["jobs"]
    st = until(g, "jobs after stop", lambda s: s["jobs"] > jobs + 5)
    need(prog(st, pid)["ops_run"] == c["ops_run"], "ran on after stop")
    ok(g, '{"cmd":"unload","id":%d}' % pid)
    err(g, '{"cmd":"start","id":%d}' % pid, "NOT_FOUND")
    need(prog(status(g), pid) is None, "still listed")


def t_binary_and_irq_stream(g):
    r = ok(g, '{"cmd":"load","binary":"%s"}' % TICKER)
    pid = r["id"]
    need(r["ops"] == 4, "ops %s" % r)
    ok(g, '{"cmd":"start","id":%d}' % pid)
    g.line("portctl copperd '{\"cmd\":\"subscribe\",\"events\":[\"irq\"]}' "
           "--stream --compact")
    g.expect('"event":"irq","id":%d,"tag":"7"' % pid, 20)
    g.expect('"event":"irq","id":%d,"tag":"7"' % pid, 20)
    g.send(CTRL_C)
    g.expect(PROMPT, 10)
    st = status(g)
    need(st["irqs"] >= 2 and st["events_sent"] >= 2, "irqs %s sent %s" % (
        st["irqs"], st["events_sent"]))
    ok(g, '{"cmd":"unload","id":%d}' % pid)


def t_writes_accounted(g):
    """Writes reach compositord when it runs; without one they are
    dropped and counted. Either way every write is accounted for."""
    comp = "pong" if "\"ok\": true" in g.command(
        "portctl compositord '{\"cmd\":\"ping\"}'") else None
    pid = ok(g, SPRITE)["id"]
    a = status(g)
    ok(g, '{"cmd":"start","id":%d}' % pid)
    b = until(g, "writes", lambda s: s["writes"] >= a["writes"] + 20)
    ok(g, '{"cmd":"unload","id":%d}' % pid)
    writes = b["writes"] - a["writes"]
    if comp:
        need(b["compositord"] is True, "compositord runs, not connected")
        need(b["batches"] > a["batches"], "no batch sent: %s" % b)
    else:
        need(b["compositord"] is False, "connected to nothing")
        need(b["dropped_writes"] - a["dropped_writes"] >= writes - 2,
             "writes %d, dropped %d" % (
                 writes, b["dropped_writes"] - a["dropped_writes"]))


def t_registers_land(g):
    """MOVE x 100, then ADD 4 on 50 frames: compositord's latched x is
    exactly 300 (needs compositord: skipped without one)."""
    out = g.command("portctl compositord '{\"cmd\":\"create_layer\"}' "
                    "--compact")
    if '"ok":true' not in out:
        raise Skip("no compositord")
    lid = json.loads(out[out.index("{"):out.rfind("}") + 1])["result"]["id"]
    prog_js = SPRITE.replace("layer[1]", "layer[%d]" % lid).replace(
        '"count":-1', '"count":50')
    pid = ok(g, prog_js)["id"]
    ok(g, '{"cmd":"start","id":%d}' % pid)
    until(g, "programs stopped", lambda s: prog(s, pid)["state"] ==
          "stopped" and prog(s, pid)["ops_run"] > 100, 60)
    end = time.monotonic() + 10
    while True:
        out = g.command("portctl compositord '{\"cmd\":\"get\",\"id\":%d}'"
                        " --compact" % lid)
        cur = json.loads(out[out.index("{"):out.rfind("}") + 1])
        x = cur["result"]["current"]["x"]
        if x == 300 or time.monotonic() > end:
            break
        time.sleep(0.3)
    g.command("portctl compositord '{\"cmd\":\"destroy_layer\",\"id\":%d}'"
              % lid)
    ok(g, '{"cmd":"unload","id":%d}' % pid)
    need(x == 300, "layer %d x = %s, wanted 300" % (lid, x))


def comp(g, req):
    out = g.command("portctl compositord '%s' --compact" % req)
    i = out.find("{")
    need(i >= 0, "compositord: no answer to %s: %r" % (req, out[-200:]))
    return json.loads(out[i:out.rfind("}") + 1])


def t_compositord_restart(g):
    """compositord restarted under a running program: copperd reconnects,
    the program goes on, its writes land on the new compositord."""
    if not comp(g, '{"cmd":"ping"}').get("ok"):
        raise Skip("no compositord")
    pid = ok(g, '{"cmd":"load","program":[{"op":"MOVE","reg":"layer[1].x",'
             '"value":0},{"label":"L"},{"op":"ADD","reg":"layer[1].x",'
             '"delta":1},{"op":"WAIT","vsync":true},{"op":"LOOP",'
             '"count":-1,"label":"L"}]}')["id"]
    ok(g, '{"cmd":"start","id":%d}' % pid)
    a = until(g, "connected and running", lambda s: s["compositord"] is True
              and prog(s, pid)["ops_run"] > 0)
    out = g.command("clctl restart compositord", 60)
    need("error" not in out.lower(), "restart: %r" % out)
    b = until(g, "reconnected", lambda s: s["reconnects"] > a["reconnects"]
              and s["compositord"] is True, 60)
    need(prog(b, pid)["state"] == "running", "program: %s" % prog(b, pid))
    need(b["dropped_batches"] > a["dropped_batches"],
         "no batch dropped while compositord was away: %s" % b)
    lid = comp(g, '{"cmd":"create_layer"}')["result"]["id"]
    need(lid == 1, "the new compositord's first layer is %s" % lid)
    x = []
    end = time.monotonic() + 20
    while len(set(x)) < 2 and time.monotonic() < end:
        x.append(comp(g, '{"cmd":"get","id":1}')["result"]["current"]["x"])
        time.sleep(0.3)
    comp(g, '{"cmd":"destroy_layer","id":1}')
    ok(g, '{"cmd":"unload","id":%d}' % pid)
    need(len(set(x)) >= 2 and x[-1] > x[0],
         "layer 1's x does not move after the restart: %s" % x)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iso", default="build/exec-rt.iso")
    ap.add_argument("--uefi", action="store_true")
    ap.add_argument("--name", default="copperd")
    ap.add_argument("--logdir", default="build/logs")
    ap.add_argument("--no-icount", action="store_true")
    a = ap.parse_args()
    # Under -icount the guest's time is its instruction count: a host
    # loaded by other QEMUs cannot starve the vCPU the (partitioned) DL
    # frame thread sits on for seconds, as it can without.
    g = Guest(a.name, a.logdir, iso=a.iso, uefi=a.uefi, timeout=600,
              icount=not a.no_icount)
    passed = failed = 0
    tests = [("boot", t_boot), ("ping", t_ping),
             ("status_frame_thread", t_status_frame_thread),
             ("malformed_loads", t_malformed),
             ("round_trip_json", t_round_trip_json),
             ("binary_and_irq_stream", t_binary_and_irq_stream),
             ("writes_accounted", t_writes_accounted),
             ("registers_land", t_registers_land),
             ("compositord_restart", t_compositord_restart)]
    try:
        for name, fn in tests:
            try:
                fn(g)
                print("ok   %s" % name)
                passed += 1
            except Skip as e:
                print("skip %s: %s" % (name, e))
            except (Failed, Timeout, KeyError, ValueError, TypeError) as e:
                print("FAIL %s: %s" % (name, str(e)[:600]))
                failed += 1
                if isinstance(e, Timeout) or name == "boot":
                    break
        if failed == 0:
            g.line("poweroff")
            g.wait_exit(30)
    finally:
        g.close()
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(0 if failed == 0 else 1)


if __name__ == "__main__":
    main()
