#!/usr/bin/env bash
# The host fuzzers (mk/fuzz.mk, docs/testing.md "Host fuzzers").
#   tools/fuzz-host.sh SECONDS target...   fuzz each target SECONDS seconds
#   tools/fuzz-host.sh --replay [target...] run each committed input once
# Fuzzing starts from the committed seeds (tests/fuzz/corpus/<target>/)
# plus what earlier runs found (build/fuzz/corpus/<target>/, where new
# inputs go). A crashing, leaking or hanging input is saved as
# build/fuzz/findings/<target>-*; the exit status is non-zero if any
# target found one. Replay prints "N passed, N failed" (one per target).
set -u
O=${O:-build}
F=$O/fuzz
mkdir -p "$F/findings" "$F/logs"

stat() { # $1: log, $2: libFuzzer final stat name
	grep -aE "^stat::$2:" "$1" | tail -n 1 | awk '{print $2}'
}

all_targets() {
	for f in tests/fuzz/host/*.c; do
		basename "$f" .c
	done
}

if [ "${1:-}" = --replay ]; then
	shift
	[ $# = 0 ] && set -- $(all_targets)
	pass=0 fail=0
	for t in "$@"; do
		seeds=(tests/fuzz/corpus/"$t"/*)
		log=$F/logs/replay-$t.log
		if [ ! -e "${seeds[0]}" ]; then
			echo "FAIL fuzz-$t: no seeds in tests/fuzz/corpus/$t"
			fail=$((fail + 1))
		elif "$F/fuzz-$t" -timeout=10 "${seeds[@]}" >"$log" 2>&1; then
			echo "ok   fuzz-$t (${#seeds[@]} inputs)"
			pass=$((pass + 1))
		else
			echo "FAIL fuzz-$t: a seed crashes it, see $log"
			grep -aE '^(==[0-9]+==ERROR|SUMMARY|Running: )' "$log" |
				tail -n 3 | sed 's/^/    /'
			fail=$((fail + 1))
		fi
	done
	echo "fuzz replay: $pass passed, $fail failed"
	[ "$fail" = 0 ]
	exit
fi

secs=${1:?usage: tools/fuzz-host.sh SECONDS target...}
shift
findings=0
rows=()
for t in "$@"; do
	bin=$F/fuzz-$t
	work=$F/corpus/$t
	log=$F/logs/$t.log
	mkdir -p "$work"
	echo "== fuzz-$t: $secs s (log $log)"
	nice "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$F/findings/$t-" \
		"$work" "tests/fuzz/corpus/$t" >"$log" 2>&1
	rc=$?
	execs=$(stat "$log" number_of_executed_units)
	rate=$(stat "$log" average_exec_per_sec)
	# The last status line: "#N  DONE  cov: E ft: F corp: U/S ...".
	last=$(grep -aE '^#[0-9]+' "$log" | tail -n 1)
	cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$last")
	ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$last")
	corp=$(sed -nE 's/.* corp: ([0-9]+)\/.*/\1/p' <<<"$last")
	if [ "$rc" = 0 ]; then
		result="0 findings"
	else
		findings=$((findings + 1))
		art=$(grep -aoE "Test unit written to [^ ]+" "$log" | tail -n 1)
		result="FINDING (exit $rc) ${art#Test unit written to }"
		grep -aE '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$log" |
			head -n 3 | sed 's/^/    /'
	fi
	echo "   $result"
	rows+=("$(printf '%-10s %12s %8s %7s %7s %6s  %s' "$t" "${execs:-?}" \
		"${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$result")")
done
echo
echo "host fuzzers, $secs s each:"
printf '%-10s %12s %8s %7s %7s %6s  %s\n' target execs execs/s edges features \
	corpus result
printf '%s\n' "${rows[@]}"
echo "$(($# - findings)) clean, $findings with findings"
[ "$findings" = 0 ]
