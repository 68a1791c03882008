#!/bin/sh
# The AWS deploy providers end to end through `ferry run` (issue 6): each
# case of tests/e2e/deploy-run/ is a git checkout of ferry-test/site whose
# .travis.yml (travis.yml, with @KEY@, @SECRET@, @WRONG@ replaced by
# `secure:` values that `ferry encrypt` made with the repository's key,
# and @E@ / @PE@ by the endpoints of the AWS test server and of the fault
# proxy in front of it) runs in Docker and deploys from the host to moto
# (tests/servers/moto_server.py: SigV4 and IAM enforced after set-up).
# A case has expect.rc, expect.jobs, an optional pre.sh (run before) and
# a check.sh that looks at what was stored with the aws CLI.  Last, no
# secret may appear in any output of any case.
# Needs: Docker and the test image, python3 with moto[server], the aws
# CLI, jq, curl, openssl, git.
cd "${FERRY_TOP:-$(dirname "$0")/../..}" || exit 2
FERRY=${FERRY:-$PWD/${BUILD:-build}/bin/ferry}
pass=0
fail_count=0
pids=""
top=$(mktemp -d /tmp/ferry-deploy-run.XXXXXX)
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	[ $fail_count -eq 0 ] && rm -rf "$top"
}
trap cleanup EXIT
trap 'exit 2' INT TERM

ok() {
	echo "ok   $*"
	pass=$((pass + 1))
}
bad() {
	echo "FAIL $*"
	fail_count=$((fail_count + 1))
}
finish() {
	[ $fail_count -ne 0 ] && echo "(case directories kept in $top)"
	echo "$pass passed, $fail_count failed"
	[ $fail_count -eq 0 ]
	exit $?
}

if ! . tests/setup/test-image.sh; then
	bad "setup: no Docker engine or image"
	finish
fi
IMG=$FERRY_JOB_IMAGE
for tool in aws jq curl openssl git; do
	command -v $tool >/dev/null 2>&1 || {
		bad "the '$tool' command is missing"
		finish
	}
done
python3 -c 'import moto.server, boto3, flask' 2>/dev/null || {
	bad "python3 with moto[server] is missing"
	finish
}

# Nothing of the machine's own AWS set-up may leak in.
for v in $(env | sed -n 's/^\(AWS_[A-Z0-9_]*\)=.*/\1/p'); do unset "$v"; done
export HOME="$top/home"
mkdir -p "$HOME"
export AWS_EC2_METADATA_DISABLED=true
export AWS_SHARED_CREDENTIALS_FILE="$top/no-credentials"
export AWS_CONFIG_FILE="$top/no-config"
export XDG_DATA_HOME="$top/data"
unset FERRY_CONFIG

wait_file() {
	i=0
	while [ ! -s "$1" ] && [ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -s "$1" ]
}

python3 tests/servers/moto_server.py --port-file "$top/moto.port" \
	>"$top/moto.log" 2>&1 &
pids="$pids $!"
wait_file "$top/moto.port" || {
	bad "the AWS test server did not start"
	finish
}
E="http://127.0.0.1:$(cat "$top/moto.port")"
python3 tests/servers/fault_proxy.py "$(cat "$top/moto.port")" \
	--port-file "$top/proxy.port" >"$top/proxy.log" 2>&1 &
pids="$pids $!"
wait_file "$top/proxy.port" || {
	bad "the fault proxy did not start"
	finish
}
PE="http://127.0.0.1:$(cat "$top/proxy.port")"

# The deploy user may do what these deploys do, on these buckets only.
POLICY='{"Version":"2012-10-17","Statement":[
{"Effect":"Allow","Action":["s3:PutObject","s3:PutObjectAcl","s3:GetObject"],"Resource":["arn:aws:s3:::site/*","arn:aws:s3:::big/*","arn:aws:s3:::retry/*","arn:aws:s3:::bundles/shop/*"]},
{"Effect":"Allow","Action":["codedeploy:CreateDeployment","codedeploy:GetDeployment"],"Resource":"arn:aws:codedeploy:us-east-1:123456789012:deploymentgroup:shop/prod"},
{"Effect":"Allow","Action":["codedeploy:RegisterApplicationRevision","codedeploy:GetApplicationRevision"],"Resource":"arn:aws:codedeploy:us-east-1:123456789012:application:shop"},
{"Effect":"Allow","Action":"codedeploy:GetDeploymentConfig","Resource":"arn:aws:codedeploy:us-east-1:123456789012:deploymentconfig:CodeDeployDefault.OneAtATime"}]}'
POLICY=$(printf '%s' "$POLICY" | tr -d '\n')
# The checks read with the aws CLI as another user.
READ='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*","codedeploy:Get*"],"Resource":"*"}]}'
if ! python3 tests/servers/moto_setup.py "$E" >"$top/setup.out" \
	2>"$top/setup.err" <<EOF; then
bucket site
bucket big
bucket retry
bucket bundles versioned
user deployer $POLICY
user reader $READ
codedeploy shop prod
auth on
EOF
	bad "set-up of the AWS test server"
	sed 's/^/    /' "$top/setup.err"
	finish
fi
DK=$(sed -n 5p "$top/setup.out" | cut -d' ' -f1)
DS=$(sed -n 5p "$top/setup.out" | cut -d' ' -f2)
RK=$(sed -n 6p "$top/setup.out" | cut -d' ' -f1)
RS=$(sed -n 6p "$top/setup.out" | cut -d' ' -f2)
# A secret of the right shape that is not the deployer's.
WRONG=$(printf '%s' "$DS" | tr 'A-Za-z' 'N-ZA-Mn-za-m')

awsq() {
	AWS_ACCESS_KEY_ID=$RK AWS_SECRET_ACCESS_KEY=$RS \
		aws --endpoint-url "$E" --region us-east-1 "$@"
}
requests() { curl -s "$E/ferry-test/requests" | jq -r '.[]'; }

# The repository's key, and the secrets encrypted for it.
SLUG=ferry-test/site
if ! "$FERRY" keys generate --bits 2048 $SLUG >"$top/keys.out" 2>&1; then
	bad "ferry keys generate"
	sed 's/^/    /' "$top/keys.out"
	finish
fi
enc() { "$FERRY" encrypt -r $SLUG "$1" 2>/dev/null; }
SKEY=$(enc "$DK")
SSECRET=$(enc "$DS")
SWRONG=$(enc "$WRONG")
case "$SKEY$SSECRET$SWRONG" in
*"$DK"* | *"$DS"* | *"$WRONG"*) bad "ferry encrypt printed a secret" ;;
esac
for s in "$SKEY" "$SSECRET" "$SWRONG"; do
	case $s in
	'secure: "'*) ;;
	*)
		bad "ferry encrypt: '$s'"
		finish
		;;
	esac
done

run_case() {
	case=$1
	name=${1##*/}
	[ -n "${FERRY_DOCKER_COPY:-}" ] && name="api-copy-$name"
	failures=0
	tmp=$top/$name
	mkdir -p "$tmp/proj"
	# every case is build 1 (the key store stays)
	rm -rf "$XDG_DATA_HOME/ferry/runs"
	(
		cd "$tmp/proj" && git init -q -b master &&
			git remote add origin "https://github.com/$SLUG.git"
	)
	[ -d "$case/files" ] && cp -R "$case/files/." "$tmp/proj/"
	sed -e "s|@KEY@|$SKEY|g" -e "s|@SECRET@|$SSECRET|g" \
		-e "s|@WRONG@|$SWRONG|g" -e "s|@E@|$E|g" -e "s|@PE@|$PE|g" \
		"$case/travis.yml" >"$tmp/proj/.travis.yml"
	(
		cd "$tmp/proj" && git add -A &&
			git -c user.name=t -c user.email=t@example.com \
				commit -qm "$name"
	)
	fail() {
		echo "    $*"
		failures=$((failures + 1))
	}
	[ -f "$case/pre.sh" ] && . "$case/pre.sh"
	start=$(date +%s)
	(cd "$tmp" && "$FERRY" run --plain --json --image "$IMG" \
		--log-dir "$tmp/logs" proj >"$tmp/summary.json" 2>"$tmp/stderr")
	rc=$?
	elapsed=$(($(date +%s) - start))
	log=$tmp/logs/1.1.log
	want_rc=$(cat "$case/expect.rc")
	[ "$rc" = "$want_rc" ] || fail "exit status $rc, expected $want_rc"
	jq -r '.jobs[] | "\(.number) \(.state)"' "$tmp/summary.json" \
		>"$tmp/jobs" 2>/dev/null
	cmp -s "$tmp/jobs" "$case/expect.jobs" ||
		fail "job states: $(tr '\n' ' ' <"$tmp/jobs")," \
			"expected $(tr '\n' ' ' <"$case/expect.jobs")"
	[ -f "$log" ] || fail "no job log"
	[ -f "$case/check.sh" ] && [ -f "$log" ] && . "$case/check.sh"
	if [ $failures -eq 0 ]; then
		ok "deploy-run $name (${elapsed}s)"
	else
		bad "deploy-run $name"
		sed 's/^/      log: /' "$log" 2>/dev/null | tail -n 15
		sed 's/^/      stderr: /' "$tmp/stderr" | tail -n 5
	fi
}

for c in "$PWD"/tests/e2e/deploy-run/*/; do
	run_case "${c%/}"
done

# The site again, with the job's files copied out through the Engine API
# (as for a remote engine) into an emptied bucket.
awsq s3 rm --recursive s3://site/www/ >/dev/null 2>&1
FERRY_DOCKER_COPY=1 run_case "$PWD/tests/e2e/deploy-run/01-site"

# No secret in any output: terminals (stdout, stderr), logs, summaries.
leaks=""
for f in "$top"/*/summary.json "$top"/*/stderr "$top"/*/logs/*; do
	[ -f "$f" ] || continue
	for s in "$DK" "$DS" "$WRONG"; do
		grep -qF -- "$s" "$f" && leaks="$leaks ${f#$top/}"
	done
done
masked=$(cat "$top"/*/logs/* 2>/dev/null | grep -c 'Using Access Key: ')
if [ -z "$leaks" ] && [ "$masked" -gt 0 ]; then
	ok "no access key id or secret in any output ($masked deploys logged in)"
else
	bad "secrets in:$leaks"
fi
finish
