#!/usr/bin/env bash
# Build musl (Debian source package "musl", upstream 1.2.3) for exec-rt user
# programs. Nothing of musl is kept in the repository: the source is fetched
# with `apt-get source`, unpacked with dpkg-source (which applies Debian's
# patches, as a Debian build does), copied, overlaid with the exec-rt glue in
# libs/musl-glue/ and built into a sysroot:
#   $O/user/sysroot/{lib/libc.a,lib/crt1.o,lib/crti.o,lib/crtn.o,include/}
# Usage: tools/build-musl.sh [O] (environment: CC, JOBS, MUSL_SRC: where the
# source package is fetched to and kept, default O/src)
set -euo pipefail

O=${1:-${O:-build}}
CC=${CC:-gcc}
case $CC in
*clang*) AR=${AR:-llvm-ar} RANLIB=${RANLIB:-llvm-ranlib} ;;
*) AR=${AR:-ar} RANLIB=${RANLIB:-ranlib} ;;
esac
command -v "$AR" >/dev/null || AR=ar
command -v "$RANLIB" >/dev/null || RANLIB=ranlib
JOBS=${JOBS:-2}
MUSL_UPSTREAM=1.2.3
ROOT=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$O"
O=$(cd "$O" && pwd)
SRC=${MUSL_SRC:-$O/src}     # the downloaded Debian source package
mkdir -p "$SRC"
SRC=$(cd "$SRC" && pwd)
TREE=$O/musl-src            # patched source + exec-rt overlay
OBJ=$O/musl-obj             # out-of-tree build directory
SYSROOT=$O/user/sysroot
GLUE=$ROOT/libs/musl-glue

die() {
	echo "build-musl: $*" >&2
	exit 1
}

# 1. Fetch (once): the .dsc, the upstream tarball and the Debian diff.
dsc=$(ls "$SRC"/musl_"$MUSL_UPSTREAM"-*.dsc 2>/dev/null | tail -n 1 || true)
if [ -z "$dsc" ]; then
	echo "  FETCH   musl source (apt-get source musl)"
	if ! (cd "$SRC" && apt-get source --download-only musl) >"$SRC/fetch.log" 2>&1; then
		cat "$SRC/fetch.log" >&2
		cat >&2 <<-MSG
		build-musl: could not fetch the musl source package.
		build-musl: it needs a deb-src entry for Debian bookworm and the network;
		build-musl: as root run:   tools/setup.sh
		build-musl: then run:      (cd $SRC && apt-get source --download-only musl)
		MSG
		exit 1
	fi
	dsc=$(ls "$SRC"/musl_"$MUSL_UPSTREAM"-*.dsc 2>/dev/null | tail -n 1 || true)
	[ -n "$dsc" ] || die "apt-get source did not bring musl $MUSL_UPSTREAM" \
		"(got: $(ls "$SRC"/*.dsc 2>/dev/null)); pin it with: apt-get source musl=$MUSL_UPSTREAM-1"
fi
debver=$(sed -n 's/^Version: //p' "$dsc")

# 2. Unpack with Debian's patches applied, then a fresh copy + overlay.
# (Unpacked under O, not next to the shared source: two build directories
# may unpack at once.)
UNPACKED=$O/musl-unpacked
rm -rf "$UNPACKED" "$TREE" "$OBJ"
dpkg-source -x "$dsc" "$UNPACKED" >"$O/musl-unpack.log" 2>&1 ||
	{ cat "$O/musl-unpack.log" >&2; die "dpkg-source -x $dsc failed"; }
[ "$(cat "$UNPACKED/VERSION")" = "$MUSL_UPSTREAM" ] ||
	die "unexpected musl version $(cat "$UNPACKED/VERSION")"
mv "$UNPACKED" "$TREE"
rm -rf "$TREE/debian"
# Files the overlay removes (one path per line), then the overlay itself.
if [ -f "$GLUE/REMOVE" ]; then
	grep -v '^#' "$GLUE/REMOVE" | while read -r f; do
		[ -n "$f" ] && rm -f "$TREE/$f"
	done
fi
(cd "$GLUE" && find . -type f ! -name REMOVE ! -name README.md) | while read -r f; do
	mkdir -p "$TREE/$(dirname "$f")"
	cp "$GLUE/$f" "$TREE/$f"
done

# 3. Configure and build out of tree, install into the sysroot.
mkdir -p "$OBJ"
echo "  MUSL    configure ($CC, musl $debver)"
(cd "$OBJ" && "$TREE/configure" --target=x86_64 --disable-shared \
	--disable-wrapper --prefix="$SYSROOT" CC="$CC" AR="$AR" RANLIB="$RANLIB" \
	CFLAGS="-fno-stack-protector -fno-pie") >"$OBJ/configure.log" 2>&1 ||
	{ cat "$OBJ/configure.log" >&2; die "configure failed"; }
echo "  MUSL    make -j$JOBS (log: $OBJ/build.log)"
start=$(date +%s)
rm -rf "$SYSROOT"
(make -C "$OBJ" -j"$JOBS" && make -C "$OBJ" install) >"$OBJ/build.log" 2>&1 ||
	{ tail -n 40 "$OBJ/build.log" >&2; die "build failed"; }
end=$(date +%s)
for f in lib/libc.a lib/crt1.o lib/crti.o lib/crtn.o include/stdio.h; do
	[ -e "$SYSROOT/$f" ] || die "$SYSROOT/$f missing after install"
done
echo "musl $debver (Debian source package), CC=$CC, built in $((end - start)) s" \
	>"$SYSROOT/VERSION"
echo "  MUSL    $(cat "$SYSROOT/VERSION")"
