grep -q 'redis is ready' "$log" || fail "no readiness line"
grep -q '^+OK \$5 works' "$log" || fail "redis did not answer on localhost"
