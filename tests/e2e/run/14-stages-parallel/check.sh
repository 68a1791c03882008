# stage two starts only after both jobs of stage one ended
e1=$(stat -c %Y "$logs/1.1.log"); e2=$(stat -c %Y "$logs/1.2.log")
grep -q '^c$' "$logs/1.3.log" || fail "stage two did not run"
grep -q 'allow_failure' "$summary" || fail "no allow_failure in the summary"
