#!/usr/bin/env python3
"""virtio-input end to end (docs/input.md "virtio-input"): boots the ISO
with virtio-keyboard-pci, virtio-mouse-pci and virtio-tablet-pci at fixed
slots and a QMP socket; iod starts one virtio-input driver per function;
keys and pointer events injected with QMP `input-send-event` must reach an
`inputmon` subscriber from the right device, with the right evdev codes,
values and keysyms, in order. Then the hub and a driver are restarted and
keys flow again. The helpers are test_input.py's (the PS/2 cases).

QEMU gives an event to the input device activated last that takes its
kind: a virtio device activates when its driver sets DRIVER_OK, so with
the drivers up keys go to virtio-keyboard (not PS/2), relative motion to
virtio-mouse, absolute positions to virtio-tablet.

usage: tests/system/test_virtio_input.py [--iso build/exec-rt.iso]
                                         [--machine q35] [--name virtio-input]
Prints "ok NAME" / "FAIL NAME: why" per test and "N passed, N failed".
"""
import argparse
import os
import re
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from test_input import (ABS_X, ABS_Y, BTN_LEFT, BTN_RIGHT, EV_KEY,  # noqa
                        EV_ABS, EV_REL, KEY_A, KEY_ENTER, KEY_LEFTSHIFT,
                        REL_WHEEL, REL_X, REL_Y, XK_Return, XK_Shift_L,
                        Failed, Qmp, abs_, btn, clean_line, command, devices,
                        expect_seq, key, need, rel, run_inputmon, tap, t_boot,
                        t_poweroff, wait_device)
from qemu_session import PROMPT, Guest, Timeout  # noqa: E402

# QEMU's virtio-mouse sends a wheel press as REL_WHEEL +-1 and its release
# as a key release of BTN_GEAR_UP / BTN_GEAR_DOWN (never pressed): the
# driver passes events through unchanged, so the subscriber sees both.
BTN_GEAR_DOWN, BTN_GEAR_UP = 0x150, 0x151
KBD, MOUSE, TABLET = ("QEMU Virtio Keyboard", "QEMU Virtio Mouse",
                      "QEMU Virtio Tablet")
# Fixed slots: the dev-names iod gives the drivers (pci-00:SS.0).
SLOTS = {KBD: 0x10, MOUSE: 0x11, TABLET: 0x12}
# The tablet has no MSI-X (vectors=0): its driver falls back to the legacy
# INTx line iod routed through the ACPI _PRT (libvirtio reads ISR, then
# acks); the keyboard and the mouse use MSI-X.
QEMU_DEVS = ["virtio-keyboard-pci,addr=0x10", "virtio-mouse-pci,addr=0x11",
             "virtio-tablet-pci,addr=0x12,vectors=0"]
IRQ_KIND = {KBD: "MSI-X", MOUSE: "MSI-X", TABLET: "INTx"}


def t_devices(g, qmp):
    for name, kind in ((KBD, "keyboard"), (MOUSE, "mouse"),
                       (TABLET, "tablet")):
        _, k = wait_device(g, name, 60)
        need(k == kind, "%s is a %s, not a %s" % (name, k, kind))
        # The driver's start line in the log: its interrupts and axes.
        line = 'pci-00:%02x.0: "%s" %s, %s,' % (SLOTS[name], name, kind,
                                                IRQ_KIND[name])
        need(line in g.text(0), "no driver line %r in the log" % line)
    # The hub has the tablet's ranges, as its device configuration gave
    # them (ABS_INFO), and the bus of a PCI device.
    out = command(g, "inputmon -l", 30)
    want = '"%s" tablet, bus 0x1, ABS_X 0..32767, ABS_Y 0..32767' % TABLET
    need(want in out, "no %r in %r" % (want, out))
    need('"%s" keyboard, bus 0x1' % KBD in out, "keyboard: %r" % out)


def t_keys(g, qmp):
    kid, _ = wait_device(g, KBD)

    def inject():
        tap(qmp, "a")
        qmp.send_events([key("shift", True)])
        time.sleep(0.05)
        tap(qmp, "a")
        qmp.send_events([key("shift", False)])
        time.sleep(0.05)
        tap(qmp, "ret")
    ev = run_inputmon(g, 8, inject)
    need(all(e["dev"] == kid for e in ev),
         "not all from the virtio keyboard (%d): %s" % (kid, ev))
    expect_seq(ev, [
        (EV_KEY, KEY_A, 1, ord("a"), ord("a")),
        (EV_KEY, KEY_A, 0, ord("a"), 0),
        (EV_KEY, KEY_LEFTSHIFT, 1, XK_Shift_L, 0),
        (EV_KEY, KEY_A, 1, ord("A"), ord("A")),
        (EV_KEY, KEY_A, 0, ord("A"), 0),
        (EV_KEY, KEY_LEFTSHIFT, 0, XK_Shift_L, 0),
        (EV_KEY, KEY_ENTER, 1, XK_Return, 0x0d),
        (EV_KEY, KEY_ENTER, 0, XK_Return, 0)], "virtio keys")


def t_key_burst(g, qmp):
    """20 letters, each pressed and released by one QMP command, with no
    pause: 40 key events (and 40 reports) through a 64-entry event queue
    that must be refilled as it goes; none lost, none reordered."""
    kid, _ = wait_device(g, KBD)
    letters = "qwertyuiopasdfghjklz"

    def inject():
        for c in letters:
            qmp.send_events([key(c, True), key(c, False)])
    ev = run_inputmon(g, 2 * len(letters), inject)
    want = []
    for c in letters:
        want += [(EV_KEY, None, 1, ord(c)), (EV_KEY, None, 0, ord(c))]
    for i, (e, w) in enumerate(zip(ev, want)):
        need(e["dev"] == kid and e["type"] == EV_KEY and
             e["value"] == w[2] and e["keysym"] == w[3],
             "event %d is %s, want keysym %r value %d" % (i, e, chr(w[3]),
                                                         w[2]))


def t_mouse(g, qmp):
    mid, _ = wait_device(g, MOUSE)

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
        qmp.send_events([btn("wheel-up", True)])
        qmp.send_events([btn("wheel-up", False)])
        time.sleep(0.1)
        qmp.send_events([btn("wheel-down", True)])
        qmp.send_events([btn("wheel-down", False)])
    want = [(EV_REL, REL_X, 10), (EV_REL, REL_Y, -5),
            (EV_KEY, BTN_LEFT, 1), (EV_KEY, BTN_LEFT, 0),
            (EV_KEY, BTN_RIGHT, 1), (EV_KEY, BTN_RIGHT, 0),
            (EV_REL, REL_WHEEL, 1), (EV_KEY, BTN_GEAR_UP, 0),
            (EV_REL, REL_WHEEL, -1), (EV_KEY, BTN_GEAR_DOWN, 0)]
    ev = run_inputmon(g, len(want), inject)
    expect_seq(ev, want, "virtio mouse")
    # Motion only the mouse takes; buttons and the wheel the tablet takes
    # too, and QEMU gives them to whichever of the two its driver
    # activated last: all from that one.
    tid, _ = wait_device(g, TABLET)
    need(ev[0]["dev"] == mid and ev[1]["dev"] == mid,
         "motion not from the virtio mouse (%d): %s" % (mid, ev[:2]))
    need(ev[2]["dev"] in (mid, tid) and
         all(e["dev"] == ev[2]["dev"] for e in ev[2:]),
         "buttons not from one virtio pointer (%d/%d): %s" % (mid, tid,
                                                             ev[2:]))


def t_tablet(g, qmp):
    tid, _ = wait_device(g, TABLET)

    def inject():
        qmp.send_events([abs_("x", 1000), abs_("y", 2000)])
        time.sleep(0.1)
        qmp.send_events([abs_("x", 32767), abs_("y", 0)])
    ev = run_inputmon(g, 4, inject)
    need(all(e["dev"] == tid for e in ev),
         "not all from the virtio tablet (%d): %s" % (tid, ev))
    expect_seq(ev, [(EV_ABS, ABS_X, 1000), (EV_ABS, ABS_Y, 2000),
                    (EV_ABS, ABS_X, 32767), (EV_ABS, ABS_Y, 0)],
               "virtio tablet")


def key_a_from(g, qmp, name, what):
    kid, _ = wait_device(g, name)
    ev = run_inputmon(g, 2, lambda: tap(qmp, "a"))
    expect_seq(ev, [(EV_KEY, KEY_A, 1, ord("a")), (EV_KEY, KEY_A, 0)], what)
    need(all(e["dev"] == kid for e in ev), "%s: from %s, not %d" % (
        what, [e["dev"] for e in ev], kid))


def t_hub_restart(g, qmp):
    """inputd restarted: each driver finds out within its 1 s liveness
    ping, connects again, and keys reach a new subscriber."""
    out = command(g, "clctl restart inputd", 30)
    need("error" not in out.lower(), "clctl: %r" % out)
    end = time.monotonic() + 30
    while True:
        d = devices(g)
        if KBD in d and MOUSE in d and TABLET in d:
            break
        need(time.monotonic() < end, "devices not back: %s" % d)
        time.sleep(0.5)
    key_a_from(g, qmp, KBD, "after the hub restart")


def t_driver_restart(g, qmp):
    """The keyboard's driver restarted by iod (device reset, new task):
    it brings the device up again (reset, negotiation, MSI-X, queue) and
    keys arrive under a new device id."""
    old, _ = wait_device(g, KBD)
    dev = "pci-00:%02x.0" % SLOTS[KBD]
    out = command(g, "portctl /svc/iod-ctl '{\"cmd\":\"restart\",\"dev\":\"%s\"}'"
                    % dev, 30)
    need('"ok": true' in out or '"ok":true' in out, "iod restart: %r" % out)
    end = time.monotonic() + 30
    while True:
        d = devices(g)
        if KBD in d and d[KBD][0] != old:
            break
        need(time.monotonic() < end, "no new virtio keyboard: %s" % d)
        time.sleep(0.5)
    key_a_from(g, qmp, KBD, "after the driver restart")


def t_latency(g, qmp):
    """The driver's stamp (taken when the interrupt woke it) to the
    subscriber's receive, over 20 key events: printed as a figure; bounded
    loosely (TCG on a shared host is noisy)."""
    wait_device(g, KBD)
    clean_line(g)
    g.pos = len(g.buf)
    g.line("inputmon -n 20 -L -t 60000")
    g.expect("waiting for events", 30)
    start = g.pos
    for c in "abcdefghij":
        tap(qmp, c, gap=0.02)
    g.expect(PROMPT, 60)
    m = re.search(r"latency driver->subscriber over (\d+) events: median "
                  r"(\d+) ns, max (\d+) ns", g.text(start))
    need(m, "no latency line: %r" % g.text(start)[-600:])
    n, med, mx = (int(x) for x in m.groups())
    print("     virtio-input key latency, driver stamp -> subscriber: "
          "median %d us, max %d us over %d events" % (med // 1000,
                                                      mx // 1000, n))
    need(n == 20 and med < 100000000, "latency %d ns over %d" % (med, n))
    # The same keys reach the shell through the screen console as
    # type-ahead, possibly late on a loaded host: wait for the last one's
    # echo so it cannot land in front of the next command.
    try:
        g.expect("j", 10)
    except Timeout:
        pass
    clean_line(g)


def t_hub_status(g, qmp):
    out = command(g, "portctl /svc/input '{\"cmd\":\"status\"}'", 30)
    need('"lost": 0' in out or '"lost":0' in out, "events lost: %r" % out)


TESTS = [("boot_to_prompt", t_boot), ("virtio_devices", t_devices),
         ("virtio_keys_shift_enter", t_keys),
         ("virtio_key_burst_in_order", t_key_burst),
         ("virtio_mouse_motion_buttons_wheel", t_mouse),
         ("virtio_tablet_absolute", t_tablet),
         ("virtio_key_latency", t_latency),
         ("virtio_hub_status", t_hub_status),
         ("virtio_hub_restart_drivers_reconnect", t_hub_restart),
         ("virtio_driver_restart_by_iod", t_driver_restart)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iso", default="build/exec-rt.iso")
    ap.add_argument("--machine", default="q35")
    ap.add_argument("--name", default="virtio-input")
    ap.add_argument("--logdir", default="build/logs")
    ap.add_argument("--smp", default="1")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="execrt-qmp-")
    sock = os.path.join(tmp, "qmp.sock")
    extra = ["-qmp", "unix:%s,server=on,wait=off" % sock]
    for d in QEMU_DEVS:
        extra += ["-device", d]
    # One vCPU, as test_input.py: QEMU 7.2's TCG can crash when a PCI
    # configuration write (iod's scan, a driver turning on decoding or
    # MSI-X) remaps memory while another vCPU does MMIO (fixed in 8.1).
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
