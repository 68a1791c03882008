# The bundle (built from the job's deploy/ directory) is in S3, and the
# deployment went Created -> Queued -> InProgress -> Succeeded.
id=$(sed -n 's/^Deployment triggered: \(d-[A-Z0-9]*\).*/\1/p' "$log")
[ -n "$id" ] || fail "no 'Deployment triggered' line"
grep -q 'Waiting for the deployment to finish .*\[Succeeded\] done: Succeeded\.' "$log" ||
	fail "no 'done: Succeeded.' after the status changes"
[ "$(awsq deploy get-deployment --deployment-id "$id" | jq -r .deploymentInfo.status)" = Succeeded ] ||
	fail "deployment $id is not Succeeded"
awsq s3 cp s3://bundles/shop/app.zip "$tmp/app.zip" >/dev/null 2>&1 ||
	fail "no bundle in s3://bundles/shop/app.zip"
python3 - "$tmp/app.zip" <<'PY' || fail "the bundle lacks appspec.yml or the job's VERSION"
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
names = z.namelist()
assert "appspec.yml" in names and "scripts/validate.sh" in names, names
assert z.read("VERSION") == b"version 1\n", z.read("VERSION")
PY
grep -q '^after_deploy ran' "$log" || fail "after_deploy did not run"
