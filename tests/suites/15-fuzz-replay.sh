#!/bin/sh
# Replays every committed fuzz corpus through its target (built with gcc,
# no libFuzzer), so that a fuzz target never rots and a crash found once
# stays fixed.
pass=0 fail=0
for bin in "$BUILD"/bin/replay-*; do
	[ -x "$bin" ] || continue
	name=${bin##*/replay-}
	dir=tests/fuzz/corpus/$name
	if [ ! -d "$dir" ]; then
		echo "FAIL replay $name: no corpus in $dir"
		fail=$((fail + 1))
		continue
	fi
	if out=$("$bin" "$dir" 2>&1); then
		echo "ok   replay $name ($out)"
		pass=$((pass + 1))
	else
		echo "FAIL replay $name"
		echo "$out" | tail -20
		fail=$((fail + 1))
	fi
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
