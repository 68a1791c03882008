#!/bin/sh
# Config conformance: ferry's normalised configs, job lists and messages
# against the output of Travis's reference implementation (travis-yml) on
# 2,233 real configs, and 160 more from the tagged corpus.
#   jobs >= 99.5%, config >= 98% (messages reported).
set -u
conf="$FERRY_SHARED/conformance/travis-yml"
corpus="$FERRY_SHARED/corpus/real-travis"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
status=0
(cd "$conf" && find configs -name '*.yml' | sort |
	xargs "$FERRY" matrix --json --no-imports >"$out/conf.jsonl")
python3 tests/conformance/compare.py "$conf/expected.jsonl" "$out/conf.jsonl" \
	--label travis-yml --min-jobs 99.5 --min-config 98 >"$out/a.txt"
a=$?
(cd "$corpus" && ls *.yml | sort |
	xargs "$FERRY" matrix --json --no-imports >"$out/corpus.jsonl")
python3 tests/conformance/compare.py "$corpus/expected.jsonl" \
	"$out/corpus.jsonl" --label corpus --min-jobs 95 --min-config 95 \
	>"$out/b.txt"
b=$?
grep -v ' passed, ' "$out/a.txt"
grep -v ' passed, ' "$out/b.txt"
p=$(( $(sed -n 's/^\([0-9]*\) passed.*/\1/p' "$out/a.txt") + $(sed -n 's/^\([0-9]*\) passed.*/\1/p' "$out/b.txt") ))
f=$(( $(sed -n 's/.* \([0-9]*\) failed$/\1/p' "$out/a.txt") + $(sed -n 's/.* \([0-9]*\) failed$/\1/p' "$out/b.txt") ))
echo "$p passed, $f failed"
[ "$a" -eq 0 ] && [ "$b" -eq 0 ]
