#!/bin/sh
# Conditions conformance: `ferry condition --batch` over every case that
# travis-conditions itself evaluated (shared/conformance/conditions), one
# test per case; result and error class must agree on all of them.
cases=${FERRY_SHARED:-/work/shared}/conformance/conditions/cases.jsonl
FERRY=${FERRY:-$BUILD/bin/ferry}

if [ ! -r "$cases" ]; then
	echo "FAIL conditions: cannot read $cases"
	echo "0 passed, 1 failed"
	exit 1
fi
out=$(mktemp) || exit 1
trap 'rm -f "$out"' EXIT INT TERM

"$FERRY" condition --batch <"$cases" >"$out"
rc=$?
if [ $rc -ne 0 ]; then
	echo "FAIL conditions: '$FERRY condition --batch' exited with $rc"
fi

# Expected lines end in `"result": R, "error": E}`; ours are
# `{"result":R,"error":E}`.  Compare the two fields, case by case.
awk -v rc=$rc '
function verdict(s) {
	if (!match(s, /"result": ?(true|false|null), ?"error": ?(null|"parse"|"invalid")\}$/))
		return "?"
	s = substr(s, RSTART, RLENGTH)
	gsub(/[ "{}]/, "", s)
	return s
}
NR == FNR {
	n++
	want[n] = verdict($0)
	cond[n] = $0
	if (match(cond[n], /^\{"cond": "([^"\\]|\\.)*"/))
		cond[n] = substr(cond[n], 11, RLENGTH - 11)
	next
}
{ got[FNR] = verdict($0) }
END {
	for (i = 1; i <= n; i++) {
		if (i in got && got[i] == want[i] && want[i] != "?") {
			pass++
			continue
		}
		fail++
		if (fail <= 10)
			printf "FAIL condition %d: %s\n    want %s, got %s\n", i,
			       cond[i], want[i], (i in got) ? got[i] : "nothing"
	}
	if (fail > 10)
		printf "... and %d more mismatches\n", fail - 10
	if (!fail && !rc)
		printf "ok   conditions conformance\n"
	printf "conditions: %d/%d agree (%.2f%%)\n", pass, n,
	       n ? 100 * pass / n : 0
	if (rc && !fail)
		fail = 1
	printf "%d passed, %d failed\n", pass, fail
	exit fail ? 1 : 0
}' "$cases" "$out"
