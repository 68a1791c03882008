grep -q "deploy script 'exit 4' exited with 4" "$log" || fail "no deploy error"
grep -q '^failed to deploy$' "$log" || fail "no 'failed to deploy'"
grep -q '^never$' "$log" && fail "after_deploy ran"
