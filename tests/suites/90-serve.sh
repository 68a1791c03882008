#!/bin/bash
# ferry serve end to end, everything on loopback: a git repository served
# over smart HTTP (tests/fixtures/git-http.py), a strict stand-in for
# GitHub's status API (tests/serve/github_api.py, failing its first two
# requests so retries are exercised), the Docker engine and the test
# image.  Real webhook payloads from @octokit/webhooks-examples are
# rewritten to point at the loopback repository (tests/serve/payload.py),
# signed with openssl and posted with curl.  Then the web UI in Debian's
# chromium (tests/serve/browser.js), a kill -9 with jobs queued and
# running, and a graceful SIGTERM.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
cd "${FERRY_TOP:-$(dirname "$0")/../..}" || exit 2
TOP=$PWD
FERRY=${FERRY:-$TOP/build/bin/ferry}
pass=0 fails=0
ok() { echo "ok   $*"; pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
check() { # check NAME COMMAND...: ok when the command succeeds
	local name=$1
	shift
	if "$@"; then ok "$name"; else bad "$name"; fi
}
finish() {
	echo "$pass passed, $fails failed"
	[ $fails -eq 0 ]
	exit
}

. tests/setup/test-image.sh || { bad "setup: no Docker engine or image"; finish; }
for tool in node npm openssl curl python3 git; do
	command -v $tool >/dev/null || { bad "setup: $tool is missing"; finish; }
done
if [ ! -d tests/serve/node_modules/playwright-core ] ||
	[ ! -d tests/serve/node_modules/@octokit/webhooks-examples ]; then
	(cd tests/serve && npm ci --no-audit --no-fund >/dev/null 2>&1) ||
		{ bad "setup: npm ci in tests/serve"; finish; }
fi
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ]; then
	apt-get update -q >/dev/null 2>&1
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends chromium >/dev/null 2>&1
fi

top=$(mktemp -d /tmp/ferry-serve-suite.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}" $SERVER; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
}
trap cleanup EXIT
SECRET=webhook-secret-1 TOKEN=gh-token-1 ADMIN=admin-token-1
export HOME=$top/home GIT_CONFIG_NOSYSTEM=1
mkdir -p "$HOME"
git config --global user.name "Ada Tester"
git config --global user.email ada@example.com
git config --global init.defaultBranch main

# ---- the repository --------------------------------------------------------
W=$top/w
git init -q --bare "$top/git/acme/app.git"
git clone -q "$top/git/acme/app.git" "$W" 2>/dev/null
commit() { # commit BRANCH MESSAGE TRAVIS_YML: prints the new commit
	git -C "$W" checkout -q -B "$1" "${BASE:-main}" 2>/dev/null ||
		git -C "$W" checkout -q -b "$1"
	printf '%s' "$3" >"$W/.travis.yml"
	date +%s%N >"$W/stamp"
	git -C "$W" add -A && git -C "$W" commit -q -m "$2"
	git -C "$W" push -q -f origin "$1" 2>/dev/null
	git -C "$W" rev-parse HEAD
}
PASSING='language: shell
script:
  - echo "hello from ferry serve on $TRAVIS_BRANCH"
  - echo "event=$TRAVIS_EVENT_TYPE pr=$TRAVIS_PULL_REQUEST"
  - echo "token=${DEPLOY_TOKEN:-none}"
'
BASE= SHA_MAIN=$(commit main "first commit" "$PASSING")
BASE=main
SHA_BAD=$(commit bad "stages that fail" 'language: shell
stages: [test, deploy]
jobs:
  include:
    - stage: test
      script: echo failing; false
    - stage: deploy
      script: echo never runs
')
SHA_TOPIC=$(commit topic "a topic change" "$PASSING")
git -C "$W" checkout -q -B merge7 main
git -C "$W" merge -q --no-ff -m "Merge topic into main" topic
SHA_MERGE=$(git -C "$W" rev-parse HEAD)
git -C "$top/git/acme/app.git" fetch -q "$W" "+$SHA_TOPIC:refs/pull/7/head" \
	"+$SHA_MERGE:refs/pull/7/merge" 2>/dev/null
SHA_FORK=$(commit forked "a change from a fork" "$PASSING")
git -C "$top/git/acme/app.git" fetch -q "$W" "+$SHA_FORK:refs/pull/8/head" 2>/dev/null
SHA_SKIP=$(commit skipme "[ci skip] nothing to build" "$PASSING")
SLOW='language: shell
script:
  - for i in $(seq 1 60); do echo "tick $i"; sleep 0.5; done
'
(python3 tests/fixtures/git-http.py "$top/git" "$top/gitport" 2>"$top/git-http.log" &
	echo $! >"$top/git.pid")
(python3 tests/serve/github_api.py "$top/ghport" "$TOKEN" "$top/statuses.jsonl" 2 &
	echo $! >"$top/gh.pid")
for i in $(seq 50); do [ -s "$top/gitport" ] && [ -s "$top/ghport" ] && break; sleep 0.1; done
pids+=("$(cat "$top/git.pid")" "$(cat "$top/gh.pid")")
CLONE=http://127.0.0.1:$(cat "$top/gitport")/acme/app.git

cat >"$top/ferry.yml" <<EOF
data_dir: $top/data
images:
  - image: $FERRY_JOB_IMAGE
serve:
  listen: 127.0.0.1:0
  port_file: $top/port
  log_file: $top/server.log
  secret: $SECRET
  token: $TOKEN
  admin_token: $ADMIN
  api_url: http://127.0.0.1:$(cat "$top/ghport")
  repositories: [acme/app]
  concurrency: 2
  max_body: 256KiB
  shutdown_grace: 3s
EOF

# A private repository settings variable (secrets.h): masked in logs,
# withheld from pull requests from forks.
TOKEN_VALUE=s3cr3t-deploy-value-42
"$FERRY" env set --config "$top/ferry.yml" acme/app DEPLOY_TOKEN "$TOKEN_VALUE" >/dev/null 2>&1 ||
	bad "setup: ferry env set"

SERVER=
start_server() {
	rm -f "$top/port"
	"$FERRY" -v serve --config "$top/ferry.yml" >>"$top/server.out" 2>&1 &
	SERVER=$!
	for i in $(seq 100); do [ -s "$top/port" ] && break; sleep 0.1; done
	URL=http://127.0.0.1:$(cat "$top/port" 2>/dev/null)
}
start_server
check "serve: starts and answers /healthz" \
	bash -c "curl -sf '$URL/healthz' | grep -q '\"ok\"'"

# ---- helpers -----------------------------------------------------------------
uuid() { cat /proc/sys/kernel/random/uuid; }
post() { # post EVENT FILE [GUID [SECRET]]: prints the status, body in $top/resp
	local sig
	sig=$(openssl dgst -sha256 -hmac "${4:-$SECRET}" -r "$2" | cut -d' ' -f1)
	curl -s -o "$top/resp" -w '%{http_code}' -H 'Content-Type: application/json' \
		-H "X-GitHub-Event: $1" -H "X-GitHub-Delivery: ${3:-$(uuid)}" \
		-H "X-Hub-Signature-256: sha256=$sig" --data-binary "@$2" \
		"$URL/webhooks/github"
}
push_payload() { # push_payload FILE BRANCH SHA [SLUG]
	python3 tests/serve/payload.py push "$1" "${4:-acme/app}" "$CLONE" \
		"refs/heads/$2" 0000000000000000000000000000000000000000 "$3" \
		"$(git -C "$W" log -1 --format=%B "$3")"
}
api() { curl -s "$URL$1"; }
py() { python3 -c "import json,sys; d=json.load(sys.stdin); $1"; }
nbuilds() { api '/api/repos/acme/app/builds?limit=100' | py 'print(len(d) if isinstance(d, list) else 0)'; }
build_of() { # build_of SHA: the newest build whose status sha is SHA
	api '/api/repos/acme/app/builds?limit=100' |
		py "print(next((b['id'] for b in d if b['status_sha'] == '$1'), ''))"
}
wait_build_of() { # wait_build_of SHA [SECONDS]: waits for a build, prints its id
	local id=
	for i in $(seq $((${2:-30} * 5))); do
		id=$(build_of "$1")
		[ -n "$id" ] && break
		sleep 0.2
	done
	echo "$id"
}
build_state() { api "/api/builds/$1" | py 'print(d["state"])'; }
wait_final() { # wait_final BUILD [SECONDS]: prints the final state
	local s=
	for i in $(seq $((${2:-60} * 5))); do
		s=$(build_state "$1")
		case $s in passed | failed | errored | canceled) break ;; esac
		sleep 0.2
	done
	echo "$s"
}
statuses() { # statuses SHA: the states GitHub accepted for SHA, in order
	python3 -c 'import json,sys
print(" ".join(r["state"] for r in map(json.loads, open(sys.argv[1]))
	if r["sha"] == sys.argv[2] and not r.get("failed")))' "$top/statuses.jsonl" "$1" 2>/dev/null
}
wait_statuses() { # wait_statuses SHA WANT: until the states are WANT
	for i in $(seq 150); do
		[ "$(statuses "$1")" = "$2" ] && return 0
		sleep 0.2
	done
	echo "    statuses of ${1:0:12}: '$(statuses "$1")', expected '$2'"
	return 1
}
first_job() { api "/api/builds/$1" | py 'print(d["jobs"][0]["id"])'; }
job_log() { api "/api/jobs/$1/log"; }

# ---- the webhook endpoint ------------------------------------------------------
echo '{"zen": "Keep it logically awesome.", "hook_id": 1}' >"$top/ping.json"
code=$(post ping "$top/ping.json")
check "webhook: ping answered 200" [ "$code" = 200 ]
push_payload "$top/main.json" main "$SHA_MAIN"
code=$(post push "$top/main.json" "$(uuid)" wrong-secret)
check "webhook: bad signature gets 401" [ "$code" = 401 ]
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'X-GitHub-Event: push' \
	-H "X-GitHub-Delivery: $(uuid)" --data-binary "@$top/main.json" "$URL/webhooks/github")
check "webhook: missing signature gets 401" [ "$code" = 401 ]
sleep 0.5
check "webhook: no build and no request from a bad signature" \
	[ "$(nbuilds)" = 0 ] && [ "$(api /api/repos/acme/app/requests | py 'print(len(d))')" = 0 ]
code=$(post issues "$top/ping.json")
check "webhook: unknown event gets 202 (ignored)" bash -c "[ $code = 202 ] && grep -q ignored '$top/resp'"
printf '{"ref": "refs/heads/main", "after": ' >"$top/broken.json"
code=$(post push "$top/broken.json")
check "webhook: malformed JSON gets 400 with a JSON error" \
	bash -c "[ $code = 400 ] && python3 -c 'import json,sys; assert \"malformed JSON\" in json.load(open(sys.argv[1]))[\"error\"]' '$top/resp'"
head -c 300000 /dev/zero | tr '\0' ' ' >"$top/big.json"
code=$(post push "$top/big.json")
check "webhook: a body over serve.max_body gets 413" [ "$code" = 413 ]
push_payload "$top/other.json" main "$SHA_MAIN" acme/other
code=$(post push "$top/other.json")
check "webhook: a repository not in serve.repositories gets 202, no build" \
	bash -c "[ $code = 202 ] && grep -q 'not in serve.repositories' '$top/resp'"

# ---- a push that passes, with statuses --------------------------------------------
GUID=$(uuid)
code=$(post push "$top/main.json" "$GUID")
check "push: accepted (202)" [ "$code" = 202 ]
B_MAIN=$(wait_build_of "$SHA_MAIN")
state=$(wait_final "$B_MAIN")
check "push: build $B_MAIN of main passed in Docker" [ "$state" = passed ]
J_MAIN=$(first_job "$B_MAIN")
check "push: the job log (API) shows the script's output" \
	bash -c "curl -s '$URL/api/jobs/$J_MAIN/log' | grep -q 'hello from ferry serve on main'"
check "push: statuses pending then success (after two 502s and retries)" \
	wait_statuses "$SHA_MAIN" "pending success"
check "push: the status target is the build page, context .../push" \
	python3 -c 'import json,sys
r=[json.loads(l) for l in open(sys.argv[1])]
r=[x for x in r if x["sha"]==sys.argv[2] and not x.get("failed")]
assert all(x["target_url"].endswith("/builds/"+sys.argv[3]) for x in r), r
assert all(x["context"]=="continuous-integration/ferry/push" for x in r), r' \
	"$top/statuses.jsonl" "$SHA_MAIN" "$B_MAIN"
check "push: the failed attempts were retried (2 recorded as failed)" \
	[ "$(grep -c '"failed": true' "$top/statuses.jsonl")" = 2 ]
check "secrets: the settings variable reaches the job, masked in the log" \
	bash -c "curl -s '$URL/api/jobs/$J_MAIN/log' | grep -q 'token=\[secure\]' && ! grep -rq '$TOKEN_VALUE' '$top/data/serve/logs'"
code=$(post push "$top/main.json" "$GUID")
sleep 1
check "push: a duplicate delivery gets no second build" \
	bash -c "[ $code = 200 ] && grep -q duplicate '$top/resp' && [ \"\$(curl -s '$URL/api/repos/acme/app/builds' | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')\" = 1 ]"

# ---- skip keyword, failing stages, pull requests -----------------------------------
push_payload "$top/skip.json" skipme "$SHA_SKIP"
post push "$top/skip.json" >/dev/null
for i in $(seq 50); do
	r=$(api /api/repos/acme/app/requests | py 'print(d[0]["state"], d[0]["reason"])')
	case $r in rejected*) break ;; esac
	sleep 0.2
done
check "skip: [ci skip] makes no build (request rejected: $r)" \
	bash -c "[[ '$r' == rejected*skip* ]] && [ -z \"$(build_of "$SHA_SKIP")\" ]"

push_payload "$top/bad.json" bad "$SHA_BAD"
post push "$top/bad.json" >/dev/null
B_BAD=$(wait_build_of "$SHA_BAD")
state=$(wait_final "$B_BAD")
jobs=$(api "/api/builds/$B_BAD" | py 'print(" ".join(j["stage"]+":"+j["state"] for j in d["jobs"]))')
check "stages: the test stage failed, deploy canceled, build failed ($jobs)" \
	[ "$state/$jobs" = "failed/test:failed deploy:canceled" ]
check "stages: statuses pending then failure" wait_statuses "$SHA_BAD" "pending failure"

python3 tests/serve/payload.py pull_request "$top/pr.json" acme/app "$CLONE" opened 7 \
	"$SHA_TOPIC" topic "$SHA_MAIN" main acme/app
code=$(post pull_request "$top/pr.json")
B_PR=$(wait_build_of "$SHA_TOPIC")
state=$(wait_final "$B_PR")
facts=$(api "/api/builds/$B_PR" | py 'print(d["event"], d["pr"], d["branch"], d["commit_sha"])')
check "pull request: opened builds the merge commit ($facts)" \
	[ "$state/$facts" = "passed/pull_request 7 main $SHA_MERGE" ]
check "pull request: TRAVIS_PULL_REQUEST=7 in the job" \
	bash -c "curl -s '$URL/api/jobs/$(first_job "$B_PR")/log' | grep -q 'event=pull_request pr=7'"
check "pull request: statuses on the head commit, context .../pr" \
	bash -c "$(declare -f wait_statuses statuses); top=$top; wait_statuses $SHA_TOPIC 'pending success' && grep $SHA_TOPIC '$top/statuses.jsonl' | grep -q 'continuous-integration/ferry/pr'"
python3 tests/serve/payload.py pull_request "$top/fork.json" acme/app "$CLONE" opened 8 \
	"$SHA_FORK" forked "$SHA_MAIN" main stranger/app
post pull_request "$top/fork.json" >/dev/null
B_FORK=$(wait_build_of "$SHA_FORK")
state=$(wait_final "$B_FORK")
check "secrets: a pull request from a fork runs without them ($state)" \
	bash -c "[ $state = passed ] && curl -s '$URL/api/builds/$B_FORK' | grep -q '\"fork\": true' &&
		curl -s '$URL/api/jobs/$(first_job "$B_FORK")/log' | grep -q 'token=none'"
python3 tests/serve/payload.py pull_request "$top/prc.json" acme/app "$CLONE" closed 7 \
	"$SHA_TOPIC" topic "$SHA_MAIN" main acme/app
code=$(post pull_request "$top/prc.json")
check "pull request: closed is ignored (202)" bash -c "[ $code = 202 ] && grep -q ignored '$top/resp'"

# ---- auto-cancellation ------------------------------------------------------------------
SHA_SLOW1=$(commit slow "a slow build" "$SLOW")
push_payload "$top/slow1.json" slow "$SHA_SLOW1"
post push "$top/slow1.json" >/dev/null
B_SLOW1=$(wait_build_of "$SHA_SLOW1")
for i in $(seq 100); do
	job_log "$(first_job "$B_SLOW1")" | grep -q 'tick 2' && break
	sleep 0.2
done
BASE=slow SHA_SLOW2=$(commit slow "the next commit" "$PASSING")
push_payload "$top/slow2.json" slow "$SHA_SLOW2"
post push "$top/slow2.json" >/dev/null
B_SLOW2=$(wait_build_of "$SHA_SLOW2")
s1=$(wait_final "$B_SLOW1" 30)
s2=$(wait_final "$B_SLOW2" 30)
reason=$(api "/api/builds/$B_SLOW1" | py 'print(d["jobs"][0]["reason"])')
check "auto-cancel: a newer push cancels the running build ($s1, $s2: $reason)" \
	[ "$s1/$s2" = canceled/passed ]
check "auto-cancel: statuses pending then error for the canceled build" \
	wait_statuses "$SHA_SLOW1" "pending error"

# ---- the UI, the badge, the admin actions, metrics ----------------------------------------
for p in / /repos/acme/app "/builds/$B_MAIN" "/jobs/$J_MAIN"; do
	code=$(curl -s -o "$top/page" -w '%{http_code}' "$URL$p")
	check "ui: page $p" bash -c "[ $code = 200 ] && grep -q '/static/app.js' '$top/page'"
done
check "ui: the script is served" bash -c "curl -sf '$URL/static/app.js' | grep -q renderLog"
check "ui: badge of main says passing" bash -c "curl -s '$URL/badge/acme/app.svg?branch=main' | grep -q '>passing<'"
check "ui: badge of bad says failing" bash -c "curl -s '$URL/badge/acme/app.svg?branch=bad' | grep -q '>failing<'"
check "api: repositories list" bash -c "curl -s '$URL/api/repos' | grep -q '\"acme/app\"'"
check "api: unknown build is 404" [ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/api/builds/999")" = 404 ]
check "api: wrong method is 405" [ "$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$URL/api/builds/1")" = 405 ]
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$URL/api/builds/$B_MAIN/restart")
check "admin: restart without the token is 401" [ "$code" = 401 ]
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Authorization: Bearer nope' "$URL/api/builds/$B_MAIN/restart")
check "admin: restart with a wrong token is 401" [ "$code" = 401 ]
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $ADMIN" "$URL/api/builds/$B_MAIN/restart")
sleep 0.5
state=$(wait_final "$B_MAIN")
attempt=$(api "/api/builds/$B_MAIN" | py 'print(d["attempt"])')
check "admin: restart runs the build again (attempt $attempt, $state)" \
	[ "$code/$attempt/$state" = "202/2/passed" ]
check "admin: the restart sends pending then success again" \
	wait_statuses "$SHA_MAIN" "pending success pending success"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $ADMIN" "$URL/api/builds/$B_MAIN/cancel")
check "admin: canceling a finished build is 409" [ "$code" = 409 ]
curl -s "$URL/metrics" >"$top/metrics"
check "metrics: queue depth, running jobs, results and durations" \
	bash -c "grep -q '^ferry_queue_depth ' '$top/metrics' && grep -q '^ferry_jobs_running ' '$top/metrics' &&
		grep -Eq '^ferry_jobs_finished_total\{state=\"passed\"\} [1-9]' '$top/metrics' &&
		grep -Eq '^ferry_job_duration_seconds_count [1-9]' '$top/metrics' &&
		grep -Eq '^ferry_webhooks_total\{result=\"unauthorized\"\} 2$' '$top/metrics'"

# ---- the job page in a real browser, while the job runs ---------------------------------
BASE=main SHA_LIVE=$(commit live "a live log" "$SLOW")
push_payload "$top/live.json" live "$SHA_LIVE"
post push "$top/live.json" >/dev/null
B_LIVE=$(wait_build_of "$SHA_LIVE")
J_LIVE=$(first_job "$B_LIVE")
for i in $(seq 100); do job_log "$J_LIVE" | grep -q 'tick 3' && break; sleep 0.2; done
if [ -x /usr/bin/chromium ]; then
	out=$(cd tests/serve && timeout 90 node browser.js "$URL/jobs/$J_LIVE" \
		"$top/job.png" "$top/chromium-profile" 2>&1 | tail -1)
	read -r first second <<<"$(echo "$out" | py 'print(d["first"], d["second"])' 2>/dev/null)"
	check "browser: the job page's log grows while the job runs ($first -> $second chars)" \
		[ -n "$first" ] && [ "${second:-0}" -gt "${first:-0}" ]
	check "browser: folds are collapsible elements and ANSI is rendered" \
		bash -c "echo '$out' | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d[\"folds\"] >= 1 and \"tick 1\" in d[\"text\"] and \"\\x1b\" not in d[\"text\"]'"
	check "browser: the screenshot is a non-empty PNG" \
		bash -c "[ \$(stat -c %s '$top/job.png' 2>/dev/null || echo 0) -gt 5000 ] && head -c 4 '$top/job.png' | grep -q PNG"
else
	bad "browser: /usr/bin/chromium is missing (apt-get install chromium)"
fi
curl -s -X POST -H "Authorization: Bearer $ADMIN" "$URL/api/builds/$B_LIVE/cancel" >/dev/null
check "admin: cancel stops the running job" [ "$(wait_final "$B_LIVE" 30)" = canceled ]

# ---- kill -9 with jobs queued and running ------------------------------------------------
CRASH='language: shell
script: sleep 6; echo survived
'
crash_shas=()
for n in 1 2 3 4; do
	sha=$(commit "crash$n" "crash test $n" "$CRASH")
	crash_shas+=("$sha")
	push_payload "$top/c$n.json" "crash$n" "$sha"
	post push "$top/c$n.json" >/dev/null
done
for i in $(seq 150); do
	running=$(curl -s "$URL/metrics" | sed -n 's/^ferry_jobs_running //p')
	queued=$(curl -s "$URL/metrics" | sed -n 's/^ferry_queue_depth //p')
	[ "$running" = 2 ] && [ "$queued" = 2 ] && break
	sleep 0.2
done
check "crash: 2 jobs running and 2 queued before the kill" [ "$running/$queued" = 2/2 ]
kill -9 "$SERVER"
wait "$SERVER" 2>/dev/null
start_server
check "crash: the server starts again on the same data" \
	bash -c "curl -sf '$URL/healthz' >/dev/null"
states=""
for sha in "${crash_shas[@]}"; do
	id=$(build_of "$sha")
	states="$states $(wait_final "$id" 60)"
done
states=${states# }
check "crash: every build ended in a final state ($states)" \
	[ "$(echo "$states" | tr ' ' '\n' | sort | tr '\n' ' ')" = "errored errored passed passed " ]
dups=$(api '/api/repos/acme/app/builds?limit=100' | py "
shas='${crash_shas[*]}'.split()
print(sorted(sum(1 for b in d if b['status_sha'] == s) for s in shas))")
check "crash: none lost or duplicated (builds per push: $dups)" [ "$dups" = "[1, 1, 1, 1]" ]
check "crash: the interrupted jobs say why" \
	bash -c "curl -s '$URL/api/repos/acme/app/builds?limit=100' | grep -q . && for b in \$(curl -s '$URL/api/repos/acme/app/builds?limit=100' | python3 -c 'import json,sys; print(\" \".join(str(b[\"id\"]) for b in json.load(sys.stdin) if b[\"state\"]==\"errored\"))'); do curl -s '$URL/api/builds/'\$b | grep -q 'stopped while the job ran' || exit 1; done"
# Statuses are sent at least once: one the killed server had sent but not
# yet marked sent goes again after the restart (a repeated "pending").
final_status() { # final_status SHA: the states once the last one is final
	local s=
	for i in $(seq 150); do
		s=$(statuses "$1")
		case $s in *success | *failure | *error) break ;; esac
		sleep 0.2
	done
	echo "$s" | sed 's/^pending \(pending \)*/pending /'
}
final=$(for sha in "${crash_shas[@]}"; do final_status "$sha"; done | sort | tr '\n' ',')
check "crash: statuses pending, then error twice and success twice ($final)" \
	[ "$final" = "pending error,pending error,pending success,pending success," ]
left=$(docker ps -aq --filter "label=io.ferry.run" | xargs -r docker inspect -f '{{index .Config.Labels "io.ferry.run"}}' 2>/dev/null | grep -c '^serve-' || true)
check "crash: no job container left behind ($left)" [ "$left" = 0 ]

# ---- graceful shutdown ----------------------------------------------------------------------
kill -TERM "$SERVER"
t0=$(date +%s)
wait "$SERVER"
rc=$?
check "shutdown: SIGTERM stops the server with status 0 ($rc in $(($(date +%s) - t0))s)" \
	bash -c "[ $rc = 0 ] && grep -q 'stopped' '$top/server.log'"
SERVER=

# ---- the example config starts as it is (paths moved into the test) --------
mkdir -p "$top/etc"
echo "$SECRET" >"$top/etc/webhook-secret"
echo "$TOKEN" >"$top/etc/github-token"
echo "$ADMIN" >"$top/etc/admin-token"
sed -e "s|/etc/ferry/|$top/etc/|" -e "s|^data_dir: .*|data_dir: $top/example-data|" \
	-e "s|listen: 127.0.0.1:8080|listen: 127.0.0.1:0\n  port_file: $top/port|" \
	-e "s|# log_file: .*|log_file: $top/example.log|" \
	examples/ferry-serve.yml >"$top/example.yml"
rm -f "$top/port"
"$FERRY" serve --config "$top/example.yml" >"$top/example.out" 2>&1 &
SERVER=$!
for i in $(seq 100); do [ -s "$top/port" ] && break; sleep 0.1; done
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$(cat "$top/port" 2>/dev/null)/healthz")
kill -TERM "$SERVER"
wait "$SERVER"
rc=$?
SERVER=
check "example: examples/ferry-serve.yml serves ($code) and stops ($rc)" [ "$code/$rc" = 200/0 ]

if [ $fails -eq 0 ]; then
	rm -rf "$top"
else
	echo "(kept in $top; server log: $top/server.log)"
	tail -20 "$top/server.log" | sed 's/^/    /'
fi
finish
