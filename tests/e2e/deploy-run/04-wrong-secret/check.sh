grep -q "PutObject 's3://site/wrong/x.txt': SignatureDoesNotMatch: .*(HTTP 403)" "$log" ||
	fail "no clear 403 error in the log"
grep -q '^failed to deploy$' "$log" || fail "no 'failed to deploy'"
grep -q '^never$' "$log" && fail "after_deploy ran"
n=$(awsq s3api list-objects-v2 --bucket site --prefix wrong/ | jq '.Contents // [] | length')
[ "$n" = 0 ] || fail "$n objects were stored with a wrong secret"
