"""What the guest played, as QEMU's wav audiodev wrote it (room aud-mix,
docs/audio.md "Testing"): a reader that tolerates a header QEMU did not
finish, a Goertzel filter (numpy is not available), peak search, level and
gap checks, and finding a known pattern. Pure Python, no I/O but read_wav.
"""
import math
import struct


def read_wav(path):
    """(rate, channels, [channel lists of ints]) of a 16-bit PCM WAV. A
    data size of 0 or past the end (QEMU killed before it closed the file)
    means: up to the end of the file."""
    data = open(path, "rb").read()
    if len(data) < 44 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError("%s: not a WAV file (%d bytes)" % (path, len(data)))
    off, rate, ch, bits, pcm = 12, 0, 0, 0, None
    while off + 8 <= len(data):
        cid, size = data[off:off + 4], struct.unpack_from("<I", data,
                                                            off + 4)[0]
        body = off + 8
        if cid == b"fmt ":
            _, ch, rate, _, _, bits = struct.unpack_from("<HHIIHH", data,
                                                         body)
        elif cid == b"data":
            end = body + size if 0 < size <= len(data) - body else len(data)
            pcm = data[body:end]
            break
        off = body + size + (size & 1)
    if pcm is None or bits != 16 or ch < 1:
        raise ValueError("%s: no 16-bit PCM data" % path)
    n = len(pcm) // (2 * ch)
    s = struct.unpack("<%dh" % (n * ch), pcm[:n * ch * 2])
    return rate, ch, [list(s[c::ch]) for c in range(ch)]


def goertzel(x, freq, rate):
    """Amplitude (peak, same unit as x) of freq in x."""
    w = 2 * math.pi * freq / rate
    c = 2 * math.cos(w)
    s1 = s2 = 0.0
    for v in x:
        s0 = v + c * s1 - s2
        s2, s1 = s1, s0
    re = s1 - s2 * math.cos(w)
    im = s2 * math.sin(w)
    return 2 * math.hypot(re, im) / len(x)


def peak_freq(x, rate, lo=100.0, hi=2000.0):
    """The strongest frequency: a coarse scan (5 Hz steps on 8192
    samples), then 0.05 Hz steps around it on the whole of x."""
    short = x[:8192]
    best = max((goertzel(short, f, rate), f)
               for f in [lo + 5 * i for i in range(int((hi - lo) / 5) + 1)])
    f0 = best[1]
    fine = max((goertzel(x, f, rate), f)
               for f in [f0 - 6 + 0.05 * i for i in range(241)])
    return fine[1], fine[0]


def level_dbfs(x):
    """The level of a sine as its peak would read: RMS * sqrt(2) over
    full scale, in dB."""
    rms = math.sqrt(sum(v * v for v in x) / len(x))
    return 20 * math.log10(max(rms, 1e-9) * math.sqrt(2) / 32768)


def span(x, thresh=64):
    """First and last index with |v| > thresh, or (None, None)."""
    first = next((i for i, v in enumerate(x) if abs(v) > thresh), None)
    if first is None:
        return None, None
    last = len(x) - 1 - next(i for i, v in enumerate(reversed(x))
                             if abs(v) > thresh)
    return first, last


def gaps(x, rate, start, end, win_ms=10, min_rms=None):
    """10 ms windows in [start, end) whose RMS is below min_rms (default:
    a tenth of the whole stretch's): their start indexes."""
    win = rate * win_ms // 1000
    seg = x[start:end]
    if not seg:
        return [start]
    whole = math.sqrt(sum(v * v for v in seg) / len(seg))
    floor = whole / 10 if min_rms is None else min_rms
    bad = []
    for i in range(start, end - win + 1, win):
        w = x[i:i + win]
        if math.sqrt(sum(v * v for v in w) / win) < floor:
            bad.append(i)
    return bad


def find(x, pattern, start=0):
    """Index of the first occurrence of pattern (a list) in x, or -1."""
    n, first = len(pattern), pattern[0]
    for i in range(start, len(x) - n + 1):
        if x[i] == first and x[i:i + n] == pattern:
            return i
    return -1
