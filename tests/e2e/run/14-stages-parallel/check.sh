# fast_finish: once stage one's required job passed, its allowed failure
# (still sleeping) is canceled and stage two runs; the build passes.
grep -q '^c$' "$logs/1.3.log" || fail "stage two did not run"
grep -q 'Done: Job Cancelled' "$logs/1.2.log" || fail "the allowed failure was not canceled"
[ "$elapsed" -lt 25 ] || fail "fast_finish did not stop waiting (${elapsed}s)"
