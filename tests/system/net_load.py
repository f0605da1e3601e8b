"""The host side of the network tests (tests/system/test_net.py against
the guest, tests/host-user/test_net_apps.py against the same programs on
Linux loopback): UDP echo rounds, TCP bulk with CRC-32, HTTP requests and
many concurrent connections. Every function raises LoadError saying what
went wrong; nothing here kills or starts processes."""
import json
import random
import select
import socket
import struct
import threading
import time
import zlib


class LoadError(Exception):
    pass


def free_port(kind=socket.SOCK_STREAM):
    """A port nothing on 127.0.0.1 uses right now (TCP and UDP both)."""
    for _ in range(50):
        s = socket.socket(socket.AF_INET, kind)
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        other = socket.SOCK_DGRAM if kind == socket.SOCK_STREAM \
            else socket.SOCK_STREAM
        t = socket.socket(socket.AF_INET, other)
        try:
            t.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            t.close()
    raise LoadError("no free port")


def udp_echo(addr, count, window=16, min_size=1, max_size=1400,
             timeout=5.0, seed=1):
    """Sends `count` datagrams (random sizes and bytes, a sequence number
    in the first 4 bytes; at most `window` unanswered) and wants each back
    intact. Returns (round trips in seconds, elapsed). Losses are not
    retried: a datagram not back within `timeout` fails the run."""
    rnd = random.Random(seed)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    s.connect(addr)
    sent = {}
    rtts = []
    nxt = 0
    t0 = time.monotonic()
    last = t0
    try:
        while len(rtts) < count:
            while nxt < count and len(sent) < window:
                size = rnd.randint(max(min_size, 4), max_size)
                body = struct.pack("<I", nxt) + rnd.randbytes(size - 4)
                sent[nxt] = (body, time.monotonic())
                s.send(body)
                nxt += 1
            r, _, _ = select.select([s], [], [], 0.5)
            now = time.monotonic()
            if not r:
                if now - last > timeout:
                    missing = sorted(sent)[:10]
                    raise LoadError("udp: %d of %d back; no answer for "
                                    "%.1fs; waiting for %r" % (
                                        len(rtts), count, timeout, missing))
                continue
            data = s.recv(65536)
            last = now
            if len(data) < 4:
                raise LoadError("udp: a %d-byte datagram came back" %
                                len(data))
            seq = struct.unpack("<I", data[:4])[0]
            if seq not in sent:
                raise LoadError("udp: datagram %d came back twice or was "
                                "never sent" % seq)
            body, ts = sent.pop(seq)
            if data != body:
                raise LoadError("udp: datagram %d changed (%d bytes sent, "
                                "%d back)" % (seq, len(body), len(data)))
            rtts.append(now - ts)
    finally:
        s.close()
    return rtts, time.monotonic() - t0


def udp_rtt(addr, rounds, size=64, timeout=2.0):
    """One datagram at a time: (round trips in seconds, datagrams lost).
    A round without an answer within timeout counts as lost (UDP may drop;
    the bench says how many) and is not retried; more than 1% lost is an
    error."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect(addr)
    s.settimeout(timeout)
    out = []
    lost = 0
    try:
        for i in range(rounds):
            body = struct.pack("<I", i) + bytes(size - 4)
            t = time.monotonic()
            s.send(body)
            while True:
                try:
                    d = s.recv(65536)
                except socket.timeout:
                    lost += 1
                    break
                if d == body:
                    out.append(time.monotonic() - t)
                    break
            if lost > rounds // 100:
                raise LoadError("udp rtt: %d of %d rounds unanswered"
                                % (lost, i + 1))
    finally:
        s.close()
    return out, lost


def tcp_connect(addr, timeout=30.0, tries=1):
    err = None
    for _ in range(tries):
        try:
            return socket.create_connection(addr, timeout=timeout)
        except OSError as e:
            err = e
            time.sleep(0.5)
    raise LoadError("connect %s:%d: %s" % (addr[0], addr[1], err))


def tcp_echo(addr, nbytes, chunk=256 << 10, timeout=60.0, seed=2):
    """Sends nbytes of random data over one connection to an echo server
    and reads everything back at the same time; compares CRC-32 and
    length. Returns (elapsed seconds, crc)."""
    rnd = random.Random(seed)
    block = rnd.randbytes(chunk)
    s = tcp_connect(addr, timeout)
    s.settimeout(timeout)
    sent_crc = [0]
    err = []

    def writer():
        try:
            off = 0
            i = 0
            while off < nbytes:
                n = min(chunk, nbytes - off)
                # a different block each time: a ring bug cannot hide
                piece = block[i % 7:] + block[:i % 7]
                piece = piece[:n]
                sent_crc[0] = zlib.crc32(piece, sent_crc[0])
                s.sendall(piece)
                off += n
                i += 1
            s.shutdown(socket.SHUT_WR)
        except OSError as e:
            err.append("send: %s" % e)

    t0 = time.monotonic()
    th = threading.Thread(target=writer, daemon=True)
    th.start()
    got = 0
    crc = 0
    try:
        while True:
            d = s.recv(1 << 20)
            if not d:
                break
            crc = zlib.crc32(d, crc)
            got += len(d)
    except OSError as e:
        err.append("recv after %d bytes: %s" % (got, e))
    th.join(timeout)
    s.close()
    dt = time.monotonic() - t0
    if err:
        raise LoadError("tcp echo: " + "; ".join(err))
    if got != nbytes or crc != sent_crc[0]:
        raise LoadError("tcp echo: sent %d bytes crc %08x, got %d crc %08x"
                        % (nbytes, sent_crc[0], got, crc))
    return dt, crc


def tcp_send(addr, nbytes, chunk=256 << 10, timeout=60.0, seed=3):
    """Sends nbytes to a sink, then waits for its end. Returns (elapsed,
    crc of what was sent)."""
    block = random.Random(seed).randbytes(chunk)
    s = tcp_connect(addr, timeout)
    s.settimeout(timeout)
    crc = 0
    off = 0
    t0 = time.monotonic()
    try:
        while off < nbytes:
            piece = block[:min(chunk, nbytes - off)]
            crc = zlib.crc32(piece, crc)
            s.sendall(piece)
            off += len(piece)
        s.shutdown(socket.SHUT_WR)
        while s.recv(65536):
            pass
    except OSError as e:
        raise LoadError("tcp send after %d bytes: %s" % (off, e))
    finally:
        s.close()
    return time.monotonic() - t0, crc


def tcp_recv(addr, timeout=60.0):
    """Reads a source to its end. Returns (elapsed, bytes, crc, data of
    the first 64 KiB)."""
    s = tcp_connect(addr, timeout)
    s.settimeout(timeout)
    crc = 0
    got = 0
    head = b""
    t0 = time.monotonic()
    try:
        while True:
            d = s.recv(1 << 20)
            if not d:
                break
            if len(head) < 65536:
                head += d[:65536 - len(head)]
            crc = zlib.crc32(d, crc)
            got += len(d)
    except OSError as e:
        raise LoadError("tcp recv after %d bytes: %s" % (got, e))
    finally:
        s.close()
    return time.monotonic() - t0, got, crc, head


def nc_pattern(off, n):
    """apps/nc/ncutil.c nc_pattern()."""
    return bytes(((x ^ (x >> 8) * 7 ^ (x >> 17) * 13) & 0xff)
                 for x in range(off, off + n))


def parse_response(data):
    """(status, headers dict lower-case, body) of one complete response;
    raises if it is not complete or Content-Length disagrees."""
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        raise LoadError("http: no end of head in %r" % data[:200])
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
        raise LoadError("http: status line %r" % lines[0])
    hdrs = {}
    for ln in lines[1:]:
        k, _, v = ln.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    n = int(hdrs.get("content-length", "-1"))
    if n != len(body):
        raise LoadError("http: Content-Length %d, body %d bytes" %
                        (n, len(body)))
    return int(parts[1]), hdrs, body


def http_get(addr, path="/", timeout=30.0, extra=b"", method="GET"):
    """One request with Connection: close; the whole answer parsed."""
    s = tcp_connect(addr, timeout)
    s.settimeout(timeout)
    try:
        s.sendall(b"%s %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n%s"
                  b"\r\n" % (method.encode(), path.encode(), extra))
        data = b""
        while True:
            d = s.recv(65536)
            if not d:
                break
            data += d
    finally:
        s.close()
    if method == "HEAD":
        head, _, _ = data.partition(b"\r\n\r\n")
        return int(head.split(b" ")[1]), head, b""
    return parse_response(data)


def status_json(addr, timeout=30.0):
    st, hdrs, body = http_get(addr, "/status.json", timeout)
    if st != 200 or not hdrs.get("content-type", "").startswith(
            "application/json"):
        raise LoadError("status.json: %d %r" % (st, hdrs))
    return json.loads(body)


def http_concurrent(addr, n, path="/status.json", timeout=120.0,
                    pace=0.02, probe=None):
    """n connections open at the same time, each with a request whose head
    is not finished yet (so the server must hold all n); then every head
    is finished and each must get one complete 200 response. Connections
    are opened `pace` seconds apart: QEMU's port forward listens with a
    backlog of 1 (libslirp), and a burst beyond it waits out SYN-ACK
    retransmissions. probe(), if given, runs while all n are open.
    Returns the seconds from the last head finished to the last answer;
    raises LoadError naming how many completed and how the others ended."""
    t0 = time.monotonic()
    socks = {}
    head = b"GET %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n" % \
        path.encode()
    try:
        for i in range(n):
            s = tcp_connect(addr, timeout=30)
            s.sendall(head)
            socks[s] = {"i": i, "buf": b""}
            time.sleep(pace)
        if probe:
            probe()
        for s in socks:
            s.sendall(b"\r\n")
            s.setblocking(False)
    except OSError as e:
        for s in socks:
            s.close()
        raise LoadError("http concurrent: opening %d: %s" % (len(socks), e))
    t1 = time.monotonic()
    done = 0
    bad = {}

    def failed(s, why):
        bad[why] = bad.get(why, 0) + 1
        s.close()
        del socks[s]

    try:
        while socks and time.monotonic() - t0 < timeout:
            r, _, _ = select.select(list(socks), [], [], 1.0)
            for s in r:
                v = socks[s]
                try:
                    d = s.recv(65536)
                except OSError as e:
                    failed(s, "%s after %s bytes" % (
                        e.strerror, "some" if v["buf"] else "no"))
                    continue
                if d:
                    v["buf"] += d
                    continue
                try:
                    status, _, body = parse_response(v["buf"])
                    if status != 200:
                        failed(s, "status %d" % status)
                        continue
                    if path.endswith(".json"):
                        json.loads(body)
                except (LoadError, ValueError):
                    failed(s, "ended after %s bytes, incomplete" % (
                        "some" if v["buf"] else "no"))
                    continue
                s.close()
                del socks[s]
                done += 1
        for s in list(socks):
            failed(s, "no end after %ds" % timeout)
    finally:
        for s in socks:
            s.close()
    if done != n:
        raise LoadError("http concurrent: %d of %d complete; the others: %r"
                        % (done, n, bad))
    return time.monotonic() - t1
