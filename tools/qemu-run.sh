#!/usr/bin/env bash
# Boot one image under QEMU with a hard timeout and turn the outcome into
# PASS/FAIL. Serial output goes to build/logs/<name>.log. Only the QEMU
# process started here is ever killed, by its pid.
#
# usage: tools/qemu-run.sh [options] -- <extra qemu args>
#   --name N         test name (log file name)
#   --timeout S      seconds before QEMU is killed (fail)
#   --machine M      pc | q35 (default q35)
#   --uefi           boot through OVMF (fresh copy of the vars file)
#   --iso FILE       boot this ISO (cdrom)
#   --kernel FILE    boot this ELF through PVH (-kernel)
#   --append STR     kernel command line (with --kernel)
#   --smp N          CPUs (default 2)
#   --expect STR     this text must appear in the log (repeatable)
#   --logdir D       where logs go (default build/logs)
#   --expect-fail    the kernel is expected to report failure (status 35)
# Success means: QEMU exited with status 33 (isa-debug-exit, value 0x10)
# and every --expect string is in the log. Status 0 (triple fault with
# -no-reboot) and 35 (kernel-reported failure) are failures, except that
# with --expect-fail exactly status 35 is wanted.
set -u

name=qemu timeout=60 machine=q35 uefi=0 iso= kernel= append= smp=2
logdir=build/logs
want=33
expects=()
while [ $# -gt 0 ]; do
	case "$1" in
	--name) name=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--machine) machine=$2; shift 2 ;;
	--uefi) uefi=1; shift ;;
	--iso) iso=$2; shift 2 ;;
	--kernel) kernel=$2; shift 2 ;;
	--append) append=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--expect) expects+=("$2"); shift 2 ;;
	--logdir) logdir=$2; shift 2 ;;
	--expect-fail) want=35; shift ;;
	--) shift; break ;;
	*) echo "qemu-run: unknown option $1" >&2; exit 2 ;;
	esac
done

mkdir -p "$logdir"
log="$logdir/$name.log"
: > "$log"
args=(-M "$machine" -cpu max -m 512 -smp "$smp" -display none
      -serial "file:$log" -monitor none -no-reboot
      -device isa-debug-exit,iobase=0xf4,iosize=0x04)
tmpdir=
if [ "$uefi" = 1 ]; then
	code=/usr/share/OVMF/OVMF_CODE_4M.fd vars=/usr/share/OVMF/OVMF_VARS_4M.fd
	tmpdir=$(mktemp -d)
	cp "$vars" "$tmpdir/vars.fd"
	args+=(-drive "if=pflash,format=raw,unit=0,readonly=on,file=$code"
	       -drive "if=pflash,format=raw,unit=1,file=$tmpdir/vars.fd")
fi
[ -n "$iso" ] && args+=(-cdrom "$iso" -boot d)
if [ -n "$kernel" ]; then
	args+=(-kernel "$kernel")
	[ -n "$append" ] && args+=(-append "$append")
fi

start=$(date +%s.%N)
qemu-system-x86_64 "${args[@]}" "$@" </dev/null >>"$log.qemu" 2>&1 &
pid=$!
# Hard timeout: poll so we only ever signal our own child.
deadline=$(( $(date +%s) + timeout ))
status=
while kill -0 "$pid" 2>/dev/null; do
	if [ "$(date +%s)" -ge "$deadline" ]; then
		kill -TERM "$pid" 2>/dev/null
		sleep 1
		kill -KILL "$pid" 2>/dev/null
		status=timeout
		break
	fi
	sleep 0.1
done
wait "$pid" 2>/dev/null
rc=$?
[ -n "$tmpdir" ] && rm -rf "$tmpdir"
secs=$(echo "$(date +%s.%N) - $start" | bc 2>/dev/null || echo "?")
[ -s "$log.qemu" ] && cat "$log.qemu" >> "$log"
rm -f "$log.qemu"

reason=
if [ "$status" = timeout ]; then
	reason="timed out after ${timeout}s"
elif [ "$rc" = 0 ]; then
	reason="QEMU exited with status 0 (triple fault or reset)"
elif [ "$rc" = 35 ] && [ "$want" = 33 ]; then
	reason="kernel reported failure (exit 35)"
elif [ "$rc" = 33 ] && [ "$want" = 35 ]; then
	reason="kernel reported success where a failure was expected"
elif [ "$rc" != "$want" ]; then
	reason="QEMU exited with status $rc"
fi
if [ -z "$reason" ]; then
	for e in "${expects[@]+"${expects[@]}"}"; do
		if ! grep -qF -- "$e" "$log"; then
			reason="missing \"$e\" in the log"
			break
		fi
	done
fi
if [ -z "$reason" ]; then
	printf 'PASS %s (%.1fs, log: %s)\n' "$name" "$secs" "$log"
	exit 0
fi
printf 'FAIL %s: %s (log: %s)\n' "$name" "$reason" "$log"
grep -E 'PANIC|FAIL|fault|exception' "$log" | head -5 | sed 's/^/    /'
exit 1
