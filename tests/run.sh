#!/bin/sh
# Runs every test suite (tests/suites/*.sh, in name order) and ends with one
# line "N passed, N failed" summing them.  Each suite prints its own
# results and ends its output with its own "N passed, N failed" line.
#   tests/run.sh [SUITE...]      e.g. tests/run.sh 10-unit 20-conformance
# Environment: BUILD (default build), FERRY (default $BUILD/bin/ferry).
cd "$(dirname "$0")/.." || exit 2
BUILD=${BUILD:-build}
FERRY=${FERRY:-$PWD/$BUILD/bin/ferry}
export BUILD FERRY
export FERRY_TOP="$PWD"
# Sanitizer builds: leaks inside libgit2 1.5 itself are not ours.
export LSAN_OPTIONS="suppressions=$PWD/tests/fixtures/lsan-libgit2.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export ASAN_OPTIONS="fast_unwind_on_malloc=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
# The shared reference data (conformance, AWS vectors): $FERRY_SHARED,
# else ../shared beside the repository, else /work/shared.
if [ -z "${FERRY_SHARED:-}" ]; then
	for d in "$(cd .. && pwd)/shared" /work/shared; do
		if [ -d "$d/conformance" ]; then
			FERRY_SHARED=$d
			break
		fi
	done
fi
export FERRY_SHARED="${FERRY_SHARED:-$(cd .. && pwd)/shared}"
total_pass=0
total_fail=0
failed_suites=""
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for s in tests/suites/*.sh; do
	name=$(basename "$s" .sh)
	if [ $# -gt 0 ]; then
		want=no
		for a in "$@"; do [ "$a" = "$name" ] && want=yes; done
		[ $want = yes ] || continue
	fi
	echo "=== suite $name"
	shell=sh
	head -n 1 "$s" | grep -q bash && shell=bash
	$shell "$s" 2>&1 | tee "$log"
	rc=$?
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
	if [ -z "$line" ]; then
		echo "suite $name printed no summary: counted as 1 failure"
		total_fail=$((total_fail + 1))
		failed_suites="$failed_suites $name"
		continue
	fi
	p=${line%% passed*}
	f=${line#*passed, }
	f=${f%% failed}
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	[ "$f" -gt 0 ] && failed_suites="$failed_suites $name"
done
[ -n "$failed_suites" ] && echo "failing suites:$failed_suites"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
