# The job is stopped after about 4 seconds although it never goes silent.
tail -c 100 "$log" | grep -q 'The job exceeded the maximum time limit for jobs, and has been terminated.' ||
	fail "no hard-limit message at the end of the log"
n=$(grep -c '^tick' "$log")
[ "$n" -ge 2 ] && [ "$n" -le 8 ] || fail "expected about 4 ticks, got $n"
