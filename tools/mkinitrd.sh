#!/usr/bin/env bash
# Pack user programs into an initrd: a cpio "newc" archive whose entries are
# the files' base names without ".elf" (build/user/hello.elf -> "hello").
# Usage: tools/mkinitrd.sh OUT.cpio FILE...
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 out.cpio file..." >&2; exit 2; }
command -v cpio >/dev/null || { echo "mkinitrd: cpio missing (run tools/setup.sh)" >&2; exit 1; }
out=$1
shift
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
for f in "$@"; do
	name=$(basename "$f" .elf)
	[ -e "$stage/$name" ] && { echo "mkinitrd: two files named $name" >&2; exit 1; }
	cp "$f" "$stage/$name"
	chmod 0755 "$stage/$name"
done
tmp=$out.tmp
# Sorted names, fixed owner and time: the same inputs give the same archive.
(cd "$stage" && touch -d @0 -- * 2>/dev/null || true
 find . -mindepth 1 -maxdepth 1 -printf '%P\n' | LC_ALL=C sort |
	cpio -o -H newc --quiet --owner=0:0 --reproducible) >"$tmp"
mv "$tmp" "$out"
