#!/usr/bin/env bash
# Idempotent host set-up for exec-rt on Debian 12: installs what the build and
# the QEMU tests need. Installs only when root or passwordless sudo is at hand;
# otherwise prints the exact commands and fails, so the user knows why.
# It also makes sure `apt-get source musl` works (tools/build-musl.sh): a
# deb-src entry, derived from the machine's own Debian `deb` entries.
set -eu

PKGS="make gcc clang lld llvm binutils qemu-system-x86 ovmf grub-common grub-pc-bin
grub-efi-amd64-bin xorriso mtools cpio python3 gdb dpkg-dev libjsmn-dev
libclang-rt-14-dev console-setup-linux"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
missing=${missing# }

# Source entries: is any deb-src line or stanza there already?
SRC_FILE=/etc/apt/sources.list.d/execrt-src.sources
have_src() {
	grep -qsE '^[[:space:]]*deb-src[[:space:]]' /etc/apt/sources.list \
		/etc/apt/sources.list.d/*.list && return 0
	grep -qsE '^Types:.*deb-src' /etc/apt/sources.list.d/*.sources
}
# The deb-src twin of the Debian `deb` entries (deb822, as Debian 12 ships
# them in debian.sources; or the one-line sources.list), on stdout.
src_entries() {
	if [ -f /etc/apt/sources.list.d/debian.sources ]; then
		sed -e 's/^Types:.*/Types: deb-src/' /etc/apt/sources.list.d/debian.sources
	elif grep -qsE '^deb[[:space:]]' /etc/apt/sources.list; then
		grep -E '^deb[[:space:]]' /etc/apt/sources.list | grep -v 'deb-src' |
			while read -r _ uri suite comps; do
				printf 'Types: deb-src\nURIs: %s\nSuites: %s\nComponents: %s\n\n' \
					"$uri" "$suite" "${comps:-main}"
			done
	fi
}
need_src=0
have_src || need_src=1

[ -z "$missing" ] && [ "$need_src" = 0 ] && exit 0

if [ "$(id -u)" = 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
	SUDO="sudo -n"
else
	if [ "$need_src" = 1 ]; then
		echo "exec-rt: no deb-src entry (needed for: apt-get source musl); as root run:" >&2
		echo "  sed -e 's/^Types:.*/Types: deb-src/' /etc/apt/sources.list.d/debian.sources > $SRC_FILE && apt-get update" >&2
	fi
	if [ -n "$missing" ]; then
		echo "exec-rt: missing Debian packages: $missing" >&2
		echo "exec-rt: run as root:  apt-get update && apt-get install -y $missing" >&2
	fi
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
if [ "$need_src" = 1 ]; then
	entries=$(src_entries)
	if [ -z "$entries" ]; then
		echo "exec-rt: no Debian deb entries to derive deb-src from; add a deb-src entry for bookworm main" >&2
		exit 1
	fi
	echo "exec-rt: adding $SRC_FILE (deb-src for apt-get source)" >&2
	printf '%s\n' "$entries" | $SUDO tee "$SRC_FILE" >/dev/null
fi
$SUDO apt-get update -qq
[ -z "$missing" ] && exit 0
echo "exec-rt: installing:$missing" >&2
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >&2
