# The log keeps exactly its first 10000 bytes, then Travis's message.
printf '\n\nThe job exceeded the maximum log length, and has been terminated.\n\n' >"$tmp/want"
n=$(wc -c <"$tmp/want")
size=$(wc -c <"$log")
[ "$size" -eq $((10000 + n)) ] || fail "log is $size bytes, expected $((10000 + n))"
tail -c "$n" "$log" | cmp -s - "$tmp/want" || fail "the log does not end with the log-limit message"
grep -q "^unreachable$" "$log" && fail "the job went on after the limit"
[ "$elapsed" -lt 20 ] || fail "the job was not stopped at the limit (${elapsed}s)"
