#!/bin/sh
# The symbol table is linked last; prove that no other symbol moved between
# the first and the final link (a moved symbol would symbolize wrongly).
set -e
a=$(mktemp); b=$(mktemp)
trap 'rm -f "$a" "$b"' EXIT
nm -n --defined-only "$1" | grep -v -e ' __ksyms_end$' -e ' __kernel_phys_end$' > "$a"
nm -n --defined-only "$2" | grep -v -e ' __ksyms_end$' -e ' __kernel_phys_end$' > "$b"
if ! cmp -s "$a" "$b"; then
	echo "check-ksyms: symbols moved between link passes:" >&2
	diff "$a" "$b" | head -20 >&2
	exit 1
fi
