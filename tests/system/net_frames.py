"""Ethernet frames for the hostile-traffic test of tests/system/test_net.py:
a host script on the far side of QEMU's `-netdev socket,udp=...` NIC
(each UDP datagram is one frame). Builds valid IPv4/ICMP/TCP frames (with
checksums), truncated, oversized and garbage ones, a SYN flood, and
answers ARP for the host's address. Pure Python, no privileges."""
import struct

ETH_IP = 0x0800
ETH_ARP = 0x0806


def mac_bytes(s):
    return bytes(int(x, 16) for x in s.split(":"))


def ip_bytes(s):
    return bytes(int(x) for x in s.split("."))


def cksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def eth(dst, src, etype, payload):
    return dst + src + struct.pack("!H", etype) + payload


def ipv4(src, dst, proto, payload, ident=0, flags_frag=0, ttl=64,
         total=None, ihl=5, bad_sum=False):
    tl = total if total is not None else 20 + len(payload)
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, tl & 0xffff, ident,
                    flags_frag, ttl, proto, 0, src, dst)
    c = cksum(h)
    if bad_sum:
        c ^= 0x5555
    h = h[:10] + struct.pack("!H", c) + h[12:]
    return h + payload


def icmp_echo(ident, seq, data=b"hostile-test"):
    h = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + data
    return h[:2] + struct.pack("!H", cksum(h)) + h[4:]


def tcp_syn(src, dst, sport, dport, seq):
    opts = struct.pack("!BBH", 2, 4, 1460)  # MSS
    h = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, (5 + 1) << 4, 0x02,
                    65535, 0, 0) + opts
    pseudo = src + dst + struct.pack("!BBH", 0, 6, len(h))
    c = cksum(pseudo + h)
    return h[:16] + struct.pack("!H", c) + h[18:]


def arp(op, smac, sip, tmac, tip):
    return struct.pack("!HHBBH6s4s6s4s", 1, ETH_IP, 6, 4, op, smac, sip,
                       tmac, tip)


def arp_reply_for(frame, my_mac, my_ip):
    """The ARP reply when frame asks who has my_ip, else None."""
    if len(frame) < 42 or struct.unpack("!H", frame[12:14])[0] != ETH_ARP:
        return None
    op = struct.unpack("!H", frame[20:22])[0]
    smac, sip, tip = frame[22:28], frame[28:32], frame[38:42]
    if op != 1 or tip != my_ip:
        return None
    return eth(smac, my_mac, ETH_ARP, arp(2, my_mac, my_ip, smac, sip))


def is_syn_ack(frame, my_ip):
    if len(frame) < 54 or struct.unpack("!H", frame[12:14])[0] != ETH_IP:
        return False
    ihl = (frame[14] & 15) * 4
    if frame[23] != 6 or frame[30:34] != my_ip:
        return False
    t = 14 + ihl
    return len(frame) >= t + 14 and frame[t + 13] & 0x12 == 0x12


def is_echo_reply(frame, ident):
    if len(frame) < 42 or struct.unpack("!H", frame[12:14])[0] != ETH_IP:
        return False
    ihl = (frame[14] & 15) * 4
    t = 14 + ihl
    return (frame[23] == 1 and len(frame) >= t + 8 and frame[t] == 0 and
            struct.unpack("!H", frame[t + 4:t + 6])[0] == ident)


def hostile(rnd, gmac, hmac, gip, hip):
    """One hostile frame (bytes) of a random kind, and the kind's name."""
    k = rnd.randrange(12)
    bcast = b"\xff" * 6
    if k == 0:  # shorter than an Ethernet header
        return bytes(rnd.randbytes(rnd.randrange(1, 14))), "truncated-eth"
    if k == 1:  # an IPv4 header cut short
        ip = ipv4(hip, gip, 17, b"x" * 20)
        return eth(gmac, hmac, ETH_IP, ip[:rnd.randrange(0, 20)]), \
            "truncated-ip"
    if k == 2:  # total length beyond the frame, or below the header
        tl = rnd.choice([65535, 1500, 19, 0, 21])
        return eth(gmac, hmac, ETH_IP, ipv4(hip, gip, 17, b"y" * 8,
                                            total=tl)), "bad-ip-length"
    if k == 3:  # header length field lies / bad checksum / bad version
        ip = ipv4(hip, gip, 6, b"z" * 10, ihl=rnd.choice([0, 4, 15]),
                  bad_sum=rnd.random() < 0.5)
        if rnd.random() < 0.3:
            ip = bytes([0x60 | (ip[0] & 15)]) + ip[1:]
        return eth(gmac, hmac, ETH_IP, ip), "bad-ip-header"
    if k == 4:  # fragments at random offsets, never completed
        off = rnd.randrange(0, 8191)
        ip = ipv4(hip, gip, 17, rnd.randbytes(rnd.choice([8, 64, 1400])),
                  ident=rnd.randrange(65536), flags_frag=0x2000 | off)
        return eth(gmac, hmac, ETH_IP, ip), "fragment"
    if k == 5:  # TCP whose data offset points past the segment
        seg = bytearray(tcp_syn(hip, gip, rnd.randrange(1024, 65535), 80,
                                rnd.randrange(1 << 32)))
        seg[12] = 0xf0
        return eth(gmac, hmac, ETH_IP, ipv4(hip, gip, 6, bytes(seg[:20]))), \
            "bad-tcp"
    if k == 6:  # UDP claiming more than it has
        udp = struct.pack("!HHHH", 1234, 7, 4000, 0) + b"u" * 8
        return eth(gmac, hmac, ETH_IP, ipv4(hip, gip, 17, udp)), "bad-udp"
    if k == 7:  # ICMP cut short (and with a wrong checksum)
        return eth(gmac, hmac, ETH_IP, ipv4(hip, gip, 1, b"\x08\x00\x12")), \
            "bad-icmp"
    if k == 8:  # ARP with nonsense lengths, or cut short
        a = arp(1, hmac, hip, b"\0" * 6, gip)
        if rnd.random() < 0.5:
            a = a[:4] + bytes([rnd.randrange(256), rnd.randrange(256)]) + \
                a[6:]
        else:
            a = a[:rnd.randrange(0, 28)]
        return eth(bcast, hmac, ETH_ARP, a), "bad-arp"
    if k == 9:  # oversized: more than any MTU
        n = rnd.choice([1515, 1600, 4000, 9018, 16384, 65000])
        return eth(gmac, hmac, ETH_IP, ipv4(hip, gip, 17, b"O" * (n - 34),
                                            total=min(n - 14, 65535))), \
            "oversized"
    if k == 10:  # unknown ether types, VLAN tags
        return eth(gmac, hmac, rnd.choice([0x86dd, 0x8100, 0x88cc, 0x1234]),
                   rnd.randbytes(rnd.randrange(0, 200))), "odd-ethertype"
    return bytes(rnd.randbytes(rnd.randrange(14, 1515))), "garbage"
