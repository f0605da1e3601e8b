#!/usr/bin/env python3
"""Turn `nm -n` output of the first-pass kernel into the .ksyms section.

Layout (read by kernel/arch/x86_64/ksyms.c):
    ksyms_table: .quad count
                 .quad count entries of (address)
                 .long count entries of (offset of name in the string block)
                 the NUL-terminated names
Only function symbols in the kernel's text are kept, sorted by address.
With --empty, emits a table with no entries (first link pass)."""
import sys


def main():
    empty = "--empty" in sys.argv
    syms = []
    if not empty:
        seen = set()
        for line in sys.stdin:
            parts = line.split()
            if len(parts) != 3:
                continue
            addr, kind, name = int(parts[0], 16), parts[1], parts[2]
            if kind not in "TtWw" or addr < 0xffffffff80000000:
                continue
            if name.startswith(".") or (addr, name) in seen:
                continue
            seen.add((addr, name))
            syms.append((addr, name))
    syms.sort()
    out = ['\t.section .ksyms, "a"', "\t.balign 8", "\t.global ksyms_table", "ksyms_table:",
           f"\t.quad {len(syms)}"]
    for addr, _ in syms:
        out.append(f"\t.quad 0x{addr:x}")
    off = 0
    for _, name in syms:
        out.append(f"\t.long {off}")
        off += len(name) + 1
    for _, name in syms:
        out.append(f'\t.asciz "{name}"')
    out.append('\t.section .note.GNU-stack, "", @progbits')
    print("\n".join(out))


if __name__ == "__main__":
    main()
