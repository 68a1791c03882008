#!/bin/sh
# The whole pipeline of examples/aws-pipeline against local servers
# (issue 9): a git checkout of the example (ferry-examples/aws-pipeline)
# whose deploy user's keys are `ferry encrypt --add`ed to its .travis.yml
# runs with `ferry run`: the tests pass, before_deploy builds the image
# FROM the bootstrapped base image and pushes it (docker CLI in the job,
# the engine's socket mounted) to Debian's docker-registry behind the ECR
# front of the AWS test server (tests/servers/moto_server.py: IAM checked
# per registry request for the token's identity), the s3 entry publishes
# the release page and the codedeploy entry uploads the bundle and
# deploys it; the test server's agent (tests/e2e/pipeline/agent.sh) runs
# `ferry appspec run` on a test "instance" (a deployment root on this
# host), whose hooks log in to ECR with the instance role (`ferry ecr
# login`, instance metadata), pull, stop the old container, start the
# new one and validate it on loopback.  `ferry ecr login` by itself (the
# token in docker's config.json, a pull with it, a refusal named).  Then
# a second release, a broken
# ValidateService hook, and the IAM policies of `ferry iam-policy`:
# sufficient (every run above uses exactly them, for fresh users and
# roles) and necessary (each statement removed in turn: `ferry deploy
# --check` or the deploy fails and names one of its actions).
# Needs: Docker and the test image, docker-registry, python3 with
# moto[server], the aws CLI, jq, curl, git; the Debian archive once (the
# job image gets awscli).
cd "${FERRY_TOP:-$(dirname "$0")/../..}" || exit 2
FERRY=${FERRY:-$PWD/${BUILD:-build}/bin/ferry}
export FERRY
pass=0
fail_count=0
pids=""
top=$(mktemp -d /tmp/ferry-pipeline.XXXXXX)
export PIPELINE_TOP="$top"
SLUG=ferry-examples/aws-pipeline
ACCT=123456789012
APP=aws-pipeline-demo
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	[ -n "${ACONT:-}" ] && docker rm -f "$ACONT" >/dev/null 2>&1
	[ -n "${FRONT:-}" ] && docker images --format '{{.Repository}}:{{.Tag}}' |
		grep "^127.0.0.1:$FRONT/" | xargs -r docker rmi -f >/dev/null 2>&1
	# the app images the jobs built and tagged again (bootstrap-based)
	docker image prune -f --filter label=io.ferry.image=bootstrap \
		>/dev/null 2>&1
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
show() { sed 's/^/      | /' "$@" | tail -n 25; }
finish() {
	[ $fail_count -ne 0 ] && echo "(kept: $top)"
	echo "$pass passed, $fail_count failed"
	[ $fail_count -eq 0 ]
	exit $?
}
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_file() {
	i=0
	while [ ! -s "$1" ] && [ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -s "$1" ]
}

# ---- prerequisites ----------------------------------------------------------

if ! . tests/setup/test-image.sh; then
	bad "setup: no Docker engine or test image"
	finish
fi
if ! command -v docker-registry >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends docker-registry >/dev/null 2>&1
fi
for tool in docker-registry aws jq curl git; do
	command -v $tool >/dev/null 2>&1 || {
		bad "the '$tool' command is missing"
		finish
	}
done
python3 -c 'import moto.server, boto3, flask' 2>/dev/null || {
	bad "python3 with moto[server] is missing"
	finish
}
# The job image: the example's ci-image (docker CLI, awscli) on the test
# image, rebuilt when its Dockerfile changes.
CI="ferry/aws-pipeline-ci:$(printf '%s\n' "$FERRY_JOB_IMAGE" |
	cat examples/aws-pipeline/ci-image/Dockerfile - | cksum | cut -d' ' -f1)"
if ! docker image inspect "$CI" >/dev/null 2>&1 &&
	! sh examples/aws-pipeline/ci-image/build.sh "$CI" "$FERRY_JOB_IMAGE" \
		>"$top/ci-image.log" 2>&1; then
	bad "cannot build the job image $CI"
	show "$top/ci-image.log"
	finish
fi

for v in $(env | sed -n 's/^\(AWS_[A-Z0-9_]*\)=.*/\1/p'); do unset "$v"; done
export HOME="$top/home"
mkdir -p "$HOME"
export AWS_EC2_METADATA_DISABLED=true
export AWS_SHARED_CREDENTIALS_FILE="$top/no-credentials"
export AWS_CONFIG_FILE="$top/no-config"
export XDG_DATA_HOME="$top/data"
unset FERRY_CONFIG DOCKER_CONFIG

# ---- the registry, and the AWS test server with its ECR front ---------------

RP=$(free_port)
RPW=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
mkdir -p "$top/registry/data"
python3 -W ignore -c 'import crypt,sys; print("AWS:" + crypt.crypt(sys.argv[1], crypt.METHOD_BLOWFISH))' \
	"$RPW" >"$top/registry/htpasswd"
cat >"$top/registry/config.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $top/registry/data
http:
  addr: 127.0.0.1:$RP
  secret: ferry-pipeline-test
auth:
  htpasswd:
    realm: basic-realm
    path: $top/registry/htpasswd
EOF
docker-registry serve "$top/registry/config.yml" >"$top/registry/log" 2>&1 &
pids="$pids $!"
i=0
until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$RP/v2/")" = 401 ]; do
	i=$((i + 1))
	[ $i -gt 100 ] && {
		bad "docker-registry did not start"
		show "$top/registry/log"
		finish
	}
	sleep 0.1
done

FERRY_TEST_AGENT="sh $PWD/tests/e2e/pipeline/agent.sh" \
	MOTO_IAM_LOAD_MANAGED_POLICIES=true \
	python3 tests/servers/moto_server.py --port-file "$top/moto.port" \
	--registry-upstream "$RP" --registry-auth "AWS:$RPW" \
	--registry-port-file "$top/front.port" --service-roles \
	>"$top/moto.log" 2>&1 &
pids="$pids $!"
if ! wait_file "$top/moto.port" || ! wait_file "$top/front.port"; then
	bad "the AWS test server did not start"
	show "$top/moto.log"
	finish
fi
E="http://127.0.0.1:$(cat "$top/moto.port")"
FRONT=$(cat "$top/front.port")
REPO="127.0.0.1:$FRONT/$APP"
APORT=$(free_port)
ACONT="ferry-pipeline-$$"
setup() { python3 tests/servers/moto_setup.py "$E"; }
requests() { curl -s "$E/ferry-test/requests" | jq -r '.[]'; }
# The aws CLI as an administrator, to look at what the pipeline left.
if ! setup >"$top/admin.out" 2>"$top/setup.err" <<EOF; then
user admin {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}
EOF
	bad "set-up of the AWS test server"
	show "$top/setup.err"
	finish
fi
awsq() {
	AWS_ACCESS_KEY_ID=$(cut -d' ' -f1 "$top/admin.out") \
		AWS_SECRET_ACCESS_KEY=$(cut -d' ' -f2 "$top/admin.out") \
		aws --endpoint-url "$E" --region us-east-1 "$@"
}

# ---- the example's repository --------------------------------------------------

R=$top/repo
cp -R examples/aws-pipeline "$R"
rm -f "$R/deploy/release.env" "$R/public/release.json"
(cd "$R" && git init -q -b master && git remote add origin "https://github.com/$SLUG.git")
cp "$R/.travis.yml" "$top/travis.pristine"
commit() {
	(cd "$R" && git add -A && git -c user.name=t -c user.email=t@example.com commit -qm "$1")
}
commit "aws-pipeline-demo"
"$FERRY" keys generate $SLUG >"$top/keys.out" 2>&1 || {
	bad "ferry keys generate $SLUG"
	show "$top/keys.out"
	finish
}

# The deploy user's keys into .travis.yml, encrypted for the repository.
use_keys() { # KEY SECRET
	cp "$top/travis.pristine" "$R/.travis.yml"
	(cd "$R" && "$FERRY" encrypt --add env.global "AWS_ACCESS_KEY_ID=$1" &&
		"$FERRY" encrypt --add env.global "AWS_SECRET_ACCESS_KEY=$2") \
		>"$top/encrypt.out" 2>&1 || return 1
	grep -qF -- "$1" "$R/.travis.yml" && return 1
	grep -qF -- "$2" "$R/.travis.yml" && return 1
	commit "keys of $1"
}

# ---- the policies ferry prints -------------------------------------------------

if (cd "$R" && "$FERRY" iam-policy --json) >"$top/policies.json" 2>"$top/iam.err" &&
	[ "$(jq -r '[.deploy_user.Statement[].Sid] | join(" ")' "$top/policies.json")" = \
		"S3Upload CodeDeployBundleUpload CodeDeployBundleRead CodeDeployRevision CodeDeployDeployment CodeDeployConfig EcrLogin EcrPush FerryDeployCheck" ] &&
	[ "$(jq -r '[.instance_role.Statement[].Sid] | join(" ")' "$top/policies.json")" = \
		"BundleDownload EcrLogin EcrPull" ] &&
	jq -e '.deploy_user.Statement[] | select(.Sid == "EcrPush") | .Resource == "arn:aws:ecr:us-east-1:'$ACCT':repository/'$APP'"' "$top/policies.json" >/dev/null &&
	jq -e '.deploy_user.Statement[] | select(.Sid == "S3Upload") | .Resource == "arn:aws:s3:::aws-pipeline-site/'$APP'/*"' "$top/policies.json" >/dev/null &&
	jq -e '.service_role.trust_policy.Statement[0].Principal.Service == "codedeploy.amazonaws.com"' "$top/policies.json" >/dev/null; then
	ok "iam-policy: deploy user ($(jq '.deploy_user.Statement | length' "$top/policies.json") statements), instance role ($(jq '.instance_role.Statement | length' "$top/policies.json")), service role (trust + $(jq -r '.service_role.managed_policy_arns[0]' "$top/policies.json" | sed 's|.*/||'))"
else
	bad "iam-policy"
	show "$top/iam.err" "$top/policies.json"
	finish
fi
jq -c .deploy_user "$top/policies.json" >"$top/deploy-user.json"
jq -c .instance_role "$top/policies.json" >"$top/instance-role.json"
jq -c .service_role.trust_policy "$top/policies.json" >"$top/trust.json"
MANAGED=$(jq -r '.service_role.managed_policy_arns[0]' "$top/policies.json")
# The same documents without statement N (0-based).
without() { # FILE N
	jq -c --argjson n "$2" '.Statement |= (to_entries | map(select(.key != $n)) | map(.value))' "$1"
}

# Fresh identities with exactly these documents.
if ! setup >"$top/setup.out" 2>"$top/setup.err" <<EOF; then
bucket aws-pipeline-site
bucket aws-pipeline-bundles versioned
ecr-repository $APP
role-trust cd-service @$top/trust.json -
attach-role-policy cd-service $MANAGED
codedeploy $APP production arn:aws:iam::$ACCT:role/cd-service
role instance ec2.amazonaws.com @$top/instance-role.json
instance-role arn:aws:iam::$ACCT:role/instance
user deployer @$top/deploy-user.json
auth on
EOF
	bad "set-up of the AWS test server"
	show "$top/setup.err"
	finish
fi
DK=$(sed -n 9p "$top/setup.out" | cut -d' ' -f1)
DS=$(sed -n 9p "$top/setup.out" | cut -d' ' -f2)
use_keys "$DK" "$DS" || {
	bad "ferry encrypt --add the deploy user's keys"
	show "$top/encrypt.out"
	finish
}

# ---- runs -------------------------------------------------------------------------

# run NAME: ferry run of the repository; sets rc, log, out (dir).
run() {
	out=$top/$1
	mkdir -p "$out"
	(cd "$top" && "$FERRY" run --plain --json --image "$CI" --network host \
		--env AWS_ENDPOINT_URL="$E" --env IMAGE_REPO="$REPO" \
		--env APP_PORT="$APORT" --env APP_CONTAINER="$ACONT" \
		--env BASE_IMAGE="$FERRY_JOB_IMAGE" --log-dir "$out/logs" repo \
		>"$out/summary.json" 2>"$out/stderr")
	rc=$?
	n=$(jq -r '.jobs[0].number' "$out/summary.json" 2>/dev/null)
	state=$(jq -r '.jobs[0].state' "$out/summary.json" 2>/dev/null)
	log="$out/logs/$n.log"
	[ -f "$log" ] || log="$out/stderr"
}
check_run() { # NAME
	(cd "$R" && "$FERRY" deploy --check --env AWS_ENDPOINT_URL="$E" .) \
		>"$top/$1.check" 2>&1
}
deployment_of() { sed -n 's/^Deployment triggered: \(d-[A-Z0-9]*\).*/\1/p' "$1" | tail -n 1; }
answer() { curl -fsS --max-time 3 "http://127.0.0.1:$APORT/version" 2>/dev/null; }
agent_events() { # ID: "Event:Status ..." of the agent's result
	jq -r '[.events[] | "\(.name):\(.status)"] | join(" ")' "$top/agent-results/$1.json" 2>/dev/null
}

if check_run check-1 && grep -q '^[0-9]* ok, 0 missing' "$top/check-1.check"; then
	ok "deploy --check with the printed policy: $(tail -n 1 "$top/check-1.check")"
else
	bad "deploy --check with the printed policy"
	show "$top/check-1.check"
fi

# 1. The first release.
run first
id=$(deployment_of "$log")
fails=""
[ $rc -eq 0 ] && [ "$state" = passed ] || fails="$fails exit=$rc/$state"
grep -q 'Ran 4 tests' "$log" || fails="$fails no-tests"
curl -fsS -u "AWS:$RPW" "http://127.0.0.1:$RP/v2/$APP/tags/list" >"$top/tags.json" 2>/dev/null
jq -e '.tags | index("1.0.1")' "$top/tags.json" >/dev/null || fails="$fails image-not-in-registry"
awsq s3api head-object --bucket aws-pipeline-bundles --key "$APP/bundle.zip" >/dev/null 2>&1 ||
	fails="$fails no-bundle"
[ "$(awsq s3 cp "s3://aws-pipeline-site/$APP/release.json" - 2>/dev/null | jq -r .version)" = 1.0.1 ] ||
	fails="$fails no-release-page"
[ -n "$id" ] && [ "$(awsq deploy get-deployment --deployment-id "$id" | jq -r .deploymentInfo.status)" = Succeeded ] ||
	fails="$fails deployment-$id-not-Succeeded"
events=$(agent_events "$id")
case $events in
*"ApplicationStop:Skipped"*"DownloadBundle:Succeeded"*"BeforeInstall:Succeeded"*"Install:Succeeded"*"ApplicationStart:Succeeded"*"ValidateService:Succeeded"*) ;;
*) fails="$fails hooks($events)" ;;
esac
[ "$(answer)" = 1.0.1 ] || fails="$fails service-answers-'$(answer)'"
requests >"$top/requests-1"
grep -q "^registry:PUT /v2/$APP/manifests/1.0.1" "$top/requests-1" || fails="$fails no-push-seen"
# the instance's pull: the tag resolved, the manifest, the new layers
grep -q "^registry:HEAD /v2/$APP/manifests/1.0.1" "$top/requests-1" &&
	grep -q "^registry:GET /v2/$APP/manifests/sha256:" "$top/requests-1" ||
	fails="$fails no-pull-seen"
grep -q "^registry:GET /v2/$APP/blobs/" "$top/requests-1" || fails="$fails no-layer-download"
grep -q '^codedeploy:CreateDeployment' "$top/requests-1" || fails="$fails no-CreateDeployment"
baseline_failed=$fails
if [ -z "$fails" ]; then
	ok "pipeline: tests pass, image 1.0.1 pushed to the registry, release page and bundle in S3, deployment $id Succeeded, the instance ran $(echo "$events" | wc -w) events and the service answers 1.0.1"
else
	bad "pipeline, first release:$fails"
	show "$log"
fi

# ferry ecr login by itself, with the instance role's permissions given
# to a user: docker's config.json gets the token, and docker pulls with it.
setup >"$top/ecr.out" 2>&1 <<EOF
auth off
user puller @$top/instance-role.json
user nobody -
auth on
EOF
ecr_login() { # KEY SECRET [OPTIONS]
	k=$1
	s=$2
	shift 2
	AWS_ACCESS_KEY_ID=$k AWS_SECRET_ACCESS_KEY=$s \
		"$FERRY" ecr login --endpoint "$E" "$@"
}
PK=$(sed -n 2p "$top/ecr.out" | cut -d' ' -f1)
PS=$(sed -n 2p "$top/ecr.out" | cut -d' ' -f2)
reg=$(ecr_login "$PK" "$PS" --docker-config "$top/ecr-cfg" 2>"$top/ecr.err")
auth=$(jq -r --arg r "$reg" '.auths[$r].auth' "$top/ecr-cfg/config.json" 2>/dev/null)
pw=$(ecr_login "$PK" "$PS" --print-password 2>>"$top/ecr.err")
docker rmi -f "$REPO:1.0.1" >/dev/null 2>&1
if [ "$reg" = "127.0.0.1:$FRONT" ] &&
	[ "$(printf %s "$auth" | base64 -d | cut -d: -f1)" = AWS ] &&
	[ "$(stat -c %a "$top/ecr-cfg/config.json")" = 600 ] &&
	[ ${#pw} -ge 32 ] &&
	DOCKER_CONFIG="$top/ecr-cfg" docker pull -q "$REPO:1.0.1" >/dev/null 2>>"$top/ecr.err" &&
	! DOCKER_CONFIG="$top/nothing" docker pull -q "$REPO:1.0.1" >/dev/null 2>&1 &&
	! ecr_login "$(sed -n 3p "$top/ecr.out" | cut -d' ' -f1)" \
		"$(sed -n 3p "$top/ecr.out" | cut -d' ' -f2)" \
		--docker-config "$top/ecr-cfg2" >/dev/null 2>"$top/ecr-denied.err" &&
	grep -q 'not allowed ecr:GetAuthorizationToken on \*' "$top/ecr-denied.err" &&
	[ ! -e "$top/ecr-cfg2/config.json" ]; then
	ok "ecr login: the registry ($reg) and its token in docker's config.json (0600), docker pulls with it; a user without ecr:GetAuthorizationToken is told so"
else
	bad "ecr login (registry '$reg')"
	show "$top/ecr.err" "$top/ecr-denied.err"
fi
docker rmi -f "$REPO:1.0.1" >/dev/null 2>&1

# 2. The next release replaces it: ApplicationStop of the last revision.
echo "second release" >"$R/CHANGES"
commit "second release"
run second
id=$(deployment_of "$log")
events=$(agent_events "$id")
if [ $rc -eq 0 ] && [ "$(answer)" = 1.0.2 ] &&
	case $events in *"ApplicationStop:Succeeded"*"ValidateService:Succeeded"*) true ;; *) false ;; esac &&
	grep -q "$ACONT" "$top/instance/deployment-root"/*/"$id"/logs/scripts.log; then
	ok "pipeline: the second release 1.0.2 replaced the first (its ApplicationStop stopped the old container)"
else
	bad "pipeline, second release (exit $rc, events: $events, answers '$(answer)')"
	show "$log"
fi

# 3. A broken ValidateService hook: the deployment fails, the job errors
# with the hook's output.
cat >"$R/deploy/scripts/validate.sh" <<'EOF'
#!/bin/sh
. "$(dirname "$0")/common.sh"
echo "validate: /version must carry the X-Release header; it does not"
exit 3
EOF
commit "validate the X-Release header"
run broken
id=$(deployment_of "$log")
if [ $rc -eq 2 ] && [ "$state" = errored ] &&
	[ "$(awsq deploy get-deployment --deployment-id "$id" | jq -r .deploymentInfo.status)" = Failed ] &&
	grep -q 'errorInformation: HEALTH_CONSTRAINTS' "$log" &&
	grep -q 'ValidateService: Failed: ScriptFailed' "$log" &&
	grep -q 'validate: /version must carry the X-Release header; it does not' "$log" &&
	grep -q '^failed to deploy$' "$log"; then
	ok "pipeline: a broken ValidateService hook leaves $id Failed and errors the job with the hook's output"
else
	bad "pipeline, broken ValidateService (exit $rc, $state)"
	show "$log"
fi
git -C "$R" revert --no-edit HEAD >/dev/null 2>&1

# ---- necessary: each statement removed in turn -------------------------------

# names FILE STATEMENT_JSON: does FILE say that one of the statement's
# actions was refused (AWS's "perform: A", ferry's "not allowed A",
# "must allow A", deploy --check's "missing A")?
names() {
	for a in $(echo "$2" | jq -r '.Action | if type == "array" then .[] else . end'); do
		for say in "perform: $a " "not allowed $a " "must allow $a " "missing    $a "; do
			grep -qF -- "$say" "$1" && return 0
		done
	done
	return 1
}
# Without a working baseline a failure proves nothing.
if [ -n "$baseline_failed" ]; then
	bad "necessary: not tried, the printed policies did not deploy"
	finish
fi
k=0
for sid in $(jq -r '.Statement[].Sid' "$top/deploy-user.json"); do
	st=$(jq -c ".Statement[$k]" "$top/deploy-user.json")
	without "$top/deploy-user.json" $k >"$top/du-$k.json"
	printf 'user du%s @%s\n' "$k" "$top/du-$k.json" | (echo "auth off"; cat; echo "auth on") |
		setup >"$top/du-$k.out" 2>&1
	use_keys "$(sed -n 2p "$top/du-$k.out" | cut -d' ' -f1)" \
		"$(sed -n 2p "$top/du-$k.out" | cut -d' ' -f2)"
	checked=""
	ran=""
	check_run "du-$k" || { names "$top/du-$k.check" "$st" && checked=yes; }
	if [ "$sid" = FerryDeployCheck ]; then
		# what only the check needs: the check fails, naming it
		if [ -n "$checked" ]; then
			ok "necessary: deploy user without $sid: deploy --check fails naming it (the deploy itself does not use it)"
		else
			bad "necessary: deploy user without $sid"
			show "$top/du-$k.check"
		fi
	else
		run "du-$k"
		[ $rc -ne 0 ] && names "$log" "$st" && ran=yes
		if [ -n "$ran" ]; then
			ok "necessary: deploy user without $sid: the deploy fails naming it${checked:+ (and deploy --check did before)}"
		else
			bad "necessary: deploy user without $sid (exit $rc, or nothing named)"
			show "$log"
		fi
	fi
	k=$((k + 1))
done
use_keys "$DK" "$DS"

k=0
for sid in $(jq -r '.Statement[].Sid' "$top/instance-role.json"); do
	st=$(jq -c ".Statement[$k]" "$top/instance-role.json")
	without "$top/instance-role.json" $k >"$top/ir-$k.json"
	setup >"$top/ir-$k.out" 2>&1 <<EOF
auth off
role instance$k ec2.amazonaws.com @$top/ir-$k.json
instance-role arn:aws:iam::$ACCT:role/instance$k
auth on
EOF
	run "ir-$k"
	if [ $rc -eq 2 ] && grep -q 'done: Failed' "$log" && names "$log" "$st"; then
		ok "necessary: instance role without $sid: the deployment fails naming it"
	else
		bad "necessary: instance role without $sid (exit $rc)"
		show "$log"
	fi
	k=$((k + 1))
done
setup >/dev/null 2>&1 <<EOF
auth off
instance-role arn:aws:iam::$ACCT:role/instance
auth on
EOF

# The service role: without its trust statement, without the managed policy.
setup >"$top/sr.out" 2>&1 <<EOF
auth off
role-trust cd-untrusted - -
attach-role-policy cd-untrusted $MANAGED
role-trust cd-powerless @$top/trust.json -
service-role $APP production arn:aws:iam::$ACCT:role/cd-untrusted
auth on
EOF
run sr-trust
if [ $rc -eq 2 ] && grep -q 'IAM_ROLE_PERMISSIONS' "$log" && grep -q 'sts:AssumeRole' "$log"; then
	ok "necessary: service role without its trust statement: the deployment fails, sts:AssumeRole named"
else
	bad "necessary: service role without its trust statement (exit $rc)"
	show "$log"
fi
setup >/dev/null 2>&1 <<EOF
auth off
service-role $APP production arn:aws:iam::$ACCT:role/cd-powerless
auth on
EOF
run sr-policy
if [ $rc -eq 2 ] && grep -q 'IAM_ROLE_PERMISSIONS' "$log" && grep -q 'AWSCodeDeployRole' "$log"; then
	ok "necessary: service role without $MANAGED: the deployment fails naming it"
else
	bad "necessary: service role without the managed policy (exit $rc)"
	show "$log"
fi

# No secret of any run in any output.
leaks=""
for f in "$top"/*/summary.json "$top"/*/stderr "$top"/*/logs/* "$top"/*.check; do
	[ -f "$f" ] || continue
	grep -qF -- "$DS" "$f" && leaks="$leaks ${f#$top/}"
done
if [ -z "$leaks" ]; then
	ok "no secret key in any output"
else
	bad "the deploy user's secret in:$leaks"
fi
finish
