#!/usr/bin/env bash
# Pack an initrd: a cpio "newc" archive laid out as the system sees it
# (docs/system.md): programs under bin/ named by their base name without
# ".elf" (build/user/sh.elf -> "bin/sh"), other files where DEST says.
# Usage: tools/mkinitrd.sh OUT.cpio ITEM...
#   ITEM = FILE.elf          -> bin/<base name>
#   ITEM = DEST=FILE         -> DEST (e.g. etc/services.conf=etc/services.conf)
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 out.cpio item..." >&2; exit 2; }
command -v cpio >/dev/null || { echo "mkinitrd: cpio missing (run tools/setup.sh)" >&2; exit 1; }
out=$1
shift
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
for item in "$@"; do
	case $item in
	*=*) dest=${item%%=*} src=${item#*=} mode=0644 ;;
	*) dest=bin/$(basename "$item" .elf) src=$item mode=0755 ;;
	esac
	case $dest in
	/* | *..* | "") echo "mkinitrd: bad destination '$dest'" >&2; exit 1 ;;
	esac
	[ -e "$stage/$dest" ] && { echo "mkinitrd: two files named $dest" >&2; exit 1; }
	mkdir -p "$stage/$(dirname "$dest")"
	cp "$src" "$stage/$dest"
	# The initrd stays in RAM for good (docs/system.md "Memory budget"):
	# programs without their debug sections (a quarter of the size);
	# build/user/*.elf keep them for gdb. The symbols stay.
	[ "$mode" = 0755 ] && ${STRIP:-strip} --strip-debug "$stage/$dest"
	chmod "$mode" "$stage/$dest"
done
tmp=$out.tmp
# Sorted names, fixed owner and time: the same inputs give the same archive.
# Directories are left out: readers look files up by their full path.
(cd "$stage" && find . -exec touch -h -d @0 {} + &&
 find . -type f -printf '%P\n' | LC_ALL=C sort |
	cpio -o -H newc --quiet --owner=0:0 --reproducible) >"$tmp"
mv "$tmp" "$out"
