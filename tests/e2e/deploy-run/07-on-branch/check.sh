grep -q 'Skipping a deployment with the s3 provider because this branch is not permitted: master' "$log" ||
	fail "no skip message for the production entry"
n=$(awsq s3api list-objects-v2 --bucket site --prefix production/ | jq '.Contents // [] | length')
[ "$n" = 0 ] || fail "$n objects under production/: the entry for another branch deployed"
awsq s3 cp s3://site/staging/index.txt "$tmp/index.txt" >/dev/null 2>&1 &&
	cmp -s "$tmp/index.txt" "$case/files/dist/index.txt" ||
	fail "the master entry did not deploy"
