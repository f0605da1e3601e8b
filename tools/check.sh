#!/usr/bin/env bash
# The test suites behind `make check`. Each suite prints its own lines; the
# totals count individual tests (host unit tests, in-kernel tests) and one
# per boot test. The last line is "N passed, N failed"; the exit status is
# non-zero when anything failed.
set -u
O=${O:-build}
PYTHON=${PYTHON:-python3}
LOGS=$O/logs
mkdir -p "$LOGS"
pass=0 fail=0
# Everything printed also goes to $LOGS/check.out, so the end can recap
# what failed: CI shows only parts of a long output, the end most surely.
exec 3>&1
exec > >(tee "$LOGS/check.out")
TEE_PID=$!

# Wall time per suite: every suite starts with an `echo "== title"` line,
# so echo notes the time there and prints the last suite's; a suite added
# later is timed with no more code. Lines "-- 12.3 s: title", a recap of
# the slowest before the last line (docs/testing.md "Timing").
suite= suite_t0= suite_times=() EARLY=$LOGS/early
now_ms() { local t=${EPOCHREALTIME/[.,]/}; echo $((t / 1000)); }
suite_done() {
	[ -n "$suite" ] || return 0
	local ms=$(($(now_ms) - suite_t0 + 50)) early= # rounded to 0.1 s
	suite_times+=("$ms	$suite")
	if [ -s "$EARLY/joined" ]; then # suites of the early lane (below)
		early=" (ran early:$(cat "$EARLY/joined"))"
		: >"$EARLY/joined"
	fi
	builtin echo "-- $((ms / 1000)).$((ms / 100 % 10)) s: $suite$early"
	suite=
}
echo() {
	if [ "${1-}" != "${1#== }" ] && [ -z "${timing_off-}" ]; then
		suite_done
		suite=${1#== } suite=${suite%% (*} suite_t0=$(now_ms)
	fi
	builtin echo "$@"
}

count_line() { # $1: text holding "[word: ]N passed, N failed"
	grep -aoE '[0-9]+ passed, [0-9]+ failed' <<<"$1" | tail -n 1
}

add_counts() { # $1: suite name, $2: output, $3: suite exit status
	local line p f
	line=$(count_line "$2")
	if [ -z "$line" ]; then
		echo "FAIL $1: no result line (crashed?)"
		fail=$((fail + 1))
		return
	fi
	p=${line%% passed*}
	f=${line#*, }
	f=${f%% failed*}
	pass=$((pass + p))
	fail=$((fail + f))
	if [ "$3" != 0 ] && [ "$f" = 0 ]; then
		echo "FAIL $1: suite exited with $3 although no test failed"
		fail=$((fail + 1))
	fi
}

boot() { # one boot test through tools/qemu-run.sh
	if tools/qemu-run.sh --logdir "$LOGS" "$@"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
	fi
}

# The suites under -icount shift=0,sleep=off (guest time counts
# instructions: host load cannot stretch what they measure) run early,
# one after the other, beside the clang build and the host tests;
# each prints its output at its place below. The TCG suites, whose races
# and timeouts feel the load, start once these are done.
rm -rf "$EARLY" && mkdir -p "$EARLY"
early() { # name command...: output, status and time kept for `joined name`
	local name=$1 t0 rc
	shift
	t0=$(now_ms)
	"$@" >"$EARLY/$name.out" 2>&1
	rc=$?
	builtin echo "$rc $(($(now_ms) - t0))" >"$EARLY/$name.tmp"
	mv "$EARLY/$name.tmp" "$EARLY/$name.rc"
}
joined() { # name: the output of that early suite; its status
	local rc ms
	while [ ! -e "$EARLY/$1.rc" ] && kill -0 "$early_pid" 2>/dev/null; do
		sleep 0.2
	done
	[ -e "$EARLY/$1.rc" ] || { builtin echo "FAIL $1: never ran (early lane)"; return 99; }
	cat "$EARLY/$1.out"
	read -r rc ms <"$EARLY/$1.rc"
	builtin echo -n " $1 $(((ms + 500) / 1000)) s" >>"$EARLY/joined"
	return "$rc"
}
(
	early guest-timing tools/qemu-run.sh --logdir "$LOGS" --name guest-timing \
		--kernel "$O/kernel.elf" --append "init=guest-tests utest -- gtest=timing_" \
		--smp 2 --timeout 600 -- -initrd "$O/initrd-test.cpio" -icount shift=0,sleep=off
	# --smp 1 for the 30 s run: see "audiomixerd" below
	early audio-ac97 $PYTHON tests/system/test_audio.py --name audio-ac97 --logdir "$LOGS" \
		--iso "$O/exec-rt.iso" --device ac97 --icount --long 30 --smp 1
	early audio-hda $PYTHON tests/system/test_audio.py --name audio-hda --logdir "$LOGS" \
		--iso "$O/exec-rt.iso" --device hda --icount --long 0 --kills
	for a in "ac97-q35 --device ac97" "ac97-pc --device ac97 --machine pc" \
		"hda-q35 --device hda"; do
		[ "${a#hda}" = "$a" ] || [ -d drivers/hda ] || continue
		early "audio-drv-${a%% *}" $PYTHON tests/system/test_audio_drv.py \
			--name "audio-drv-${a%% *}" --logdir "$LOGS" --iso "$O/exec-rt.iso" \
			${a#* } --icount
	done
	early graphics $PYTHON tests/system/test_graphics.py --name graphics \
		--logdir "$LOGS" --iso "$O/exec-rt.iso"
) </dev/null &
early_pid=$!

# The clang build (boots at the end) beside those, niced: the early
# suites' harnesses still read the host clock (audio WAV stretches), so
# they keep their CPU. A failed build is a failed test, not the end.
echo "== building with clang (make CC=clang in $O/clang, log: $LOGS/clang-build.log)"
if ! nice -n 10 make --no-print-directory "${CHECK_JOBS:--j$(nproc)}" O="$O" clang-build \
	>"$LOGS/clang-build.log" 2>&1; then
	tail -n 20 "$LOGS/clang-build.log" | sed 's/^/  /'
	echo "FAIL clang build (log: $LOGS/clang-build.log)"
	fail=$((fail + 1))
fi

echo "== host unit tests (ASan + UBSan)"
out=$("$O/host/unit-tests" 2>&1)
rc=$?
grep -v '^ok ' <<<"$out" | sed 's/^/  /'
add_counts "host unit tests" "$out" "$rc"

# Every committed fuzz input (seeds and past findings) once through its
# libFuzzer target: one test per target (tools/fuzz-host.sh, mk/fuzz.mk).
echo "== host fuzzers: committed corpora replayed (tests/fuzz/corpus, ASan + UBSan)"
out=$(O=$O tools/fuzz-host.sh --replay 2>&1)
rc=$?
grep -v '^ok ' <<<"$out" | grep -v '^fuzz replay: ' | sed 's/^/  /'
add_counts "host fuzz replay" "$out" "$rc"

echo "== host tools (tools/timeline2trace.py)"
out=$($PYTHON tests/tools/test_timeline2trace.py 2>&1)
rc=$?
grep -E '^(FAIL|not ok)' <<<"$out" | sed 's/^/  /'
add_counts "host tools" "$out" "$rc"

# room net-apps (issue 17): httpd, nc, ping, ifconfig built for Linux
# (make net-apps-host, ASan + UBSan) and run on loopback
# (docs/net-programs.md "Testing").
echo "== network programs on the host (tests/host-user/test_net_apps.py)"
out=$($PYTHON tests/host-user/test_net_apps.py --bin "$O/host-user" 2>&1)
rc=$?
grep -aE '^(FAIL|     )' <<<"$out" | sed 's/^/  /'
add_counts "network programs on the host" "$out" "$rc"

echo "== waiting for the -icount suites started early"
wait "$early_pid"

echo "== in-kernel tests (PVH, q35, -smp 2)"
tools/qemu-run.sh --logdir "$LOGS" --name ktest --kernel "$O/kernel.elf" \
	--append "ktest" --smp 2 --timeout 180
rc=$?
grep -aE '^(ok  |FAIL|    )' "$LOGS/ktest.log" | grep -v '^ok' | sed 's/^/  /'
add_counts "in-kernel tests" "$(grep -a 'ktest: ' "$LOGS/ktest.log")" "$rc"

# Quiesced config writes against cross-calls between the other CPUs need
# >= 3 CPUs (docs/devices.md, review F1).
echo "== in-kernel PCI/SMP tests on four CPUs (ktest=pci_, -smp 4)"
tools/qemu-run.sh --logdir "$LOGS" --name ktest-smp4 --kernel "$O/kernel.elf" \
	--append "ktest=pci_" --smp 4 --timeout 180
rc=$?
grep -aE '^(ok  |FAIL|    )' "$LOGS/ktest-smp4.log" | grep -v '^ok' | sed 's/^/  /'
add_counts "in-kernel tests, 4 CPUs" "$(grep -a 'ktest: ' "$LOGS/ktest-smp4.log")" "$rc"

echo "== guest suite (user-mode tests of every system call, root task in test mode)"
tools/qemu-run.sh --logdir "$LOGS" --name guest --kernel "$O/kernel.elf" \
	--append "init=guest-tests utest -- gtest=!timing_,!fuzz_" --smp 2 --timeout 300 -- \
	-initrd "$O/initrd-test.cpio" -device virtio-rng-pci # t_virtio.c: libvirtio on it
rc=$?
grep -aE '^(FAIL|    )' "$LOGS/guest.log" | sed 's/^/  /'
add_counts "guest suite" "$(tr -d '\r' < "$LOGS/guest.log" | grep -aE '^[0-9]+ passed, [0-9]+ failed$')" "$rc"

# The same suite with the IPC fastpath forced off (docs/ipc.md "Fastpath"):
# the slow path must give the same results (t_ipc_fast.c checks that no
# call took the fastpath in this run).
echo "== guest suite, IPC fastpath off (ipc_fastpath=off)"
tools/qemu-run.sh --logdir "$LOGS" --name guest-slowpath --kernel "$O/kernel.elf" \
	--append "ipc_fastpath=off init=guest-tests utest -- gtest=!timing_,!fuzz_" --smp 2 --timeout 300 -- \
	-initrd "$O/initrd-test.cpio" -device virtio-rng-pci
rc=$?
grep -aE '^(FAIL|    )' "$LOGS/guest-slowpath.log" | sed 's/^/  /'
add_counts "guest suite, fastpath off" "$(tr -d '\r' < "$LOGS/guest-slowpath.log" | grep -aE '^[0-9]+ passed, [0-9]+ failed$')" "$rc"

# The SMP tests (address spaces, placement and migration, task races)
# again on four CPUs: shootdowns to a subset, RT push/pull with a choice
# of targets, races with more than one bystander; shootdowns that must not
# reach a CPU running another task (on -smp 2 the main run can only show
# that for CPU 0's neighbour). docs/smp.md.
echo "== SMP tests on four CPUs (gtest=smp_, -smp 4)"
tools/qemu-run.sh --logdir "$LOGS" --name guest-smp4 --kernel "$O/kernel.elf" \
	--append "init=guest-tests utest -- gtest=smp_" --smp 4 --timeout 300 -- \
	-initrd "$O/initrd-test.cpio"
rc=$?
grep -aE '^(FAIL|    )' "$LOGS/guest-smp4.log" | sed 's/^/  /'
add_counts "SMP tests (-smp 4)" "$(tr -d '\r' < "$LOGS/guest-smp4.log" | grep -aE '^[0-9]+ passed, [0-9]+ failed$')" "$rc"

# The user-space serial console (console_ping_status_and_output) wrote this
# line to COM1 itself: it must be on the wire, a line of its own
# (docs/console.md).
echo "== serial console output on the wire (guest log)"
if tr -d '\r' < "$LOGS/guest.log" | grep -aqx 'console-wire-marker 7'; then
	pass=$((pass + 1))
else
	echo "FAIL console marker line not in $LOGS/guest.log"
	fail=$((fail + 1))
fi

# timeline-inspect --dump ran in the guest suite: its dump, out of the serial
# log, must make a trace with real dispatches in it.
echo "== telemetry dump from the guest log -> Chrome/Perfetto trace (tools/timeline2trace.py)"
if $PYTHON tools/timeline2trace.py --last -o "$LOGS/timeline.json" "$LOGS/guest.log" &&
	$PYTHON -c 'import json, sys
d = json.load(open(sys.argv[1]))
x = [e for e in d["traceEvents"] if e.get("ph") == "X"]
sys.exit(0 if len(x) >= 10 and d["otherData"]["malformed_lines"] == 0 else 1)' \
		"$LOGS/timeline.json"; then
	pass=$((pass + 1))
else
	echo "FAIL telemetry dump conversion ($LOGS/timeline.json)"
	fail=$((fail + 1))
fi

# The scheduling tests that measure time (timing_*) under -icount: guest time
# counts instructions, so host load cannot stretch it and deadlines are the
# kernel's alone to meet or miss (docs/testing.md).
echo "== real-time suite (timing_* guest tests, -icount shift=0, -smp 2)"
joined guest-timing # run early: the command at the top
rc=$?
grep -aE '^(FAIL|    )' "$LOGS/guest-timing.log" | sed 's/^/  /'
add_counts "real-time suite" "$(tr -d '\r' < "$LOGS/guest-timing.log" | grep -aE '^[0-9]+ passed, [0-9]+ failed$')" "$rc"

# The in-guest system-call fuzzer, a slice (docs/testing.md "Guest fuzzer"):
# unprivileged tasks make random calls with hostile arguments on 2 CPUs; a
# new seed each run (printed, with the line that replays a failed batch).
echo "== guest fuzzer (random system calls, ${FUZZ_CALLS:=300000} calls, -smp 2)"
tools/qemu-run.sh --logdir "$LOGS" --name guest-fuzz --kernel "$O/kernel.elf" \
	--append "init=guest-tests utest -- gtest=fuzz_syscalls fuzz_calls=$FUZZ_CALLS" \
	--smp 2 --timeout 300 -- -initrd "$O/initrd-test.cpio"
rc=$?
grep -aE '^(FAIL|    |fuzz: [0-9])' "$LOGS/guest-fuzz.log" | sed 's/^/  /'
add_counts "guest fuzzer" "$(tr -d '\r' < "$LOGS/guest-fuzz.log" | grep -aE '^[0-9]+ passed, [0-9]+ failed$')" "$rc"

# init starts etc/services.conf and, with --boot-check, exits 0 once every
# service is up and the manifest had no error (docs/system.md): every
# entry of etc/services.conf.
UP="[init] boot check: all $(grep -c '^service ' etc/services.conf) services up"
echo "== boot to user space (init from the initrd, every service up)"
boot --name init --kernel "$O/kernel.elf" --append "utest -- --boot-check" \
	--timeout 60 --expect "[init] exec-rt user space is up" --expect "$UP" \
	-- -initrd "$O/initrd.cpio"

# Issue 10's boot figure as a bound (room boot): under -icount shift=0 guest
# time counts instructions, so the figure repeats exactly (12.5 ms when this
# was written, docs/boot.md "Boot time"); the goal is under 150 ms.
echo "== boot figure (-icount shift=0: kernel entry to the shell prompt < 150 ms)"
if $PYTHON tools/qemu_session.py --logdir "$LOGS" --name boot-figure \
	--kernel "$O/kernel.elf" --initrd "$O/initrd.cpio" --timeout 120 --icount \
	--expect "sh: ready in" --poweroff >/dev/null &&
	fig=$(grep -aoE 'sh: ready in [0-9.]+ ms after kernel entry' \
		"$LOGS/boot-figure.log" | grep -oE '[0-9]+\.[0-9]+') &&
	awk -v f="$fig" 'BEGIN { exit !(f < 150) }'; then
	echo "PASS boot-figure (${fig} ms)"
	pass=$((pass + 1))
else
	echo "FAIL boot-figure: ${fig:-no figure} (log: $LOGS/boot-figure.log)"
	fail=$((fail + 1))
fi

# QEMU's pc machine has a 1.0 FADT (no reset register, shorter layout) and
# the same \_S5 as q35: the bootinfo ACPI lines on it (room kernel, issue 10).
echo "== bootinfo ACPI lines on the pc machine (FADT 1.0)"
boot --name bootinfo-pc --machine pc --kernel "$O/kernel.elf" \
	--append "init=guest-tests utest -- gtest=kern10_bootinfo" --timeout 60 \
	--expect "ok   kern10_bootinfo_lines" --expect "no reset register" \
	-- -initrd "$O/initrd-test.cpio"

# PCI on the pc machine (room devk-pci): configuration through ports
# 0xcf8/0xcfc instead of q35's ECAM, and an e1000e added for the MSI tests
# (pc's default NIC, an e1000, has no MSI).
echo "== PCI and MSI on the pc machine (gtest=pci_, ports, -device e1000e)"
tools/qemu-run.sh --logdir "$LOGS" --name guest-pci-pc --machine pc --kernel "$O/kernel.elf" \
	--append "init=guest-tests utest -- gtest=pci_" --smp 2 --timeout 120 -- \
	-initrd "$O/initrd-test.cpio" -device e1000e
rc=$?
grep -aE '^(FAIL|    )' "$LOGS/guest-pci-pc.log" | grep -v '^    00:' | sed 's/^/  /'
add_counts "PCI tests (pc)" "$(tr -d '\r' < "$LOGS/guest-pci-pc.log" | grep -aE '^[0-9]+ passed, [0-9]+ failed$')" "$rc"

# The virtio-net driver on QEMU's user network, the test playing netd
# (tests/guest/t_netdev.c, docs/net-driver.md): q35 with the modern-only
# device (1af4:1041) on MSI-X, pc with the transitional one (1af4:1000)
# on its INTx line (vectors=0). restrict=on: nothing leaves the host.
echo "== virtio-net driver (gtest=netdev_: q35 MSI-X, pc INTx)"
netdev_run() { # machine irq device-options
	tools/qemu-run.sh --logdir "$LOGS" --name "guest-netdev-$1" --machine "$1" \
		--kernel "$O/kernel.elf" --smp 2 --timeout 120 \
		--append "init=guest-tests utest -- gtest=netdev_ netdev_irq=$2" -- \
		-initrd "$O/initrd-test.cpio" -netdev user,id=n,restrict=on \
		-device "virtio-net-pci,netdev=n,$3"
	local rc=$?
	grep -aE '^(FAIL|    )' "$LOGS/guest-netdev-$1.log" | sed 's/^/  /'
	add_counts "virtio-net driver ($1)" "$(tr -d '\r' < "$LOGS/guest-netdev-$1.log" | grep -aE '^[0-9]+ passed, [0-9]+ failed$')" "$rc"
}
netdev_run q35 msix disable-legacy=on
netdev_run pc intx vectors=0

echo "== time without an HPET (TSC calibrated against the PIT)"
tools/qemu-run.sh --logdir "$LOGS" --name ktest-nohpet --kernel "$O/kernel.elf" \
	--append "nohpet ktest=time" --smp 2 --timeout 60 \
	--expect "calibrated against PIT"
rc=$?
add_counts "in-kernel time tests (nohpet)" "$(grep -a 'ktest: ' "$LOGS/ktest-nohpet.log")" "$rc"

echo "== fault reporting (a deliberate kernel #PF, a kernel stack overflow, a panic with a CPU spinning with interrupts off)"
boot --name fault-report --kernel "$O/kernel.elf" --append "crashtest=pf" \
	--timeout 30 --expect-fail --expect "vector 14 (#PF page fault)" \
	--expect "cr2 00007f0000000ba0" --expect "crashtest_pf"
# A kernel thread recursing without end runs into the unmapped guard page
# below its stack: a double fault on its own stack, reported by name
# (docs/tasks.md "Kernel stacks").
boot --name stack-overflow --kernel "$O/kernel.elf" --append "crashtest=stack" \
	--timeout 30 --expect-fail --expect "*** kernel stack overflow: stack-hog" \
	--expect "vector 8 (#DF double fault)" --expect "crashtest_recurse" \
	--expect "PANIC on cpu 0: kernel stack overflow in stack-hog"
# CPU 1 spins with interrupts off when CPU 0 panics: the NMI stop still
# reaches it, and its registers and backtrace follow the report (docs/smp.md).
boot --name panic-nmi-stop --kernel "$O/kernel.elf" --append "crashtest=nmi" \
	--timeout 30 --expect-fail --expect "PANIC on cpu 0: crashtest: nmi" \
	--expect "cpu 1: stopped by NMI in kernel mode, interrupts off" \
	--expect "crashtest_spin"

# Boot at the edges (docs/boot.md "Limits"): RAM the boot direct map cannot
# reach, too little RAM, long command lines, a panic before the other CPUs
# start. Big guests use a memfd backend: QEMU backs plain guest RAM with
# transparent huge pages, and the frame allocator's first touch of each free
# block would then make the host zero 2 MiB at a time (17 GiB, a minute).
echo "== boot limits (RAM size, command line, early panic)"
big=(-m 17G -object memory-backend-memfd,id=ram,size=17G -machine memory-backend=ram)
boot --name ram-17g --kernel "$O/kernel.elf" --append smoke --timeout 60 \
	--expect "17401 MiB managed" --expect "boot complete" -- "${big[@]}"
boot --name ram-17g-no-1g-pages --kernel "$O/kernel.elf" --append smoke \
	--timeout 60 --expect "RAM above 16 GiB left unused" \
	--expect "boot complete" -- -cpu max,pdpe1gb=off "${big[@]}"
boot --name ram-3m --kernel "$O/kernel.elf" --append smoke --timeout 30 \
	--expect-fail --expect "exec-rt needs at least 5 MiB" -- -m 3M
# A small machine (docs/system.md "Memory budget"): on -m 64M with a NIC
# init splits vmgr's pool over the manifest (each service its min) and
# every service still comes up, netd with its quota-sized lwIP heap.
boot --name ram-64m --kernel "$O/kernel.elf" --append "utest -- --boot-check" \
	--timeout 60 --expect "[init] memory: vmgr's pool" \
	--expect "[init] netd: memory quota cut" --expect "$UP" \
	-- -initrd "$O/initrd.cpio" -m 64M \
	-netdev user,id=n,restrict=on -device virtio-net-pci,netdev=n
long=$(printf 'arg%d ' $(seq 1 400)) # ~2.7 KiB, 400 words
boot --name cmdline-long --kernel "$O/kernel.elf" --timeout 60 \
	--append "utest -- --boot-check $long" --expect "command line cut to its first 511" \
	--expect "arguments cut to their first 255" --expect "runtime passes the first 32" \
	--expect "$UP" -- -initrd "$O/initrd.cpio"
boot --name cmdline-over-4k-pvh --kernel "$O/kernel.elf" --timeout 60 \
	--append "utest -- --boot-check $long $long" --expect "boot information from fw_cfg" \
	--expect "command line cut" --expect "smp: 2 of 2 CPUs online" \
	--expect "$UP" -- -initrd "$O/initrd.cpio"
boot --name panic-early --kernel "$O/kernel.elf" --append "crashtest=early" \
	--timeout 30 --expect-fail \
	--expect "PANIC on cpu 0: crashtest: early" --expect "kmain"

echo "== boot smoke tests (ISO: BIOS and UEFI, pc and q35)"
for m in pc q35; do
	boot --name "smoke-bios-$m" --machine "$m" --iso "$O/exec-rt-smoke.iso" \
		--timeout 60 --expect "boot: multiboot2" --expect "smp: 2 of 2 CPUs online" \
		--expect "calibrated against HPET" --expect "boot complete"
	boot --name "smoke-uefi-$m" --machine "$m" --uefi \
		--iso "$O/exec-rt-smoke.iso" --timeout 120 \
		--expect "boot: multiboot2 (UEFI)" --expect "smp: 2 of 2 CPUs online" \
		--expect "protections: NX WP" --expect "boot complete"
done

# virtio-input end to end (docs/input.md "virtio-input"): virtio keyboard,
# mouse and tablet; iod starts a driver per function (libvirtio); QMP
# input-send-event read back by inputmon; hub and driver restarts.
echo "== virtio-input, injected through QMP (tests/system/test_virtio_input.py)"
out=$($PYTHON tests/system/test_virtio_input.py --name virtio-input-q35 \
	--logdir "$LOGS" --iso "$O/exec-rt.iso" 2>&1)
rc=$?
grep -aE '^FAIL' <<<"$out" | sed 's/^/  virtio-input-q35: /'
add_counts "virtio-input-q35" "$out" "$rc"

# The virtio-net driver with the real netd, booted as a person would
# (docs/net-driver.md): attach, a DHCP lease through the rings, netd
# restarted and the driver restarted by iod (user net, restrict=on).
echo "== virtio-net with netd (tests/system/test_netdev.py)"
out=$($PYTHON tests/system/test_netdev.py --name netdev-q35 \
	--logdir "$LOGS" --iso "$O/exec-rt.iso" 2>&1)
rc=$?
grep -aE '^FAIL' <<<"$out" | sed 's/^/  netdev-q35: /'
add_counts "netdev-q35" "$out" "$rc"

# The system as a person meets it (docs/shell.md): the ISO boots to the
# shell, and tests/system/test_shell.py types into the serial console:
# commands, editing keys, garbage, a 10 KiB line, Ctrl-C, clctl restart,
# poweroff. Full on BIOS q35; the short round on UEFI (what `make run`
# boots) and on pc (ending with reboot: -no-reboot turns it into an exit).
echo "== shell, typed into the serial console (tests/system/test_shell.py)"
shell_test() { # name, options
	local name=$1
	shift
	out=$($PYTHON tests/system/test_shell.py --name "$name" --logdir "$LOGS" "$@" 2>&1)
	rc=$?
	grep -aE '^(FAIL|     )' <<<"$out" | sed "s/^/  $name: /"
	add_counts "$name" "$out" "$rc"
}
shell_test shell-bios-q35 --iso "$O/exec-rt.iso"
shell_test shell-uefi-q35 --iso "$O/exec-rt.iso" --uefi --quick
shell_test shell-bios-pc --iso "$O/exec-rt.iso" --machine pc --quick --reboot

# Input end to end (docs/input.md): QMP input-send-event into the PS/2
# keyboard and mouse, read back by inputmon in the shell.
echo "== input, injected through QMP (tests/system/test_input.py)"
out=$($PYTHON tests/system/test_input.py --name input-q35 --logdir "$LOGS" \
	--iso "$O/exec-rt.iso" 2>&1)
rc=$?
grep -aE '^FAIL' <<<"$out" | sed 's/^/  input-q35: /'
add_counts "input-q35" "$out" "$rc"

# The display end to end (docs/display.md "Testing"): drawtest draws a
# known pattern through /svc/display and a QMP screendump must match it
# pixel for pixel: virtio-gpu on SeaBIOS q35 (its driver then restarted 20
# times through iod, drawing after each), and the boot framebuffer
# (fbdisplay) under UEFI with -vga std.
echo "== display, QMP screendump (tests/system/test_display.py)"
display_test() { # name, options
	local name=$1
	shift
	out=$($PYTHON tests/system/test_display.py --name "$name" --logdir "$LOGS" "$@" 2>&1)
	rc=$?
	grep -aE '^FAIL' <<<"$out" | sed "s/^/  $name: /"
	add_counts "$name" "$out" "$rc"
}
display_test display-virtio --iso "$O/exec-rt.iso" --device virtio --kills 20
display_test display-gop --iso "$O/exec-rt.iso" --device gop
# iod through the shell (docs/devices.md "iod"): lspci, /svc/iod info,
# 20 driver restarts in a row, iod restarted; virtio-gpu, keyboard and
# tablet on q35 (legacy lines through the ACPI _PRT) and pc (through the
# interrupt-line registers).
echo "== iod and lspci (tests/system/test_iod.py, q35 and pc)"
iod_test() { # name, options
	local name=$1
	shift
	out=$($PYTHON tests/system/test_iod.py --name "$name" --logdir "$LOGS" "$@" 2>&1)
	rc=$?
	grep -aE '^(FAIL|     )' <<<"$out" | sed "s/^/  $name: /"
	add_counts "$name" "$out" "$rc"
}
iod_test iod-q35 --iso "$O/exec-rt.iso"
iod_test iod-pc --iso "$O/exec-rt.iso" --machine pc

# ---- room gfx-blit (issue 15): blitterd up at boot in the full system and
# serving rect_fill/rect_copy on grants (blitcheck), portctl errors, restart
# (tests/system/test_blitterd.py; docs/graphics.md "blitterd").
echo "== blitterd in the booted system (tests/system/test_blitterd.py)"
out=$($PYTHON tests/system/test_blitterd.py --name blitterd --logdir "$LOGS" \
	--kernel "$O/kernel.elf" --initrd "$O/initrd.cpio" 2>&1)
rc=$?
grep -aE '^FAIL' <<<"$out" | sed 's/^/  blitterd: /'
add_counts "blitterd" "$out" "$rc"
# ---- end gfx-blit
# room aud-drv (issue 16): the audio drivers end to end without the mixer
# (docs/audio.md "Drivers"): audiotest plays a 440 Hz sine at -6 dBFS into
# /svc/audio, QEMU writes what the device played (-audiodev wav) and the
# WAV must hold the tone (peak within 1 Hz), at the level (1 dB), with no
# silent 10 ms window, and the driver restarted plays again; AC97 on q35
# (INTx through the _PRT) and pc, HDA (MSI). Under -icount: QEMU's audio
# clock then counts guest instructions, so a loaded host cannot starve the
# guest a whole ring long (plain TCG at load 18 on 2 cores did).
echo "== audio drivers, WAV read back (tests/system/test_audio_drv.py)"
audio_drv_test() { # name (run early: the commands at the top)
	local name=$1
	out=$(joined "$name")
	rc=$?
	grep -aE '^(FAIL|     )' <<<"$out" | sed "s/^/  $name: /"
	add_counts "$name" "$out" "$rc"
}
audio_drv_test audio-drv-ac97-q35
audio_drv_test audio-drv-ac97-pc
# HDA (room aud-hda, drivers/hda): MSI on q35; runs once that room's
# driver is in the tree
if [ -d drivers/hda ]; then
	audio_drv_test audio-drv-hda-q35
fi

# room aud-mix (issue 16): audiomixerd end to end (docs/audio.md
# "Testing"): tone, two tones, a WAV sample-exact, malformed requests on
# HDA and AC97 under -icount; on AC97 also 30 s at 128 frames under a BE
# hog and a request flood: 0 xruns (docs/audio.md "Cost and figures"); on HDA
# audiomixerd and the driver killed while playing (playback resumes); the
# plain-TCG figure of the 30 s run is printed.
echo "== audiomixerd, WAV read back (tests/system/test_audio.py)"
audio_test() { # name (run early: the commands at the top)
	local name=$1
	out=$(joined "$name")
	rc=$?
	grep -aE '^(FAIL|  )' <<<"$out" | sed "s/^/  $name: /"
	add_counts "$name" "$out" "$rc"
}
# The 30 s run on one vCPU (--smp 1): under -icount QEMU runs vCPUs
# round-robin, a vCPU's slice up to 100 ms of guest time while the other
# stands still mid-period (xruns on two vCPUs are QEMU's, not the DL
# guarantee's).
audio_test audio-ac97
audio_test audio-hda
# the plain-TCG figure (host-clocked: xruns depend on the host's load;
# printed, not asserted)
out=$($PYTHON tests/system/test_audio.py --name audio-ac97-tcg --logdir "$LOGS" \
	--iso "$O/exec-rt.iso" --device ac97 --only long --long 30 2>&1)
grep -a '  long:' <<<"$out" | sed 's/^/  audio-ac97-tcg: /'

# The screen console end to end (docs/console.md "Screen terminal"): keys
# typed through QMP into the PS/2 keyboard, the screen read back with
# screendump and matched cell by cell against the font's glyphs; on the
# UEFI boot framebuffer (fbdisplay) and on virtio-gpu.
echo "== screen console, typed and read back through QMP (tests/system/test_fbcon.py)"
for d in std virtio; do
	out=$($PYTHON tests/system/test_fbcon.py --name "fbcon-$d" --display "$d" \
		--logdir "$LOGS" --iso "$O/exec-rt.iso" --font "$O/share/font.psf" 2>&1)
	rc=$?
	grep -aE '^FAIL' <<<"$out" | sed "s/^/  fbcon-$d: /"
	add_counts "fbcon-$d" "$out" "$rc"
done

# room gfx-sdk (issue 15): Copperline graphics end to end
# (docs/graphics.md "Testing"): the services' pings, hello_port's vsyncs,
# every malformed request, blits byte for byte in the guest, a QMP
# screendump of alpha/blend/z/set-moved layers and of a Copper-moved
# sprite, and compositord killed under the running demo.
echo "== graphics: compositord, copperd, blitterd (tests/system/test_graphics.py)"
out=$(joined graphics) # run early: the command at the top
rc=$?
grep -aE '^(FAIL|  )' <<<"$out" | sed 's/^/  graphics: /'
add_counts "graphics" "$out" "$rc"

# Room gfx-comp (issue 15): compositord in a booted system, driven with
# portctl: headless on a PVH boot (registers latched, alpha and blend
# pixels within 1 of the 8-bit formula, vsync one frame apart, errors),
# and with virtio-gpu (the screen taken and released).
echo "== compositord (tests/system/test_compositord.py, headless and virtio-gpu)"
for d in none virtio; do
	out=$($PYTHON tests/system/test_compositord.py --name "compositord-$d" \
		--device "$d" --logdir "$LOGS" --kernel "$O/kernel.elf" \
		--initrd "$O/initrd.cpio" --iso "$O/exec-rt.iso" 2>&1)
	rc=$?
	grep -aE '^(FAIL|     )' <<<"$out" | sed "s/^/  compositord-$d: /"
	add_counts "compositord-$d" "$out" "$rc"
done

# Room gfx-copper (issue 15): copperd through the shell (docs/graphics.md
# "copperd"): up at boot, its DL frame thread judged by the kernel,
# malformed loads naming the op, load/start/stop/unload round trips of a
# JSON and a binary program, irq events on a stream, writes accounted.
echo "== copperd through portctl (tests/system/test_copperd.py)"
out=$($PYTHON tests/system/test_copperd.py --name copperd --logdir "$LOGS" \
	--iso "$O/exec-rt.iso" 2>&1)
rc=$?
grep -aE '^FAIL' <<<"$out" | sed 's/^/  copperd: /'
add_counts "copperd" "$out" "$rc"

# room net-apps (issue 17): the network end to end (docs/net-programs.md
# "Testing"): QEMU user net forwarded to 127.0.0.1 (free ports), 10,000 UDP
# datagrams echoed, 64 MiB each way over TCP with CRC-32, 200 concurrent
# httpd connections, /status.json parsed, hostile frames and a SYN flood on
# a second NIC (-netdev socket), netd restarted with connections open.
echo "== network: virtio-net, netd, sockets, nc/httpd/ping (tests/system/test_net.py)"
out=$($PYTHON tests/system/test_net.py --name net --logdir "$LOGS" \
	--kernel "$O/kernel.elf" --initrd "$O/initrd.cpio" 2>&1)
rc=$?
grep -aE '^(FAIL|     )' <<<"$out" | sed 's/^/  net: /'
add_counts "net" "$out" "$rc"

# The clang build (`make CC=clang` in $O/clang: kernel, musl, user space):
# its kernel, its init from its own initrd, and its ISO.
echo "== clang build (make CC=clang): PVH smoke, init from its initrd, ISO on BIOS"
boot --name smoke-pvh-clang --kernel "$O/clang/kernel.elf" --append smoke \
	--timeout 30 --expect "boot: pvh" --expect "boot complete"
boot --name init-clang --kernel "$O/clang/kernel.elf" \
	--append "utest -- --boot-check" --timeout 60 \
	--expect "[init] exec-rt user space is up" --expect "$UP" \
	-- -initrd "$O/clang/initrd.cpio"
boot --name smoke-bios-q35-clang --machine q35 --iso "$O/clang/exec-rt-smoke.iso" \
	--timeout 60 --expect "boot: multiboot2" --expect "smp: 2 of 2 CPUs online" \
	--expect "boot complete"

suite_done
timing_off=1
if [ ${#suite_times[@]} -gt 0 ]; then
	total=0
	for t in "${suite_times[@]}"; do total=$((total + ${t%%	*})); done
	echo "== wall time: $((total / 60000)) min $((total / 1000 % 60)) s in the suites${CHECK_BUILD:+ (build: $CHECK_BUILD)}; the slowest:"
	printf '%s\n' "${suite_times[@]}" | sort -rn | head -n 12 |
		awk -F '\t' '{ printf "  %6.1f s  %s\n", int($1 / 100) / 10, $2 }'
	cat "$EARLY"/*.rc 2>/dev/null | awk '{ t += $2 } END { if (NR)
		printf "  (and %.1f s of -icount suites run early, beside the build)\n", t / 1000 }'
fi
if [ "$fail" != 0 ]; then
	echo "== what failed (the FAIL lines above, and each failed guest test's last lines)"
	grep -aE '^ *([A-Za-z0-9_.-]+: +)?FAIL' "$LOGS/check.out" | head -n 40
	for l in "$LOGS"/*.log; do
		tr -d '\r' <"$l" | grep -aqE '^FAIL [a-z0-9_]+$' || continue
		echo "-- $l"
		tr -d '\r' <"$l" | grep -avE '^\[ *[0-9.]+\] ' |
			grep -aE -B4 '^FAIL [a-z0-9_]+$' | head -n 30
	done
fi
echo "$pass passed, $fail failed"
exec >&3 3>&- # ends tee's input: its last line is out before we exit
wait "$TEE_PID" 2>/dev/null
[ "$fail" = 0 ]
