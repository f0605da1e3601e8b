#!/usr/bin/env bash
# `make bench-linux`: Debian's Linux 6.1 beside exec-rt in the same QEMU
# with the same flags, one table (docs/benchmarks.md).
#
# usage: tools/bench-linux.sh [--fetch-only] [--if-present] [--runs N]
#   --fetch-only  fetch and unpack the two packages into $O/linux, nothing else
#   --if-present  (from `make bench`) without the packages, print how to
#                 get them and exit 0; also reuse exec-rt's fresh bench logs
#   --runs N      normal-TCG runs of each side (default 3; medians)
#
# Fetches, once, never installing: the exact linux-image-6.1.0-N-amd64 that
# linux-image-amd64 depends on and busybox-static (apt-get download +
# dpkg-deb). Builds the static program (tests/bench-linux/) and the
# initramfs (mk/bench.mk does that), boots both kernels with
# tools/qemu-run.sh (hard timeout, kills only its own QEMU) and prints the
# table with tools/bench_linux_table.py. Nothing is asserted; fails only
# if a run did not complete.
set -u
O=${O:-build}
LOGS=$O/logs
L=$O/linux
runs=3 fetch_only=0 if_present=0
while [ $# -gt 0 ]; do
	case "$1" in
	--fetch-only) fetch_only=1; shift ;;
	--if-present) if_present=1; shift ;;
	--runs) runs=$2; shift 2 ;;
	*) echo "bench-linux: unknown option $1" >&2; exit 2 ;;
	esac
done
mkdir -p "$LOGS" "$L"

have_pkgs() { [ -s "$L/vmlinuz" ] && [ -x "$L/busybox" ]; }

fetch() {
	have_pkgs && return 0
	local pkg deb
	# The one kernel the meta-package points at: a glob would fetch dozens.
	pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
		awk '/Depends: linux-image-6/{print $2; exit}')
	if [ -z "$pkg" ]; then
		echo "bench-linux: apt knows no linux-image-amd64; as root run: apt-get update" >&2
		return 1
	fi
	mkdir -p "$L/deb"
	rm -f "$L"/deb/*.deb
	if ! (cd "$L/deb" && apt-get download -q "$pkg" busybox-static >/dev/null 2>&1); then
		echo "bench-linux: cannot fetch $pkg busybox-static; by hand:" >&2
		echo "  (cd $L/deb && apt-get download $pkg busybox-static)" >&2
		return 1
	fi
	local x
	x=$(mktemp -d)
	# Only the kernel image of the package (its modules are not needed:
	# the serial console, initramfs and devtmpfs are built in).
	dpkg-deb --fsys-tarfile "$L"/deb/linux-image-*.deb |
		tar -x -C "$x" --wildcards './boot/vmlinuz-*' &&
		dpkg-deb -x "$L"/deb/busybox-static_*.deb "$x" &&
		cp "$x"/boot/vmlinuz-* "$L/vmlinuz" &&
		cp "$x/bin/busybox" "$L/busybox"
	local ok=$?
	rm -rf "$x"
	[ $ok = 0 ] || { echo "bench-linux: unpacking failed" >&2; return 1; }
	echo "$pkg $(dpkg-deb -f "$L"/deb/linux-image-*.deb Version)" > "$L/VERSION"
	rm -f "$L"/deb/linux-image-*.deb # 70 MB; the vmlinuz is kept
	echo "bench-linux: fetched $(cat "$L/VERSION") and busybox-static into $L" >&2
}

if [ $fetch_only = 1 ]; then
	fetch
	exit
fi
if ! have_pkgs; then
	if [ $if_present = 1 ]; then
		echo "bench: Linux side by side skipped: \`make bench-linux\` fetches Debian's linux-image and busybox-static into $L (apt-get download, not installed)"
		exit 0
	fi
	fetch || exit 1
fi
for f in "$L/initramfs.cpio" "$O/kernel.elf" "$O/initrd-bench.cpio" "$O/initrd.cpio"; do
	[ -s "$f" ] || { echo "bench-linux: $f missing (run: make bench-linux)" >&2; exit 1; }
done

rc=0
linux() { # name, timeout, extra qemu args...
	local name=$1 t=$2
	shift 2
	tools/qemu-run.sh --logdir "$LOGS" --name "$name" --kernel "$L/vmlinuz" \
		--append "console=ttyS0 quiet" --smp 1 --timeout "$t" \
		--expect "lbench: done" -- -initrd "$L/initramfs.cpio" "$@" >/dev/null ||
		{ echo "bench-linux: $name did not complete (log: $LOGS/$name.log)"; rc=1; }
}
# As tools/bench.sh runs exec-rt's bench.
execrt() { # name, timeout, extra qemu args...
	local name=$1 t=$2
	shift 2
	tools/qemu-run.sh --logdir "$LOGS" --name "$name" --kernel "$O/kernel.elf" \
		--append "init=bench utest" --smp 1 --timeout "$t" \
		--expect "bench: done" -- -initrd "$O/initrd-bench.cpio" "$@" >/dev/null ||
		{ echo "bench-linux: $name did not complete (log: $LOGS/$name.log)"; rc=1; }
}
# The boot row: exec-rt's whole system (initrd.cpio) to the shell prompt,
# as tools/bench.sh measures it but on one CPU, as Linux runs here.
execrt_boot() { # name, extra options of tools/qemu_session.py
	local name=$1
	shift
	python3 tools/qemu_session.py --logdir "$LOGS" --name "$name" \
		--kernel "$O/kernel.elf" --initrd "$O/initrd.cpio" --smp 1 \
		--timeout 300 --expect "sh: ready in" --poweroff "$@" >/dev/null ||
		{ echo "bench-linux: $name did not reach the prompt (log: $LOGS/$name.log)"; rc=1; }
}
fresh() { # log newer than the kernel and the initrds
	[ -s "$1" ] && [ "$1" -nt "$O/kernel.elf" ] && [ "$1" -nt "$O/initrd-bench.cpio" ] &&
		{ [ ! -e "$O/initrd.cpio" ] || [ "$1" -nt "$O/initrd.cpio" ]; }
}

ICOUNT=(-icount shift=0,sleep=off)
echo "== Linux $(cat "$L/VERSION" 2>/dev/null) beside exec-rt: -icount shift=0 (one run each: the figures repeat)"
fresh "$LOGS/bench-icount.log" || execrt bench-icount 900 "${ICOUNT[@]}"
fresh "$LOGS/boot1-icount.log" || execrt_boot boot1-icount --icount
linux linux-icount 1200 "${ICOUNT[@]}"
echo "== normal TCG, $runs runs of each side, interleaved so both see the same host load"
tcg=()
for i in $(seq 1 "$runs"); do
	execrt "bench-tcg-$i" 300
	execrt_boot "boot1-tcg-$i"
	linux "linux-tcg-$i" 300
	tcg+=(--tcg "$LOGS/bench-tcg-$i.log" "$LOGS/linux-tcg-$i.log"
	      --boot-tcg "$LOGS/boot1-tcg-$i.log")
done
python3 tools/bench_linux_table.py --icount "$LOGS/bench-icount.log" "$LOGS/linux-icount.log" \
	--boot-icount "$LOGS/boot1-icount.log" "${tcg[@]}"
exit $rc
