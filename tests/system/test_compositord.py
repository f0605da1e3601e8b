#!/usr/bin/env python3
"""compositord in a booted system (room gfx-comp; docs/graphics.md
"compositord"), driven with portctl from the shell:

  --device none (default): a PVH boot (-kernel, no display): compositord
    runs headless (1024x768, 60 Hz timer). Checks ping, outputs, layers,
    registers latched at a frame (`get`), pixel values of alpha and every
    blend mode against the 8-bit formula (within 1; `read_pixel` of the
    composed image), scale and rotation boxes, vsync events one frame
    apart, the errors of malformed requests, a session's end.
  --device virtio: the ISO with virtio-gpu: the screen is taken when a
    visible bound layer exists and released when none is left; the pixel
    read back from the presented buffer.

The image is etc/services.conf read as raw RGBA8 (bind_image of
/boot/etc/services.conf): text bytes give partial alphas, and the host
knows them. Prints "ok NAME" / "FAIL NAME: why", then "N passed, N failed".
usage: tests/system/test_compositord.py [--device none|virtio]
           [--kernel K --initrd I | --iso F] [--name N]
"""
import argparse
import json
import os
import re
import sys
import time

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
sys.path.insert(0, os.path.join(ROOT, "tools"))
from qemu_session import Guest, Timeout  # noqa: E402

IMG = "/boot/etc/services.conf"
IW, IH = 16, 8


class Failed(Exception):
    pass


def need(cond, why):
    if not cond:
        raise Failed(why)


def div255(x):
    x += 128
    return (x + (x >> 8)) >> 8


def blend_ch(s, d, a, mode):
    f = {"normal": s, "add": min(255, s + d), "mul": div255(s * d),
         "screen": s + d - div255(s * d)}[mode]
    return div255(f * a + d * (255 - a))


def over(dst, px, la, mode):
    """dst (r,g,b) under source pixel px (r,g,b,a) at layer alpha la."""
    a = div255(px[3] * la)
    return tuple(blend_ch(px[i], dst[i], a, mode) for i in range(3))


class Session:
    def __init__(self, g):
        self.g = g

    def req(self, obj, ok=True):
        js = json.dumps(obj, separators=(",", ":"))
        out = self.g.command("portctl /svc/compositord '%s' --compact" % js,
                             timeout=60)
        m = re.search(r'\{"ok":(true|false).*\}', out)
        need(m, "no answer to %s: %r" % (js, out[-300:]))
        ans = json.loads(m.group(0))
        if ok is not None:
            need(ans["ok"] == ok, "%s -> %s" % (js, m.group(0)[:300]))
        return ans

    def res(self, obj):
        return self.req(obj)["result"]

    def latched(self, lid, timeout=10):
        """Waits until layer lid's current registers equal its pending."""
        end = time.monotonic() + timeout
        while True:
            r = self.res({"cmd": "get", "id": lid})
            if r["current"] == r["pending"]:
                return r
            need(time.monotonic() < end, "layer %d not latched: %r" %
                 (lid, r))
            time.sleep(0.05)

    def pixel(self, x, y):
        r = self.res({"cmd": "read_pixel", "x": x, "y": y})
        return (r["r"], r["g"], r["b"])


def close(a, b):
    return all(abs(x - y) <= 1 for x, y in zip(a, b))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", choices=["none", "virtio"], default="none")
    ap.add_argument("--kernel", default="build/kernel.elf")
    ap.add_argument("--initrd", default="build/initrd.cpio")
    ap.add_argument("--iso", default="build/exec-rt.iso")
    ap.add_argument("--name", default=None)
    ap.add_argument("--logdir", default="build/logs")
    a = ap.parse_args()
    data = open(os.path.join(ROOT, "etc", "services.conf"), "rb").read()
    img = [tuple(data[i * 4:i * 4 + 4]) for i in range(IW * IH)]
    if a.device == "none":
        g = Guest(a.name or "compositord", logdir=a.logdir, kernel=a.kernel,
                  initrd=a.initrd, timeout=600)
    else:
        g = Guest(a.name or "compositord-virtio", logdir=a.logdir,
                  iso=a.iso, timeout=600,
                  extra=["-vga", "none", "-device", "virtio-gpu-pci"])
    s = Session(g)
    passed = failed = 0

    def run(name, fn):
        nonlocal passed, failed
        try:
            fn()
            print("ok   %s" % name)
            passed += 1
        except (Failed, Timeout, OSError, ValueError, KeyError) as e:
            print("FAIL %s: %s" % (name, str(e)[:600]))
            failed += 1
            try:
                g.send("\x03\x15\r")
                g.expect("exec-rt> ", timeout=10)
            except (Timeout, OSError):
                pass

    try:
        g.expect("sh: ready in", timeout=240)
        g.expect("exec-rt> ", timeout=60)

        def up():
            r = s.res({"cmd": "ping"})
            need(r == {"name": "compositord", "version": "0.1.0",
                       "protocol": "ports/v0"}, "ping: %r" % r)
            # init calls a service running once it has lived a while
            # (starting before): under -icount that may not be yet.
            for _ in range(30):
                out = g.command("clctl status", timeout=60)
                if re.search(r"compositord\s+running", out):
                    break
                need(re.search(r"compositord\s+starting", out), out[-400:])
                time.sleep(1)
            need(re.search(r"compositord\s+running", out), out[-400:])
            st = s.res({"cmd": "status"})
            if a.device == "none":
                need(st["output"] == "headless" and st["w"] == 1024 and
                     st["h"] == 768 and st["hz"] == 60, "status: %r" % st)
                o = s.res({"cmd": "output_list"})["outputs"]
                need(len(o) == 1 and o[0]["name"] == "headless" and
                     o[0]["current_mode"] == {"w": 1024, "h": 768,
                                              "hz": 60}, "outputs %r" % o)
            else:
                time.sleep(2)  # the display is looked for every second
                st = s.res({"cmd": "status"})
                need(not st["headless"] and not st["screen"],
                     "with virtio-gpu, not owning the screen yet: %r" % st)
        run("up", up)

        def errors():
            cases = [
                ({"cmd": "fly"}, "BAD_CMD"),
                ({"x": 1}, "BAD_CMD"),
                ({"cmd": "set", "id": 63, "x": 1}, "NOT_FOUND"),
                ({"cmd": "set", "id": "1"}, "BAD_ARG"),
                ({"cmd": "destroy_layer", "id": 0}, "NOT_FOUND"),
                ({"cmd": "bind_dmabuf", "id": 63, "fd": 0, "w": 4, "h": 4},
                 "NOT_FOUND"),
                ({"cmd": "set_regs", "regs": {"layer[1].q": 1}}, "BAD_ARG"),
                ({"cmd": "subscribe", "events": ["nope"]}, "BAD_ARG"),
                ({"cmd": "read_pixel", "x": 5000, "y": 0}, "BAD_ARG"),
            ]
            for obj, code in cases:
                r = s.req(obj, ok=False)
                need(r["error"]["code"] == code, "%r -> %r" % (obj, r))
            lid = s.res({"cmd": "create_layer"})["id"]
            for obj in [
                {"cmd": "bind_dmabuf", "id": lid, "fd": 0, "w": 4, "h": 4},
                {"cmd": "bind_dmabuf", "id": lid, "fd": 0, "w": 4, "h": 4,
                 "stride": 8},
                {"cmd": "bind_image", "id": lid, "path": IMG, "w": 4096,
                 "h": 4096},
                {"cmd": "set", "id": lid, "blend": "over"},
            ]:
                r = s.req(obj, ok=False)
                need(r["error"]["code"] == "BAD_ARG", "%r -> %r" % (obj, r))
            s.res({"cmd": "destroy_layer", "id": lid})
            # still alive
            s.res({"cmd": "ping"})
        run("malformed_requests_get_errors", errors)

        state = {}

        def scene():
            l1 = s.res({"cmd": "create_layer"})["id"]
            l2 = s.res({"cmd": "create_layer"})["id"]
            state["ids"] = (l1, l2)
            for lid in (l1, l2):
                s.res({"cmd": "bind_image", "id": lid, "path": IMG,
                       "w": IW, "h": IH, "format": "RGBA8"})
            f = s.res({"cmd": "set", "id": l1, "x": 100, "y": 50,
                       "alpha": 0.5})["frame"]
            s.res({"cmd": "set", "id": l2, "x": 104, "y": 52, "z": 1,
                   "visible": False})
            r = s.latched(l1)
            need(r["current"]["x"] == 100 and r["box"] == {
                "x": 100, "y": 50, "w": IW, "h": IH}, "get: %r" % r)
            st = s.res({"cmd": "status"})
            need(st["frame"] >= f, "frame %d < %d" % (st["frame"], f))
            if a.device == "virtio":
                need(st["screen"] and st["takes"] >= 1,
                     "screen not taken: %r" % st)
            for (x, y) in [(0, 0), (5, 2), (15, 7), (9, 4)]:
                want = over((0, 0, 0), img[y * IW + x], 128, "normal")
                got = s.pixel(100 + x, 50 + y)
                need(close(got, want), "alpha 0.5 at (%d,%d): %r want %r" %
                     (x, y, got, want))
            need(s.pixel(99, 50) == (0, 0, 0), "outside the layer not black")
        run("layer_alpha_pixels", scene)

        def blends():
            l1, l2 = state["ids"]
            s.res({"cmd": "set", "id": l1, "alpha": 1})
            for mode in ["normal", "add", "mul", "screen"]:
                s.res({"cmd": "set", "id": l2, "visible": True,
                       "blend": mode, "alpha": 0.75})
                s.latched(l2)
                s.latched(l1)
                for (x, y) in [(4, 2), (11, 5), (6, 7)]:
                    under = over((0, 0, 0), img[y * IW + x], 255, "normal")
                    want = over(under, img[(y - 2) * IW + x - 4], 191, mode)
                    got = s.pixel(100 + x, 50 + y)
                    need(close(got, want), "%s at (%d,%d): %r want %r" %
                         (mode, x, y, got, want))
        run("blend_modes_pixels", blends)

        def transform():
            l1, l2 = state["ids"]
            s.res({"cmd": "set", "id": l2, "scale_x": 2, "scale_y": 3,
                   "rotation": 90, "blend": "normal", "alpha": 1})
            r = s.latched(l2)
            # 32x24 about its centre (120, 64): turned, 24x32.
            need(r["box"] == {"x": 108, "y": 48, "w": 24, "h": 32},
                 "box %r" % r["box"])
            s.res({"cmd": "set", "id": l2, "rotation": 0})
            r = s.latched(l2)
            need(r["box"] == {"x": 104, "y": 52, "w": 32, "h": 24},
                 "box %r" % r["box"])
            # Source pixel (3, 1) shows at (104 + 6..7, 52 + 3..5), over
            # layer 1's pixel (11, 7) (alpha 1 over black).
            under = over((0, 0, 0), img[7 * IW + 11], 255, "normal")
            want = over(under, img[1 * IW + 3], 255, "normal")
            got = s.pixel(104 + 7, 52 + 5)
            need(close(got, want), "scaled: %r want %r" % (got, want))
        run("scale_rotation_boxes", transform)

        def vsync():
            g.send("portctl /svc/compositord "
                   "'{\"cmd\":\"subscribe\",\"events\":[\"vsync\"]}' "
                   "--stream --compact\r")
            start = len(g.text())
            g.expect('"event":"vsync"', timeout=30)
            time.sleep(2)
            g.send("\x03")
            g.expect("exec-rt> ", timeout=30)
            ev = [json.loads(m) for m in re.findall(
                r'\{"event":"vsync"[^}]*\}', g.text(start))]
            need(len(ev) >= 10, "%d vsync events in 2 s" % len(ev))
            fr = [e["frame"] for e in ev]
            us = [e["usec"] for e in ev]
            need(all(b == a + 1 for a, b in zip(fr, fr[1:])),
                 "frames not consecutive: %r" % fr[:20])
            gaps = sorted(b - a for a, b in zip(us, us[1:]))
            period = 1e6 / s.res({"cmd": "status"})["hz"]
            med = gaps[len(gaps) // 2]
            need(abs(med - period) < period * 0.1 and gaps[0] > 0,
                 "vsync gaps median %d (period %d)" % (med, period))
            print("     %d events, gap median %d us" % (len(ev), med))
        run("vsync_one_frame_apart", vsync)

        def teardown():
            for lid in state["ids"]:
                s.res({"cmd": "destroy_layer", "id": lid})
            r = s.req({"cmd": "connect"})
            need(r["ok"] and r["result"]["port"] == 0, "connect %r" % r)
            time.sleep(0.5)
            st = s.res({"cmd": "status"})
            need(st["layers"] == 0 and st["sessions"] == 0,
                 "after: %r" % st)
            if a.device == "virtio":
                need(not st["screen"] and st["releases"] >= 1,
                     "screen not released: %r" % st)
        run("teardown_releases", teardown)
    except Timeout as e:
        print("FAIL boot: %s" % e)
        failed += 1
    finally:
        g.close()
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
