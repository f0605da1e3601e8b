#!/usr/bin/env python3
"""WAV files the audio tests play (room aud-mix; docs/audio.md "Test
files"), generated at build time so no binary is committed.

  gen-wav.py NAME OUT.wav     writes one of the files below

pattern-s16-48k: 1 s, stereo, 16-bit PCM at 48 kHz: a 440 Hz sine at
  -12 dBFS on the left, 660 Hz at -12 dBFS on the right, each plus a
  deterministic pseudo-random dither of +-255 LSB, so every stretch of it
  is unique and the test finds where it starts in what the device played
  and compares it sample by sample (played at 0 dB it must be exact).
tone-f32-44k: 2 s, mono, float32 at 44.1 kHz: 440 Hz at -6 dBFS
  (play resamples it to 48 kHz).
tone-s24-96k: 1 s, stereo, 24-bit PCM at 96 kHz: 1 kHz at -6 dBFS.
The test imports samples() to know what to expect."""
import math
import struct
import sys


def samples(name):
    """(rate, channels, bits, is_float, list of frames as tuples)."""
    if name == "pattern-s16-48k":
        seed = 12345
        frames = []
        a = 32768 * 10 ** (-12 / 20)
        for i in range(48000):
            out = []
            for f in (440.0, 660.0):
                seed = (seed * 1103515245 + 12345) & 0x7FFFFFFF
                d = (seed >> 8) % 511 - 255
                v = int(round(a * math.sin(2 * math.pi * f * i / 48000))) + d
                out.append(max(-32768, min(32767, v)))
            frames.append(tuple(out))
        return 48000, 2, 16, False, frames
    if name == "tone-f32-44k":
        a = 10 ** (-6 / 20)
        return 44100, 1, 32, True, [
            (a * math.sin(2 * math.pi * 440 * i / 44100),)
            for i in range(88200)]
    if name == "tone-s24-96k":
        a = 8388608 * 10 ** (-6 / 20)
        return 96000, 2, 24, False, [
            (int(a * math.sin(2 * math.pi * 1000 * i / 96000)),) * 2
            for i in range(96000)]
    raise SystemExit(f"gen-wav.py: unknown file {name}")


def encode(rate, channels, bits, is_float, frames):
    data = bytearray()
    for fr in frames:
        for v in fr:
            if is_float:
                data += struct.pack("<f", v)
            elif bits == 16:
                data += struct.pack("<h", v)
            elif bits == 24:
                data += struct.pack("<i", v)[:3]
            else:
                data += struct.pack("<i", v)
    align = channels * bits // 8
    fmt = struct.pack("<HHIIHH", 3 if is_float else 1, channels, rate,
                      rate * align, align, bits)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    body += b"data" + struct.pack("<I", len(data)) + bytes(data)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    with open(sys.argv[2] + ".tmp", "wb") as f:
        f.write(encode(*samples(sys.argv[1])))
    import os
    os.replace(sys.argv[2] + ".tmp", sys.argv[2])


if __name__ == "__main__":
    main()
