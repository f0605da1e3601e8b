"""The network bench host<->guest (docs/net.md "Compared with Linux"): one
measurement for both guests, exec-rt (tests/system/test_net.py --bench)
and Linux (test_net.py --bench --linux-kernel K --linux-initrd I, the
initramfs of mk/bench.mk booted with lbench=net). Both run in QEMU with
the same flags (Guest of tools/qemu_session.py, virtio-net-pci on a
`-netdev user` forwarded from 127.0.0.1 only) and the same nc
(apps/nc) listening on the same guest ports; only the kernel and how the
listeners are started differ. Nothing here kills a process: the caller
closes its Guest (which kills only its own QEMU, by pid)."""
import socket
import statistics

import net_load as nl

# guest ports, as test_net.py's bench() and tests/bench-linux/init use them
G_UDP, G_SINK, G_SRC = 7, 5002, 5003
GUEST_MAC = "52:54:00:12:34:56"
MIB = 1 << 20
UDP_ROUNDS, UDP_SIZE = 1000, 64
TCP_RUNS, TCP_BYTES = 3, 32 * MIB
LINUX_READY = "lbench: net ready"


def host_ports(gports):
    """Free host ports for gports: {guest port: host port}."""
    ports = {}
    for gp in gports:
        kind = socket.SOCK_DGRAM if gp == G_UDP else socket.SOCK_STREAM
        hp = nl.free_port(kind)
        while hp in ports.values():
            hp = nl.free_port(kind)
        ports[gp] = hp
    return ports


def qemu_net(ports):
    """QEMU arguments of the NIC: user networking, each guest port
    forwarded from 127.0.0.1 only. Not restrict=on: libslirp then drops
    every UDP datagram from the guest other than DHCP/DNS/TFTP, the
    echo's answers through the hostfwd included (tried: 0 answered)."""
    fwd = ["hostfwd=%s:127.0.0.1:%d-:%d" % (
        "udp" if gp == G_UDP else "tcp", hp, gp) for gp, hp in ports.items()]
    return ["-netdev", "user,id=n0," + ",".join(fwd),
            "-device", "virtio-net-pci,netdev=n0,mac=" + GUEST_MAC]


def measure(addr):
    """addr(guest port) -> host address. UDP: 1000 round trips of 64 B one
    at a time; TCP: 3 x 32 MiB to the sink and from the source. Returns
    the figures (us, MB/s)."""
    rtts, lost = nl.udp_rtt(addr(G_UDP), UDP_ROUNDS, size=UDP_SIZE)
    rtts.sort()
    up, down = [], []
    for _ in range(TCP_RUNS):
        dt, _ = nl.tcp_send(addr(G_SINK), TCP_BYTES, timeout=300)
        up.append(TCP_BYTES / dt / 1e6)
        dt, got, _, _ = nl.tcp_recv(addr(G_SRC), timeout=300)
        if got != TCP_BYTES:
            raise nl.LoadError("source gave %d bytes" % got)
        down.append(TCP_BYTES / dt / 1e6)
    return {"udp_median_us": statistics.median(rtts) * 1e6,
            "udp_p99_us": rtts[len(rtts) * 99 // 100] * 1e6,
            "udp_n": len(rtts), "udp_lost": lost,
            "tcp_up": statistics.median(up), "tcp_down": statistics.median(down),
            "tcp_up_runs": up, "tcp_down_runs": down}


def lines(side, f, smp):
    """The two printed lines; side is "bench" (exec-rt) or "lbench"
    (Linux): tools/bench_linux_table.py reads them back."""
    note = "TCG -smp %s, QEMU user net" % smp
    return [
        "%s: net udp round trip host<->guest median %.0f us, p99 %.0f us "
        "(%d x %d B, %d lost; %s)" % (side, f["udp_median_us"],
                                      f["udp_p99_us"], f["udp_n"], UDP_SIZE,
                                      f["udp_lost"], note),
        "%s: net tcp host->guest %.1f MB/s, guest->host %.1f MB/s (median "
        "of %d x %d MiB: %s / %s; %s)" % (
            side, f["tcp_up"], f["tcp_down"], TCP_RUNS, TCP_BYTES >> 20,
            " ".join("%.1f" % v for v in f["tcp_up_runs"]),
            " ".join("%.1f" % v for v in f["tcp_down_runs"]), note)]


def linux_guest(Guest, name, logdir, kernel, initrd, smp, ports):
    """Boots the Linux side (caller closes it). Same Guest flags as the
    exec-rt side; the initramfs's /init starts the listeners itself."""
    g = Guest(name, logdir, kernel=kernel, initrd=initrd,
              append="console=ttyS0 quiet lbench=net", smp=smp,
              extra=qemu_net(ports), timeout=1500)
    g.expect(LINUX_READY, 300)
    return g
