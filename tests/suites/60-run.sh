#!/bin/bash
# ferry run end to end, with the real Docker engine: the case table in
# tests/e2e/run/*/ (a .travis.yml, extra arguments, the expected exit
# status, job states and normalised log of job 1.1, or a check script),
# then Ctrl-C, the example projects and `ferry shell`'s container.
cd "${FERRY_TOP:-$(dirname "$0")/../..}" || exit 2
. tests/setup/test-image.sh || { echo "FAIL setup: no Docker engine or image"; echo "0 passed, 1 failed"; exit 1; }
IMG=$FERRY_JOB_IMAGE
pass=0 fail_count=0
top=$(mktemp -d /tmp/ferry-run-suite.XXXXXX)
# A data directory of our own: build numbers start at 1.
export XDG_DATA_HOME=$top/data

ok() { echo "ok   $*"; pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail_count=$((fail_count + 1)); }

run_case() {
	local case=$1 name=${1##*/} failures=0
	[ -n "${FERRY_DOCKER_COPY:-}" ] && name="api-copy-$name"
	tmp=$top/$name
	mkdir -p "$tmp/proj"
	rm -rf "$XDG_DATA_HOME"
	cp "$case/travis.yml" "$tmp/proj/.travis.yml"
	[ -d "$case/files" ] && cp -r "$case/files/." "$tmp/proj/"
	local args=""
	[ -f "$case/args" ] && args=$(sed "s|\$case|$case|g" "$case/args")
	local start=$(date +%s)
	(cd "$tmp" && "$FERRY" run --plain --json --image "$IMG" \
		--log-dir "$tmp/logs" $args proj >"$tmp/summary.json" 2>"$tmp/stderr")
	local rc=$?
	elapsed=$(( $(date +%s) - start ))
	logs=$tmp/logs
	log=$logs/1.1.log
	summary=$tmp/summary.json
	nlog=$tmp/1.1.normalised
	[ -f "$log" ] && python3 tests/e2e/normalize.py <"$log" >"$nlog"
	fail() { echo "    $*"; failures=$((failures + 1)); }
	want_rc=$(cat "$case/expect.rc")
	[ "$rc" = "$want_rc" ] || fail "exit status $rc, expected $want_rc"
	if [ -f "$case/expect.jobs" ]; then
		python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("\n".join("%s %s" % (j["number"], j["state"]) for j in d["jobs"]))' \
			"$summary" >"$tmp/jobs" 2>/dev/null
		cmp -s "$tmp/jobs" "$case/expect.jobs" ||
			fail "job states: $(tr '\n' ' ' <"$tmp/jobs"), expected $(tr '\n' ' ' <"$case/expect.jobs")"
	fi
	if [ -f "$case/expect.log" ]; then
		if ! cmp -s "$nlog" "$case/expect.log"; then
			fail "log differs from expect.log:"
			diff "$case/expect.log" "$nlog" | head -20 | sed 's/^/      /'
		fi
	fi
	[ -f "$case/check.sh" ] && . "$case/check.sh"
	if [ $failures -eq 0 ]; then
		ok "run $name (${elapsed}s)"
	else
		bad "run $name"
		sed 's/^/      stderr: /' "$tmp/stderr" | tail -5
	fi
}

for c in "$PWD"/tests/e2e/run/*/; do
	run_case "${c%/}"
done

# The same cases with the files copied through the Engine API, as for a
# remote engine (DOCKER_HOST=tcp://...): the upload, the hand-off replies,
# the saved state and the deploy's workspace go through archive calls.
export FERRY_DOCKER_COPY=1
for c in 06-env-and-cwd-persist 16-redis-service 19-deploy-script 22-deploy-fails; do
	run_case "$PWD/tests/e2e/run/$c"
done
unset FERRY_DOCKER_COPY

# Ctrl-C: the job is canceled, its container removed, exit status 130.
tmp=$top/ctrl-c
rm -rf "$XDG_DATA_HOME"
mkdir -p "$tmp/proj"
printf 'language: shell\nscript: echo started; sleep 60\n' >"$tmp/proj/.travis.yml"
(cd "$tmp" && exec "$FERRY" run --plain --image "$IMG" --log-dir "$tmp/logs" proj \
	>"$tmp/out" 2>&1) &
pid=$!
for i in $(seq 100); do grep -q '^started' "$tmp/logs/1.1.log" 2>/dev/null && break; sleep 0.2; done
kill -INT $pid
wait $pid
rc=$?
sleep 1
left=$(docker ps -aq --filter label=io.ferry.job=1.1 --filter "label=io.ferry.slug=local/proj" | wc -l)
if [ $rc -eq 130 ] && [ "$left" -eq 0 ] && grep -q 'Done: Job Cancelled' "$tmp/logs/1.1.log"; then
	ok "run ctrl-c (exit 130, containers removed)"
else
	bad "run ctrl-c: exit $rc, $left containers left"
	tail -5 "$tmp/out"
fi

# --keep leaves the container for `ferry shell`, with the job's state.
tmp=$top/keep
rm -rf "$XDG_DATA_HOME"
mkdir -p "$tmp/proj"
printf 'language: shell\nscript:\n  - export KEPT=yes\n  - cd /tmp\n  - "false"\n' >"$tmp/proj/.travis.yml"
(cd "$tmp" && "$FERRY" run --plain --json --keep --image "$IMG" --log-dir "$tmp/logs" proj >"$tmp/summary.json" 2>/dev/null)
cid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["jobs"][0]["container"])' "$tmp/summary.json" 2>/dev/null)
if [ -n "$cid" ] && docker exec "$cid" bash -c 'source /home/travis/.ferry/state.sh && [ "$KEPT" = yes ] && [ "$PWD" = /tmp ] && type travis_retry >/dev/null' &&
	"$FERRY" shell --print 1.1 | grep -q "docker exec -it $cid"; then
	ok "run --keep and ferry shell (state, cwd and functions kept)"
else
	bad "run --keep and ferry shell"
fi
[ -n "$cid" ] && docker rm -f "$cid" >/dev/null 2>&1

# The workspace of a checkout is a git repository as on Travis: HEAD
# detached at the commit, history and tags there, a clean status, and
# with --dirty the uncommitted change shown as one.
g=$top/gitrepo
rm -rf "$XDG_DATA_HOME"
mkdir -p "$g" && git -C "$g" init -q -b main
git -C "$g" -c user.email=t@e -c user.name=t commit -q --allow-empty -m one
git -C "$g" tag v1
cat >"$g/.travis.yml" <<'EOF'
language: shell
script:
  - echo "head=$(git rev-parse HEAD)"
  - echo "status=[$(git status --porcelain | tr '\n' ' ')]"
  - echo "describe=$(git describe --tags)"
  - echo "branch=$(git rev-parse --abbrev-ref HEAD) $(git branch --format='%(refname:short)' | tr '\n' ' ')"
EOF
echo one >"$g/file.txt"
git -C "$g" add . && git -C "$g" -c user.email=t@e -c user.name=t commit -q -m two
head=$(git -C "$g" rev-parse HEAD)
echo changed >>"$g/file.txt"
"$FERRY" run --plain --image "$IMG" --log-dir "$top/git-clean" "$g" >"$top/git-clean.out" 2>&1
rc=$?
rm -rf "$XDG_DATA_HOME"
"$FERRY" run --plain --dirty --image "$IMG" --log-dir "$top/git-dirty" "$g" >"$top/git-dirty.out" 2>&1
rc2=$?
if [ $rc = 0 ] && [ $rc2 = 0 ] &&
	grep -qx "head=$head" "$top/git-clean/1.1.log" &&
	grep -qx 'status=\[\]' "$top/git-clean/1.1.log" &&
	grep -qx "describe=v1-1-g${head:0:7}" "$top/git-clean/1.1.log" &&
	grep -q '^branch=HEAD (HEAD detached at [0-9a-f]*) main $' "$top/git-clean/1.1.log" &&
	grep -qx 'status=\[ M file.txt \]' "$top/git-dirty/1.1.log" &&
	grep -qx "head=$head" "$top/git-dirty/1.1.log"; then
	ok "run: the workspace is a git repository at the commit (clean; --dirty shows the change)"
else
	bad "run: workspace .git (exit $rc, $rc2)"
	grep -E '^(head|status|describe|branch)=' "$top/git-clean/1.1.log" "$top/git-dirty/1.1.log" | sed 's/^/      /'
	tail -5 "$top/git-clean.out"
fi

# The example projects run green.
for ex in c-project python-project; do
	if "$FERRY" run --plain --dirty -j 2 --image "$IMG" --log-dir "$top/ex-$ex" "examples/$ex" >"$top/ex-$ex.out" 2>&1; then
		ok "example $ex"
	else
		bad "example $ex"
		tail -15 "$top/ex-$ex.out"
	fi
done

[ $fail_count -eq 0 ] && rm -rf "$top"
[ $fail_count -ne 0 ] && echo "(case directories kept in $top)"
echo "$pass passed, $fail_count failed"
[ $fail_count -eq 0 ]
