#!/usr/bin/env python3
"""Input end to end (docs/input.md): boots the ISO in QEMU with a QMP
socket, runs inputmon in the shell, injects keys and pointer events with
QMP `input-send-event` and checks what the subscriber printed: codes,
values, keysyms and order.

usage: tests/system/test_input.py [--iso build/exec-rt.iso] [--machine q35]
                                  [--name input] [--logdir build/logs]
Prints one line per test ("ok NAME" / "FAIL NAME: why") and ends with
"N passed, N failed"; exit status 1 on any failure.

The helpers (Qmp, key/rel/abs/btn events, run_inputmon, devices) are
meant to be shared: the virtio-input cases (keyboard, mouse, tablet with
absolute axes) add their devices with --device and their own tests to
TESTS, naming the QEMU device in the events' `device` argument.
"""
import argparse
import json
import os
import re
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..",
                                "tools"))
from qemu_session import PROMPT, Guest, Timeout  # noqa: E402
from qmp import Failed, Qmp, need  # noqa: E402,F401

# evdev codes (include/execrt/input_keys.h, input_proto.h)
EV_SYN, EV_KEY, EV_REL, EV_ABS = 0, 1, 2, 3
KEY_ESC, KEY_A, KEY_ENTER, KEY_LEFTSHIFT = 1, 30, 28, 42
KEY_B, KEY_1, KEY_UP, KEY_F1, KEY_LEFTCTRL = 48, 2, 103, 59, 29
BTN_LEFT, BTN_RIGHT, BTN_MIDDLE = 0x110, 0x111, 0x112
REL_X, REL_Y, REL_WHEEL = 0, 1, 8
ABS_X, ABS_Y = 0, 1
XK_Return, XK_Shift_L, XK_Escape, XK_Up, XK_F1 = (0xff0d, 0xffe1, 0xff1b,
                                                   0xff52, 0xffbe)
XK_Control_L = 0xffe3


# input-send-event's event objects
def key(qcode, down):
    return {"type": "key",
            "data": {"down": down, "key": {"type": "qcode", "data": qcode}}}


def btn(button, down):
    return {"type": "btn", "data": {"down": down, "button": button}}


def rel(axis, value):
    return {"type": "rel", "data": {"axis": axis, "value": value}}


def abs_(axis, value):
    return {"type": "abs", "data": {"axis": axis, "value": value}}


def tap(qmp, qcode, device=None, gap=0.05):
    for down in (True, False):
        qmp.send_events([key(qcode, down)], device)
        time.sleep(gap)


EVENT = re.compile(r"Event: time (\d+)\.(\d+), dev (\d+), type (\d+) \(\S+\), "
                   r"code (\d+) \(\S+\), value (-?\d+)"
                   r"(?:, keysym 0x([0-9a-f]+)(?: '.')?, mods 0x([0-9a-f]+), "
                   r"ch 0x([0-9a-f]+))?")
DEVICE = re.compile(r'Input device (\d+): "([^"]*)" (\w+), bus 0x([0-9a-f]+)')


def parse_events(text, syn=False):
    """inputmon's Event lines as dicts (EV_SYN left out unless syn)."""
    out = []
    for m in EVENT.finditer(text):
        e = {"t": int(m.group(1)) * 1000000 + int(m.group(2)),
             "dev": int(m.group(3)), "type": int(m.group(4)),
             "code": int(m.group(5)), "value": int(m.group(6)),
             "keysym": int(m.group(7), 16) if m.group(7) else None,
             "mods": int(m.group(8), 16) if m.group(8) else None,
             "ch": int(m.group(9), 16) if m.group(9) else None}
        if syn or e["type"] != EV_SYN:
            out.append(e)
    return out


CTRL_U = "\x15"


def clean_line(g):
    """Keys injected into the PS/2 keyboard also reach the shell when a
    screen console (fbcon) runs: typed while inputmon ran, they wait as
    the shell's type-ahead. Ctrl-U on the serial line clears whatever of
    them is on the line before the test types its next command. They may
    still be on their way (fbcon retries a full console): until a Ctrl-U
    is followed by 0.3 s with nothing new echoed, again."""
    for _ in range(20):
        g.send(CTRL_U)
        g.drain(0.1)
        start = len(g.buf)
        g.drain(0.3)
        if len(g.buf) == start:
            return


def command(g, text, timeout=30):
    clean_line(g)
    return g.command(text, timeout)


def devices(g):
    """`inputmon -l`: {name: (id, kind)}."""
    out = command(g, "inputmon -l", 30)
    return {m.group(2): (int(m.group(1)), m.group(3))
            for m in DEVICE.finditer(out)}


def wait_device(g, name, timeout=30):
    end = time.monotonic() + timeout
    while True:
        d = devices(g)
        if name in d:
            return d[name]
        if time.monotonic() > end:
            raise Failed("no input device %r (have %s)" % (name, d))
        time.sleep(1)


def run_inputmon(g, n, inject, timeout=60):
    """Starts `inputmon -n n`, calls inject() once it subscribed, returns
    the non-SYN events it printed (all n of them, or Failed)."""
    clean_line(g)
    g.pos = len(g.buf)
    g.line("inputmon -n %d -t %d" % (n, timeout * 1000))
    g.expect("waiting for events", 30)
    start = g.pos
    inject()
    try:
        g.expect(PROMPT, timeout)
    except Timeout:
        raise Failed("inputmon did not get %d events: %r" % (
            n, g.text(start)[-1500:]))
    text = g.text(start)
    need("no event for" not in text, "inputmon timed out: %r" % text[-1500:])
    ev = parse_events(text)
    need(len(ev) == n, "%d events, not %d: %r" % (len(ev), n, text[-1500:]))
    return ev


def expect_seq(ev, want, what):
    """want: (type, code, value[, keysym[, ch]]) per event, in order."""
    got = []
    for e in ev:
        t = (e["type"], e["code"], e["value"])
        got.append(t)
    for i, w in enumerate(want):
        need(i < len(ev), "%s: only %d events: %s" % (what, len(ev), got))
        e = ev[i]
        need((e["type"], e["code"], e["value"]) == tuple(w[:3]),
             "%s: event %d is %s, want %s (all: %s)" % (
                 what, i, (e["type"], e["code"], e["value"]), w[:3], got))
        if len(w) > 3:
            need(e["keysym"] == w[3], "%s: event %d keysym 0x%x, want 0x%x" % (
                what, i, e["keysym"] or 0, w[3]))
        if len(w) > 4:
            need(e["ch"] == w[4], "%s: event %d ch 0x%x, want 0x%x" % (
                what, i, e["ch"] or 0, w[4]))
    for a, b in zip(ev, ev[1:]):
        need(b["t"] >= a["t"], "%s: time goes back: %s" % (what, got))


# ---- the PS/2 (i8042) cases ----

def t_boot(g, qmp):
    out, m = g.expect(r"sh: ready in ([0-9.]+) ms", 120, regex=True)
    need("PANIC" not in out, "kernel panic during boot")
    g.expect(PROMPT, 30)


def t_ps2_devices(g, qmp):
    kid, kind = wait_device(g, "i8042 keyboard")
    need(kind == "keyboard", "i8042 keyboard is a %s" % kind)
    d = devices(g)
    mice = [n for n in d if n.startswith("i8042") and d[n][1] == "mouse"]
    need(mice, "no i8042 mouse: %s" % d)


def t_ps2_keys(g, qmp):
    kid, _ = wait_device(g, "i8042 keyboard")

    def inject():
        tap(qmp, "a")
        qmp.send_events([key("shift", True)])
        time.sleep(0.05)
        tap(qmp, "a")
        qmp.send_events([key("shift", False)])
        time.sleep(0.05)
        tap(qmp, "ret")
    ev = run_inputmon(g, 8, inject)
    need(all(e["dev"] == kid for e in ev), "not all from the keyboard (%d): %s"
         % (kid, ev))
    expect_seq(ev, [
        (EV_KEY, KEY_A, 1, ord("a"), ord("a")),
        (EV_KEY, KEY_A, 0, ord("a"), 0),
        (EV_KEY, KEY_LEFTSHIFT, 1, XK_Shift_L, 0),
        (EV_KEY, KEY_A, 1, ord("A"), ord("A")),
        (EV_KEY, KEY_A, 0, ord("A"), 0),
        (EV_KEY, KEY_LEFTSHIFT, 0, XK_Shift_L, 0),
        (EV_KEY, KEY_ENTER, 1, XK_Return, 0x0d),
        (EV_KEY, KEY_ENTER, 0, XK_Return, 0)], "keys")
    need(ev[3]["mods"] == 1, "shift not in mods: %s" % ev[3])


def t_ps2_special_keys(g, qmp):
    """Extended (E0) keys, F-keys, Esc, digits, Ctrl+B as a character
    (not Ctrl+C: with a screen console the keyboard is the shell's too,
    and Ctrl+C would end inputmon)."""
    def inject():
        for q in ("esc", "1", "up", "f1"):
            tap(qmp, q)
        qmp.send_events([key("ctrl", True)])
        time.sleep(0.05)
        tap(qmp, "b")
        qmp.send_events([key("ctrl", False)])
    ev = run_inputmon(g, 12, inject)
    expect_seq(ev, [
        (EV_KEY, KEY_ESC, 1, XK_Escape, 0x1b), (EV_KEY, KEY_ESC, 0),
        (EV_KEY, KEY_1, 1, ord("1"), ord("1")), (EV_KEY, KEY_1, 0),
        (EV_KEY, KEY_UP, 1, XK_Up, 0), (EV_KEY, KEY_UP, 0),
        (EV_KEY, KEY_F1, 1, XK_F1, 0), (EV_KEY, KEY_F1, 0),
        (EV_KEY, KEY_LEFTCTRL, 1, XK_Control_L),
        (EV_KEY, KEY_B, 1, ord("b"), 2), (EV_KEY, KEY_B, 0),
        (EV_KEY, KEY_LEFTCTRL, 0)], "special keys")


def t_ps2_pointer(g, qmp):
    d = devices(g)
    mice = [d[n][0] for n in d if n.startswith("i8042") and d[n][1] == "mouse"]
    need(mice, "no i8042 mouse: %s" % d)
    wheel = "i8042 wheel mouse" in d

    def inject():
        qmp.send_events([rel("x", 10), rel("y", -5)])
        time.sleep(0.1)
        qmp.send_events([btn("left", True)])
        time.sleep(0.1)
        qmp.send_events([btn("left", False)])
        time.sleep(0.1)
        qmp.send_events([btn("right", True)])
        time.sleep(0.1)
        qmp.send_events([btn("right", False)])
        time.sleep(0.1)
        if wheel:
            qmp.send_events([btn("wheel-up", True)])
            qmp.send_events([btn("wheel-up", False)])
            time.sleep(0.1)
            qmp.send_events([btn("wheel-down", True)])
            qmp.send_events([btn("wheel-down", False)])
    want = [(EV_REL, REL_X, 10), (EV_REL, REL_Y, -5),
            (EV_KEY, BTN_LEFT, 1), (EV_KEY, BTN_LEFT, 0),
            (EV_KEY, BTN_RIGHT, 1), (EV_KEY, BTN_RIGHT, 0)]
    if wheel:
        want += [(EV_REL, REL_WHEEL, 1), (EV_REL, REL_WHEEL, -1)]
    ev = run_inputmon(g, len(want), inject)
    need(all(e["dev"] == mice[0] for e in ev), "not all from the mouse: %s"
         % ev)
    expect_seq(ev, want, "pointer")


def key_a_arrives(g, qmp, kid, what):
    ev = run_inputmon(g, 2, lambda: tap(qmp, "a"))
    expect_seq(ev, [(EV_KEY, KEY_A, 1, ord("a")), (EV_KEY, KEY_A, 0)], what)
    need(all(e["dev"] == kid for e in ev), "%s: from device %s, not %d" % (
        what, [e["dev"] for e in ev], kid))


def t_hub_restart(g, qmp):
    """inputd restarted: the driver notices within its 1 s liveness
    check, connects again, and keys flow to a new subscriber."""
    old, _ = wait_device(g, "i8042 keyboard")
    out = command(g, "clctl restart inputd", 30)
    need("error" not in out.lower(), "clctl: %r" % out)
    end = time.monotonic() + 30
    while True:
        d = devices(g)
        if "i8042 keyboard" in d:
            break
        need(time.monotonic() < end, "the keyboard did not come back: %s"
             % d)
        time.sleep(0.5)
    key_a_arrives(g, qmp, d["i8042 keyboard"][0], "after the hub restart")


def t_driver_restart(g, qmp):
    """The driver killed and started again by iod: the controller is set
    up again and the keyboard works under a new device id."""
    old, _ = wait_device(g, "i8042 keyboard")
    out = command(g, "portctl /svc/iod-ctl '{\"cmd\":\"restart\","
                    "\"dev\":\"isa-i8042\"}'", 30)
    need('"ok": true' in out or '"ok":true' in out, "iod restart: %r" % out)
    end = time.monotonic() + 30
    while True:
        d = devices(g)
        if "i8042 keyboard" in d and d["i8042 keyboard"][0] != old:
            break
        need(time.monotonic() < end, "no new keyboard: %s" % d)
        time.sleep(0.5)
    key_a_arrives(g, qmp, d["i8042 keyboard"][0], "after the driver restart")


def t_hub_status(g, qmp):
    out = command(g, "portctl /svc/input '{\"cmd\":\"status\"}'", 30)
    need('"name": "inputd"' in out or '"name":"inputd"' in out,
         "status: %r" % out)
    need('"lost": 0' in out or '"lost":0' in out, "events lost: %r" % out)


def t_poweroff(g, qmp):
    clean_line(g)
    g.line("poweroff")
    g.expect("powering off", 30)
    g.wait_exit(30)


TESTS = [("boot_to_prompt", t_boot), ("ps2_devices", t_ps2_devices),
         ("ps2_keys_shift_enter", t_ps2_keys),
         ("ps2_special_keys", t_ps2_special_keys),
         ("ps2_pointer_buttons_wheel", t_ps2_pointer),
         ("hub_status", t_hub_status),
         ("hub_restart_driver_reconnects", t_hub_restart),
         ("driver_restart_by_iod", t_driver_restart)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iso", default="build/exec-rt.iso")
    ap.add_argument("--machine", default="q35")
    ap.add_argument("--name", default="input")
    ap.add_argument("--logdir", default="build/logs")
    ap.add_argument("--smp", default="1")
    ap.add_argument("--device", action="append", default=[],
                    help="an extra QEMU -device (virtio-input cases)")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="execrt-qmp-")
    sock = os.path.join(tmp, "qmp.sock")
    extra = ["-qmp", "unix:%s,server=on,wait=off" % sock]
    for d in a.device:
        extra += ["-device", d]
    # One vCPU: QEMU 7.2's TCG can crash when a PCI configuration write
    # (iod's scan, a driver's bring-up) remaps memory while another vCPU
    # is doing MMIO (fixed in QEMU 8.1's tcg_commit); the input path needs
    # no second CPU (the guest suite runs t_input.c on two).
    g = Guest(a.name, a.logdir, iso=a.iso, machine=a.machine, extra=extra,
              smp=a.smp, timeout=600)
    passed = failed = 0
    qmp = None
    try:
        qmp = Qmp(sock)
        for name, fn in TESTS + [("poweroff", t_poweroff)]:
            try:
                fn(g, qmp)
                print("ok   %s" % name)
                passed += 1
            except (Failed, Timeout) as e:
                print("FAIL %s: %s" % (name, str(e)[:800]))
                failed += 1
                if name == "boot_to_prompt":
                    break
                try:
                    g.send("\x03")
                    g.drain(0.5)
                    g.send("\x15\r")
                    g.expect(PROMPT, 20)
                except Timeout:
                    break
    except Timeout as e:
        print("FAIL qmp: %s" % e)
        failed += 1
    finally:
        if qmp:
            qmp.close()
        g.close()
        try:
            os.unlink(sock)
        except OSError:
            pass
        os.rmdir(tmp)
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(0 if failed == 0 else 1)


if __name__ == "__main__":
    main()
