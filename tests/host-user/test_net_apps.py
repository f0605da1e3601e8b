#!/usr/bin/env python3
"""httpd, nc, ping and ifconfig built for Linux (make net-apps-host, with
ASan and UBSan) and run on loopback: the same sources the guest runs,
tested before the guest network exists (docs/net-programs.md "Testing").

usage: tests/host-user/test_net_apps.py [--bin build/host-user]
Prints "ok NAME" / "FAIL NAME: why" per test and "N passed, N failed";
exit status 1 on any failure. Ports are picked free at run time, on
127.0.0.1 only. Only the processes started here are ever killed, by pid.
"""
import argparse
import os
import re
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "system"))
import net_load as nl  # noqa: E402


class Failed(Exception):
    pass


def need(cond, why):
    if not cond:
        raise Failed(why)


class Proc:
    """A program of ours in the background; its output collected."""

    def __init__(self, args, ready=None, timeout=10):
        self.p = subprocess.Popen(args, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT)
        self.out = b""
        if ready:
            end = time.monotonic() + timeout
            while ready.encode() not in self.out:
                need(time.monotonic() < end and self.p.poll() is None,
                     "%s: no %r: %r" % (args[0], ready, self.out))
                self.out += os.read(self.p.stdout.fileno(), 4096)

    def finish(self, timeout=30):
        try:
            o, _ = self.p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()  # ours, by its Popen (pid)
            o, _ = self.p.communicate()
            raise Failed("still running after %ss: %r" % (timeout,
                                                          self.out + o))
        self.out += o
        return self.p.returncode, self.out.decode("utf-8", "replace")

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
        self.p.communicate()


def t_nc_udp_echo(b):
    port = nl.free_port(socket.SOCK_DGRAM)
    p = Proc([b + "/nc", "-l", "-u", "-s", "127.0.0.1", "-p", str(port),
              "--echo", "-c", "2000"], "listening")
    rtts, _ = nl.udp_echo(("127.0.0.1", port), 2000, window=8)
    rc, out = p.finish()
    need(rc == 0 and "nc: 2000 datagrams" in out, "nc: %d %r" % (rc, out))
    need(len(rtts) == 2000, "rtts %d" % len(rtts))


def t_nc_tcp_echo_sink_source(b):
    port = nl.free_port()
    p = Proc([b + "/nc", "-l", "-k", "-p", str(port), "-s", "127.0.0.1",
              "--echo"], "listening")
    try:
        for n in (1, 65536, 8 << 20):
            nl.tcp_echo(("127.0.0.1", port), n)
    finally:
        p.kill()
    port = nl.free_port()
    p = Proc([b + "/nc", "-l", "-p", str(port), "--sink"], "listening")
    _, crc = nl.tcp_send(("127.0.0.1", port), 5 << 20)
    rc, out = p.finish()
    m = re.search(r"received (\d+) bytes crc32 ([0-9a-f]{8})", out)
    need(rc == 0 and m and int(m.group(1)) == 5 << 20 and
         int(m.group(2), 16) == crc, "sink: %r (crc %08x)" % (out, crc))
    port = nl.free_port()
    p = Proc([b + "/nc", "-l", "-p", str(port), "--source", "3M"],
             "listening")
    _, got, crc, head = nl.tcp_recv(("127.0.0.1", port))
    rc, out = p.finish()
    m = re.search(r"sent (\d+) bytes crc32 ([0-9a-f]{8})", out)
    need(rc == 0 and m and got == 3 << 20 and int(m.group(2), 16) == crc,
         "source: got %d crc %08x: %r" % (got, crc, out))
    need(head == nl.nc_pattern(0, len(head)), "source: not the pattern")


def t_nc_connect_relay(b):
    """nc HOST PORT: stdin to the peer, the peer's bytes to stdout."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    p = subprocess.Popen([b + "/nc", "127.0.0.1", str(port)],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    c, _ = srv.accept()
    c.settimeout(10)
    p.stdin.write(b"hello over tcp\n")
    p.stdin.close()
    p.stdin = None  # communicate() must not flush it again
    got = b""
    while True:
        d = c.recv(100)
        if not d:
            break
        got += d
    c.sendall(b"and back\n")
    c.close()
    srv.close()
    out, err = p.communicate(timeout=10)
    need(got == b"hello over tcp\n", "peer got %r" % got)
    need(out == b"and back\n" and p.returncode == 0,
         "nc printed %r (%d, %r)" % (out, p.returncode, err))


def t_nc_errors(b):
    r = subprocess.run([b + "/nc", "-l"], capture_output=True, timeout=10)
    need(r.returncode == 2 and b"usage" in r.stderr, "usage: %r" % (r,))
    port = nl.free_port()  # nothing listens there
    r = subprocess.run([b + "/nc", "127.0.0.1", str(port)],
                       capture_output=True, timeout=10)
    need(r.returncode == 1 and b"connect: Connection refused" in r.stderr,
         "refused: %r" % (r,))
    # a reset in the middle of a sink is an error, not a count
    port = nl.free_port()
    p = Proc([b + "/nc", "-l", "-p", str(port), "--sink"], "listening")
    s = nl.tcp_connect(("127.0.0.1", port))
    s.sendall(b"x" * 1000)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                 bytes([1, 0, 0, 0, 0, 0, 0, 0]))
    s.close()
    rc, out = p.finish()
    need(rc == 1 and "recv: Connection reset by peer" in out,
         "reset: %d %r" % (rc, out))


def t_httpd(b):
    port = nl.free_port()
    p = Proc([b + "/httpd", "-a", "127.0.0.1", "-p", str(port)],
             "listening on")
    a = ("127.0.0.1", port)
    try:
        st, h, body = nl.http_get(a, "/")
        need(st == 200 and h["content-type"].startswith("text/html") and
             b"<h2>Tasks</h2>" in body, "/: %d %r" % (st, body[:200]))
        js = nl.status_json(a)
        need(js["system"] == "linux" and len(js["tasks"]) > 0 and
             any(t["koid"] == p.p.pid for t in js["tasks"]),
             "json: %r" % {k: js[k] for k in ("system", "tasks")})
        st, _, _ = nl.http_get(a, "/nope")
        need(st == 404, "404: %d" % st)
        st, head, _ = nl.http_get(a, "/status.json", method="HEAD")
        need(st == 200 and b"Content-Length: " in head, "HEAD %r" % head)
        # two pipelined requests on one connection, sent a byte at a time
        s = nl.tcp_connect(a)
        req = (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
               b"GET /status.json HTTP/1.1\r\nConnection: close\r\n\r\n")
        for i in range(len(req)):
            s.send(req[i:i + 1])
        data = b""
        s.settimeout(10)
        while True:
            d = s.recv(65536)
            if not d:
                break
            data += d
        s.close()
        first, _, rest = data.partition(b"\r\n\r\n")
        n = int(re.search(rb"Content-Length: (\d+)", first).group(1))
        nl.parse_response(rest[n:])
        need(rest[n:].startswith(b"HTTP/1.1 200"), "pipelined: %r" %
             data[:300])
        # hostile: garbage, a head too big, a body
        for bad, want in ((b"\x00\x01garbage\r\n\r\n", 400),
                          (b"GET / HTTP/1.1\r\nX: " + b"a" * 9000, 431),
                          (b"POST / HTTP/1.1\r\n\r\n", 501),
                          (b"GET / HTTP/1.1\r\nContent-Length: 3\r\n\r\n"
                           b"abc", 400)):
            s = nl.tcp_connect(a)
            s.sendall(bad)
            s.settimeout(10)
            data = b""
            while True:
                d = s.recv(65536)
                if not d:
                    break
                data += d
            s.close()
            st, _, _ = nl.parse_response(data)
            need(st == want, "%r: %d not %d" % (bad[:30], st, want))
        held = {}

        def probe():
            time.sleep(0.6)  # the page is a sample at most 0.5 s old
            held["open"] = nl.status_json(a)["httpd"]["open"]

        dt = nl.http_concurrent(a, 200, pace=0.001, probe=probe)
        need(held["open"] >= 200, "httpd held %d, not 200" % held["open"])
        time.sleep(0.6)
        js = nl.status_json(a)
        need(js["httpd"]["requests"] >= 200 + 9, "counters: %r" %
             js["httpd"])
        print("     httpd: 200 held at once, answered in %.2fs" % dt)
    finally:
        p.kill()
    need(b"runtime error" not in p.out and b"AddressSanitizer" not in
         p.out, "sanitizer: %r" % p.out[-2000:])


def t_ping(b):
    r = subprocess.run([b + "/ping", "-c", "3", "-i", "100", "127.0.0.1"],
                       capture_output=True, timeout=20)
    out = r.stdout.decode()
    if b"socket: " in r.stderr:
        print("     ping: no raw or ping socket here: %s" %
              r.stderr.decode().strip())
        return
    need(r.returncode == 0 and out.count("bytes from 127.0.0.1") == 3 and
         "3 received, 0% packet loss" in out and "rtt min/avg/max" in out,
         "ping: %r %r" % (out, r.stderr))


def t_ifconfig(b):
    r = subprocess.run([b + "/ifconfig", "lo"], capture_output=True,
                       timeout=10)
    out = r.stdout.decode()
    need(r.returncode == 0 and out.startswith("lo: flags=<UP") and
         "inet 127.0.0.1/8" in out, "ifconfig lo: %r" % out)
    r = subprocess.run([b + "/ifconfig", "nosuch0"], capture_output=True,
                       timeout=10)
    need(r.returncode == 1 and b"no such interface" in r.stderr,
         "nosuch: %r" % (r,))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="build/host-user")
    a = ap.parse_args()
    tests = [("nc_udp_echo", t_nc_udp_echo),
             ("nc_tcp_echo_sink_source", t_nc_tcp_echo_sink_source),
             ("nc_connect_relay", t_nc_connect_relay),
             ("nc_errors", t_nc_errors), ("httpd", t_httpd),
             ("ping", t_ping), ("ifconfig", t_ifconfig)]
    passed = failed = 0
    for name, fn in tests:
        try:
            fn(a.bin)
            print("ok   %s" % name)
            passed += 1
        except (Failed, nl.LoadError, OSError, ValueError, KeyError,
                subprocess.TimeoutExpired) as e:
            print("FAIL %s: %s" % (name, str(e)[:600]))
            failed += 1
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(0 if failed == 0 else 1)


if __name__ == "__main__":
    main()
