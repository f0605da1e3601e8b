#!/usr/bin/env bash
# `make bench`: the benchmark program as root task, two runs (see
# mk/bench.mk). Prints the figures; fails only if a run did not complete.
set -u
O=${O:-build}
LOGS=$O/logs
mkdir -p "$LOGS"
rc=0
run() { # name, timeout, extra qemu args... (env: SMP, ARGS for bench)
	local name=$1 t=$2
	shift 2
	if tools/qemu-run.sh --logdir "$LOGS" --name "$name" --kernel "$O/kernel.elf" \
		--append "init=bench utest${ARGS:+ -- $ARGS}" --smp "${SMP:-1}" --timeout "$t" \
		--expect "bench: done" -- -initrd "$O/initrd-bench.cpio" "$@" >/dev/null; then
		tr -d '\r' < "$LOGS/$name.log" | grep '^bench: ' | grep -v 'done$'
	else
		echo "bench: $name did not complete (log: $LOGS/$name.log)"
		rc=1
	fi
}
# Kernel text as shipped: kernel-notest.elf has no in-kernel tests (the
# Makefile's kernel-notest target); the .text section, in KiB.
text_of() { size -A "$1" 2>/dev/null | awk '$1 == ".text" { print $2 }'; }
if [ -f "$O/kernel-notest.elf" ]; then
	t=$(text_of "$O/kernel-notest.elf") full=$(text_of "$O/kernel.elf")
	kib=$(( (t + 1023) / 1024 ))
	verdict=met
	[ "$kib" -le 160 ] || verdict=over
	echo "bench: kernel text without in-kernel tests $kib KiB ($t bytes; with them $(( (full + 1023) / 1024 )) KiB)  goal <= 160 KiB: $verdict"
fi
echo "== TCG, TSC follows the host clock (~2.1-2.6 GHz): figures vary run to run"
run bench 300
echo "== -icount shift=0: TSC = guest instructions, figures repeat exactly"
run bench-icount 900 -icount shift=0,sleep=off
# TLB shootdown (docs/smp.md): unmap of one page with the task on 1 vs 2
# CPUs, and the IPIs a CPU running another task gets (goal 0).
echo "== -smp 2, TLB shootdown figures and the cross-CPU call (TCG, then -icount shift=0)"
SMP=2 ARGS=only=tlb run bench-tlb 300
SMP=2 ARGS=only=tlb run bench-tlb-icount 600 -icount shift=0,sleep=off
# SMP scheduling figures (tests/bench/bench_smp.c) on 2 vCPUs, multi-threaded
# TCG: the throughput ratio needs the host to give each vCPU a core.
echo "== -smp 2, TCG: IPC pairs on 1 and 2 CPUs, cross-CPU wake-up, migration"
SMP=2 ARGS=smp run bench-smp 300

# ---- room gfx-blit (issue 15): blitterd's kernels (tests/bench/bench_blit.c)
# rect_fill/rect_copy of 1 MiB vs musl memset/memcpy of the same bytes, in
# guest instructions (-icount shift=0). Goal: within 2x of musl.
echo "== gfx-blit: blitterd kernels vs musl, -icount shift=0 (guest instructions)"
ARGS=blit run bench-blit-icount 300 -icount shift=0,sleep=off
# ---- end gfx-blit

# The whole system (docs/system.md): kernel entry to the shell's first
# prompt with every service of the manifest started, printed by sh from
# bootinfo's kernel_entry_ns. Goal: under 150 ms of guest time.
boot_figure() { # name, extra options of tools/qemu_session.py
	local name=$1
	shift
	if python3 tools/qemu_session.py --logdir "$LOGS" --name "$name" \
		--kernel "$O/kernel.elf" --initrd "$O/initrd.cpio" --smp 2 \
		--timeout 300 --expect "sh: ready in" --poweroff "$@" >/dev/null; then
		tr -d '\r' < "$LOGS/$name.log" |
			sed -n 's/.*sh: ready in \([0-9.]*\) ms.*/\1/p' | head -n 1
	else
		echo "bench: $name did not reach the prompt (log: $LOGS/$name.log)" >&2
		rc=1
	fi
}
echo "== boot: kernel entry to the shell prompt, all services started (goal < 150 ms guest time)"
ms=$(boot_figure boot-icount --icount)
[ -n "$ms" ] && echo "bench: boot_to_prompt_icount_ms $ms (goal < 150; -icount shift=0: repeats exactly)"
runs=()
for i in 1 2 3; do
	ms=$(boot_figure "boot-tcg-$i")
	[ -n "$ms" ] && runs+=("$ms")
done
if [ ${#runs[@]} -gt 0 ]; then
	med=$(printf '%s\n' "${runs[@]}" | sort -n | sed -n "$(( (${#runs[@]} + 1) / 2 ))p")
	echo "bench: boot_to_prompt_tcg_ms median $med of ${#runs[@]} runs (${runs[*]}) (goal < 150; host-clocked, noisy)"
fi

# The display (docs/display.md): drawtest --bench in the shell times
# presents on virtio-gpu from the call to the answer, which comes once the
# device has finished the transfers and the flush. Host-clocked TCG: noisy.
echo "== display: present-to-flush-done on virtio-gpu (TCG, host-clocked, noisy)"
if out=$(python3 tests/system/test_display.py --logdir "$LOGS" --name bench-display \
	--kernel "$O/kernel.elf" --initrd "$O/initrd.cpio" --device virtio --bench 200 2>&1); then
	tr -d '\r' <<<"$out" | sed -n 's/^  \(bench: .*\)/\1/p'
else
	echo "bench: display did not complete (log: $LOGS/bench-display.log)"
	rc=1
fi
# room gfx-sdk (issue 15): Copperline graphics under -icount shift=0 (one
# guest ns = one instruction; tests/system/test_graphics.py --bench): the
# `set` round trip, compositord's composition per frame (goals: 4
# full-screen alpha layers <= 12 M, a 64x64 sprite <= 0.5 M), copperd's
# program for 10,000 frames beside two BE hogs and an IPC flood (goal: 0
# missed deadlines, 0 late register writes).
echo "== graphics: set round trip, composition per frame, copperd 10,000 frames under load (-icount shift=0)"
if out=$(python3 tests/system/test_graphics.py --logdir "$LOGS" --name bench-graphics \
	--iso "$O/exec-rt.iso" --bench 10000 2>&1); then
	tr -d '\r' <<<"$out" | sed -n 's/^  \(bench: .*\)/\1/p'
else
	tr -d '\r' <<<"$out" | grep -E '^(FAIL|  bench)' | sed 's/^  //'
	echo "bench: graphics did not complete (log: $LOGS/bench-graphics.log)"
	rc=1
fi

# room aud-mix (issue 16): audiomixerd's graph cost per stereo frame (tone
# -> gain -> mixer -> sink -> S16, `amxload bench`; -icount shift=0: guest
# nanoseconds are instructions; goal < 40). Room aud-lat: app_source write
# to DMA position, end to end (`amxload latency N`: a marked frame written
# at t0, t1 when the device's position passes the frame it became; the
# host finds each mark in the WAV at that frame), on HDA and AC97, under
# -icount (repeats) and plain TCG (host-clocked), docs/audio.md "Cost".
echo "== audio: graph cost per stereo frame (-icount shift=0); app_source write -> DMA position (200 marks)"
audio_bench() { # name, options
	local name=$1
	shift
	if out=$(python3 tests/system/test_audio.py --logdir "$LOGS" --name "$name" \
		--kernel "$O/kernel.elf" --initrd "$O/initrd.cpio" --marks 200 "$@" 2>&1); then
		tr -d '\r' <<<"$out" | sed -n 's/^  \(bench: .*\)/\1/p'
	else
		tr -d '\r' <<<"$out" | grep -E '^(FAIL|  bench)' | sed 's/^  //'
		echo "bench: audio $name did not complete (log: $LOGS/$name.log)"
		rc=1
	fi
}
audio_bench bench-audio --device hda --icount --only bench
audio_bench bench-audio-ac97 --device ac97 --icount --only latency
audio_bench bench-audio-hda-tcg --device hda --only latency
audio_bench bench-audio-ac97-tcg --device ac97 --only latency
# room net-apps (issue 17): UDP round trip and TCP throughput host<->guest
# through QEMU's user network (tests/system/test_net.py --bench; plain
# TCG, host-clocked: the figures depend on the host's load).
echo "== network: UDP round trip, TCP throughput host<->guest (QEMU user net)"
if out=$(python3 tests/system/test_net.py --logdir "$LOGS" --name bench-net \
	--kernel "$O/kernel.elf" --initrd "$O/initrd.cpio" --bench 2>&1); then
	tr -d '\r' <<<"$out" | sed -n 's/^  \(bench: .*\)/\1/p'
else
	tr -d '\r' <<<"$out" | grep -E '^(FAIL|  bench)' | sed 's/^  //'
	echo "bench: network did not complete (log: $LOGS/bench-net.log)"
	rc=1
fi
exit $rc
