#!/usr/bin/env bash
# `make bench`: the benchmark program as root task, two runs (see
# mk/bench.mk). Prints the figures; fails only if a run did not complete.
set -u
O=${O:-build}
LOGS=$O/logs
mkdir -p "$LOGS"
rc=0
run() { # name, timeout, extra qemu args...
	local name=$1 t=$2
	shift 2
	if tools/qemu-run.sh --logdir "$LOGS" --name "$name" --kernel "$O/kernel.elf" \
		--append "init=bench utest" --smp 1 --timeout "$t" \
		--expect "bench: done" -- -initrd "$O/initrd-bench.cpio" "$@" >/dev/null; then
		tr -d '\r' < "$LOGS/$name.log" | grep '^bench: ' | grep -v 'done$'
	else
		echo "bench: $name did not complete (log: $LOGS/$name.log)"
		rc=1
	fi
}
echo "== TCG, TSC follows the host clock (~2.1-2.6 GHz): figures vary run to run"
run bench 300
echo "== -icount shift=0: TSC = guest instructions, figures repeat exactly"
run bench-icount 900 -icount shift=0,sleep=off
exit $rc
