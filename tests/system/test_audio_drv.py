#!/usr/bin/env python3
"""The audio drivers end to end, without the mixer (docs/audio.md
"Drivers"): boots the ISO with an audio device whose output QEMU writes
to a WAV file (-audiodev wav), runs `audiotest` (a 440 Hz sine at
-6 dBFS straight into /svc/audio, the ring refilled from the period
notices) and reads the WAV back: the strongest frequency (a Goertzel scan,
numpy is not there) within 1 Hz of 440, the level within 1 dB of -6 dBFS,
no 10 ms window silent between the start and the end of the tone. Also
`status` of /svc/audio through portctl, a second connection's OPEN
refused (ERR_ALREADY_EXISTS) while the stream is open, and the driver
restarted through iod-ctl: the new instance serves /svc/audio and plays
(880 Hz for 1 s, found in the WAV right after the first tone).

usage: tests/system/test_audio_drv.py [--iso build/exec-rt.iso]
          [--device ac97|hda] [--machine q35] [--secs 3]
          [--name N] [--logdir D]
Prints one line per test ("ok NAME" / "FAIL NAME: why") and ends with
"N passed, N failed"; exit status 1 on any failure.
"""
import argparse
import json
import math
import os
import shutil
import struct
import sys
import tempfile
import wave

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..",
                                "tools"))
from qemu_session import PROMPT, Guest, Timeout  # noqa: E402

DEVICES = {
    "ac97": ["-device", "AC97,audiodev=snd"],
    "hda": ["-device", "intel-hda", "-device", "hda-output,audiodev=snd"],
}


class Failed(Exception):
    pass


def need(cond, why):
    if not cond:
        raise Failed(why)


def goertzel(x, rate, f):
    """Power of frequency f in samples x (any f, not only bin centres)."""
    w = 2 * math.pi * f / rate
    c = 2 * math.cos(w)
    s1 = s2 = 0.0
    for v in x:
        s1, s2 = v + c * s1 - s2, s1
    return s1 * s1 + s2 * s2 - c * s1 * s2


def peak(x, rate, lo, hi, step):
    best = max((goertzel(x, rate, lo + i * step), lo + i * step)
               for i in range(int((hi - lo) / step) + 1))
    return best[1]


def read_wav(path):
    with wave.open(path, "rb") as w:
        rate, ch, sw = w.getframerate(), w.getnchannels(), w.getsampwidth()
        data = w.readframes(w.getnframes())
    need(sw == 2, "WAV sample width %d" % sw)
    n = len(data) // (2 * ch)
    s = struct.unpack("<%dh" % (n * ch), data[:n * 2 * ch])
    return rate, [s[i * ch] for i in range(n)], [s[i * ch + ch - 1]
                                                 for i in range(n)]


def analyse(path, secs, hz, restarted):
    rate, left, right = read_wav(path)
    need(rate == 48000, "WAV rate %d" % rate)
    need(left == right, "left and right differ")
    # where the tone is: first and last sample above a small threshold
    a = next((i for i, v in enumerate(left) if abs(v) > 1000), None)
    need(a is not None, "the WAV is silent (%d frames)" % len(left))
    # the first run's tone ends at the first silent 10 ms window (later
    # runs, after the driver's restart, come after a pause): a gap would
    # end it early
    win = rate // 100
    b = a
    while b + win <= len(left) and max(abs(v) for v in left[b:b + win]) \
            >= 1000:
        b += win
    played = (b - a) / rate
    # QEMU's wav backend writes nothing while the device is stopped: the
    # run after the restart (880 Hz, 1 s) follows at once. Each window is
    # the one tone or the other.
    n440 = n880 = 0
    for k in range(a, b, win):
        x = left[k:k + win]
        if goertzel(x, rate, hz) > goertzel(x, rate, 2 * hz):
            need(n880 == 0, "440 Hz again after the restart's tone")
            n440 += 1
        else:
            n880 += 1
    played = n440 * win / rate
    need(abs(played - secs) <= 0.2, "440 Hz for %.3f s without a silent "
         "10 ms window, want %d s" % (played, secs))
    if restarted:
        need(abs(n880 * win / rate - 1) <= 0.2, "the restarted driver "
             "played 880 Hz for %.3f s, want 1 s" % (n880 * win / rate))
    # 1 s from the middle: peak frequency (coarse, then 0.05 Hz steps)
    mid = a + int(secs * rate) // 2
    x = left[mid - rate // 2: mid + rate // 2]
    f0 = peak(x, rate, hz - 20, hz + 20, 1.0)
    f = peak(x, rate, f0 - 1, f0 + 1, 0.05)
    need(abs(f - hz) <= 1.0, "peak at %.2f Hz, want %d" % (f, hz))
    rms = math.sqrt(sum(v * v for v in x) / len(x))
    db = 20 * math.log10(rms * math.sqrt(2) / 32768)
    need(abs(db - (-6.02)) <= 1.0, "level %.2f dBFS, want -6" % db)
    return f, db, played


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iso", default="build/exec-rt.iso")
    ap.add_argument("--device", default="ac97", choices=sorted(DEVICES))
    ap.add_argument("--machine", default="q35")
    ap.add_argument("--secs", type=int, default=3)
    ap.add_argument("--name", default=None)
    ap.add_argument("--logdir", default="build/logs")
    a = ap.parse_args()
    name = a.name or "audio-drv-%s-%s" % (a.device, a.machine)
    tmp = tempfile.mkdtemp(prefix="audio-drv-")
    wav = os.path.join(tmp, "out.wav")
    extra = ["-audiodev", "wav,id=snd,path=%s,out.frequency=48000" % wav]
    extra += DEVICES[a.device]
    g = Guest(name, a.logdir, iso=a.iso, machine=a.machine, extra=extra,
              timeout=240)
    results = []

    def run(tname, fn):
        try:
            fn()
            results.append((tname, None))
            print("ok   %s" % tname, flush=True)
        except (Failed, Timeout) as e:
            results.append((tname, str(e)))
            print("FAIL %s: %s" % (tname, e), flush=True)

    state = {}

    def boot():
        g.expect(PROMPT, 90)
        out = g.command("portctl audio '{\"cmd\":\"status\"}' --compact",
                        timeout=30)
        js = [ln for ln in out.replace("\r", "").split("\n")
              if ln.strip().startswith("{")]
        need(js, "no status from /svc/audio: %r" % out[-300:])
        st = json.loads(js[0])
        need(st.get("ok"), "status: %r" % st)
        need(st["result"]["driver"] == a.device, "driver %r" %
             st["result"]["driver"])
        need(st["result"]["stream"] == "closed", "stream %r" %
             st["result"]["stream"])

    def play():
        out = g.command("audiotest %d 440 512 8" % a.secs,
                        timeout=a.secs + 30)
        line = [ln for ln in out.replace("\r", "").split("\n")
                if "audiotest: ok" in ln]
        need(line, "audiotest: %r" % out[-400:])
        kv = dict(t.split("=") for t in line[0].split()[2:])
        state["kv"] = kv
        need(int(kv["frames"]) >= a.secs * 48000, "frames %s" % kv["frames"])
        need(int(kv["notices"]) > 0, "no notices")
        need(kv.get("busy") == "1", "a second OPEN was not refused busy")
        print("     %s" % line[0].strip(), flush=True)

    def restart():
        # iod kills the driver and starts a new one: it takes /svc/audio
        # over from its dead predecessor and plays again
        out = g.command("lspci", timeout=30)
        dev = [ln.split()[0] for ln in out.replace("\r", "").split("\n")
               if "driver=%s" % a.device in ln]
        need(dev, "no %s in lspci: %r" % (a.device, out[-300:]))
        out = g.command("portctl iod-ctl '{\"cmd\":\"restart\","
                        "\"dev\":\"pci-%s\"}' --compact" % dev[0],
                        timeout=30)
        need('"ok":true' in out, "restart: %r" % out[-300:])
        g.expect("%s: serving /svc/audio" % a.device, 30)
        out = g.command("audiotest 1 880 512 8", timeout=40)
        need("audiotest: ok" in out, "after the restart: %r" % out[-400:])
        state["restarted"] = True

    def wav_check():
        # QEMU writes the WAV header's sizes when it closes the file
        g.line("poweroff")
        g.wait_exit(60)
        f, db, played = analyse(wav, a.secs, 440, state.get("restarted"))
        print("     peak %.2f Hz, level %.2f dBFS, %.3f s of tone" % (
            f, db, played), flush=True)

    try:
        run("%s_serves_svc_audio" % a.device, boot)
        run("%s_audiotest_plays_through_the_ring" % a.device, play)
        run("%s_driver_restarted_serves_again" % a.device, restart)
        run("%s_wav_has_the_440hz_tone_at_-6dbfs_without_gaps" % a.device,
            wav_check)
    finally:
        g.close()
        shutil.rmtree(tmp, ignore_errors=True)
    bad = sum(1 for _, e in results if e)
    print("%d passed, %d failed" % (len(results) - bad, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
