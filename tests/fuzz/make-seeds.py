#!/usr/bin/env python3
"""Writes the seed corpora of the host fuzzers (tests/fuzz/corpus/<target>/).

Seeds are small, meaningful inputs each target's fuzzer starts from; they are
committed, and `make check` replays them (tools/fuzz-host.sh --replay). Run
this again after changing an input format; it only (re)writes the files it
makes (seed-*), so inputs kept from findings (crash-*, regress-*) stay.
"""
import os
import struct
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def write(target, name, data):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


# ---- ELF ------------------------------------------------------------------
PT_LOAD, PT_NOTE, PT_PHDR, PT_GNU_STACK = 1, 4, 6, 0x6474E551
PF_X, PF_W, PF_R = 1, 2, 4


def elf(etype, entry, phdrs, body_size, fill=0x90):
    """An ELF64 x86_64 file: header, program headers, then body bytes up to
    body_size. phdrs: (type, flags, offset, vaddr, filesz, memsz, align)."""
    ehdr = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    ehdr += struct.pack("<HHIQQQIHHHHHH", etype, 62, 1, entry, 64, 0, 0, 64,
                        56, len(phdrs), 64, 0, 0)
    ph = b"".join(struct.pack("<IIQQQQQQ", t, fl, off, va, va, fs, ms, al)
                  for (t, fl, off, va, fs, ms, al) in phdrs)
    out = bytearray(ehdr + ph)
    out += bytes((i * 7 + fill) & 0xff for i in range(len(out), body_size))
    return bytes(out)


def elf_seeds():
    # A linker-like static executable: text RX, rodata R, data RW + bss.
    write("elf", "static-exec", elf(2, 0x401230, [
        (PT_LOAD, PF_R, 0, 0x400000, 0x200, 0x200, 0x1000),
        (PT_LOAD, PF_R | PF_X, 0x200, 0x401200, 0x300, 0x300, 0x1000),
        (PT_LOAD, PF_R, 0x500, 0x402500, 0x100, 0x100, 0x1000),
        (PT_LOAD, PF_R | PF_W, 0x600, 0x403600, 0x80, 0x2000, 0x1000),
        (PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0, 16),
    ], 0x680))
    # Position-independent (ET_DYN) with PHDR and NOTE, a 1 MiB stack.
    write("elf", "pie", elf(3, 0x120, [
        (PT_PHDR, PF_R, 64, 64, 4 * 56, 4 * 56, 8),
        (PT_LOAD, PF_R | PF_X, 0, 0, 0x400, 0x400, 0x1000),
        (PT_NOTE, PF_R, 0x300, 0x300, 0x20, 0x20, 4),
        (PT_LOAD, PF_R | PF_W, 0x400, 0x1400, 0x40, 0x40, 0x1000),
        (PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 1 << 20, 16),
    ], 0x440))
    # The smallest acceptable image: one RX segment, entry at its start.
    write("elf", "tiny", elf(2, 0x10078, [
        (PT_LOAD, PF_R | PF_X, 0, 0x10000, 0x80, 0x80, 0x1000),
    ], 0x80))
    # Refused on purpose (paths past the checks): W+X, overlap, PT_INTERP.
    write("elf", "wx", elf(2, 0x400100, [
        (PT_LOAD, PF_R | PF_W | PF_X, 0, 0x400000, 0x100, 0x100, 0x1000),
    ], 0x100))
    write("elf", "overlap", elf(2, 0x400010, [
        (PT_LOAD, PF_R | PF_X, 0, 0x400000, 0x100, 0x100, 0x1000),
        (PT_LOAD, PF_R | PF_W, 0x100, 0x400100, 0x10, 0x10, 0x1000),
    ], 0x110))
    write("elf", "interp", elf(2, 0x400010, [
        (3, PF_R, 0xb0, 0x4000b0, 0x10, 0x10, 1),
        (PT_LOAD, PF_R | PF_X, 0, 0x400000, 0x100, 0x100, 0x1000),
    ], 0x100))


# ---- cpio (newc) ----------------------------------------------------------
def cpio_entry(name, data, mode=0o100644, magic=b"070701"):
    n = name.encode() + b"\0"
    fields = [1, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(n), 0]
    h = magic + b"".join(b"%08X" % f for f in fields) + n
    h += bytes(-len(h) % 4)
    return h + data + bytes(-len(data) % 4)


def cpio(entries, trailer=True):
    out = b"".join(cpio_entry(*e) for e in entries)
    if trailer:
        out += cpio_entry("TRAILER!!!", b"", 0)
    return out


def cpio_seeds():
    write("cpio", "initrd", cpio([
        (".", b"", 0o40755),
        ("./init", b"\x7fELF" + bytes(60)),
        ("./etc/motd", b"exec-rt\n"),
        ("names", bytes(range(13))),
    ]))
    write("cpio", "crc-magic", cpio([("a", b"x", 0o100644, b"070702")]))
    write("cpio", "empty", cpio([]))
    write("cpio", "no-trailer", cpio([("x", b"abc")], trailer=False))
    write("cpio", "truncated", cpio([("file", b"0123456789")])[:130])


# ---- JSON -----------------------------------------------------------------
JSON = {
    "response": b'{"ok":true,"result":{"id":7,"name":"x"},'
                b'"list":[1,[2,3],{"a":null}]}',
    "escapes": b'["a\\"b\\\\c\\/\\b\\f\\n\\r\\t", "\\u00e9\\u20ac\\ud83d\\ude00",'
               b' "\\u0000"]',
    "numbers": b'[0, -1, 9223372036854775807, -9223372036854775808,'
               b' 18446744073709551615, 1.5e3, -0.25, 1e400]',
    "nested": b'{"a":{"b":{"c":[[[[{"d":[true,false,null]}]]]]}}}',
    "request": b'{"op":"spawn","args":{"path":"/bin/x","argv":["x","-v"],'
               b'"quota":1048576},"id":42}',
    "bad-trunc": b'{"a":[1,2,',
    "bad-syntax": b'{"a" 1}',
}


# ---- handle table program (tests/fuzz/host/handle.c) ----------------------
# Two quota bytes, then ops: byte op (bit 0: table, (op >> 1) % 7: kind).
ALLOC, GET, DUP, CLOSE, MOVE, STALE = 0, 1, 3, 4, 5, 6
LIVE0, LIVE1, STALE0 = 0x00, 0x01, 0x80  # picks: live #0, live #1, stale #0
CANCEL, PINNED, WRONG_PIN = 8, 2, 4      # MOVE "how" bits


def op(kind, table=0):
    return bytes([(kind << 1) | table])


def move(picks, need=0, how=0, table=0):
    """Move len(picks) handles: count - 1, the picks, need, how."""
    return op(MOVE, table) + bytes([len(picks) - 1] + picks + [need, how])


def handle_seeds():
    p = bytes([8, 8])
    p += op(ALLOC) + bytes([0, 0x25])          # obj 0, some rights
    p += op(ALLOC) + bytes([1, 0xff])          # obj 1, RIGHT_SAME as rights
    p += op(GET) + bytes([LIVE0, 0x00, 0x01])
    p += op(DUP) + bytes([LIVE0, 0xff])
    p += op(CLOSE) + bytes([LIVE0])
    p += op(GET) + bytes([STALE0, 0x80, 0x00])
    p += move([LIVE1], how=PINNED)             # to table 1
    p += op(GET, 1) + bytes([LIVE0, 0x00, 0x00])
    p += op(STALE) + bytes([0, 0])
    p += op(STALE) + bytes([2 | (1 << 2)])     # abandon obj 1
    write("handle", "mixed", p)
    q = bytes([3, 1]) + (op(ALLOC) + bytes([2, 0x20])) * 4  # past the quota
    q += move([LIVE0, LIVE1])                  # 2 into a 1-handle table
    q += move([LIVE0, LIVE0])                  # the same value twice
    q += move([LIVE0], how=PINNED | WRONG_PIN)
    write("handle", "quota", q)
    r = bytes([16, 16]) + op(ALLOC) + bytes([3, 0x3f])
    r += (op(DUP) + bytes([LIVE0, 0xff]) + op(CLOSE) + bytes([LIVE1])) * 8
    r += op(ALLOC) + bytes([0, 0x3f]) + op(ALLOC) + bytes([1, 0x3f])
    r += move([LIVE0, LIVE1, 2], how=CANCEL)   # reserved, then cancelled
    write("handle", "reuse", r)


# ---- message decode (tests/fuzz/host/msg_decode.c) ------------------------
def msg_seeds():
    def ptr(sel, delta=0):
        return bytes([sel]) + struct.pack(">h", delta)

    def length(n):
        return bytes([n // 64, n % 64])

    ok = ptr(1, 0x1000) + length(100) + ptr(1, 0x2000) + bytes([2])
    ok += ptr(1, 0x3000) + length(4096) + ptr(1, 0x4000) + bytes([8])
    ok += bytes([3, 1, 2, 3])
    write("msg_decode", "valid", ok)
    edge = ptr(2, -100) + length(100) + ptr(2, -8) + bytes([2])
    edge += ptr(4, 0) + length(1) + ptr(0, 0) + bytes([1])
    edge += bytes([8, 1, 2, 3, 4, 5, 6, 7, 1])
    write("msg_decode", "edges", edge)


# ---- ACPI tables (tests/fuzz/host/acpi.c) --------------------------------
F_SEARCH, F_EBDA, F_DECOY, F_RAW_SUMS, F_RAW_LEN, F_ROOT_RSDT = 1, 2, 4, 8, 16, 32


def sdt(sig, body):
    """A table: header (length and checksum are the harness's job) + body."""
    return sig + struct.pack("<IBB6s8sIII", 36 + len(body), 1, 0, b"EXECRT",
                             b"FUZZTBL ", 1, 0, 0) + body


def madt(entries, lapic=0xFEE00000, flags=1):
    return sdt(b"APIC", struct.pack("<II", lapic, flags) + b"".join(entries))


def e_lapic(uid, apic_id, flags=1):
    return struct.pack("<BBBBI", 0, 8, uid, apic_id, flags)


def e_ioapic(ioid, addr, gsi):
    return struct.pack("<BBBBII", 1, 12, ioid, 0, addr, gsi)


def e_iso(src, gsi, flags):
    return struct.pack("<BBBBIH", 2, 10, 0, src, gsi, flags)


def e_nmi(uid, flags, lint):
    return struct.pack("<BBBHB", 4, 6, uid, flags, lint)


def e_lapic_addr(addr):
    return struct.pack("<BBHQ", 5, 12, 0, addr)


def e_x2apic(x2id, uid, flags=1):
    return struct.pack("<BBHIII", 9, 16, 0, x2id, flags, uid)


def hpet(base=0xFED00000, space=0, min_tick=0x80):
    return sdt(b"HPET", struct.pack("<IBBBBQBHB", 0x8086A201, space, 64, 0,
                                    0, base, 0, min_tick, 0))


def acpi_input(flags, tables, selectors, rev=2, ebda=0, where=0,
               oem=b"BOCHS ", rsdp_len=36):
    out = bytes([flags, ebda, where]) + oem + bytes([rev, rsdp_len])
    out += bytes([len(selectors)]) + bytes(selectors)
    for t in tables:
        out += struct.pack("<H", len(t)) + t
    return out


def acpi_seeds():
    qemu_madt = madt([e_lapic(0, 0), e_lapic(1, 1), e_lapic(2, 2, 0),
                      e_ioapic(0, 0xFEC00000, 0), e_iso(0, 2, 0),
                      e_iso(5, 5, 0xD), e_iso(9, 9, 0xD), e_iso(10, 10, 0xD),
                      e_iso(11, 11, 0xD), e_nmi(0xFF, 0, 1)])
    facp = sdt(b"FACP", bytes(80))
    write("acpi", "qemu-xsdt", acpi_input(
        0, [qemu_madt, hpet(), facp], [0, 1, 2]))
    write("acpi", "bios-rsdt-search", acpi_input(
        F_SEARCH, [qemu_madt, hpet()], [1, 0], rev=0, where=0x40))
    write("acpi", "ebda-decoy", acpi_input(
        F_SEARCH | F_EBDA | F_DECOY | F_ROOT_RSDT,
        [madt([e_x2apic(0x100, 0), e_x2apic(0x101, 1), e_lapic(0, 0),
               e_lapic_addr(0xFEE01000)]), hpet(space=1)],
        [0, 1, 0xFF, 0xFE, 0xFD], ebda=0x3F, where=5))
    write("acpi", "bad-sums", acpi_input(
        F_RAW_SUMS, [madt([e_lapic(0, 0)]), hpet()], [0, 1]))
    write("acpi", "raw-lengths", acpi_input(
        F_RAW_LEN,
        [madt([e_lapic(0, 0), struct.pack("<BB", 0, 1), e_lapic(1, 1)]),
         hpet()[:40]], [0, 1, 0xFC]))
    # FADT 1.0 (116 bytes) -> DSDT (table 3, slot 4: selector 3) with
    # QEMU's \_S5, and a FADT 3.0 with RESET_REG and X_DSDT.
    s5 = bytes([0x10, 0x08, 0x5C, 0x00, 0x08]) + b"_S5_" + \
        bytes([0x12, 0x06, 0x04, 0x00, 0x00, 0x00, 0x00])
    fadt1 = bytearray(80)
    struct.pack_into("<I", fadt1, 4, 3)          # DSDT selector
    struct.pack_into("<I", fadt1, 28, 0x604)     # PM1a_CNT_BLK
    fadt3 = bytearray(208)
    struct.pack_into("<I", fadt3, 28, 0x604)
    struct.pack_into("<I", fadt3, 76, 1 << 10)   # RESET_REG_SUP
    struct.pack_into("<BBBBQB", fadt3, 80, 1, 8, 0, 1, 0xCF9, 6)
    struct.pack_into("<Q", fadt3, 104, 3)        # X_DSDT selector
    write("acpi", "fadt-dsdt-s5", acpi_input(
        0, [qemu_madt, sdt(b"FACP", bytes(fadt1)), hpet(),
            sdt(b"DSDT", s5)], [0, 1, 2]))
    write("acpi", "fadt3-reset", acpi_input(
        F_ROOT_RSDT, [sdt(b"FACP", bytes(fadt3)), qemu_madt, hpet(),
                      sdt(b"DSDT", s5)], [0, 1, 2]))
    write("acpi", "many-entries", acpi_input(
        0, [madt([e_lapic(i, i) for i in range(70)] +
                 [e_ioapic(i, 0xFEC00000 + i * 0x1000, i * 24)
                  for i in range(10)] +
                 [e_iso(i, i + 1, 0) for i in range(26)])], [0]))


# ---- Multiboot2 information (tests/fuzz/host/bootinfo.c) -----------------
def mb2_tag(t, payload):
    tag = struct.pack("<II", t, 8 + len(payload)) + payload
    return tag + bytes(-len(tag) % 8)


def mb2(tags):
    body = b"".join(tags) + struct.pack("<II", 0, 8)
    return struct.pack("<II", 8 + len(body), 0) + body


def mmap_tag(regions, esize=24):
    ents = b"".join(struct.pack("<QQII", b, l, t, 0) + bytes(esize - 24)
                    for (b, l, t) in regions)
    return mb2_tag(6, struct.pack("<II", esize, 0) + ents)


def boot_seeds():
    qemu_map = [(0, 0x9FC00, 1), (0x9FC00, 0x400, 2), (0xF0000, 0x10000, 2),
                (0x100000, 0x1FEE0000, 1), (0x1FFE0000, 0x20000, 2),
                (0xFEFFC000, 0x4000, 2), (0xFFFC0000, 0x40000, 2)]
    rsdp = b"RSD PTR " + bytes([0]) + b"BOCHS " + bytes([0]) + bytes(4)
    write("bootinfo", "grub-bios", mb2([
        mb2_tag(1, b"debug ktest=vm smp=2 init=/bin/init x= =y\0"),
        mb2_tag(3, struct.pack("<II", 0x200000, 0x280000) + b"initrd\0"),
        mmap_tag(qemu_map),
        mb2_tag(14, rsdp),
    ]))
    write("bootinfo", "grub-uefi", mb2([
        mb2_tag(1, b"smoke\0"),
        mb2_tag(12, struct.pack("<Q", 0x7F000000)),
        mmap_tag([(0, 0xA0000, 1), (0x100000, 0x7F00000, 1),
                  (0x7F00000, 0x100000, 3), (0x8000000, 0x1000, 4),
                  (0x8000000, 0x1000, 5), (0x123, 0x456, 7)], esize=40),
        mb2_tag(8, struct.pack("<QIIIBBBB", 0xFD000000, 4096, 1024, 768,
                               32, 1, 0, 0) + bytes([16, 8, 8, 8, 0, 8])),
        mb2_tag(15, rsdp + bytes(16)),
        mb2_tag(17, bytes(16)),
    ]))
    write("bootinfo", "long-cmdline", mb2([
        mb2_tag(1, b"a=1 " * 150 + b"\0"),
        mmap_tag([(0x1000 * i, 0x1800, 1 + i % 5) for i in range(40)]),
    ]))


# ---- fsd (tests/fuzz/host/fsd.c: 16-byte steps) ----------------------------
FSD_PATHS = ["/", "/tmp", "/tmp/a", "/tmp/b", "/tmp/a/b", "/tmp/a/c",
             "/dev/x", "/dev/y", "/boot", "/boot/bin/sh", "/tmp/..", "//",
             "/tmp/a/", "x", "", "/tmp/./c"]


def fsd_step(ep, op, flags=0, a=0, b=0, c=0, p1="/tmp", sfx=0, p2="/tmp",
             data8=0, hkind=0, fill=0, act=0, extra=0):
    """act 0 request, 4 close endpoint ep, 5 admit, 6 forged badge; c is in
    units of 4 bytes; data8 in units of 8."""
    return struct.pack("<BBBBHBHBBBBBBB", act, ep, op, flags, a, b, c,
                       FSD_PATHS.index(p1), sfx, FSD_PATHS.index(p2),
                       data8, hkind, fill, extra)


def fsd_seeds():
    FS_CONNECT, FS_OPEN, FS_STAT, FS_MKDIR, FS_RMDIR, FS_UNLINK = 1, 2, 3, 4, 5, 6
    FS_RENAME, FS_TRUNCATE, FS_MKNOD = 7, 8, 9
    FS_READ, FS_WRITE, FS_PREAD, FS_PWRITE, FS_SEEK, FS_FSTAT = 16, 17, 18, 19, 20, 21
    FS_READDIR, FS_FTRUNCATE, FS_CLOSE, FS_BULK_SETUP, FS_BULK_FREE = 22, 23, 24, 25, 26
    RW_CREATE, BULK = 0x7, 0x80
    write("fsd", "file-calls", b"".join([
        fsd_step(0, FS_CONNECT, a=1),                      # pool 2: conn
        fsd_step(2, FS_OPEN, RW_CREATE, p1="/tmp/a"),      # pool 3: file
        fsd_step(3, FS_WRITE, data8=100, fill=0x41),
        fsd_step(3, FS_SEEK, a=10, b=0),
        fsd_step(3, FS_READ, c=250),
        fsd_step(3, FS_PREAD, c=1000),
        fsd_step(3, FS_BULK_SETUP, c=1024),
        fsd_step(3, FS_WRITE, BULK, b=0, c=1024),
        fsd_step(3, FS_PREAD, BULK, b=0, c=1024),
        fsd_step(3, FS_FSTAT),
        fsd_step(3, FS_FTRUNCATE, a=7),
        fsd_step(2, FS_MKDIR, p1="/tmp/b"),
        fsd_step(2, FS_RENAME, p1="/tmp/a", p2="/tmp/./c"),
        fsd_step(2, FS_OPEN, 0x41, p1="/tmp"),             # pool 4: dir
        fsd_step(4, FS_READDIR, c=1024),
        fsd_step(4, FS_SEEK, a=0, b=0),
        fsd_step(4, FS_READDIR, c=8),
        fsd_step(2, FS_STAT, p1="/tmp/./c"),
        fsd_step(2, FS_TRUNCATE, a=3, p1="/tmp/./c"),
        fsd_step(2, FS_UNLINK, p1="/tmp/./c"),
        fsd_step(3, FS_BULK_FREE, b=0),
        fsd_step(3, FS_CLOSE),
        fsd_step(2, FS_RMDIR, p1="/tmp/b"),
        fsd_step(3, 0, act=4),
        fsd_step(2, FS_STAT, act=5),
    ]))
    write("fsd", "devices", b"".join([
        fsd_step(1, FS_CONNECT, a=1),                      # pool 2: driver
        fsd_step(2, FS_MKNOD, a=0o20000, p1="/dev/x", hkind=1),
        fsd_step(2, FS_MKNOD, a=0o20000, p1="/dev/y", hkind=2),
        fsd_step(0, FS_CONNECT, a=1),                      # pool 3: client
        fsd_step(3, FS_OPEN, 0x3, p1="/dev/x"),
        fsd_step(3, FS_UNLINK, p1="/dev/x"),
        fsd_step(3, FS_MKNOD, a=0o20000, p1="/dev/y", hkind=1),
        fsd_step(2, 0, act=4),                             # client: pool 2
        fsd_step(2, FS_STAT, p1="/dev/x"),
    ]))
    steps = [fsd_step(0, FS_CONNECT, a=1)]
    for p in FSD_PATHS:
        for op in (FS_OPEN, FS_STAT, FS_MKDIR, FS_UNLINK, FS_RENAME):
            steps.append(fsd_step(2, op, RW_CREATE, p1=p, p2="/tmp/b"))
    steps.append(fsd_step(2, FS_STAT, act=6, extra=0x77))
    write("fsd", "every-path", b"".join(steps))
    write("fsd", "limits", b"".join(
        [fsd_step(0, FS_CONNECT, a=1)] +
        [fsd_step(2, FS_OPEN, RW_CREATE, p1="/tmp/a") for _ in range(40)] +
        [fsd_step(2 + i, FS_WRITE, data8=255, fill=i) for i in range(30)] +
        [fsd_step(3, 0, act=4) for _ in range(10)]))


def main():
    fsd_seeds()
    elf_seeds()
    cpio_seeds()
    for name, text in JSON.items():
        write("json", name, text)
    handle_seeds()
    acpi_seeds()
    boot_seeds()
    msg_seeds()
    return 0


if __name__ == "__main__":
    sys.exit(main())
