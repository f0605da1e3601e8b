#!/usr/bin/env python3
"""The network end to end (docs/net-programs.md "Testing", issue 17): the
full system booted from a copy of the initrd whose netd also configures a
second NIC statically, QEMU user networking forwarded to 127.0.0.1 only
(ports picked free at run time), and the programs started from the shell:

  boot       eth0 gets 10.0.2.15 by DHCP (ifconfig), eth1 192.168.76.2
  ping       ping 10.0.2.2 (QEMU's gateway) and 127.0.0.1 (netd's lo)
  udp_echo   10,000 datagrams from the host to `nc -l -u --echo`, every
             one back intact (random sizes 4..1400 bytes, a window of 16)
  tcp_64m    64 MiB each way over one TCP connection to `nc --echo`,
             CRC-32 equal; then `nc --sink` (guest's CRC = host's) and
             `nc --source` (host's CRC = guest's, the pattern checked)
  httpd      / as HTML, /status.json parsed (tasks, threads, services with
             netd running), 200 concurrent connections each complete
  hostile    through the second NIC (-netdev socket): truncated, oversized
             and garbage frames and a SYN flood while an established TCP
             connection and UDP echo go on through eth0; netd keeps its
             task (same generation), stays inside its quota, serves after
  netd_kill  netd's task killed (sh `kill`, through /svc/init) with
             connections open: the guest's nc
             fails with an error and exits, the host's connections end
             (reset or EOF) instead of hanging, then DHCP again, new
             connections work and httpd listens again

usage: tests/system/test_net.py [--kernel K --initrd I] [--name net]
         [--logdir D] [--only a,b] [--bench [--linux-kernel K
         [--linux-initrd I]]] [--smp N]
--bench: only UDP round trips and TCP throughput both ways, printed as
"  bench: ..." lines (tests/system/net_bench.py); with --linux-kernel the
same measurement of Linux booted in the same QEMU with the initramfs of
mk/bench.mk, printed as "  lbench: ..." lines (tools/bench-linux.sh).
Prints "ok NAME" / "FAIL NAME: why" and "N passed, N failed"; exit
status 1 on any failure. Only the QEMU started here is
killed (by pid).
"""
import argparse
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
sys.path.insert(0, HERE)
from qemu_session import Guest, Timeout  # noqa: E402
import net_frames as nf  # noqa: E402
import net_bench as nb  # noqa: E402
import net_load as nl  # noqa: E402

GUEST_MAC = nb.GUEST_MAC  # the NIC of net_bench.qemu_net()
HOSTILE_MAC = "52:54:00:12:34:99"
PEER_MAC = "52:54:00:aa:bb:cc"
ETH1_IP = "192.168.76.2"
PEER_IP = "192.168.76.1"
# guest ports (the host ones are chosen free at run time)
G_ECHO, G_HTTP, G_KILL = 5001, 80, 5004
G_UDP, G_SINK, G_SRC = nb.G_UDP, nb.G_SINK, nb.G_SRC  # 7, 5002, 5003
MIB = 1 << 20


class Failed(Exception):
    pass


def need(cond, why):
    if not cond:
        raise Failed(why)


def make_initrd(src, dst, netd_args):
    """A copy of the initrd whose etc/services.conf runs netd with
    netd_args added to its program line."""
    stage = tempfile.mkdtemp(prefix="execrt-net-initrd-")
    try:
        with open(src, "rb") as f:
            subprocess.run(["cpio", "-idm", "--quiet"], stdin=f, cwd=stage,
                           check=True)
        conf = os.path.join(stage, "etc", "services.conf")
        text = open(conf).read()
        out, in_netd, done = [], False, False
        for ln in text.split("\n"):
            w = ln.split()
            if w[:1] == ["service"]:
                in_netd = w[1:2] == ["netd"]
            if in_netd and w[:1] == ["program"] and not done:
                ln = ln.split("#")[0].rstrip() + " " + netd_args
                done = True
            out.append(ln)
        if not done:
            raise Failed("no `service netd` with a `program` line in "
                         "etc/services.conf of %s" % src)
        open(conf, "w").write("\n".join(out))
        files = subprocess.run(["find", ".", "-type", "f", "-printf",
                                "%P\n"], cwd=stage, check=True,
                               capture_output=True).stdout
        files = b"\n".join(sorted(files.split(b"\n"))).strip() + b"\n"
        with open(dst, "wb") as f:
            subprocess.run(["cpio", "-o", "-H", "newc", "--quiet"],
                           input=files, cwd=stage, stdout=f, check=True)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


class Ctx:
    def __init__(self, g, ports, hport, qport):
        self.g = g
        self.p = ports  # guest port -> host port
        self.hport = hport  # the hostile NIC: our UDP port
        self.qport = qport  # ... and QEMU's
        self.jobs = {}  # name -> koid

    def a(self, gport):
        return ("127.0.0.1", self.p[gport])

    def bg(self, name, cmd, ready, timeout=30):
        """Starts cmd in the background and waits for its ready line."""
        start = len(self.g.buf)
        out = self.g.command(cmd + " &")
        m = re.search(r"\[(\d+)\] started", out)
        need(m, "%s: %r" % (cmd, out[-300:]))
        self.jobs[name] = m.group(1)
        end = time.monotonic() + timeout
        while ready.encode() not in self.g.buf[start:]:
            need(time.monotonic() < end, "%s: no %r: %r" % (
                cmd, ready, self.g.text(start)[-300:]))
            self.g.drain(0.2)

    def kill(self, name):
        koid = self.jobs.pop(name, None)
        if koid:
            self.g.command("kill " + koid)

    def ifconfig(self):
        out = self.g.command("ifconfig", timeout=30)
        ifs = {}
        cur = None
        for ln in out.replace("\r", "").split("\n"):
            m = re.match(r"^(\S+): flags=<([^>]*)> mtu (\d+)", ln)
            if m:
                cur = ifs.setdefault(m.group(1), {"flags": m.group(2)})
                continue
            if cur is None:
                continue
            m = re.search(r"inet (\d+\.\d+\.\d+\.\d+)/(\d+)", ln)
            if m:
                cur["addr"] = m.group(1)
            m = re.search(r"ether ([0-9a-f:]{17})", ln)
            if m:
                cur["mac"] = m.group(1)
            m = re.search(r"RX packets (\d+) +bytes (\d+) +dropped (\d+)",
                          ln)
            if m:
                cur["rx"] = int(m.group(1))
                cur["rx_dropped"] = int(m.group(3))
        return out, ifs

    def wait_dhcp(self, secs=60):
        end = time.monotonic() + secs
        while True:
            out, ifs = self.ifconfig()
            eth = [v for v in ifs.values() if v.get("mac") == GUEST_MAC]
            if eth and eth[0].get("addr") == "10.0.2.15":
                return ifs
            need(time.monotonic() < end, "no DHCP address: %r" %
                 out[-600:])
            self.g.drain(1)

    def status(self):
        return nl.status_json(self.a(G_HTTP), timeout=60)

    def status_retry(self, secs, what):
        """status() until it answers: after the SYN flood a new connection
        may wait for the flood's half-open ones to leave the backlog."""
        end = time.monotonic() + secs
        while True:
            try:
                return self.status()
            except (nl.LoadError, OSError) as e:
                need(time.monotonic() < end, "%s: %s" % (what, e))
                time.sleep(2)

    def netd_svc(self, js):
        for s in js["services"]:
            if s["name"] == "netd":
                return s
        raise Failed("no netd in /status.json services: %r" %
                     [s["name"] for s in js["services"]])

    def netd_task(self, js):
        koid = self.netd_svc(js)["task"]
        for t in js["tasks"]:
            if t["koid"] == koid:
                return t
        raise Failed("netd's task %d not in /status.json" % koid)


def t_boot(c):
    c.g.expect("sh: ready in", 120)
    c.g.expect("exec-rt> ", 30)
    ifs = c.wait_dhcp()
    lo = ifs.get("lo", {})
    need(lo.get("addr") == "127.0.0.1", "lo: %r" % ifs)
    if c.hostile_nic:
        eth1 = [v for v in ifs.values() if v.get("mac") == HOSTILE_MAC]
        need(eth1 and eth1[0].get("addr") == ETH1_IP,
             "the static NIC: %r" % ifs)


def t_ping(c):
    for host, n in (("10.0.2.2", 3), ("127.0.0.1", 2)):
        out = c.g.command("ping -c %d -i 200 %s" % (n, host), timeout=30)
        need(out.count("bytes from %s" % host) == n and
             "%d received, 0%% packet loss" % n in out and
             "rtt min/avg/max/mdev" in out, "ping %s: %r" % (host, out))


def t_udp_echo(c):
    c.bg("udp", "nc -l -u -p %d --echo -c 10000" % G_UDP,
         "listening on udp")
    rtts, dt = nl.udp_echo(c.a(G_UDP), 10000, window=16, timeout=10)
    c.g.expect("nc: 10000 datagrams", 30)
    c.jobs.pop("udp")
    print("     udp_echo: 10000 datagrams in %.1fs, median rtt %.0f us"
          % (dt, statistics.median(rtts) * 1e6))


def t_tcp_64m(c):
    c.bg("echo", "nc -l -k -p %d --echo" % G_ECHO, "listening on tcp")
    dt, crc = nl.tcp_echo(c.a(G_ECHO), 64 * MIB, timeout=120)
    c.g.expect("nc: echoed %d bytes" % (64 * MIB), 60)
    print("     tcp_64m: 64 MiB each way in %.1fs (%.1f MB/s each way), "
          "crc32 %08x" % (dt, 64 * MIB / dt / 1e6, crc))
    c.bg("sink", "nc -l -p %d --sink" % G_SINK, "listening on tcp")
    _, crc = nl.tcp_send(c.a(G_SINK), 16 * MIB, timeout=120)
    _, m = c.g.expect(r"received (\d+) bytes crc32 ([0-9a-f]{8})", 60,
                      regex=True)
    need(int(m.group(1)) == 16 * MIB and int(m.group(2), 16) == crc,
         "sink: %r, host crc %08x" % (m.group(0), crc))
    c.jobs.pop("sink")
    c.bg("src", "nc -l -p %d --source 16M" % G_SRC, "listening on tcp")
    _, got, crc, head = nl.tcp_recv(c.a(G_SRC), timeout=120)
    _, m = c.g.expect(r"sent (\d+) bytes crc32 ([0-9a-f]{8})", 60,
                      regex=True)
    need(got == 16 * MIB and int(m.group(2), 16) == crc,
         "source: got %d crc %08x, guest %r" % (got, crc, m.group(0)))
    need(head == nl.nc_pattern(0, len(head)), "source: not the pattern")
    c.jobs.pop("src")


def t_httpd(c):
    c.bg("httpd", "httpd -p %d" % G_HTTP, "httpd: listening on")
    st, h, body = nl.http_get(c.a(G_HTTP), "/", timeout=60)
    need(st == 200 and b"<h2>Services</h2>" in body and b"netd" in body,
         "/: %d %r" % (st, body[:300]))
    js = c.status()
    need(js["system"] == "exec-rt", "system %r" % js.get("system"))
    names = [t["name"] for t in js["tasks"]]
    need("httpd" in names and "netd" in names, "tasks: %r" % names)
    need(len(js["threads"]) >= len(js["tasks"]) and
         all("sched" in t for t in js["threads"]), "threads")
    svc = c.netd_svc(js)
    need(svc["state"] in ("running", "starting"), "netd: %r" % svc)
    need(js["cpus"] and js["memory"]["total"] > 0, "cpus/memory: %r" %
         {k: js[k] for k in ("cpus", "memory")})
    held = {}

    def probe():  # all 200 open: httpd must say so
        time.sleep(0.6)
        held["open"] = c.status()["httpd"]["open"]

    dt = nl.http_concurrent(c.a(G_HTTP), 200, timeout=300, probe=probe)
    # httpd holds what its fds allow; the rest wait in netd's backlog
    print("     httpd: 200 connections opened at once (httpd held %d), all "
          "answered in %.1fs" % (held["open"], dt))
    time.sleep(0.6)
    js = c.status()
    need(js["httpd"]["requests"] >= 203, "httpd counters %r" % js["httpd"])


class HostilePeer:
    """Our end of the socket NIC: answers ARP for PEER_IP, counts what
    the guest sends (SYN-ACKs, echo replies)."""

    def __init__(self, hport, qport):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.bind(("127.0.0.1", hport))
        self.s.settimeout(0.2)
        self.q = ("127.0.0.1", qport)
        self.gmac = nf.mac_bytes(HOSTILE_MAC)
        self.hmac = nf.mac_bytes(PEER_MAC)
        self.gip = nf.ip_bytes(ETH1_IP)
        self.hip = nf.ip_bytes(PEER_IP)
        self.syn_acks = 0
        self.echo_replies = 0
        self.frames_in = 0
        self.stop = False
        self.th = threading.Thread(target=self.run, daemon=True)
        self.th.start()

    def run(self):
        while not self.stop:
            try:
                fr = self.s.recv(70000)
            except socket.timeout:
                continue
            except OSError:
                return
            self.frames_in += 1
            rep = nf.arp_reply_for(fr, self.hmac, self.hip)
            if rep:
                self.send(rep)
            elif nf.is_syn_ack(fr, self.hip):
                self.syn_acks += 1
            elif nf.is_echo_reply(fr, 0x4242):
                self.echo_replies += 1

    def send(self, frame):
        try:
            self.s.sendto(frame, self.q)
        except OSError:
            pass  # QEMU may refuse huge datagrams: fine

    def ping(self, n):
        before = self.echo_replies
        for i in range(n):
            ip = nf.ipv4(self.hip, self.gip, 1, nf.icmp_echo(0x4242, i))
            self.send(nf.eth(self.gmac, self.hmac, nf.ETH_IP, ip))
            time.sleep(0.05)
        end = time.monotonic() + 5
        while self.echo_replies - before < n and time.monotonic() < end:
            time.sleep(0.1)
        return self.echo_replies - before

    def close(self):
        self.stop = True
        self.th.join(2)
        self.s.close()


def t_hostile(c):
    js = c.status()
    svc0, task0 = c.netd_svc(js), c.netd_task(js)
    _, ifs = c.ifconfig()
    peer = HostilePeer(c.hport, c.qport)
    try:
        got = peer.ping(5)
        need(got == 5, "eth1 answers only %d of 5 pings from the socket "
             "NIC" % got)
        # an established connection through eth0 that must live on
        live = nl.tcp_connect(c.a(G_ECHO), timeout=30)
        live.settimeout(30)
        rnd = random.Random(17)
        kinds = {}
        t0 = time.monotonic()
        sent = 0
        udp_ok = 0
        for rnd_i in range(20):
            for _ in range(1000):  # hostile frames
                fr, k = nf.hostile(rnd, peer.gmac, peer.hmac, peer.gip,
                                   peer.hip)
                kinds[k] = kinds.get(k, 0) + 1
                peer.send(fr)
            for _ in range(500):  # SYN flood: many ports, valid sums
                seg = nf.tcp_syn(peer.hip, peer.gip,
                                 rnd.randrange(1024, 65536), G_HTTP,
                                 rnd.randrange(1 << 32))
                peer.send(nf.eth(peer.gmac, peer.hmac, nf.ETH_IP,
                                 nf.ipv4(peer.hip, peer.gip, 6, seg)))
            sent += 1500
            msg = b"still here %d" % rnd_i
            live.sendall(msg)
            back = b""
            while len(back) < len(msg):
                back += live.recv(100)
            need(back == msg, "the established connection: %r" % back)
            time.sleep(0.05)
        dt = time.monotonic() - t0
        need(peer.syn_acks > 0, "no SYN-ACK came back: the flood never "
             "reached TCP")
        # UDP echo through eth0 right after the flood
        c.bg("udp2", "nc -l -u -p %d --echo -c 500" % G_UDP,
             "listening on udp")
        rtts, _ = nl.udp_echo(c.a(G_UDP), 500, window=8, timeout=10)
        udp_ok = len(rtts)
        c.g.expect("nc: 500 datagrams", 30)
        c.jobs.pop("udp2")
        got = peer.ping(3)
        need(got == 3, "eth1 after the flood: %d of 3 pings" % got)
        live.close()
        # new TCP connections (SYN_RCVD entries of the flood time out)
        end = time.monotonic() + 60
        while True:
            try:
                js = c.status()
                break
            except (nl.LoadError, OSError) as e:
                need(time.monotonic() < end, "httpd after the flood: %s" % e)
                time.sleep(2)
        svc1, task1 = c.netd_svc(js), c.netd_task(js)
        need(svc1["generation"] == svc0["generation"] and
             svc1["restarts"] == svc0["restarts"] and
             task1["koid"] == task0["koid"],
             "netd restarted under the flood: %r -> %r" % (svc0, svc1))
        need(task1["mem_quota"] == 0 or
             task1["mem_used"] <= task1["mem_quota"],
             "netd over its quota: %r" % task1)
        _, ifs2 = c.ifconfig()
        e1 = [v for v in ifs2.values() if v.get("mac") == HOSTILE_MAC]
        print("     hostile: %d frames (%s) + %d SYNs in %.1fs; %d SYN-ACKs "
              "back; netd memory %d -> %d KiB of %d KiB; eth1 rx dropped %s;"
              " %d UDP echoes after" % (
                  sent - 10000, ", ".join("%s %d" % kv for kv in
                                          sorted(kinds.items())),
                  10000, dt, peer.syn_acks, task0["mem_used"] >> 10,
                  task1["mem_used"] >> 10, task1["mem_quota"] >> 10,
                  e1[0].get("rx_dropped") if e1 else "?", udp_ok))
    finally:
        peer.close()


def ends_cleanly(sock, secs):
    """Sends on sock until the peer resets or closes it: True if that
    happens within secs (a clean failure), False if it hangs."""
    sock.settimeout(1)
    end = time.monotonic() + secs
    while time.monotonic() < end:
        try:
            sock.send(b"x")
            d = sock.recv(100)
            if not d:
                return True
        except socket.timeout:
            continue
        except OSError:
            return True
    return False


def t_netd_kill(c):
    js = c.status_retry(120, "httpd before netd's kill")
    gen0 = c.netd_svc(js)["generation"]
    c.bg("kill", "nc -l -p %d --echo" % G_KILL, "listening on tcp")
    open_echo = nl.tcp_connect(c.a(G_KILL), timeout=30)
    open_echo.settimeout(30)
    open_echo.sendall(b"before")
    need(open_echo.recv(100) == b"before", "echo before the kill")
    keep = nl.tcp_connect(c.a(G_HTTP), timeout=30)  # a keep-alive client
    keep.sendall(b"GET /status.json HTTP/1.1\r\nHost: t\r\n\r\n")
    keep.settimeout(30)
    first = keep.recv(65536)
    need(first.startswith(b"HTTP/1.1 200"), "keep-alive: %r" % first[:80])
    # killed, not stopped: /svc/init restarts it (restart always)
    mark = len(c.g.buf)
    out = c.g.command("kill %d" % c.netd_svc(js)["task"], timeout=30)
    need("task %d killed" % c.netd_svc(js)["task"] in out,
         "kill netd: %r" % out)
    # the guest's nc: its socket fails, it says why and exits 1
    end = time.monotonic() + 30
    koid = c.jobs.pop("kill")
    while ("[%s] done, status" % koid).encode() not in c.g.buf[mark:]:
        need(time.monotonic() < end, "nc did not end after netd's "
             "restart: %r" % c.g.text(mark)[-600:])
        c.g.command("jobs")
        time.sleep(1)
    tail = c.g.text(mark)
    need(re.search(r"nc: (recv|send): ", tail) and
         ("[%s] done, status 1" % koid) in tail,
         "nc's end: %r" % tail[-600:])
    need(ends_cleanly(open_echo, 60), "the host's echo connection hangs")
    need(ends_cleanly(keep, 60), "the host's keep-alive connection hangs")
    open_echo.close()
    keep.close()
    c.wait_dhcp(60)
    c.bg("kill2", "nc -l -p %d --echo" % G_KILL, "listening on tcp")
    dt, _ = nl.tcp_echo(c.a(G_KILL), 4 * MIB, timeout=60)
    c.kill("kill2")
    # httpd listens again by itself
    end = time.monotonic() + 60
    while True:
        try:
            js = c.status()
            break
        except (nl.LoadError, OSError) as e:
            need(time.monotonic() < end, "httpd after netd's restart: %s"
                 % e)
            time.sleep(2)
    gen1 = c.netd_svc(js)["generation"]
    need(gen1 == gen0 + 1, "netd generation %d -> %d" % (gen0, gen1))
    print("     netd_kill: open sockets failed cleanly, DHCP again, "
          "4 MiB echoed in %.1fs on a new connection" % dt)


def bench(c, smp):
    """The listeners exec-rt's shell starts, then net_bench's measurement
    (the same as the Linux side's, tests/bench-linux/init)."""
    c.bg("udp", "nc -l -u -p %d --echo" % G_UDP, "listening on udp")
    c.bg("sink", "nc -l -k -p %d --sink" % G_SINK, "listening on tcp")
    c.bg("src", "nc -l -k -p %d --source 32M" % G_SRC, "listening on tcp")
    for ln in nb.lines("bench", nb.measure(c.a), smp):
        print("  " + ln)
    for j in ("udp", "sink", "src"):
        c.kill(j)


def bench_linux(a):
    """--bench --linux-kernel K --linux-initrd I: the same measurement of
    Debian's Linux booted with the initramfs of mk/bench.mk."""
    ports = nb.host_ports([G_UDP, G_SINK, G_SRC])
    g = None
    try:
        g = nb.linux_guest(Guest, a.name, a.logdir, a.linux_kernel,
                           a.linux_initrd, a.smp, ports)
        for ln in nb.lines("lbench", nb.measure(
                lambda gp: ("127.0.0.1", ports[gp])), a.smp):
            print("  " + ln)
        print("1 passed, 0 failed")
        return 0
    except (Timeout, nl.LoadError, OSError) as e:
        print("FAIL bench: %s" % str(e)[:600])
        print("0 passed, 1 failed")
        return 1
    finally:
        if g:
            g.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kernel", default="build/kernel.elf")
    ap.add_argument("--initrd", default="build/initrd.cpio")
    ap.add_argument("--name", default="net")
    ap.add_argument("--logdir", default="build/logs")
    ap.add_argument("--smp", default="2")
    ap.add_argument("--only", default="")
    ap.add_argument("--bench", action="store_true")
    ap.add_argument("--linux-kernel", help="with --bench: measure Linux")
    ap.add_argument("--linux-initrd", default="build/linux/initramfs.cpio")
    a = ap.parse_args()
    os.makedirs(a.logdir, exist_ok=True)
    if a.bench and a.linux_kernel:
        sys.exit(bench_linux(a))
    initrd = os.path.join(a.logdir, a.name + "-initrd.cpio")
    try:
        make_initrd(a.initrd, initrd, "--static %s=%s/24" % (HOSTILE_MAC, ETH1_IP))
    except (Failed, subprocess.CalledProcessError, OSError) as e:
        print("FAIL initrd: %s" % e)
        print("0 passed, 1 failed")
        sys.exit(1)
    # --bench: only its ports, as on the Linux side
    gports = [G_UDP, G_SINK, G_SRC] if a.bench else [
        G_UDP, G_ECHO, G_HTTP, G_SINK, G_SRC, G_KILL]
    ports = nb.host_ports(gports)
    hport = nl.free_port(socket.SOCK_DGRAM)
    qport = nl.free_port(socket.SOCK_DGRAM)
    only = set(x for x in a.only.split(",") if x)
    hostile_nic = not a.bench and (not only or "hostile" in only)
    extra = nb.qemu_net(ports)
    if hostile_nic:  # the second NIC only when the step runs
        extra += ["-netdev", "socket,id=h1,udp=127.0.0.1:%d,localaddr="
                  "127.0.0.1:%d" % (hport, qport),
                  "-device", "virtio-net-pci,netdev=h1,mac=" + HOSTILE_MAC]
    g = Guest(a.name, a.logdir, kernel=a.kernel, initrd=initrd, append="",
              smp=a.smp, extra=extra, timeout=1500)
    c = Ctx(g, ports, hport, qport)
    c.hostile_nic = hostile_nic
    tests = [("boot", t_boot), ("ping", t_ping), ("udp_echo", t_udp_echo),
             ("tcp_64m", t_tcp_64m), ("httpd", t_httpd),
             ("hostile", t_hostile), ("netd_kill", t_netd_kill)]
    passed = failed = 0
    try:
        if a.bench:
            try:
                t_boot(c)
                bench(c, a.smp)
                passed = 1
            except (Failed, Timeout, nl.LoadError, OSError) as e:
                print("FAIL bench: %s" % str(e)[:600])
                failed = 1
        for name, fn in ([] if a.bench else tests):
            # what the later steps need runs even when not asked for
            needed = {"boot"} | ({"udp_echo", "tcp_64m", "httpd"} if only &
                                 {"hostile", "netd_kill"} else set()) | (
                {"httpd"} if only else set())
            if only and name not in only and name not in needed:
                continue
            try:
                fn(c)
                print("ok   %s" % name)
                passed += 1
            except (Failed, Timeout, nl.LoadError, OSError, KeyError,
                    ValueError) as e:
                print("FAIL %s: %s" % (name, str(e)[:800]))
                failed += 1
                if isinstance(e, Timeout) or name == "boot":
                    break
                # a step that failed may leave its job: start afresh
                for j in list(c.jobs):
                    try:
                        c.kill(j)
                    except Timeout:
                        break
        if "PANIC" in g.text():
            print("FAIL panic: the kernel panicked (log: %s)" % g.logpath)
            failed += 1
    finally:
        g.close()
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(0 if failed == 0 else 1)


if __name__ == "__main__":
    main()
