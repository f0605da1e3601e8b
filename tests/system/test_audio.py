#!/usr/bin/env python3
"""Audio end to end (docs/audio.md "Testing"): boots the ISO with an
audio device whose output QEMU writes to a WAV file
(`-audiodev wav,...,out.frequency=48000`), plays through audiomixerd from
the shell and reads back what the device played.

usage: tests/system/test_audio.py [--iso build/exec-rt.iso | --kernel K
           --initrd I]
           --device hda|ac97 [--icount] [--long S] [--long-figure] [--kills]
           [--only long|bench|kills|latency] [--marks N]
           [--name audio-hda]

Each playback's stretch of the WAV is told apart by the file's size
before and after it (QEMU writes only while a stream runs). Checks:
  tone:      tone_to_device (440 Hz, -6 dBFS, 2 s): peak within 1 Hz of
             440 (Goertzel scan), level within 1 dB, no 10 ms window
             without signal from its first sample to its last;
  two tones: 440 and 660 Hz at -12 dBFS each: both peaks within 1 dB of
             -12 dBFS, nothing at 550 Hz;
  wav exact: play /boot/share/pattern-s16-48k.wav (0 dB): after its first
             period every sample of both channels is the file's;
  malformed: unknown node type, bad rate, connect to a missing node, an
             app ring grant too small: protocol errors (BAD_ARG /
             NOT_FOUND), and the service still answers;
  long:      S s (default 30) at 128 frames with a best-effort CPU hog
             and a request flood on audiomixerd: audiomixerd's xrun count
             does not move (asserted under --icount without
             --long-figure; printed otherwise);
  latency:   `amxload latency N`: N marked frames written into an
             app_source ring, each at a guest time t0, and the time t1
             the device's DMA position passes the frame the mixer put it
             at (median/p99/max printed); the host finds every mark in
             the WAV at that frame (one offset for all: the mapping is
             checked independently of the guest);
  kills:     audiomixerd killed while playing (init restarts it,
             tone_to_device --resilient rebuilds its graph), then the
             driver restarted through iod: each time the tone comes back.
Prints "ok NAME" / "FAIL NAME: why" and "N passed, N failed".
"""
import argparse
import collections
import json
import os
import re
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..",
                                "tools"))
sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))
from qemu_session import Guest, Timeout  # noqa: E402
import audio_analysis as A  # noqa: E402

GEN = os.path.join(os.path.dirname(__file__), "..", "..", "tools",
                   "gen-wav.py")


class Failed(Exception):
    pass


def need(cond, why):
    if not cond:
        raise Failed(why)


def pattern_frames():
    import importlib.util
    spec = importlib.util.spec_from_file_location("genwav", GEN)
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    return m.samples("pattern-s16-48k")[4]


class Rec:
    """The WAV QEMU writes: stretches by file size."""

    def __init__(self, path):
        self.path = path

    def size(self):
        try:
            return os.path.getsize(self.path)
        except OSError:
            return 0

    def frames(self, start, end=None):
        """Stereo frames written between sizes start and end (bytes)."""
        data = open(self.path, "rb").read()
        end = len(data) if end is None else end
        start = max(start, 44)
        start += (start - 44) % 4 and 4 - (start - 44) % 4
        import struct
        n = (end - start) // 4
        s = struct.unpack("<%dh" % (2 * n), data[start:start + 4 * n])
        return list(s[0::2]), list(s[1::2])


class Suite:
    def __init__(self, g, dev):
        self.g, self.dev, self.passed, self.failed = g, dev, 0, 0

    def run(self, name, fn):
        name = "audio_%s_%s" % (self.dev, name)
        try:
            fn()
            print("ok   %s" % name)
            self.passed += 1
        except (Failed, Timeout, OSError, ValueError) as e:
            rc = self.g.proc.poll()
            print("FAIL %s: %s%s" % (name, str(e)[:800],
                                     "" if rc is None else
                                     " (QEMU exited with %d)" % rc))
            self.failed += 1
            try:
                self.g.send("\x03\x15\r")
                self.g.expect("exec-rt> ", timeout=10)
            except (Timeout, OSError):
                pass
        sys.stdout.flush()


def status(g, svc="audiomixerd"):
    out = g.command("portctl %s '{\"cmd\":\"status\"}'" % svc, timeout=60)
    m = re.search(r"\{.*\}", out.replace("\r", "").replace("\n", " "))
    need(m, "no status from %s: %r" % (svc, out[-300:]))
    r = json.loads(m.group(0))
    need(r.get("ok"), "status: %r" % r)
    return r["result"]


def settle(rec, secs=0.5):
    """Waits until the WAV stops growing (the stream stopped)."""
    last, end = -1, time.monotonic() + 20
    while time.monotonic() < end:
        time.sleep(secs)
        s = rec.size()
        if s == last:
            return s
        last = s
    return last


def play(g, rec, cmd, done, timeout=120):
    """Runs cmd in the shell; the WAV stretch it played as (L, R)."""
    start = settle(rec)
    g.drain(0.2)
    g.pos = len(g.buf)
    g.line(cmd)
    out, _ = g.expect(done, timeout=timeout)
    rest, _ = g.expect("exec-rt> ", timeout=60)
    need("exited with status" not in out + rest,
         "%s failed: %r" % (cmd, (out + rest)[-400:]))
    end = settle(rec)
    need(end > start, "%s: the device played nothing" % cmd)
    return rec.frames(start, end)


def check_tone(L, freq, db, secs):
    a, b = A.span(L, thresh=200)
    need(a is not None, "no signal")
    played = (b - a) / 48000
    need(played > secs * 0.95, "%.3f s of signal, want %.1f" % (played, secs))
    bad = A.gaps(L, 48000, a, b)
    need(not bad, "%d silent 10 ms windows, first at %.3f s" %
         (len(bad), (bad[0] - a) / 48000 if bad else 0))
    seg = L[a + 2400:b - 2400]
    f, amp = A.peak_freq(seg[:96000], 48000)
    need(abs(f - freq) <= 1.0, "peak at %.2f Hz, want %g" % (f, freq))
    lvl = A.level_dbfs(seg)
    need(abs(lvl - db) <= 1.0, "level %.2f dBFS, want %g" % (lvl, db))
    return f, lvl, played


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iso", default="build/exec-rt.iso")
    ap.add_argument("--kernel", help="boot through PVH instead of the ISO")
    ap.add_argument("--initrd", default="build/initrd.cpio")
    ap.add_argument("--device", choices=["hda", "ac97"], default="hda")
    ap.add_argument("--icount", action="store_true")
    ap.add_argument("--long", type=int, default=30)
    ap.add_argument("--smp", default="2")
    ap.add_argument("--kills", action="store_true")
    ap.add_argument("--long-figure", action="store_true",
                    help="print the long run's xruns, do not assert them")
    ap.add_argument("--only", choices=["long", "bench", "kills", "latency"])
    ap.add_argument("--marks", type=int, default=30,
                    help="marks of the latency run (0: none)")
    ap.add_argument("--name")
    ap.add_argument("--logdir", default="build/logs")
    a = ap.parse_args()
    name = a.name or "audio-%s" % a.device
    tmp = tempfile.mkdtemp(prefix="execrt-audio-")
    wav = os.path.join(tmp, "out.wav")
    extra = ["-audiodev", "wav,id=a,path=%s,out.frequency=48000" % wav]
    if a.device == "hda":
        extra += ["-device", "intel-hda", "-device", "hda-output,audiodev=a"]
    else:
        extra += ["-device", "AC97,audiodev=a"]
    how = dict(kernel=a.kernel, initrd=a.initrd) if a.kernel else \
        dict(iso=a.iso)
    g = Guest(name, logdir=a.logdir, icount=a.icount, smp=a.smp, **how,
              timeout=900 + 4 * a.long, extra=extra)
    rec = Rec(wav)
    s = Suite(g, a.device)
    try:
        g.expect("exec-rt> ", timeout=240)

        def serves():
            # the driver registers /svc/audio; audiomixerd answers ping
            end = time.monotonic() + 150
            while True:
                # QEMU's own stderr shares the log: AC97 on the wav backend
                # prints "audio: Failed to create voice" once the driver
                # starts, which can split this echo (seen on plain TCG).
                try:
                    out = g.command("portctl audio '{\"cmd\":\"status\"}'",
                                    timeout=60)
                except Timeout:
                    out = ""
                if '"driver": "%s"' % a.device in out:
                    break
                need(time.monotonic() < end, "no %s driver on /svc/audio: "
                     "%r" % (a.device, out[-300:]))
                time.sleep(1)
            out = g.command("portctl audiomixerd '{\"cmd\":\"ping\"}'",
                            timeout=60)
            need('"protocol": "ports/v0"' in out, "ping: %r" % out[-300:])

        def tone():
            L, R = play(g, rec, "tone_to_device", "tone_to_device: done")
            f, lvl, secs = check_tone(L, 440, -6, 2.0)
            need(L == R, "the channels differ")
            print("  tone: %.2f Hz, %.2f dBFS, %.3f s without a gap" %
                  (f, lvl, secs))

        def two_tones():
            L, _ = play(g, rec, "tone_to_device --freq 440 --freq 660 --db "
                        "-12 --seconds 1", "tone_to_device: done")
            a0, b0 = A.span(L, thresh=200)
            need(a0 is not None, "no signal")
            seg = L[a0 + 2400:min(b0, a0 + 2400 + 38400)]
            full = 32768 * 10 ** (-12 / 20)
            for f in (440, 660):
                amp = A.goertzel(seg, f, 48000)
                d = 20 * A.math.log10(max(amp, 1e-9) / full)
                need(abs(d) <= 1.0, "%d Hz at %.2f dB of -12 dBFS" % (f, d))
            other = A.goertzel(seg, 550, 48000)
            need(other < full / 100, "550 Hz at %.0f (a tone is %.0f)" %
                 (other, full))

        def wav_exact():
            L, R = play(g, rec, "play /boot/share/pattern-s16-48k.wav",
                        "play: /boot/share/pattern")
            pat = pattern_frames()
            pl = [f[0] for f in pat]
            pr = [f[1] for f in pat]
            at = A.find(L, pl[128:192])
            need(at >= 0, "the file's second period is not in what played")
            n = min(len(pl) - 128, len(L) - at)
            need(n >= 48000 - 128 - 4800, "only %d frames after the first "
                 "period were recorded" % n)
            diff = [i for i in range(n) if L[at + i] != pl[128 + i] or
                    R[at + i] != pr[128 + i]]
            if diff:
                st, drv = status(g), status(g, "audio")
                raise Failed(
                    "%d of %d frames differ, first at frame %d: got %d/%d "
                    "want %d/%d (audiomixerd xruns %d, driver xruns %d)" % (
                        len(diff), n, diff[0] + 128, L[at + diff[0]],
                        R[at + diff[0]], pl[128 + diff[0]],
                        pr[128 + diff[0]], st["xruns"], drv["xruns"]))
            print("  wav: %d frames after the first period, sample-exact"
                  % n)

        def malformed():
            cases = [
                ('{"cmd":"create_node","type":"reverb"}', "BAD_ARG"),
                ('{"cmd":"create_node","type":"resample","args":'
                 '{"rate":5}}', "BAD_ARG"),
                ('{"cmd":"device_open","name":"default","rate":44100,'
                 '"channels":2,"period":128}', "BAD_ARG"),
                ('{"cmd":"device_open","period":100}', "BAD_ARG"),
                ('{"cmd":"connect","from":1,"to":424242}', "NOT_FOUND"),
                ('{"cmd":"connect","from":424241,"to":424242}',
                 "NOT_FOUND"),
                ('{"cmd":"frobnicate"}', "BAD_CMD"),
                ('{"cmd":"create_node","type":"tone","args":{"freq":"x"}}',
                 "BAD_ARG"),
            ]
            for req, code in cases:
                out = g.command("portctl audiomixerd '%s'" % req, timeout=60)
                need('"code": "%s"' % code in out,
                     "%s: want %s, got %r" % (req, code, out[-300:]))
            out = g.command("amxload badring", timeout=60)
            need("badring: error BAD_ARG" in out and "too small" in out,
                 "app ring grant too small: %r" % out[-300:])
            out = g.command("portctl audiomixerd '{\"cmd\":\"ping\"}'",
                            timeout=60)
            need('"ok": true' in out, "no answer after: %r" % out[-300:])

        def long_run():
            x0 = status(g)["xruns"]
            secs = a.long
            start = settle(rec)
            g.drain(0.2)
            g.pos = len(g.buf)
            g.line("tone_to_device --seconds %d --period 128 &" % (secs + 4))
            g.expect("tone_to_device: playing", timeout=120)
            # the load comes once the graph plays
            g.line("amxload spin %d &" % secs)
            g.line("amxload flood %d &" % secs)
            g.expect("amxload: spun", timeout=120 + 30 * secs)
            g.expect("tone_to_device: done", timeout=120 + 30 * secs)
            end = settle(rec)
            st = status(g)
            x = st["xruns"] - x0
            print("  long: %d s at 128 frames with a hog and a flood%s: "
                  "%d xruns (cost max %d us, budget %d us, late max %d us, "
                  "lead %d frames, device step max %d frames)"
                  % (secs, " (-icount)" if a.icount else " (plain TCG)", x,
                     st["cost_max_us"], st["budget_us"], st["late_max_us"],
                     st.get("lead_frames", -1), st.get("step_max", -1)))
            if a.icount and not a.long_figure:
                need(x == 0, "%d xruns" % x)
                L, _ = rec.frames(start, end)
                check_tone(L, 440, -6, secs)

        def grown(since, secs, what):
            """Waits until the WAV holds secs more seconds than at size
            since (guest time under -icount runs ahead of the host's
            when the guest idles: count audio, not host seconds)."""
            want = since + 48000 * 4 * secs
            end = time.monotonic() + 120
            while rec.size() < want:
                need(time.monotonic() < end, "nothing played after %s "
                     "(%d bytes in 120 s)" % (what, rec.size() - since))
                time.sleep(0.5)
            L, _ = rec.frames(want - 48000 * 4, want)
            f, _ = A.peak_freq(L, 48000)
            need(abs(f - 440) <= 1, "after %s: %.2f Hz" % (what, f))

        def kills():
            g.drain(0.2)
            g.pos = len(g.buf)
            g.line("tone_to_device --seconds 100000 --resilient &")
            _, m = g.expect(r"\[(\d+)\] started", timeout=60, regex=True)
            job = m.group(1)
            g.expect("tone_to_device: playing", timeout=60)
            grown(rec.size(), 2, "the start")
            ps = g.command("ps", timeout=60)
            m = re.search(r"^\s*(\d+)\s+\d+\s+audiomixerd\s", ps, re.M)
            need(m, "audiomixerd not in ps: %r" % ps[-500:])
            g.command("kill %s" % m.group(1), timeout=60)
            g.expect("graph rebuilt", timeout=120)
            grown(rec.size(), 3, "audiomixerd's restart")
            st = status(g, "audio")
            req = json.dumps({"cmd": "restart", "dev": st["device"]},
                             separators=(",", ":"))
            out = g.command("portctl iod-ctl '%s'" % req, timeout=60)
            need('"ok": true' in out, "driver restart: %r" % out[-300:])
            grown(rec.size(), 3, "the driver's restart")
            g.command("kill %s" % job, timeout=60)
            g.command("portctl audiomixerd '{\"cmd\":\"stop\"}'",
                      timeout=60)

        def latency():
            start = settle(rec)
            out = g.command("amxload latency %d" % a.marks,
                            timeout=120 + a.marks * 2).replace("\r", "")
            m = re.search(r"^bench: amx_app_to_dma_us .*$", out, re.M)
            need(m, "no figure: %r" % out[-400:])
            marks = [int(x) for ln in re.findall(r"^amxload: marks (.*)$",
                                                 out, re.M)
                     for x in ln.split()]
            need(len(marks) == a.marks, "%d marks printed, want %d" %
                 (len(marks), a.marks))
            end = settle(rec)
            L, R = rec.frames(start, end)
            # every mark is one frame at 0.5 (16384) in silence
            found = [i for i, v in enumerate(L) if v != 0]
            odd = sorted(set((L[i], R[i]) for i in found) - {(16384, 16384)})
            xr = int(re.search(r"(\d+) xruns", m.group(0)).group(1))
            # one offset WAV frame - device frame for all: the one that
            # places most of what was found on predicted frames
            want = set(marks)
            votes = collections.Counter(w - f for w in found for f in marks)
            off = votes.most_common(1)[0][0] if votes else 0
            on = sum(w - off in want for w in found)
            verdict = ("%d marks written, %d found in the WAV at the device "
                       "frame the guest predicted (WAV frame = device frame "
                       "%+d), %d other non-zero frames; %d xruns" %
                       (len(marks), on, off, len(found) - on, xr))
            p99 = int(re.search(r"p99 (\d+)", m.group(0)).group(1)) / 1000
            goal = ("  bench: amx_app_to_dma_goal %s%s p99 %.1f ms, goal < "
                    "21.3 ms (half the 42.7 ms lead designed before): %s" %
                    (a.device, "" if a.icount else " plain TCG", p99,
                     "met" if p99 < 21.3 else "over"))
            if not a.icount:
                # host-clocked: a starved vCPU loses or repeats periods
                # (xruns) and QEMU resets its audio rate control; the
                # mapping is asserted under -icount
                print("  " + m.group(0) + " (plain TCG)")
                print(goal)
                print("  latency: " + verdict + " (plain TCG, not asserted)")
                return
            need(not odd and on == len(found) == len(marks), verdict +
                 (" values %r" % odd[:4] if odd else ""))
            print("  " + m.group(0) + " (-icount)")
            print(goal)
            print("  latency: " + verdict)

        def bench():
            out = g.command("amxload bench", timeout=300)
            m = re.search(r"^bench: .*$", out.replace("\r", ""), re.M)
            need(m, "no figure: %r" % out[-300:])
            print("  " + m.group(0))
            out = g.command("portctl audiomixerd '{\"cmd\":\"device_open\","
                            "\"period\":128}'", timeout=60)
            m = re.search(r'"latency_us": (\d+)', out)
            need(m, "device_open: %r" % out[-300:])
            print("  bench: amx_lead_at_start_us %s (the mixer's lead for "
                  "the first second after a start, 128-frame periods; then "
                  "it adapts to the device: amx_app_to_dma_us)" % m.group(1))

        if a.only == "kills":
            s.run("serves", serves)
            s.run("kill_mixer_and_driver_resumes", kills)
        elif a.only == "bench":
            s.run("serves", serves)
            s.run("bench", bench)
            if a.marks:
                s.run("app_to_dma_latency", latency)
        elif a.only == "latency":
            s.run("serves", serves)
            s.run("app_to_dma_latency", latency)
        elif a.only == "long":
            s.run("serves", serves)
            s.run("long_%ds" % a.long, long_run)
        else:
            s.run("serves", serves)
            s.run("tone_440_minus6dB", tone)
            s.run("two_tones_mixed", two_tones)
            s.run("wav_0dB_sample_exact", wav_exact)
            s.run("malformed_requests", malformed)
            if a.marks:
                s.run("app_to_dma_latency", latency)
            if a.long:
                s.run("long_%ds_hog_flood_no_xrun" % a.long, long_run)
            if a.kills:
                s.run("kill_mixer_and_driver_resumes", kills)
    except Timeout as e:
        print("FAIL audio_%s_boot: %s" % (a.device, e))
        s.failed += 1
    finally:
        g.close()
        try:
            os.unlink(wav)
            os.rmdir(tmp)
        except OSError:
            pass
    print("%d passed, %d failed" % (s.passed, s.failed))
    return 1 if s.failed else 0


if __name__ == "__main__":
    sys.exit(main())
