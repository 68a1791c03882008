#!/bin/bash
# ferry build end to end: a repository served on loopback by `git daemon`,
# cloned through the mirror cache and built in Docker: branches, tags,
# commits, pull requests, the checkout environment, skip keywords, errors.
cd "${FERRY_TOP:-$(dirname "$0")/../..}" || exit 2
. tests/setup/test-image.sh || { echo "FAIL setup"; echo "0 passed, 1 failed"; exit 1; }
pass=0 fail=0
ok() { echo "ok   $*"; pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }
top=$(mktemp -d /tmp/ferry-build-suite.XXXXXX)
export XDG_DATA_HOME=$top/data
repo=$top/srv/octo/app.git
mkdir -p "$top/work" "$top/srv/octo"
(
	cd "$top/work" && git init -q -b main && git config user.email t@e && git config user.name t
	cat >.travis.yml <<'YML'
language: shell
script:
  - echo "ENV branch=$TRAVIS_BRANCH tag=$TRAVIS_TAG pr=$TRAVIS_PULL_REQUEST prb=$TRAVIS_PULL_REQUEST_BRANCH slug=$TRAVIS_REPO_SLUG event=$TRAVIS_EVENT_TYPE"
  - echo "MSG $TRAVIS_COMMIT_MESSAGE"
  - cat version.txt
YML
	echo one >version.txt && git add -A && git commit -qm "first commit"
	git checkout -qb feature && echo two >version.txt && git commit -qam "feature work" && git tag v2
	git checkout -q main && echo three >version.txt && git commit -qam "skip this [skip ci]"
	git clone -q --bare . "$repo"
	# a pull request ref, as GitHub keeps it
	git -C "$repo" update-ref refs/pull/7/head "$(git rev-parse feature)"
) || { bad "fixture"; echo "0 passed, 1 failed"; exit 1; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
git daemon --reuseaddr --listen=127.0.0.1 --port=$port --base-path="$top/srv" --export-all "$top/srv" >"$top/daemon.log" 2>&1 &
dpid=$!
for i in $(seq 50); do git ls-remote "git://127.0.0.1:$port/octo/app.git" >/dev/null 2>&1 && break; sleep 0.1; done
url=git://127.0.0.1:$port/octo/app.git

build() { "$FERRY" build --plain --quiet --image "$FERRY_JOB_IMAGE" --log-dir "$top/logs-$1" "${@:2}" >"$top/out-$1" 2>&1; }

build branch --branch feature "$url" && grep -q '^ENV branch=feature tag= pr=false prb= slug=octo/app event=push' $top/logs-branch/*.log &&
	grep -q '^two$' $top/logs-branch/*.log && ok "build a branch over git://" || { bad "build a branch"; tail -5 "$top/out-branch"; }
build tag --tag v2 "$url" && grep -q '^ENV branch=v2 tag=v2 ' $top/logs-tag/*.log && ok "build a tag" || bad "build a tag"
sha=$(git -C "$top/work" rev-parse feature)
build commit --commit "$sha" --branch feature "$url" && grep -q "^ENV branch=feature " $top/logs-commit/*.log && ok "build a commit" || bad "build a commit"
build pr --pr 7 --branch main "$url" && grep -q '^ENV branch=main tag= pr=7 .*event=pull_request' $top/logs-pr/*.log && ok "build a pull request (head ref fallback)" || { bad "build a pull request"; tail -5 "$top/out-pr"; }
build skip "$url"; rc=$?
[ $rc -eq 0 ] && grep -q 'no build: .*skip' "$top/out-skip" && ! ls $top/logs-skip/*.log >/dev/null 2>&1 && ok "skip keyword in the commit message" || { bad "skip keyword (exit $rc)"; tail -3 "$top/out-skip"; }
build file --branch feature "file://$repo" && ok "build over file://" || bad "build over file://"
build missing --branch nope "$url"; rc=$?
[ $rc -eq 2 ] && grep -q "branch 'nope'" "$top/out-missing" && ok "missing ref: one line, exit 2" || bad "missing ref (exit $rc)"
build down --branch main "https://user:hunter2@127.0.0.1:1/x/y.git"; rc=$?
[ $rc -eq 2 ] && ! grep -q hunter2 "$top/out-down" && grep -q 'user:\*\*\*@127.0.0.1' "$top/out-down" && ok "unreachable host: credentials hidden, exit 2" || bad "unreachable host (exit $rc)"
# git.submodules: recursive by default, none with `submodules: false`
(
	set -e
	cd "$top/work" && git init -q -b main lib && cd lib
	git config user.email t@e && git config user.name t
	echo lib >lib.txt && git add -A && git commit -qm lib
	git clone -q --bare . "$top/srv/octo/lib.git"
	cd "$top/work" && git init -q -b main super && cd super
	git config user.email t@e && git config user.name t
	git -c protocol.file.allow=always submodule -q add "git://127.0.0.1:$port/octo/lib.git" sub 2>/dev/null ||
		git -c protocol.file.allow=always submodule -q add "file://$top/srv/octo/lib.git" sub
	git config -f .gitmodules submodule.sub.url "git://127.0.0.1:$port/octo/lib.git"
	printf 'language: shell\nscript: if [ -f sub/lib.txt ]; then echo SUB=yes; else echo SUB=no; fi\n' >.travis.yml
	git add -A && git commit -qm super
	git checkout -qb nosub
	printf 'git:\n  submodules: false\n' >>.travis.yml && git commit -qam nosub
	git clone -q --bare . "$top/srv/octo/super.git"
) >"$top/sub-fixture.log" 2>&1 || bad "submodule fixture"
build subyes --branch main "git://127.0.0.1:$port/octo/super.git" && grep -q '^SUB=yes' $top/logs-subyes/*.log &&
	build subno --branch nosub "git://127.0.0.1:$port/octo/super.git" && grep -q '^SUB=no' $top/logs-subno/*.log &&
	ok "git.submodules: checked out by default, left out with submodules: false" ||
	{ bad "git.submodules"; tail -n 3 "$top/out-subyes" "$top/out-subno"; }
# git.autocrlf and git.symlinks set before the checkout; strategy: tarball
# leaves no .git
(
	set -e
	cd "$top/work" && git init -q -b main opts && cd opts
	git config user.email t@e && git config user.name t
	printf 'a\nb\n' >text.txt && ln -s text.txt link
	cat >.travis.yml <<'YML'
language: shell
script:
  - if grep -q $'\r' text.txt; then echo CRLF=yes; else echo CRLF=no; fi
  - if [ -L link ]; then echo LINK=symlink; else echo "LINK=file:$(cat link)"; fi
  - if [ -d .git ]; then echo GIT=yes; else echo GIT=no; fi
YML
	git add -A && git commit -qm plain
	git checkout -qb winlike
	printf 'git:\n  autocrlf: true\n  symlinks: false\n' >>.travis.yml && git commit -qam winlike
	git checkout -qb tarball main
	printf 'git:\n  strategy: tarball\n' >>.travis.yml && git commit -qam tarball
	git clone -q --bare . "$top/srv/octo/opts.git"
) >"$top/opts-fixture.log" 2>&1 || bad "git options fixture"
ourl=git://127.0.0.1:$port/octo/opts.git
build optplain --branch main "$ourl" &&
	grep -q '^CRLF=no' $top/logs-optplain/*.log && grep -q '^LINK=symlink' $top/logs-optplain/*.log &&
	grep -q '^GIT=yes' $top/logs-optplain/*.log &&
	build optwin --branch winlike "$ourl" &&
	grep -q '^CRLF=yes' $top/logs-optwin/*.log && grep -q '^LINK=file:text.txt' $top/logs-optwin/*.log &&
	build opttar --branch tarball "$ourl" &&
	grep -q '^GIT=no' $top/logs-opttar/*.log && grep -q '^CRLF=no' $top/logs-opttar/*.log &&
	ok "git.autocrlf, git.symlinks and strategy: tarball change the workspace as on Travis" ||
	{ bad "git.autocrlf/symlinks/strategy"; grep -h -E '^(CRLF|LINK|GIT)=' $top/logs-opt*/*.log | sed 's/^/      /'; }
# Git LFS: content in the workspace as git-lfs's smudge filter gives it on
# Travis, from tests/fixtures/lfs_server.py (the repository over smart HTTP
# and its LFS objects at the same URL, both behind Basic auth)
(
	set -e
	mkdir -p "$top/lfsstore" "$top/lfsgit/octo"
	cd "$top/work" && git init -q -b main lfs && cd lfs
	git config user.email t@e && git config user.name t
	head -c 200000 /dev/urandom >"$top/asset.orig"
	oid=$(sha256sum "$top/asset.orig" | cut -d' ' -f1)
	cp "$top/asset.orig" "$top/lfsstore/$oid"
	echo "$oid" >"$top/asset.oid"
	printf '*.bin filter=lfs diff=lfs merge=lfs -text\n' >.gitattributes
	printf 'version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize 200000\n' \
		"$oid" >asset.bin
	cat >.travis.yml <<'YML'
language: shell
script:
  - echo "SUM $(sha256sum asset.bin | cut -c1-64)"
  - echo "HEAD $(head -c 7 asset.bin)"
  - echo "SKIP=${GIT_LFS_SKIP_SMUDGE:-unset}"
YML
	git add -A && git commit -qm lfs
	git checkout -qb skip
	printf 'git:\n  lfs_skip_smudge: true\n' >>.travis.yml && git commit -qam skip
	git checkout -q main
	git clone -q --bare . "$top/lfsgit/octo/lfs.git"
) >"$top/lfs-fixture.log" 2>&1 || bad "LFS fixture"
python3 tests/fixtures/lfs_server.py --port-file "$top/lfs.port" --store "$top/lfsstore" \
	--git-root "$top/lfsgit" --auth x-access-token:lfs-secret >/dev/null 2>"$top/lfs.log" &
lpid=$!
for i in $(seq 100); do [ -s "$top/lfs.port" ] && break; sleep 0.1; done
lport=$(cat "$top/lfs.port")
lurl=http://127.0.0.1:$lport/octo/lfs.git
oid=$(cat "$top/asset.oid")
downloads() { python3 -c 'import json, sys, urllib.request; print(json.load(urllib.request.urlopen(sys.argv[1]))["downloads"])' "http://127.0.0.1:$lport/_stats"; }
lbuild() { FERRY_GIT_TOKEN=lfs-secret "$FERRY" build --plain --image "$FERRY_JOB_IMAGE" --log-dir "$top/logs-$1" "${@:2}" >"$top/out-$1" 2>&1; }
lbuild lfs1 --branch main "$lurl" && grep -q "^SUM $oid" $top/logs-lfs1/*.log &&
	grep -q '^SKIP=unset' $top/logs-lfs1/*.log &&
	grep -qx 'ferry: Git LFS: 1 file (195.3 KiB), 1 downloaded, 0 from the cache' "$top/out-lfs1" &&
	grep -qx 'Git LFS: 1 file (195.3 KiB), 1 downloaded, 0 from the cache' $top/logs-lfs1/*.log &&
	! grep -q lfs-secret "$top/out-lfs1" $top/logs-lfs1/*.log &&
	ok "Git LFS: ferry build over http with the token gets the content (said in the job log)" ||
	{ bad "Git LFS content"; tail -n 5 "$top/out-lfs1"; }
lbuild lfs2 --branch main "$lurl" && grep -q "^SUM $oid" $top/logs-lfs2/*.log &&
	grep -qx 'ferry: Git LFS: 1 file (195.3 KiB), 0 downloaded, 1 from the cache' "$top/out-lfs2" &&
	[ "$(downloads)" = 1 ] && ok "Git LFS: the next build takes it from the cache" ||
	{ bad "Git LFS cache"; tail -n 5 "$top/out-lfs2"; }
lbuild lfsskip --branch skip "$lurl" && grep -q '^HEAD version' $top/logs-lfsskip/*.log &&
	grep -q '^SKIP=1' $top/logs-lfsskip/*.log && ! grep -q 'Git LFS' "$top/out-lfsskip" &&
	ok "Git LFS: git.lfs_skip_smudge keeps the pointers, GIT_LFS_SKIP_SMUDGE=1 in the job" ||
	{ bad "Git LFS skip"; tail -n 5 "$top/out-lfsskip"; }
# ferry run in a checkout whose .git/lfs/objects has the object: no server
git clone -q "$top/lfsgit/octo/lfs.git" "$top/runlfs" 2>/dev/null
git -C "$top/runlfs" remote set-url origin "http://127.0.0.1:1/octo/lfs.git"
d="$top/runlfs/.git/lfs/objects/$(echo "$oid" | cut -c1-2)/$(echo "$oid" | cut -c3-4)"
mkdir -p "$d" && cp "$top/asset.orig" "$d/$oid"
(cd "$top/runlfs" && "$FERRY" run --plain --image "$FERRY_JOB_IMAGE" --log-dir "$top/logs-run" \
	>"$top/out-run" 2>&1) && grep -q "^SUM $oid" $top/logs-run/*.log &&
	grep -qx 'ferry: Git LFS: 1 file (195.3 KiB), 0 downloaded, 1 from the cache' "$top/out-run" &&
	grep -qx 'Git LFS: 1 file (195.3 KiB), 0 downloaded, 1 from the cache' $top/logs-run/*.log &&
	! grep -q warning "$top/out-run" && [ "$(downloads)" = 1 ] &&
	ok "Git LFS: ferry run takes the content from the checkout's .git/lfs/objects" ||
	{ bad "Git LFS ferry run"; tail -n 5 "$top/out-run"; }
kill $lpid 2>/dev/null
kill $dpid 2>/dev/null
rm -rf "$top"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
