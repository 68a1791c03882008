faults=$(curl -sf "$PE/__fault__" | jq -r .faults)
[ "$faults" = 2 ] || fail "$faults faults served, expected 2"
[ "$(grep -c 'SlowDown.*retrying (attempt' "$log")" -eq 2 ] ||
	fail "the log does not show two retries"
for k in a.txt b.txt; do
	awsq s3 cp "s3://retry/$k" "$tmp/$k" >/dev/null 2>&1 &&
		cmp -s "$tmp/$k" "$case/files/dist/$k" || fail "$k not uploaded"
done
