#!/bin/sh
# Runs each libFuzzer target (built by `make fuzz` into $1/fuzz/) for
# FUZZ_SECONDS seconds on a scratch copy of its committed corpus, and
# prints the number of executions.  Fails if any target crashes.
BUILD=${1:-build-fuzz}
SECS=${FUZZ_SECONDS:-60}
status=0
for bin in "$BUILD"/fuzz/*; do
	[ -x "$bin" ] || continue
	name=${bin##*/}
	work=$(mktemp -d)
	cp -r tests/fuzz/corpus/"$name"/. "$work"/ 2>/dev/null
	log=$(mktemp)
	"$bin" -max_total_time="$SECS" -print_final_stats=1 \
		-artifact_prefix="$BUILD/crash-$name-" "$work" >"$log" 2>&1
	rc=$?
	execs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}')
	if [ $rc -ne 0 ]; then
		echo "FAIL fuzz $name (exit $rc after ${execs:-?} executions)"
		grep -E 'ERROR|SUMMARY|Test unit written' "$log" | head -5
		status=1
	else
		echo "ok   fuzz $name: ${execs:-?} executions in ${SECS}s"
	fi
	rm -rf "$work" "$log"
done
exit $status
