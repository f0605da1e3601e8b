#!/usr/bin/env bash
# Build lwIP (Debian source package "lwip", upstream 2.1.3) for netd
# (servers/netd) and for the host tests. Nothing of lwIP is kept in the
# repository: the source is fetched with `apt-get source`, unpacked with
# dpkg-source (Debian's patches applied) and compiled with exec-rt's port
# headers (libs/lwip-port/include: lwipopts.h, arch/cc.h) into
#   unpack  $O/lwip-src/           (the patched tree; VERSION names it)
#   user    $O/user/liblwip.a      (the musl sysroot's compiler, as programs)
#   host    $O/host/liblwip.a      (HOSTCC, ASan + UBSan, as host tests)
# The platform half (sys_now, the assertion hook) is not in the archive:
# netd links libs/lwip-port/*.c, the host tests their own clock.
# Usage: tools/build-lwip.sh O unpack|user|host (environment: CC, HOSTCC,
# JOBS, LWIP_SRC: where the source package is fetched to and kept, default
# O/src)
set -euo pipefail

O=${1:-build}
WHAT=${2:-unpack}
CC=${CC:-gcc}
HOSTCC=${HOSTCC:-cc}
JOBS=${JOBS:-2}
LWIP_UPSTREAM=2.1.3
ROOT=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$O"
O=$(cd "$O" && pwd)
SRC=${LWIP_SRC:-$O/src}
mkdir -p "$SRC"
SRC=$(cd "$SRC" && pwd)
TREE=$O/lwip-src
PORT=$ROOT/libs/lwip-port/include
case $CC in
*clang*) AR=${AR:-llvm-ar} ;;
*) AR=${AR:-ar} ;;
esac
command -v "$AR" >/dev/null || AR=ar

die() {
	echo "build-lwip: $*" >&2
	exit 1
}

unpack() {
	local dsc debver unpacked=$O/lwip-unpacked
	# 1. Fetch (once): the .dsc, the upstream tarball and the Debian diff.
	dsc=$(ls "$SRC"/lwip_"$LWIP_UPSTREAM"*.dsc 2>/dev/null | tail -n 1 || true)
	if [ -z "$dsc" ]; then
		echo "  FETCH   lwip source (apt-get source lwip)"
		if ! (cd "$SRC" && apt-get source --download-only lwip) \
			>"$SRC/lwip-fetch.log" 2>&1; then
			cat "$SRC/lwip-fetch.log" >&2
			cat >&2 <<-MSG
			build-lwip: could not fetch the lwip source package.
			build-lwip: it needs a deb-src entry for Debian bookworm and the network;
			build-lwip: as root run:   tools/setup.sh
			build-lwip: then run:      (cd $SRC && apt-get source --download-only lwip)
			MSG
			exit 1
		fi
		dsc=$(ls "$SRC"/lwip_"$LWIP_UPSTREAM"*.dsc 2>/dev/null | tail -n 1 || true)
		[ -n "$dsc" ] || die "apt-get source did not bring lwip $LWIP_UPSTREAM" \
			"(got: $(ls "$SRC"/lwip*.dsc 2>/dev/null))"
	fi
	debver=$(sed -n 's/^Version: //p' "$dsc")
	# 2. Unpack with Debian's patches applied (under O: two build
	# directories may unpack at once).
	rm -rf "$unpacked" "$TREE"
	dpkg-source -x "$dsc" "$unpacked" >"$O/lwip-unpack.log" 2>&1 ||
		{ cat "$O/lwip-unpack.log" >&2; die "dpkg-source -x $dsc failed"; }
	local v
	v=$(sed -n 's/^#define LWIP_VERSION_\(MAJOR\|MINOR\|REVISION\) *\([0-9]*\).*/\2/p' \
		"$unpacked/src/include/lwip/init.h" | paste -sd.)
	[ "$v" = "$LWIP_UPSTREAM" ] || die "unexpected lwIP version $v in $dsc"
	rm -rf "$unpacked/debian"
	mv "$unpacked" "$TREE"
	echo "lwip $debver (Debian source package)" >"$TREE/VERSION"
	echo "  LWIP    $(cat "$TREE/VERSION") unpacked"
}

# The stack netd uses: core, IPv4, IPv6 (compiled out unless lwipopts.h
# turns it on), Ethernet. Not the sequential/socket APIs (NO_SYS), PPP,
# 6LoWPAN or the apps.
sources() {
	(cd "$TREE/src" && ls core/*.c core/ipv4/*.c core/ipv6/*.c netif/ethernet.c)
}

build() { # $1: user|host
	local kind=$1 cc flags lib objdir
	[ -f "$TREE/VERSION" ] || die "$TREE is not unpacked (run: $0 $O unpack)"
	objdir=$O/$kind/lwip-obj
	lib=$O/$kind/liblwip.a
	# Third-party code: its own warnings are not ours to fix (no -Werror).
	flags="-std=gnu17 -g -I$PORT -I$TREE/src/include -ffunction-sections -fdata-sections"
	if [ "$kind" = user ]; then
		local sysroot=$O/user/sysroot
		[ -f "$sysroot/VERSION" ] || die "no musl sysroot in $sysroot (make musl)"
		cc=$CC
		flags="$flags -O2 -nostdinc -isystem $sysroot/include"
		flags="$flags -isystem $($CC -print-file-name=include)"
		flags="$flags -fno-pie -fno-pic -fno-common -fno-strict-aliasing"
		flags="$flags -fstack-protector-strong"
	else
		cc=$HOSTCC
		flags="$flags -O1 -fsanitize=address,undefined -fno-omit-frame-pointer"
		flags="$flags -fno-sanitize-recover=all -DHOST_TEST"
	fi
	rm -rf "$objdir"
	mkdir -p "$objdir"
	echo "  LWIP    $kind: $cc (log: $objdir/build.log)"
	# One object per source, named after its path (ip4.c is in two
	# directories' worth of names only once, but be safe).
	sources | sed 's/\.c$//' | xargs -P "$JOBS" -I{} sh -c \
		'mkdir -p "$(dirname "$3/$1")" && $2 -c "$4/src/$1.c" -o "$3/$1.o"' \
		_ {} "$cc $flags" "$objdir" "$TREE" >"$objdir/build.log" 2>&1 ||
		{ tail -n 40 "$objdir/build.log" >&2; die "$kind build failed"; }
	rm -f "$lib.tmp"
	(cd "$objdir" && find . -name '*.o' | sort | xargs "$AR" rcs "$lib.tmp")
	mv "$lib.tmp" "$lib"
	echo "  LWIP    $lib ($(cd "$objdir" && find . -name '*.o' | wc -l) objects)"
}

case $WHAT in
unpack) unpack ;;
user | host) build "$WHAT" ;;
*) die "usage: $0 O unpack|user|host" ;;
esac
