id=$(sed -n 's/^Deployment triggered: \(d-[A-Z0-9]*\).*/\1/p' "$log")
[ "$(awsq deploy get-deployment --deployment-id "$id" | jq -r .deploymentInfo.status)" = Failed ] ||
	fail "deployment '$id' is not Failed"
grep -q '^errorInformation: HOOK_EXECUTION_FAILURE: Script at specified location: scripts/validate.sh run as user root failed with exit code 1$' "$log" ||
	fail "the errorInformation is not in the log"
grep -q "done: Failed. (deployment $id: HOOK_EXECUTION_FAILURE" "$log" ||
	fail "no error naming the deployment"
grep -q '^failed to deploy$' "$log" || fail "no 'failed to deploy'"
grep -q '^never$' "$log" && fail "after_deploy ran"
