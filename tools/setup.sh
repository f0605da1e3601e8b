#!/usr/bin/env bash
# Idempotent host set-up for exec-rt on Debian 12: installs what the build and
# the QEMU tests need. Installs only when root or passwordless sudo is at hand;
# otherwise prints the exact apt-get line and fails, so the user knows why.
set -eu

PKGS="make gcc clang lld binutils qemu-system-x86 ovmf grub-common grub-pc-bin
grub-efi-amd64-bin xorriso mtools cpio python3 gdb"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
missing=${missing# }

[ -z "$missing" ] && exit 0

if [ "$(id -u)" = 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
	SUDO="sudo -n"
else
	echo "exec-rt: missing Debian packages: $missing" >&2
	echo "exec-rt: run as root:  apt-get update && apt-get install -y $missing" >&2
	exit 1
fi

echo "exec-rt: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >&2
