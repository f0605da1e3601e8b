#!/usr/bin/env bash
# `make bench-linux`: Debian's Linux 6.1 beside exec-rt in the same QEMU
# with the same flags, one table (docs/benchmarks.md).
#
# usage: tools/bench-linux.sh [--fetch-only] [--if-present] [--runs N] [--net-only]
#   --fetch-only  fetch and unpack the two packages into $O/linux, nothing else
#   --net-only    only the network rows (UDP round trip, TCP both ways)
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
runs=3 fetch_only=0 if_present=0 net_only=0
while [ $# -gt 0 ]; do
	case "$1" in
	--fetch-only) fetch_only=1; shift ;;
	--if-present) if_present=1; shift ;;
	--runs) runs=$2; shift 2 ;;
	--net-only) net_only=1; shift ;;
	*) echo "bench-linux: unknown option $1" >&2; exit 2 ;;
	esac
done
mkdir -p "$LOGS" "$L"

# modules/order: the network bench's modules (virtio_net and what it
# needs); a $L fetched before they were kept lacks it and is fetched again.
have_pkgs() { [ -s "$L/vmlinuz" ] && [ -x "$L/busybox" ] && [ -s "$L/modules/order" ]; }

# Debian builds virtio_pci and virtio_net as modules (the deb has no
# modules.dep: depmod makes it at install). Extracts them from deb $1 into
# $2 with the modules their .modinfo `depends=` names, recursively, and
# writes $2/order (load order, dependencies first). Compressed modules
# (.ko.xz/.ko.zst) are unpacked: busybox insmod takes plain .ko only.
fetch_modules() { # deb, destination dir
	local deb=$1 dst=$2 list x want name got deps n d f
	list=$(mktemp) x=$(mktemp -d)
	dpkg-deb --fsys-tarfile "$deb" | tar -t > "$list" || return 1
	want="virtio_pci virtio_net" got=""
	while [ -n "$want" ]; do
		local paths=()
		for name in $want; do
			# module names use _, file names - or _
			f=$(grep -E "/kernel/.*/${name//_/[-_]}\.ko(\.xz|\.zst|\.gz)?\$" "$list" | head -n 1)
			[ -n "$f" ] || { echo "bench-linux: no module $name in $deb" >&2; rm -rf "$list" "$x"; return 1; }
			paths+=("$f")
		done
		dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$x" "${paths[@]}" || { rm -rf "$list" "$x"; return 1; }
		got="$got $want" want=""
		for f in "${paths[@]}"; do
			case "$f" in
			*.xz) xz -d "$x/$f" ;; *.zst) zstd -q -d --rm "$x/$f" ;; *.gz) gzip -d "$x/$f" ;;
			esac
			f=${f%.xz} f=${f%.zst} f=${f%.gz}
			deps=$(strings -a "$x/$f" | sed -n 's/^depends=//p' | head -n 1 | tr , ' ')
			for d in $deps; do
				case " $got $want " in *" $d "*) ;; *) want="$want $d" ;; esac
			done
		done
	done
	mkdir -p "$dst"
	rm -f "$dst"/*.ko "$dst/order"
	find "$x" -name '*.ko' -exec cp {} "$dst/" \;
	# load order: a module after every module it depends on
	local done_=" " left
	left=$(cd "$dst" && ls *.ko | sed 's/\.ko$//')
	while [ -n "$left" ]; do
		local rest="" progress=0
		for n in $left; do
			deps=$(strings -a "$dst/$n.ko" | sed -n 's/^depends=//p' | head -n 1 | tr , ' ')
			local ready=1
			for d in $deps; do
				case "$done_" in *" $d "*) ;; *) ready=0 ;; esac
			done
			if [ $ready = 1 ]; then
				echo "$n.ko" >> "$dst/order"
				done_="$done_$(echo "$n" | tr - _) " progress=1
			else
				rest="$rest $n"
			fi
		done
		[ $progress = 1 ] || { echo "bench-linux: module dependency loop:$rest" >&2; rm -rf "$list" "$x"; return 1; }
		left=$rest
	done
	rm -rf "$list" "$x"
}

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
	# The kernel image of the package; of its modules only those of the
	# network bench (fetch_modules; the serial console, initramfs and
	# devtmpfs are built in).
	dpkg-deb --fsys-tarfile "$L"/deb/linux-image-*.deb |
		tar -x -C "$x" --wildcards './boot/vmlinuz-*' &&
		dpkg-deb -x "$L"/deb/busybox-static_*.deb "$x" &&
		cp "$x"/boot/vmlinuz-* "$L/vmlinuz" &&
		cp "$x/bin/busybox" "$L/busybox"
	local ok=$?
	rm -rf "$x"
	[ $ok = 0 ] && fetch_modules "$L"/deb/linux-image-*.deb "$L/modules"
	ok=$?
	[ $ok = 0 ] || { echo "bench-linux: unpacking failed" >&2; return 1; }
	echo "$pkg $(dpkg-deb -f "$L"/deb/linux-image-*.deb Version)" > "$L/VERSION"
	rm -f "$L"/deb/linux-image-*.deb # 70 MB; vmlinuz and modules/ are kept
	echo "bench-linux: fetched $(cat "$L/VERSION") (vmlinuz, modules/: $(tr "\n" " " < "$L/modules/order")) and busybox-static into $L" >&2
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
need=("$L/initramfs.cpio" "$O/kernel.elf" "$O/initrd.cpio")
[ $net_only = 1 ] || need+=("$O/initrd-bench.cpio")
for f in "${need[@]}"; do
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

# The network rows: tests/system/test_net.py --bench on each side (the
# measurement of tests/system/net_bench.py), its printed lines kept in
# $LOGS/NAME.txt for the table. -smp 1 on both, as the other rows.
net() { # name, extra options of test_net.py
	local name=$1
	shift
	if ! timeout 1200 python3 tests/system/test_net.py --bench --smp 1 --logdir "$LOGS" \
		--name "$name" --kernel "$O/kernel.elf" --initrd "$O/initrd.cpio" "$@" \
		> "$LOGS/$name.txt" 2>&1; then
		echo "bench-linux: $name did not complete (log: $LOGS/$name.log, $LOGS/$name.txt)"
		rc=1
	fi
}
net_runs() {
	local i
	echo "== network host<->guest, normal TCG only, $runs runs of each side, interleaved"
	for i in $(seq 1 "$runs"); do
		net "net-execrt-$i"
		net "net-linux-$i" --linux-kernel "$L/vmlinuz" --linux-initrd "$L/initramfs.cpio"
		nets+=(--net "$LOGS/net-execrt-$i.txt" "$LOGS/net-linux-$i.txt")
	done
}
nets=()
if [ $net_only = 1 ]; then
	net_runs
	python3 tools/bench_linux_table.py --net-only "${nets[@]}"
	exit $rc
fi

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
net_runs
python3 tools/bench_linux_table.py --icount "$LOGS/bench-icount.log" "$LOGS/linux-icount.log" \
	--boot-icount "$LOGS/boot1-icount.log" "${tcg[@]}" "${nets[@]}"
exit $rc
