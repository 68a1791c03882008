#!/bin/bash
# The build cache end to end (lifecycle/cache.c, cache_store.c): `ferry
# run` with the real Docker engine, twice or more on the same project,
# and the logs and the store looked at in between.
#  - restore on the next run (contents, modes, symlinks), push only when
#    something changed, casher's log lines;
#  - a new branch and a pull request fall back to the default branch;
#  - quotas: least recently used entries evicted, too large not stored;
#  - a truncated or corrupt archive is reported and ignored;
#  - a language cache (pip);
#  - the S3 store on the moto test server, retries through the fault
#    proxy, the timeout, an unreachable store;
#  - ferry cache list / clear.
cd "${FERRY_TOP:-$(dirname "$0")/../..}" || exit 2
TOP=$PWD
. tests/setup/test-image.sh || {
	echo "FAIL setup: no Docker engine or image"
	echo "0 passed, 1 failed"
	exit 1
}
IMG=$FERRY_JOB_IMAGE
top=$(mktemp -d /tmp/ferry-cache-suite.XXXXXX)
export XDG_DATA_HOME=$top/data
STORE=$XDG_DATA_HOME/ferry/cache
pass=0 fail=0 pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	[ "$fail" -eq 0 ] && rm -rf "$top"
}
trap cleanup EXIT

ok() {
	echo "ok   $*"
	pass=$((pass + 1))
}
bad() {
	echo "FAIL $*"
	fail=$((fail + 1))
}

# run NAME DIR [ARGS...]: `ferry run` of DIR; its job log, without
# colours and with \r as line breaks, in $top/NAME.log; $? is ferry's.
run() {
	local name=$1 dir=$2 rc
	shift 2
	"$FERRY" $GLOBAL run --plain --image "$IMG" --log-dir "$top/logs-$name" \
		"$@" "$dir" >"$top/$name.out" 2>&1
	rc=$?
	cat "$top/logs-$name"/*.log 2>/dev/null | tr '\r' '\n' |
		sed 's/\x1b\[[0-9;]*[mK]//g' >"$top/$name.log"
	return $rc
}
# expect NAME TEST RC [STRING...]: the run's status and log lines.
expect() {
	local name=$1 what=$2 want_rc=$3 rc=$4 missing=""
	shift 4
	for s in "$@"; do
		case $s in
		!*) grep -qF -- "${s#!}" "$top/$name.log" && missing="$missing [unexpected: ${s#!}]" ;;
		*) grep -qF -- "$s" "$top/$name.log" || missing="$missing [missing: $s]" ;;
		esac
	done
	if [ "$rc" = "$want_rc" ] && [ -z "$missing" ]; then
		ok "$what"
	else
		bad "$what (exit $rc, expected $want_rc)$missing"
		sed -n '/cache\.1/,/^Done/p' "$top/$name.log" | grep -v '^travis_time' |
			head -40 | sed 's/^/      | /'
		tail -3 "$top/$name.out" | sed 's/^/      ! /'
	fi
}
archives() { find "$STORE" -name '*@*.tar.*' 2>/dev/null | sort; }

# ---- 1. restore, and push only when something changed ----
p=$top/proj
mkdir -p "$p"
cat >"$p/.travis.yml" <<'EOF'
language: shell
cache:
  directories:
    - $HOME/stuff
    - vendor/deps
    - $HOME/odd\ name
    - "$HOME/ctl$'\\x01'dir"
script:
  - echo "odd=$(cat "$HOME/odd name/f" 2>/dev/null || echo none) ctl=$(cat $HOME/ctl$'\x01'dir/f 2>/dev/null || echo none)"
  - echo odd >"$HOME/odd name/f"; echo ctl >$HOME/ctl$'\x01'dir/f
  - echo "marker=$(cat $HOME/stuff/marker 2>/dev/null || echo none)"
  - stat -c 'mode %a %n' $HOME/stuff/bin/tool $HOME/stuff/private vendor/deps/lib.txt 2>&1 | sed "s|$HOME|~|"
  - echo "link=$(readlink $HOME/stuff/link)"
  - if [ -f $HOME/change ]; then cat $HOME/change >$HOME/stuff/marker; fi
  - |
    if [ ! -e $HOME/stuff/bin/tool ]; then
      mkdir -p $HOME/stuff/bin $HOME/stuff/private vendor/deps
      printf '#!/bin/sh\necho tool\n' >$HOME/stuff/bin/tool
      chmod 750 $HOME/stuff/bin/tool; chmod 700 $HOME/stuff/private
      echo lib >vendor/deps/lib.txt; chmod 604 vendor/deps/lib.txt
      ln -s bin/tool $HOME/stuff/link
    fi
EOF
run r1 "$p"
expect r1 "cache: first run finds nothing and stores" 0 $? \
	"attempting to download cache archive" \
	"fetching master/cache-amd64-linux-focal-e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855.tar.gz" \
	"could not download cache" "adding /home/travis/stuff to cache" \
	"adding /home/travis/build/local/proj/vendor/deps to cache" \
	"creating directory /home/travis/stuff" "marker=none" \
	"changes detected, packing new archive" \
	"uploading master/cache-amd64-linux-focal-e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855.tar.gz" \
	"cache uploaded" "!change detected (content changed"
first=$(archives)
GLOBAL="-v -v" run r2 "$p"
expect r2 "cache: restored with modes and symlinks, nothing changed, nothing pushed" 0 $? \
	"found cache" "mode 750 ~/stuff/bin/tool" "mode 700 ~/stuff/private" \
	"mode 604 vendor/deps/lib.txt" "link=bin/tool" "odd=odd ctl=ctl" \
	"adding /home/travis/odd name to cache" \
	"nothing changed, not updating cache" "!uploading" "!creating directory" \
	"!could not download cache"
grep -q "cache: the paths are in 'cache.paths'" "$top/r2.out" &&
	ok "cache: a path with a control character goes through a file" ||
	bad "cache: the paths file was not used"
[ "$(archives)" = "$first" ] && [ -n "$first" ] &&
	ok "cache: the stored archive was left alone" ||
	bad "cache: the archive changed without changes: $first / $(archives)"

# a change is pushed, with casher's list of changed paths
sed -i 's|^  - if \[ -f $HOME/change \]; then.*|  - echo two >$HOME/stuff/marker|' "$p/.travis.yml"
run r3 "$p"
expect r3 "cache: a change is detected, listed and pushed" 0 $? \
	"found cache" "marker=none" \
	"change detected (content changed, file is created, or file is deleted):" \
	"/home/travis/stuff/marker" "changes detected, packing new archive" \
	"cache uploaded"
n=$(archives | wc -l)
[ "$n" = 1 ] && [ "$(archives)" != "$first" ] &&
	ok "cache: the new archive replaced the old one" ||
	bad "cache: archives after the change: $(archives | tr '\n' ' ')"
run r4 "$p"
expect r4 "cache: the change is what the next run gets" 0 $? \
	"marker=two" "nothing changed, not updating cache"

# ---- 2. a truncated, then a corrupt archive: reported, ignored ----
a=$(archives)
truncate -s 100 "$a"
run r5 "$p"
expect r5 "cache: a truncated archive is reported and ignored" 0 $? \
	"cannot use the cache of master: the cache archive is truncated: 100 bytes of" \
	"could not download cache" "marker=none" "cache uploaded"
a=$(archives)
size=$(stat -c %s "$a")
dd if=/dev/urandom of="$a" bs=1 seek=$((size / 2)) count=64 conv=notrunc status=none
run r6 "$p"
expect r6 "cache: a corrupt archive is reported and ignored" 0 $? \
	"found cache" "the cache archive cannot be used:" "going on without it" \
	"marker=none" "cache uploaded"

# zstd on an engine that cannot extract it: restored through the host
mkdir -p "$top/mem"
printf 'cache:\n  compression: zstd\n  memory_dir: %s\n' "$top/mem" >"$top/zstd.yml"
z=$top/zproj
mkdir -p "$z"
cp "$p/.travis.yml" "$z/.travis.yml"
run z1 "$z" --config "$top/zstd.yml"
expect z1 "cache: zstd: stored" 0 $? "uploading master/" ".tar.zst" \
	"cache uploaded"
GLOBAL="-v -v" run z2 "$z" --config "$top/zstd.yml"
expect z2 "cache: zstd: restored with modes and symlinks" 0 $? \
	"found cache" "marker=two" "mode 750 ~/stuff/bin/tool" \
	"mode 604 vendor/deps/lib.txt" "link=bin/tool" \
	"nothing changed, not updating cache"
[ "$(grep -c "cache: a tree of .* bytes in '$top/mem/ferry-cache-" "$top/z2.out")" = 2 ] &&
	ok "cache: zstd: restored and checked in memory_dir" ||
	bad "cache: zstd: memory_dir not used: $(grep 'cache:' "$top/z2.out" | head -5)"
[ -z "$(ls -A "$top/mem")" ] &&
	ok "cache: zstd: the trees in memory_dir are gone after the jobs" ||
	bad "cache: memory_dir left: $(ls -A "$top/mem")"
zstd_archive=$(find "$STORE/local/zproj" -name '*@*.tar.zst' | head -1)
[ -n "$zstd_archive" ] && zstd -t -q "$zstd_archive" 2>/dev/null &&
	tar --zstd -tf "$zstd_archive" | grep -qx 'home/travis/stuff/bin/tool' &&
	ok "cache: zstd: a tar.zst that tar reads, paths relative to /" ||
	bad "cache: zstd: archive '$zstd_archive' is not what tar --zstd reads"
gzip_archive=$(find "$STORE/local/proj" -name '*@*.tar.gz' | head -1)
[ -n "$gzip_archive" ] &&
	tar -tzf "$gzip_archive" | grep -qx 'home/travis/build/local/proj/vendor/deps/lib.txt' &&
	ok "cache: gzip: a tar.gz that tar reads, paths relative to /" ||
	bad "cache: gzip: archive '$gzip_archive' is not what tar -z reads"

# a cache grown past the room in memory_dir: copied out again on the disk
if [ "$(id -u)" = 0 ] && mkdir -p "$top/small" &&
	mount -t tmpfs -o size=300m ferry-test "$top/small" 2>/dev/null; then
	printf 'cache:\n  memory_dir: %s\n' "$top/small" >"$top/small.yml"
	g1=$top/grow
	mkdir -p "$g1"
	printf 'language: shell\ncache:\n  directories: [$HOME/g]\nscript:\n  - if [ -f $HOME/g/a ]; then yes ferry | head -c 360000000 >$HOME/g/big; else echo a >$HOME/g/a; fi\n' \
		>"$g1/.travis.yml"
	run g1 "$g1" --config "$top/small.yml"
	GLOBAL="-v -v" run g2 "$g1" --config "$top/small.yml"
	expect g2 "cache: grown past memory_dir: stored through the disk" 0 $? \
		"found cache" "/home/travis/g/big" "cache uploaded"
	grep -q "cache: in memory: " "$top/g2.out" && [ -z "$(ls -A "$top/small")" ] &&
		ok "cache: ... after trying memory_dir, which is left empty" ||
		bad "cache: memory_dir fallback: $(grep 'cache:' "$top/g2.out" | head -3); left: $(ls -A "$top/small")"
	"$FERRY" cache clear local/grow >/dev/null 2>&1
	# a full disk: the store itself on the small tmpfs
	printf 'cache:\n  dir: %s/store\n  memory_dir: ""\n' "$top/small" >"$top/full.yml"
	run f1 "$g1" --config "$top/full.yml"
	run f2 "$g1" --config "$top/full.yml"
	expect f2 "cache: a full disk is a warning and the job passes" 0 $? \
		"found cache" "cache push: no space left in" "!cache uploaded"
	run f3 "$g1" --config "$top/full.yml"
	expect f3 "cache: ... and the stored cache is still the good one" 0 $? \
		"found cache" "!the cache archive cannot be used"
	[ -z "$(find "$top/small" -type f ! -path '*/local/*')" ] &&
		ok "cache: ... and no scratch is left on it" ||
		bad "cache: left on the full disk: $(find "$top/small" -type f ! -path '*/local/*' | head -3)"
	umount "$top/small"
fi

# ---- 3. branches and pull requests fall back to the default branch ----
g=$top/git
mkdir -p "$g"
(
	cd "$g" && git init -q -b main seed && cd seed &&
		git config user.email t@example.com && git config user.name t &&
		printf 'language: shell\ncache:\n  directories: [$HOME/dep]\nscript:\n  - echo "dep=$(cat $HOME/dep/f 2>/dev/null || echo none)"\n  - echo "$TRAVIS_BRANCH-$TRAVIS_PULL_REQUEST" >$HOME/dep/f\n' >.travis.yml &&
		git add .travis.yml && git commit -q -m one &&
		git clone -q --bare . ../origin.git && cd .. &&
		git clone -q origin.git work
) || bad "cache: git set-up"
run b1 "$g/work"
expect b1 "cache: the default branch stores its cache" 0 $? \
	"fetching main/" "could not download cache" "uploading main/" "dep=none"
git -C "$g/work" checkout -q -b feature
run b2 "$g/work"
expect b2 "cache: a new branch falls back to the default branch's cache" 0 $? \
	"fetching feature/" "fetching main/" "found cache" "dep=main-false" \
	"uploading feature/"
run b3 "$g/work"
expect b3 "cache: the branch then has its own cache" 0 $? \
	"fetching feature/" "found cache" "dep=feature-false" "!fetching main/"
git -C "$g/work" checkout -q main
run b4 "$g/work" --pull-request 9
expect b4 "cache: a pull request tries PR.9, then the target branch" 0 $? \
	"fetching PR.9/" "fetching main/" "found cache" "dep=main-false" \
	"uploading PR.9/"
"$FERRY" cache list >"$top/list.out" 2>&1
grep -q ' main ' "$top/list.out" && grep -q ' feature ' "$top/list.out" &&
	grep -q ' PR.9 ' "$top/list.out" &&
	ok "cache: ferry cache list shows every branch" ||
	bad "cache: ferry cache list: $(cat "$top/list.out")"
repo=$(awk '/ feature /{print $1}' "$top/list.out")
"$FERRY" cache clear --branch feature "$repo" >"$top/clear.out" 2>&1 &&
	grep -q 'removed 1 cache' "$top/clear.out" &&
	"$FERRY" cache list "$repo" >"$top/list2.out" 2>&1 &&
	! grep -q ' feature ' "$top/list2.out" && grep -q ' main ' "$top/list2.out" &&
	ok "cache: ferry cache clear --branch removes only that branch" ||
	bad "cache: clear --branch: $(cat "$top/clear.out" "$top/list2.out")"

# ---- 4. quotas: least recently used evicted; too large not stored ----
q=$top/q
mkdir -p "$q/qproj"
printf 'cache:\n  repo_quota: 350KiB\n' >"$q/config.yml"
quota_job() {
	printf 'language: shell\nenv: X=%s\ncache:\n  directories: [$HOME/data]\nscript:\n  - test -f $HOME/data/blob || head -c %s /dev/urandom >$HOME/data/blob\n' \
		"$1" "${2:-120000}" >"$q/qproj/.travis.yml"
}
name_of() { printf 'cache-amd64-linux-focal-%s' "$(printf 'X=%s' "$1" | sha256sum | cut -c1-64)"; }
json_of() { echo "$STORE/local/qproj/master/$(name_of "$1").json"; }
quota_job 1
run q1 "$q/qproj" --config "$q/config.yml"
touch -d '2001-01-01' "$(json_of 1)"
quota_job 2
run q2 "$q/qproj" --config "$q/config.yml"
touch -d '2002-01-01' "$(json_of 2)"
quota_job 1 # a hit: X=1 becomes the most recently used
run q3 "$q/qproj" --config "$q/config.yml"
expect q3 "cache: quota set-up (two caches, the first used again)" 0 $? \
	"found cache" "nothing changed, not updating cache"
quota_job 3
run q4 "$q/qproj" --config "$q/config.yml"
if [ -f "$(json_of 1)" ] && [ ! -e "$(json_of 2)" ] && [ -f "$(json_of 3)" ] &&
	[ "$(find "$STORE/local/qproj" -type f | wc -l)" = 6 ]; then
	ok "cache: over the repository quota the least recently used cache goes"
else
	bad "cache: eviction left: $(find "$STORE/local/qproj" -type f -name '*.json' | sed 's|.*/||' | tr '\n' ' ')"
fi
quota_job 4 500000
run q5 "$q/qproj" --config "$q/config.yml"
expect q5 "cache: an archive larger than the quota is not stored" 0 $? \
	"is larger than the cache quota; not storing it" "!cache uploaded"
[ ! -e "$(json_of 4)" ] && ok "cache: ... and nothing of it is left in the store" ||
	bad "cache: the too large archive was stored"

# ---- 5. a language cache: pip ----
py=$top/py
mkdir -p "$py"
printf 'language: python\ncache: pip\ninstall: skip\nscript:\n  - ls ${TRAVIS_HOME}/.cache/pip\n  - echo wheel >${TRAVIS_HOME}/.cache/pip/w.whl\n' >"$py/.travis.yml"
run py1 "$py"
run py2 "$py"
expect py2 "cache: cache: pip restores \${TRAVIS_HOME}/.cache/pip" 0 $? \
	"travis_fold:start:cache.pip" "adding /home/travis/.cache/pip to cache" \
	"w.whl" "nothing changed, not updating cache"

# ---- 6. the S3 store on the moto test server ----
if ! python3 -c 'import moto.server, boto3' 2>/dev/null; then
	bad "cache: moto[server] is not installed (python3 -m pip install 'moto[server]')"
else
	for v in $(env | sed -n 's/^\(AWS_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done
	export AWS_EC2_METADATA_DISABLED=true AWS_SHARED_CREDENTIALS_FILE=$top/none \
		AWS_CONFIG_FILE=$top/none
	python3 "$TOP/tests/servers/moto_server.py" --port-file "$top/moto.port" \
		>"$top/moto.log" 2>&1 &
	pids="$pids $!"
	for i in $(seq 100); do [ -s "$top/moto.port" ] && break; sleep 0.1; done
	E=http://127.0.0.1:$(cat "$top/moto.port")
	python3 "$TOP/tests/servers/fault_proxy.py" "$(cat "$top/moto.port")" \
		--port-file "$top/proxy.port" >"$top/proxy.log" 2>&1 &
	pids="$pids $!"
	for i in $(seq 100); do [ -s "$top/proxy.port" ] && break; sleep 0.1; done
	PE=http://127.0.0.1:$(cat "$top/proxy.port")
	keys=$(printf 'bucket ci-cache\nuser cacher {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}\nauth on\n' |
		python3 "$TOP/tests/servers/moto_setup.py" "$E" | sed -n 2p)
	s3conf() {
		printf 'cache:\n  store: s3\n  s3:\n    bucket: ci-cache\n    prefix: ferry/\n    endpoint: %s\n    path_style: true\n    access_key_id: %s\n    secret_access_key: %s\n' \
			"$1" "${keys% *}" "${keys#* }" >"$top/s3.yml"
	}
	s3conf "$PE"
	s3=$top/s3proj
	mkdir -p "$s3"
	sed 's|vendor/deps|vendor/s3|g' "$p/.travis.yml" >"$s3/.travis.yml"
	sed -i 's|^  - echo two >$HOME/stuff/marker|  - echo s3 >$HOME/stuff/marker|' "$s3/.travis.yml"
	run s1 "$s3" --config "$top/s3.yml"
	expect s1 "cache: S3: first run stores in the bucket" 0 $? \
		"could not download cache" "uploading master/" "cache uploaded"
	objs=$(AWS_ACCESS_KEY_ID=${keys% *} AWS_SECRET_ACCESS_KEY=${keys#* } python3 -c '
import boto3, sys
s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1")
print(" ".join(sorted(o["Key"].split(".", 1)[-1] for o in s3.list_objects_v2(Bucket="ci-cache", Prefix="ferry/local/s3proj/master/")["Contents"])))
' "$E" 2>&1)
	case $objs in "json sums tar.gz" | "json sums tar.zst") true ;; *) false ;; esac && ok "cache: S3: record, checksums and archive stored" ||
		bad "cache: S3: objects: $objs"
	# one 503 on the first GET (the record): retried
	curl -s -X POST -d '{"status": 503, "count": 1, "code": "SlowDown", "method": "GET", "path": "/ci-cache/ferry/local/s3proj/"}' \
		"$PE/__fault__" >/dev/null
	run s2 "$s3" --config "$top/s3.yml"
	rc=$?
	faults=$(curl -s "$PE/__fault__")
	expect s2 "cache: S3: restored (after a retried 503)" 0 $rc \
		"found cache" "marker=s3" "mode 750 ~/stuff/bin/tool" "link=bin/tool" \
		"nothing changed, not updating cache"
	case $faults in *'"faults": 1'*) ok "cache: S3: the 503 was served and retried" ;;
	*) bad "cache: S3: fault proxy says $faults" ;; esac
	# a store slower than cache.timeout: aborted, the job goes on
	cp "$s3/.travis.yml" "$top/plain.yml"
	sed 's|^cache:|cache:\n  timeout: 2|' "$top/plain.yml" >"$s3/.travis.yml"
	curl -s -X POST -d '{"delay_ms": 6000, "count": 5, "method": "GET"}' "$PE/__fault__" >/dev/null
	start=$(date +%s)
	run s3 "$s3" --config "$top/s3.yml"
	rc=$?
	took=$(($(date +%s) - start))
	expect s3 "cache: S3: a fetch over cache.timeout is aborted and the job passes" 0 $rc \
		"running \`cache fetch\` took longer than 2 seconds and has been aborted" \
		"marker=none"
	[ "$took" -lt 30 ] && ok "cache: S3: ... within the time limits (${took}s)" ||
		bad "cache: S3: the timed-out run took ${took}s"
	curl -s -X POST -d '{"count": 0}' "$PE/__fault__" >/dev/null
	sleep 6 # the delayed answers drain
	cp "$top/plain.yml" "$s3/.travis.yml"
	# an unreachable store: warnings, the job passes
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	s3conf "http://127.0.0.1:$port"
	run s4 "$s3" --config "$top/s3.yml"
	expect s4 "cache: S3: an unreachable store is a warning, the job passes" 0 $? \
		"cannot use the cache of master:" "could not download cache" \
		"failed to upload cache"
	s3conf "$E"
	"$FERRY" cache list --config "$top/s3.yml" >"$top/s3list.out" 2>&1 &&
		grep -q 'local/s3proj  *master' "$top/s3list.out" &&
		grep -q 's3://ci-cache/ferry/' "$top/s3list.out" &&
		ok "cache: S3: ferry cache list" || bad "cache: S3: list: $(cat "$top/s3list.out")"
	"$FERRY" cache clear --config "$top/s3.yml" local/s3proj >"$top/s3clear.out" 2>&1 &&
		grep -q 'removed 1 cache' "$top/s3clear.out" &&
		"$FERRY" cache list --config "$top/s3.yml" --json local/s3proj |
		grep -q '"caches": \[\]' &&
		ok "cache: S3: ferry cache clear" || bad "cache: S3: clear: $(cat "$top/s3clear.out")"
fi

# ---- 7. ferry cache clear of everything ----
"$FERRY" cache clear >"$top/clearall.out" 2>&1 &&
	[ -z "$(find "$STORE" -type f 2>/dev/null)" ] &&
	ok "cache: ferry cache clear empties the store" ||
	bad "cache: clear: $(cat "$top/clearall.out"); left: $(find "$STORE" -type f | head -3)"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
