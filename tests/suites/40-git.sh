#!/bin/sh
# The git layer (runner/vcs*.c) through its driver, bench-git, against real
# repositories made by tests/fixtures/make-repo.sh and served on loopback:
# git daemon (git://), git http-backend with Basic auth (http://), sshd
# with a test key (ssh://), file:// and plain paths.
# Needs: git, python3, openssh-server (sshd), openssh-client (ssh-agent).
set -u
TOP=$(pwd)
B="$TOP/$BUILD/bin/bench-git"
case $BUILD in /*) B="$BUILD/bin/bench-git" ;; esac
T=$(mktemp -d /tmp/ferry-git.XXXXXX)
pass=0
fail=0
pids=""
cleanup() {
	for p in $pids $(cat "$T/lfs.pids" 2>/dev/null); do kill "$p" 2>/dev/null; done
	[ -f "$T/gd.pid" ] && kill "$(cat "$T/gd.pid")" 2>/dev/null
	[ -f "$T/sshd/pid" ] && kill "$(cat "$T/sshd/pid")" 2>/dev/null
	[ -n "${SSH_AGENT_PID:-}" ] && kill "$SSH_AGENT_PID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 2' INT TERM

ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() {
	fail=$((fail + 1))
	echo "FAIL $1"
	[ -f "$T/out" ] && sed 's/^/    | /' "$T/out" | head -n 20
	[ -f "$T/err" ] && sed 's/^/    ! /' "$T/err" | head -n 5
	return 0
}
# run CMD...: output in $T/out, errors in $T/err, status in $rc
run() {
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
}
# val KEY: a value of the key=value output of the last run
val() { sed -n "s/^$1=//p" "$T/out" | head -n 1; }
has() { grep -q -- "$1" "$T/$2"; }
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_port() {
	i=0
	while [ $i -lt 100 ]; do
		python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $1), 1)" 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

export HOME="$T/home" GIT_CONFIG_NOSYSTEM=1
# sanitizer builds: libgit2 1.5.1's own leak is not ours (see the file)
# (full stacks: the suppressions name functions deep inside libgit2)
export ASAN_OPTIONS="fast_unwind_on_malloc=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export LSAN_OPTIONS="suppressions=$TOP/tests/fixtures/lsan-libgit2.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
unset FERRY_GIT_TOKEN GITHUB_TOKEN FERRY_GIT_SSH_KEY SSH_AUTH_SOCK
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
mkdir -p "$HOME/.ssh"
git config --global protocol.file.allow always
git config --global advice.detachedHead false
git config --global user.name "Test" && git config --global user.email t@example.com

if ! sh tests/fixtures/make-repo.sh "$T/fx" >"$T/fixture.log" 2>&1; then
	cat "$T/fixture.log"
	echo "0 passed, 1 failed"
	exit 1
fi
. "$T/fx/shas.env"
R="$T/fx/acme"

# git daemon
GP=$(free_port)
git daemon --reuseaddr --listen=127.0.0.1 --port="$GP" --export-all \
	--base-path="$T/fx" --pid-file="$T/gd.pid" --detach "$T/fx"
wait_port "$GP" || echo "git daemon did not start"
G="git://127.0.0.1:$GP/acme"
# http with Basic auth
python3 tests/fixtures/git-http.py "$T/fx" "$T/http.port" ferry:s3cret-token \
	2>"$T/http.log" &
pids="$pids $!"
i=0
while [ ! -s "$T/http.port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
HP=$(cat "$T/http.port" 2>/dev/null)
H="http://127.0.0.1:$HP/acme"

C="$T/cache"

# ---- pure helpers -----------------------------------------------------------
run "$B" version
[ $rc = 0 ] && has '^libgit2 1\.' out && ok "version: $(head -n 1 "$T/out")" || bad version
for m in "[skip travis] x" "x [CI SKIP]" "[travis-ci skip]"; do
	"$B" skip "$m" && ok "skip: $m" || bad "skip: $m"
done
"$B" skip "[skip appveyor]" && bad "skip: other CI" || ok "skip: other CI builds"

# ---- the local checkout -----------------------------------------------------
L="$T/local"
git clone -q "$R/main.git" "$L" 2>/dev/null
git -C "$L" submodule -q update --init --recursive 2>/dev/null
run "$B" info "$L/dir"
if [ $rc = 0 ] && [ "$(val commit)" = "$MAIN_C2" ] && [ "$(val branch)" = main ] &&
	[ "$(val slug)" = acme/main ] && [ "$(val default_branch)" = main ] &&
	[ "$(val range)" = "$MAIN_C1...$MAIN_C2" ] &&
	[ "$(val message)" = 'second commit\n\nWith a body line.' ] &&
	[ "$(val author)" = "Ada Tester <ada@example.com>" ] &&
	[ "$(val TRAVIS_EVENT_TYPE)" = push ] && [ "$(val detached)" = 0 ]; then
	ok "local info: commit, branch, slug, range, message, author"
else bad "local info"; fi
git -C "$L" checkout -q --detach origin/feature
run "$B" info "$L"
[ $rc = 0 ] && [ "$(val commit)" = "$FEATURE" ] && [ "$(val branch)" = feature ] &&
	[ "$(val detached)" = 1 ] && [ "$(val skip)" = 1 ] &&
	ok "local info: detached HEAD names the branch at HEAD, skip keyword" ||
	bad "local info detached"
git -C "$L" checkout -q main
mkdir -p "$T/own/proj"
git -C "$T/own/proj" init -q && echo x >"$T/own/proj/x" &&
	git -C "$T/own/proj" add x && git -C "$T/own/proj" commit -q -m x
run "$B" info "$T/own/proj"
[ $rc = 0 ] && [ "$(val slug)" = own/proj ] && [ "$(val range)" = "" ] &&
	[ -z "$(val default_branch)" ] &&
	ok "local info: slug from the directory without origin" || bad "local slug fallback"
run "$B" info /
[ $rc = 2 ] && has ENOTFOUND err && ok "local info: not a repository" || bad "local info: /"
git init -q "$T/empty"
run "$B" info "$T/empty"
[ $rc = 2 ] && has ENOTFOUND err && has 'no commit' err &&
	ok "local info: no commit yet" || bad "local info: empty repo"

# a workspace with a .git from the local checkout (submodules via mirrors)
git -C "$L" checkout -q --detach origin/feature
run "$B" workspace "$T/lcache" "$L" "$T/lws"
[ $rc = 0 ] && [ "$(git -C "$T/lws" rev-parse HEAD)" = "$FEATURE" ] &&
	[ "$(git -C "$T/lws" remote get-url origin)" = "$R/main.git" ] &&
	[ -f "$T/lws/feature.txt" ] && [ "$(cat "$T/lws/sub/deep/lib.txt")" = lib ] &&
	[ -z "$(git -C "$T/lws" status --porcelain)" ] &&
	ok "local workspace: a clone of the checkout at HEAD, origin kept" ||
	bad "local workspace"
git -C "$L" checkout -q main

# clean export: HEAD as committed, whatever the work tree holds
echo changed >>"$L/README"
echo new >"$L/untracked.txt"
mkdir -p "$L/build" && echo o >"$L/build/out.o" && echo l >"$L/x.log"
rm "$L/run.sh"
echo changed-sub >>"$L/sub/sub.txt"
run "$B" export "$L" "$T/exp"
E="$T/exp"
if [ $rc = 0 ] && [ "$(cat "$E/README")" = "$(printf 'hello\nhello again')" ] &&
	[ -x "$E/run.sh" ] && [ -L "$E/link" ] && [ "$(readlink "$E/link")" = README ] &&
	[ ! -e "$E/.git" ] && [ ! -e "$E/untracked.txt" ] && [ ! -e "$E/build" ] &&
	[ "$(cat "$E/dir/deeper/nested.txt")" = nested ] &&
	[ "$(od -c "$E/win.bat" | head -n 1 | grep -c '\\r')" = 1 ] &&
	[ "$(cat "$E/sub/sub.txt")" = sub ] && [ "$(cat "$E/sub/deep/lib.txt")" = lib ] &&
	[ ! -e "$E/sub/.git" ] && [ -f "$E/.gitmodules" ] &&
	head -n 1 "$E/big.bin" | grep -q '^version https://git-lfs'; then
	ok "export: clean tree of HEAD, modes, symlink, eol filter, submodules"
else bad "export clean"; ls -laR "$E" | head -n 30; fi
run "$B" export "$L" "$E"
[ $rc = 2 ] && has EINVALID err && [ -f "$E/README" ] &&
	ok "export: refuses a non-empty directory and leaves it" || bad "export into non-empty"
run "$B" export --no-submodules "$L" "$T/exp-nosub"
[ $rc = 0 ] && [ -d "$T/exp-nosub/sub" ] && [ ! -e "$T/exp-nosub/sub/sub.txt" ] &&
	ok "export: submodules left out on request" || bad "export no submodules"
run "$B" export --dirty "$L" "$T/dirty"
D="$T/dirty"
if [ $rc = 0 ] && [ "$(tail -n 1 "$D/README")" = changed ] &&
	[ "$(cat "$D/untracked.txt")" = new ] && [ ! -e "$D/run.sh" ] &&
	[ ! -e "$D/build" ] && [ ! -e "$D/x.log" ] && [ -L "$D/link" ] &&
	[ "$(tail -n 1 "$D/sub/sub.txt")" = changed-sub ] &&
	[ "$(cat "$D/sub/deep/lib.txt")" = lib ] && [ ! -e "$D/.git" ]; then
	ok "export --dirty: changes and untracked files, .gitignore honoured"
else bad "export dirty"; ls -laR "$D" | head -n 30; fi
git -C "$L" checkout -q -- . && rm -rf "$L/untracked.txt" "$L/build" "$L/x.log"
git -C "$L/sub" checkout -q -- .

# ---- git:// -----------------------------------------------------------------
run "$B" checkout "$C" "$G/main.git" "$T/ws1"
W="$T/ws1"
if [ $rc = 0 ] && [ "$(val commit)" = "$MAIN_C2" ] && [ "$(val branch)" = main ] &&
	[ "$(val slug)" = acme/main ] && [ "$(val TRAVIS_PULL_REQUEST)" = false ] &&
	[ "$(git -C "$W" rev-parse HEAD)" = "$MAIN_C2" ] &&
	[ "$(git -C "$W" remote get-url origin)" = "$G/main.git" ] &&
	[ "$(git -C "$W" rev-parse --abbrev-ref main@{upstream})" = origin/main ] &&
	[ -z "$(git -C "$W" status --porcelain)" ] && [ -x "$W/run.sh" ] &&
	[ "$(cat "$W/sub/deep/lib.txt")" = lib ] &&
	[ "$(git -C "$W/sub" rev-parse HEAD)" = "$SUB_C1" ] &&
	[ "$(git -C "$W/sub/deep" rev-parse HEAD)" = "$LIB_C1" ] &&
	[ "$(git -C "$W/sub" remote get-url origin)" = "$G/sub.git" ]; then
	ok "git://: default branch checked out, origin, upstream, recursive submodules"
else bad "git:// checkout"; fi
[ "$(git -C "$W" config submodule.sub.url)" = "$G/sub.git" ] &&
	[ -z "$(git -C "$W" submodule status --recursive | grep -v '^ ')" ] &&
	ok "git://: submodules registered as git would" || bad "submodule config"

head -n 1 "$W/big.bin" | grep -q '^version https://git-lfs' &&
	[ "$(od -c "$W/win.bat" | head -n 1 | grep -c '\\r')" = 1 ] &&
	ok "checkout: LFS pointers stay as committed (no smudge), eol filter applied" ||
	bad "checkout lfs pointer"

run "$B" checkout --branch=feature "$C" "$G/main.git" "$T/ws2"
[ $rc = 0 ] && [ "$(val commit)" = "$FEATURE" ] && [ "$(val TRAVIS_BRANCH)" = feature ] &&
	[ "$(val skip)" = 1 ] && [ -f "$T/ws2/feature.txt" ] &&
	[ "$(git -C "$T/ws2" branch --format='%(refname:short)' | grep -v HEAD)" = feature ] &&
	ok "branch: feature, only that local branch, skip keyword seen" || bad "branch"
run "$B" checkout --tag=v1.0 "$C" "$G/main.git" "$T/ws3"
[ $rc = 0 ] && [ "$(val commit)" = "$MAIN_C2" ] && [ "$(val TRAVIS_TAG)" = v1.0 ] &&
	[ "$(val TRAVIS_BRANCH)" = v1.0 ] &&
	[ -z "$(git -C "$T/ws3" branch --format='%(refname:short)' | grep -v HEAD)" ] &&
	[ "$(git -C "$T/ws3" rev-parse HEAD)" = "$MAIN_C2" ] &&
	ok "tag: annotated tag peeled, TRAVIS_TAG and TRAVIS_BRANCH" || bad "tag"
run "$B" resolve --tag=light "$C" "$G/main.git"
[ $rc = 0 ] && [ "$(val commit)" = "$MAIN_C2" ] && [ "$(val TRAVIS_TAG)" = light ] &&
	ok "tag: lightweight" || bad "lightweight tag"
short=$(echo "$MAIN_C1" | cut -c1-8)
run "$B" checkout --commit="$short" "$C" "$G/main.git" "$T/ws4"
[ $rc = 0 ] && [ "$(val commit)" = "$MAIN_C1" ] && [ "$(val branch)" = main ] &&
	[ "$(git -C "$T/ws4" rev-parse HEAD)" = "$MAIN_C1" ] &&
	[ "$(cat "$T/ws4/README")" = hello ] &&
	ok "commit: abbreviated SHA, branch containing it" || bad "commit"
run "$B" checkout --commit="$MAIN_C1" --branch=release "$C" "$G/main.git" "$T/ws4b"
[ $rc = 0 ] && [ "$(val TRAVIS_BRANCH)" = release ] &&
	ok "commit: with the branch to report" || bad "commit with branch"
run "$B" resolve --commit="$PR2" "$T/cache-pr2" "$G/main.git"
[ $rc = 0 ] && [ "$(val commit)" = "$PR2" ] &&
	ok "commit: on no branch or tag (every ref fetched)" || bad "commit off branches"

run "$B" checkout --pr=1 "$C" "$G/main.git" "$T/ws5"
if [ $rc = 0 ] && [ "$(val commit)" = "$MERGE" ] && [ "$(val TRAVIS_PULL_REQUEST)" = 1 ] &&
	[ "$(val TRAVIS_PULL_REQUEST_SHA)" = "$TOPIC" ] &&
	[ "$(val TRAVIS_PULL_REQUEST_BRANCH)" = topic ] &&
	[ "$(val TRAVIS_PULL_REQUEST_SLUG)" = acme/main ] &&
	[ "$(val TRAVIS_BRANCH)" = main ] && [ "$(val TRAVIS_EVENT_TYPE)" = pull_request ] &&
	[ "$(val TRAVIS_COMMIT_RANGE)" = "$MAIN_C2...$TOPIC" ] &&
	[ -f "$T/ws5/topic.txt" ] && [ "$(git -C "$T/ws5" rev-parse HEAD)" = "$MERGE" ]; then
	ok "pull request: refs/pull/1/merge, head SHA and branch, base branch, range"
else bad "pull request merge"; fi
run "$B" checkout --pr=2 "$C" "$G/main.git" "$T/ws6"
[ $rc = 0 ] && [ "$(val commit)" = "$PR2" ] && [ "$(val TRAVIS_PULL_REQUEST_SHA)" = "$PR2" ] &&
	[ "$(val TRAVIS_BRANCH)" = main ] && [ "$(val TRAVIS_PULL_REQUEST_BRANCH)" = "" ] &&
	[ "$(val TRAVIS_PULL_REQUEST_SLUG)" = "" ] && [ -f "$T/ws6/pr2.txt" ] &&
	ok "pull request: falls back to refs/pull/2/head" || bad "pull request head"
run "$B" resolve --pr=2 --base=release "$C" "$G/main.git"
[ $rc = 0 ] && [ "$(val TRAVIS_BRANCH)" = release ] &&
	ok "pull request: base branch from the caller" || bad "pr base"

for spec in "--branch=nope:branch 'nope'" "--tag=nope:tag 'nope'" \
	"--pr=9:pull request 9" "--commit=deadbeef:commit 'deadbeef'"; do
	o=${spec%%:*}
	what=${spec#*:}
	run "$B" checkout "$o" "$C" "$G/main.git" "$T/ws-missing"
	[ $rc = 2 ] && has ENOTFOUND err && has "$G/main.git" err && has "$what" err &&
		[ ! -e "$T/ws-missing" ] &&
		ok "missing ref ($what): ENOTFOUND naming URL and ref, no workspace" ||
		bad "missing $what"
done
run "$B" checkout --no-submodules "$C" "$G/main.git" "$T/ws7"
[ $rc = 0 ] && [ -d "$T/ws7/sub" ] && [ ! -e "$T/ws7/sub/sub.txt" ] &&
	ok "submodules: false leaves them out" || bad "no submodules"
mkdir -p "$T/busy" && echo keep >"$T/busy/file"
run "$B" checkout "$C" "$G/main.git" "$T/busy"
[ $rc = 2 ] && has EINVALID err && [ -f "$T/busy/file" ] &&
	ok "workspace: a non-empty one is refused and left alone" || bad "busy workspace"

# ---- errors -----------------------------------------------------------------
DP=$(free_port)
run "$B" checkout "$C" "git://127.0.0.1:$DP/acme/main.git" "$T/ws-down"
[ $rc = 2 ] && has EFAIL err && has "127.0.0.1:$DP/acme/main.git" err &&
	[ ! -e "$T/ws-down" ] &&
	[ -z "$(ls "$C/127.0.0.1_$DP/acme" 2>/dev/null | grep -v lock)" ] &&
	ok "unreachable host: one-line error naming the URL, nothing left" ||
	bad "unreachable host"
run "$B" resolve "$C" "$G/nothere.git"
[ $rc = 2 ] && has ENOTFOUND err && has "$G/nothere.git" err &&
	ok "missing repository (git://): ENOTFOUND" || bad "missing repo git"
cp -r "$R/main.git" "$R/corrupt.git"
git -C "$R/corrupt.git" repack -adq
for p in "$R"/corrupt.git/objects/pack/*.pack; do
	python3 - "$p" <<'EOF'
import sys
p = sys.argv[1]
with open(p, "r+b") as f:
    f.seek(0, 2)
    n = f.tell()
    f.seek(n // 3)
    f.write(b"\xde\xad\xbe\xef" * ((n // 3) // 4))
EOF
done
run "$B" checkout "$C" "$G/corrupt.git" "$T/ws-corrupt"
[ $rc = 2 ] && has "$G/corrupt.git" err && [ ! -e "$T/ws-corrupt" ] &&
	[ ! -e "$C/127.0.0.1_$GP/acme/corrupt.git" ] &&
	[ -z "$(ls "$C/127.0.0.1_$GP/acme" | grep tmp-)" ] &&
	ok "corrupt repository: clear error, no workspace, no mirror" ||
	bad "corrupt repository"
M="$C/127.0.0.1_$GP/acme/main.git"
rm -rf "$M/refs" "$M/HEAD"
run "$B" resolve "$C" "$G/main.git"
[ $rc = 0 ] && [ "$(val commit)" = "$MAIN_C2" ] && [ -d "$M/refs" ] &&
	ok "corrupt mirror in the cache: cloned again" || bad "corrupt mirror"
# a submodule that cannot be fetched fails the checkout, which leaves nothing
git clone -q "$R/main.git" "$T/badsub" 2>/dev/null
git -C "$T/badsub" config -f .gitmodules submodule.sub.url ../gone.git
git -C "$T/badsub" commit -q -am "break the submodule"
git clone -q --bare "$T/badsub" "$R/badsub.git" 2>/dev/null
run "$B" checkout "$C" "$G/badsub.git" "$T/ws-badsub"
[ $rc = 2 ] && has "submodule 'sub'" err && has "gone.git" err && [ ! -e "$T/ws-badsub" ] &&
	ok "failing submodule: error names it, no partial workspace" || bad "bad submodule"

# ---- the mirror cache ---------------------------------------------------------
MC="$T/mcache"
run "$B" resolve "$MC" "$G/main.git"
o1=$(val progress_objects)
b1=$(val progress_bytes)
[ $rc = 0 ] && [ "$o1" -gt 10 ] && [ "$(val progress_done)" = 1 ] &&
	[ "$(val fetched_objects)" = "$o1" ] &&
	ok "mirror: first use clones ($o1 objects, $b1 bytes)" || bad "mirror first"
run "$B" resolve "$MC" "$G/main.git"
[ $rc = 0 ] && [ "$(val progress_objects)" = 0 ] && [ "$(val fetched_objects)" = 0 ] &&
	[ "$(val fetched_bytes)" = 0 ] &&
	ok "mirror: an unchanged remote transfers nothing" || bad "mirror second"
git clone -q "$R/main.git" "$T/pusher" 2>/dev/null
echo more >>"$T/pusher/README"
git -C "$T/pusher" commit -q -am "third commit"
git -C "$T/pusher" push -q origin main
new=$(git -C "$T/pusher" rev-parse HEAD)
run "$B" resolve "$MC" "$G/main.git"
o3=$(val fetched_objects)
b3=$(val fetched_bytes)
[ $rc = 0 ] && [ "$(val commit)" = "$new" ] && [ "$o3" -ge 1 ] && [ "$o3" -le 4 ] &&
	[ "$b3" -lt "$b1" ] &&
	ok "mirror: a new commit fetches only new objects ($o3 objects, $b3 bytes)" ||
	bad "mirror incremental ($o3 objects, $b3 bytes)"
git -C "$T/pusher" push -q origin --delete feature
run "$B" resolve "$MC" "$G/main.git"
[ $rc = 0 ] && [ -z "$(git -C "$MC/127.0.0.1_$GP/acme/main.git" for-each-ref refs/heads/feature)" ] &&
	ok "mirror: deleted branches are pruned" || bad "mirror prune"
git -C "$T/pusher" push -q origin "$FEATURE:refs/heads/feature"

# two builds of one repository at once, on an empty cache
PC="$T/pcache"
"$B" checkout "$PC" "$G/main.git" "$T/par1" >"$T/par1.out" 2>&1 &
p1=$!
"$B" checkout --branch=feature "$PC" "$G/main.git" "$T/par2" >"$T/par2.out" 2>&1 &
p2=$!
wait $p1; r1=$?
wait $p2; r2=$?
echo "concurrent: status $r1 $r2" >"$T/out"
cat "$T/par1.out" "$T/par2.out" >>"$T/out"
[ $r1 = 0 ] && [ $r2 = 0 ] && [ "$(git -C "$T/par1" rev-parse HEAD)" = "$new" ] &&
	[ "$(git -C "$T/par2" rev-parse HEAD)" = "$FEATURE" ] &&
	[ -z "$(ls "$PC/127.0.0.1_$GP/acme" | grep tmp-)" ] &&
	git -C "$PC/127.0.0.1_$GP/acme/main.git" fsck >/dev/null 2>&1 &&
	ok "concurrent: two builds of one repository share the mirror" ||
	bad "concurrent builds"
"$B" hold "$PC" "$G/main.git" 3 >"$T/hold.out" 2>&1 &
hp=$!
i=0
while ! grep -q locked "$T/hold.out" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
run "$B" resolve --lock-timeout=1 "$PC" "$G/main.git"
[ $rc = 2 ] && has ETIMEOUT err && ok "lock: a held mirror times out clearly" ||
	bad "lock timeout"
wait $hp
run "$B" resolve --lock-timeout=5 "$PC" "$G/main.git"
[ $rc = 0 ] && ok "lock: released, the next build goes on" || bad "lock released"

# ---- http with Basic auth -----------------------------------------------------
HC="$T/hcache"
run "$B" checkout --user=ferry --token=s3cret-token "$HC" "$H/main.git" "$T/h1"
[ $rc = 0 ] && [ "$(val commit)" = "$new" ] && [ "$(cat "$T/h1/sub/deep/lib.txt")" = lib ] &&
	[ "$(git -C "$T/h1" remote get-url origin)" = "$H/main.git" ] &&
	ok "http: token from the caller, submodules over http too" || bad "http token"
FERRY_GIT_TOKEN=s3cret-token run "$B" resolve --user=ferry "$HC" "$H/main.git"
[ $rc = 0 ] && ok "http: token from FERRY_GIT_TOKEN" || bad "http FERRY_GIT_TOKEN"
GITHUB_TOKEN=s3cret-token run "$B" resolve --user=ferry "$HC" "$H/main.git"
[ $rc = 0 ] && ok "http: token from GITHUB_TOKEN" || bad "http GITHUB_TOKEN"
run "$B" checkout "$HC" "http://ferry:s3cret-token@127.0.0.1:$HP/acme/main.git" "$T/h2"
[ $rc = 0 ] && [ "$(git -C "$T/h2" remote get-url origin)" = "$H/main.git" ] &&
	ok "http: credentials in the URL, stripped from the workspace's origin" ||
	bad "http URL credentials"
run "$B" checkout --user=ferry --token=wrong-token "$HC" "$H/main.git" "$T/h3"
[ $rc = 2 ] && has EAUTH err && has "$H/main.git" err && ! has wrong-token err &&
	[ ! -e "$T/h3" ] && ok "http: bad credentials are FY_EAUTH, no workspace" ||
	bad "http bad credentials"
run "$B" resolve "$HC" "http://ferry:wrong-token@127.0.0.1:$HP/acme/main.git"
[ $rc = 2 ] && has EAUTH err && ! has wrong-token err && has 'ferry:\*\*\*@' err &&
	ok "http: the password is redacted in the message" || bad "http redaction"
run "$B" resolve "$HC" "$H/main.git"
[ $rc = 2 ] && has EAUTH err && has FERRY_GIT_TOKEN err &&
	ok "http: no credentials: FY_EAUTH saying what to set" || bad "http no credentials"
DP2=$(free_port)
http_proxy="http://127.0.0.1:$DP2" run "$B" resolve --user=ferry --token=s3cret-token "$T/pxcache" "$H/main.git"
r1=$rc
http_proxy="http://127.0.0.1:$DP2" no_proxy=127.0.0.1 run "$B" resolve --user=ferry --token=s3cret-token "$T/pxcache" "$H/main.git"
[ $r1 = 2 ] && [ $rc = 0 ] && ok "http: http_proxy is used, no_proxy honoured" ||
	bad "http proxy ($r1, $rc)"
run "$B" resolve --user=ferry --token=s3cret-token "$HC" "$H/nothere.git"
[ $rc = 2 ] && has ENOTFOUND err && ok "http: missing repository: ENOTFOUND" ||
	bad "http missing repo"

# ---- ssh --------------------------------------------------------------------
SSHD=$(command -v sshd || echo /usr/sbin/sshd)
if [ -x "$SSHD" ] && "$B" version | grep -q 'ssh=1'; then
	S="$T/sshd"
	mkdir -p "$S" /run/sshd
	ssh-keygen -q -t ed25519 -N '' -f "$S/host"
	ssh-keygen -q -t ed25519 -N '' -f "$S/client"
	ssh-keygen -q -t ed25519 -N '' -f "$S/stranger"
	cp "$S/client.pub" "$S/authorized_keys"
	SP=$(free_port)
	cat >"$S/config" <<EOF
Port $SP
ListenAddress 127.0.0.1
HostKey $S/host
AuthorizedKeysFile $S/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
PidFile $S/pid
EOF
	"$SSHD" -f "$S/config" -E "$S/log"
	wait_port "$SP"
	SU="ssh://$(id -un)@127.0.0.1:$SP$R/main.git"
	SC="$T/scache"
	run "$B" resolve --ssh-key="$S/client" "$SC" "$SU"
	[ $rc = 2 ] && has EFAIL err && has 'unknown ssh host key' err &&
		ok "ssh: an unknown host key is refused" || bad "ssh unknown host"
	run "$B" resolve --accept-unknown --ssh-key="$S/client" "$SC" "$SU"
	[ $rc = 0 ] && [ "$(val commit)" = "$new" ] &&
		ok "ssh: accepted when asked (StrictHostKeyChecking no)" || bad "ssh accept"
	echo "[127.0.0.1]:$SP $(cat "$S/host.pub")" >"$HOME/.ssh/known_hosts"
	run "$B" checkout --ssh-key="$S/client" "$SC" "$SU" "$T/s1"
	[ $rc = 0 ] && [ "$(cat "$T/s1/sub/deep/lib.txt")" = lib ] &&
		[ "$(git -C "$T/s1" remote get-url origin)" = "$SU" ] &&
		ok "ssh: key file, known host, submodules over ssh" || bad "ssh key file"
	run "$B" resolve --ssh-key="$S/stranger" "$SC" "$SU"
	[ $rc = 2 ] && has EAUTH err && has "$SU" err &&
		ok "ssh: a key the server refuses is FY_EAUTH" || bad "ssh bad key"
	eval "$(ssh-agent -s)" >/dev/null
	ssh-add -q "$S/client" 2>/dev/null
	run "$B" resolve "$SC" "$SU"
	[ $rc = 0 ] && ok "ssh: key from ssh-agent" || bad "ssh agent"
	kill "$SSH_AGENT_PID" 2>/dev/null
	unset SSH_AUTH_SOCK SSH_AGENT_PID
	cp "$S/client" "$HOME/.ssh/id_ed25519"
	run "$B" resolve "$SC" "$SU"
	[ $rc = 0 ] && ok "ssh: default key ~/.ssh/id_ed25519" || bad "ssh default key"
else
	bad "ssh: sshd missing (install openssh-server) or libgit2 without ssh"
fi

# ---- file:// and paths ------------------------------------------------------
run "$B" checkout "$T/fcache" "file://$R/main.git" "$T/f1"
[ $rc = 0 ] && [ "$(val slug)" = acme/main ] && [ "$(cat "$T/f1/sub/deep/lib.txt")" = lib ] &&
	ok "file://: checkout with submodules" || bad "file://"
run "$B" checkout --pr=1 "$T/fcache" "$R/main.git" "$T/f2"
[ $rc = 0 ] && [ "$(val commit)" = "$MERGE" ] && ok "local path: pull request" ||
	bad "local path"

# ---- Git LFS ------------------------------------------------------------------
# Pointer files written as git-lfs would commit them (no git-lfs binary
# needed); tests/fixtures/lfs_server.py serves the repository over smart
# HTTP and its LFS objects on the same URL, with Basic auth.
LS="$T/lfsstore"
LW="$T/lfswork"
mkdir -p "$LS" "$LW/assets" "$T/lfsgit/acme"
# lfs_put SRC DEST: SRC's content goes to the server's store, DEST is its
# pointer; the oid is left in $oid
lfs_put() {
	oid=$(sha256sum "$1" | cut -d' ' -f1)
	cp "$1" "$LS/$oid"
	printf 'version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize %s\n' \
		"$oid" "$(wc -c <"$1" | tr -d ' ')" >"$2"
}
# lfs_stat PORT EXPR: a value of the server's counters (d is the JSON)
lfs_stat() {
	python3 -c 'import json, sys, urllib.request
d = json.load(urllib.request.urlopen("http://127.0.0.1:%s/_stats" % sys.argv[1]))
print(eval(sys.argv[2]))' "$1" "$2"
}
# is_pointer FILE
is_pointer() { head -n 1 "$1" | grep -q '^version https://git-lfs.github.com/spec/v1$'; }
lfs_server() { # lfs_server NAME ARGS...: start one, print its port
	name=$1
	shift
	rm -f "$T/$name.port"
	python3 tests/fixtures/lfs_server.py --port-file "$T/$name.port" "$@" \
		>/dev/null 2>>"$T/$name.log" &
	echo $! >>"$T/lfs.pids"
	i=0
	while [ ! -s "$T/$name.port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	cat "$T/$name.port"
}
LP2=$(lfs_server lfs2 --store "$LS")
LDOWN=$(free_port)
head -c 300000 /dev/urandom >"$T/big.orig"
head -c 5000 /dev/urandom >"$T/tool.orig"
echo "deep data" >"$T/x.orig"
(
	set -e
	cd "$LW"
	git init -q -b main
	printf '*.bin filter=lfs diff=lfs merge=lfs -text\n' >.gitattributes
	lfs_put "$T/big.orig" big.bin
	lfs_put "$T/tool.orig" tool.bin
	chmod +x tool.bin
	# attributes of a subdirectory
	printf '*.dat filter=lfs diff=lfs merge=lfs -text\n' >assets/.gitattributes
	lfs_put "$T/x.orig" assets/x.dat
	cp assets/x.dat notlfs.txt # a pointer, but not filter=lfs
	echo plain >small.bin     # filter=lfs, but no pointer
	git add -A && git commit -q -m "LFS files"
	git checkout -q -b broken
	head -c 1000 /dev/urandom >"$T/miss.orig"
	lfs_put "$T/miss.orig" missing.bin
	echo "$oid" >"$T/miss.oid"
	head -c 2000 /dev/urandom >"$T/corrupt.orig"
	lfs_put "$T/corrupt.orig" corrupt.bin
	echo "$oid" >"$T/corrupt.oid"
	git add -A && git commit -q -m "missing and corrupt objects"
	git checkout -q -b custom main
	printf '[lfs]\n\turl = "http://127.0.0.1:%s/other/place.git/info/lfs"\n' \
		"$LP2" >.lfsconfig
	echo custom >"$T/custom.orig"
	lfs_put "$T/custom.orig" custom.bin
	git add -A && git commit -q -m "another LFS server"
	git checkout -q -b down main
	printf '[lfs]\n\turl = http://127.0.0.1:%s/x.git/info/lfs\n' "$LDOWN" >.lfsconfig
	echo down >"$T/down.orig"
	lfs_put "$T/down.orig" down.bin
	git add -A && git commit -q -m "an LFS server that is down"
	git checkout -q main
	git clone -q --bare . "$T/lfsgit/acme/lfs.git"
) >"$T/lfs-fixture.log" 2>&1 || bad "LFS fixture"
MISS=$(cat "$T/miss.oid")
CORRUPT=$(cat "$T/corrupt.oid")
BIG=$(sha256sum "$T/big.orig" | cut -d' ' -f1)
LP=$(lfs_server lfs1 --store "$LS" --git-root "$T/lfsgit" \
	--auth ferry:s3cret-token --missing "$MISS" --corrupt "$CORRUPT")
LU="http://127.0.0.1:$LP/acme/lfs.git"
LC="$T/lfscache"
LCO="$LC/127.0.0.1_$LP/acme/lfs.git/lfs/objects"
lfs_ok() { # lfs_ok WORKSPACE: the three LFS files have their content
	cmp -s "$1/big.bin" "$T/big.orig" && cmp -s "$1/tool.bin" "$T/tool.orig" &&
		cmp -s "$1/assets/x.dat" "$T/x.orig" && [ -x "$1/tool.bin" ] &&
		[ ! -x "$1/big.bin" ]
}

run "$B" checkout --lfs --user=ferry --token=s3cret-token "$LC" "$LU" "$T/l1"
if [ $rc = 0 ] && lfs_ok "$T/l1" && is_pointer "$T/l1/notlfs.txt" &&
	[ "$(cat "$T/l1/small.bin")" = plain ] && [ "$(val lfs_files)" = 3 ] &&
	[ "$(val lfs_downloaded)" = 3 ] && [ "$(val lfs_cached)" = 0 ] &&
	[ "$(val lfs_summary)" = "Git LFS: 3 files (297.9 KiB), 3 downloaded, 0 from the cache" ] &&
	[ "$(lfs_stat "$LP" 'd["downloads"]')" = 3 ] && [ "$(lfs_stat "$LP" 'd["batch"]')" = 1 ] &&
	[ "$(lfs_stat "$LP" 'len(d["rejected"])')" = 0 ] &&
	cmp -s "$LCO/$(echo "$BIG" | cut -c1-2)/$(echo "$BIG" | cut -c3-4)/$BIG" "$T/big.orig" &&
	[ -z "$(ls -A "$LC/127.0.0.1_$LP/acme/lfs.git/lfs/tmp")" ]; then
	ok "LFS: content over http with Basic auth (filter=lfs, subdirectory attributes, modes), cached"
else bad "LFS content"; cat "$T/lfs1.log" | tail -n 5; fi
run "$B" checkout --lfs --user=ferry --token=s3cret-token "$LC" "$LU" "$T/l2"
[ $rc = 0 ] && lfs_ok "$T/l2" && [ "$(val lfs_cached)" = 3 ] &&
	[ "$(val lfs_downloaded)" = 0 ] && [ "$(lfs_stat "$LP" 'd["downloads"]')" = 3 ] &&
	[ "$(lfs_stat "$LP" 'd["batch"]')" = 1 ] &&
	ok "LFS: a second checkout of the commit downloads nothing" || bad "LFS cache"
run "$B" checkout --user=ferry --token=s3cret-token "$LC" "$LU" "$T/l3"
[ $rc = 0 ] && is_pointer "$T/l3/big.bin" && [ -z "$(val lfs_files)" ] &&
	ok "LFS: no content without the option (git.lfs_skip_smudge)" || bad "LFS skipped"
run "$B" checkout --lfs --branch=broken --user=ferry --token=s3cret-token "$LC" "$LU" "$T/l4"
M1=$(echo "$CORRUPT" | cut -c1-2)
M2=$(echo "$CORRUPT" | cut -c3-4)
if [ $rc = 0 ] && lfs_ok "$T/l4" && is_pointer "$T/l4/missing.bin" &&
	is_pointer "$T/l4/corrupt.bin" && [ "$(val lfs_kept)" = 2 ] &&
	[ "$(val lfs_cached)" = 3 ] &&
	grep -q "^lfs_warning=Git LFS: 'missing.bin' (object $MISS, 1000 bytes): not on the LFS server (404: Object does not exist); the pointer file is kept$" "$T/out" &&
	grep -q "^lfs_warning=Git LFS: 'corrupt.bin' (object $CORRUPT, 2000 bytes): the downloaded content does not match the object (its SHA-256 is [0-9a-f]*); not cached; the pointer file is kept$" "$T/out" &&
	[ ! -e "$LCO/$M1/$M2/$CORRUPT" ] && ! grep -q s3cret "$T/out"; then
	ok "LFS: a missing and a corrupt object: one warning each, pointers kept, nothing bad cached"
else bad "LFS missing/corrupt"; fi
run "$B" checkout --lfs --branch=custom --user=ferry --token=s3cret-token "$LC" "$LU" "$T/l5"
[ $rc = 0 ] && cmp -s "$T/l5/custom.bin" "$T/custom.orig" && [ "$(val lfs_downloaded)" = 1 ] &&
	[ "$(lfs_stat "$LP2" 'd["paths"]')" = "['/other/place.git/info/lfs/objects/batch']" ] &&
	[ "$(lfs_stat "$LP2" 'd["auth_seen"]')" = 0 ] &&
	ok "LFS: lfs.url of .lfsconfig honoured, no credentials for another host" ||
	bad "LFS .lfsconfig"
run "$B" checkout --lfs --branch=down --user=ferry --token=s3cret-token "$LC" "$LU" "$T/l6"
[ $rc = 0 ] && is_pointer "$T/l6/down.bin" && lfs_ok "$T/l6" && [ "$(val lfs_kept)" = 1 ] &&
	grep -q "^lfs_warning=Git LFS: 'down.bin' (object [0-9a-f]*, 5 bytes): cannot reach the LFS server: .*127.0.0.1:$LDOWN.*; the pointer file is kept$" "$T/out" &&
	ok "LFS: an unreachable server: a warning, the pointer kept, the checkout done" ||
	bad "LFS server down"
# two builds at once on an empty cache: one downloads, the other waits
before=$(lfs_stat "$LP" 'd["downloads"]')
"$B" checkout --lfs --user=ferry --token=s3cret-token "$T/lfscache2" "$LU" "$T/lp1" >"$T/lp1.out" 2>&1 &
p1=$!
"$B" checkout --lfs --user=ferry --token=s3cret-token "$T/lfscache2" "$LU" "$T/lp2" >"$T/lp2.out" 2>&1 &
p2=$!
wait $p1; r1=$?
wait $p2; r2=$?
[ $r1 = 0 ] && [ $r2 = 0 ] && lfs_ok "$T/lp1" && lfs_ok "$T/lp2" &&
	[ "$(lfs_stat "$LP" 'd["downloads"]')" = $((before + 3)) ] &&
	ok "LFS: two builds at once download each object once" ||
	{ bad "LFS concurrent ($r1 $r2)"; cat "$T/lp1.out" "$T/lp2.out" | grep lfs_ | head; }
# a submodule's LFS files, from the submodule's own mirror and its cache
(
	set -e
	git init -q -b main "$T/lfssuper" && cd "$T/lfssuper"
	git -c protocol.file.allow=always submodule -q add "$T/lfsgit/acme/lfs.git" media
	git config -f .gitmodules submodule.media.url ../lfs.git
	git add -A && git commit -q -m "LFS in a submodule"
	git clone -q --bare . "$T/lfsgit/acme/super.git"
) >>"$T/lfs-fixture.log" 2>&1 || bad "LFS submodule fixture"
run "$B" checkout --lfs --user=ferry --token=s3cret-token "$LC" \
	"http://127.0.0.1:$LP/acme/super.git" "$T/ls1"
[ $rc = 0 ] && lfs_ok "$T/ls1/media" && [ "$(val lfs_files)" = 3 ] &&
	[ "$(val lfs_cached)" = 3 ] && ok "LFS: submodules too, from their mirror's cache" ||
	bad "LFS submodule"
# as `ferry run` does: export, .git attached, content from the checkout's
# own .git/lfs/objects (git-lfs's store) with the server unreachable
git clone -q "$LW" "$T/lfslocal" 2>/dev/null
git -C "$T/lfslocal" remote set-url origin "http://127.0.0.1:$LDOWN/acme/lfs.git"
for f in big tool x; do
	o=$(sha256sum "$T/$f.orig" | cut -d' ' -f1)
	d="$T/lfslocal/.git/lfs/objects/$(echo "$o" | cut -c1-2)/$(echo "$o" | cut -c3-4)"
	mkdir -p "$d" && cp "$T/$f.orig" "$d/$o"
done
before=$(lfs_stat "$LP" 'd["batch"]')
run "$B" lfs-export "$T/runcache" "$T/lfslocal" "$T/lx1"
[ $rc = 0 ] && lfs_ok "$T/lx1" && [ "$(val lfs_cached)" = 3 ] && [ -d "$T/lx1/.git" ] &&
	[ "$(lfs_stat "$LP" 'd["batch"]')" = "$before" ] && ! grep -q lfs_warning "$T/out" &&
	ok "LFS (ferry run): content from the checkout's .git/lfs/objects, no server" ||
	bad "LFS local store"
rm -rf "$T/lfslocal/.git/lfs/objects/$(echo "$BIG" | cut -c1-2)"
git -C "$T/lfslocal" remote set-url origin "$LU"
FERRY_GIT_TOKEN=s3cret-token run "$B" lfs-export --user=ferry "$T/runcache" "$T/lfslocal" "$T/lx2"
[ $rc = 0 ] && lfs_ok "$T/lx2" && [ "$(val lfs_cached)" = 2 ] && [ "$(val lfs_downloaded)" = 1 ] &&
	cmp -s "$T/lfslocal/.git/lfs/objects/$(echo "$BIG" | cut -c1-2)/$(echo "$BIG" | cut -c3-4)/$BIG" "$T/big.orig" &&
	ok "LFS (ferry run): a missing object downloaded with the token, kept in .git/lfs" ||
	bad "LFS local download"
cp "$T/big.orig" "$T/lfslocal/big.bin" # smudged by git-lfs in the work tree
run "$B" lfs-export --dirty "$T/runcache" "$T/lfslocal" "$T/lx3"
[ $rc = 0 ] && lfs_ok "$T/lx3" && [ "$(val lfs_files)" = 2 ] &&
	ok "LFS (ferry run --dirty): content already in the work tree is taken as it is" ||
	bad "LFS dirty"

# ---- config imports -----------------------------------------------------------
run "$B" import "$C" "$G/main.git" "git://127.0.0.1:$GP/%s.git" acme/other shared.yml
[ $rc = 0 ] && has 'FROM_OTHER=main' out &&
	ok "import: another repository at its default branch" || bad "import other"
run "$B" import "$C" "$G/main.git" "git://127.0.0.1:$GP/%s.git" acme/other shared.yml v2
[ $rc = 0 ] && has 'FROM_OTHER=v2' out && ok "import: another repository at a tag" ||
	bad "import other@v2"
run "$B" import "$C" "$G/main.git" "git://127.0.0.1:$GP/%s.git" - .travis.yml
[ $rc = 0 ] && has 'language: c' out && ok "import: this repository at the commit" ||
	bad "import same"
run "$B" import "$C" "$G/main.git" "git://127.0.0.1:$GP/%s.git" acme/main feature.txt feature
[ $rc = 0 ] && has '^feature$' out &&
	ok "import: this repository (by slug) at a branch" || bad "import same@feature"
run "$B" import "$C" "$G/main.git" "git://127.0.0.1:$GP/%s.git" acme/other nothere.yml
[ $rc = 2 ] && has ENOTFOUND err && has nothere.yml err &&
	ok "import: missing file: ENOTFOUND" || bad "import missing file"
run "$B" import "$C" "$G/main.git" "git://127.0.0.1:$GP/%s.git" acme/other shared.yml nope
[ $rc = 2 ] && has ENOTFOUND err && has "ref 'nope'" err &&
	ok "import: missing ref: ENOTFOUND" || bad "import missing ref"
run "$B" import "$C" "$G/main.git" "git://127.0.0.1:$GP/%s.git" ../etc shared.yml
[ $rc = 2 ] && has EINVALID err && ok "import: a bad repository name is refused" ||
	bad "import bad name"
echo "language: python" >"$L/.travis.yml"
run "$B" import --local="$L" "$C" "git://127.0.0.1:$GP/%s.git" - .travis.yml
[ $rc = 0 ] && has 'language: c' out &&
	ok "import: local checkout reads the commit" || bad "import local commit"
run "$B" import --worktree --local="$L" "$C" "git://127.0.0.1:$GP/%s.git" - .travis.yml
[ $rc = 0 ] && has 'language: python' out &&
	ok "import: local checkout reads the work tree when asked" || bad "import worktree"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
