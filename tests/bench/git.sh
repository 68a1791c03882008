#!/bin/sh
# Git benchmark: a repository of a few thousand commits served by git daemon
# on loopback, cloned through ferry's vcs layer (bench-git: mirror clone
# into an empty cache, then the workspace) and by `git clone` of the same
# URL, in this invocation; then the second build with the mirror cache
# (one new commit pushed), against `git fetch` in the clone.
#   COMMITS=3000 RUNS=3 sh tests/bench/git.sh
set -u
TOP=$(pwd)
B="$TOP/${BUILD:-build}/bin/bench-git"
case ${BUILD:-build} in /*) B="$BUILD/bin/bench-git" ;; esac
COMMITS=${COMMITS:-3000}
RUNS=${RUNS:-3}
T=$(mktemp -d /tmp/ferry-gitbench.XXXXXX)
cleanup() {
	[ -f "$T/gd.pid" ] && kill "$(cat "$T/gd.pid")" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 2' INT TERM
export HOME="$T/home" GIT_CONFIG_NOSYSTEM=1
mkdir -p "$HOME"
git config --global user.name Bench && git config --global user.email b@example.com
[ -x "$B" ] || { echo "bench-git missing: make programs"; exit 1; }

now() { python3 -c 'import time; print(f"{time.monotonic():.6f}")'; }
elapsed() { python3 -c "print(f'{$2 - $1:.3f}')"; }
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# the repository: COMMITS commits touching 300 files, made with fast-import
python3 - "$COMMITS" >"$T/stream" <<'EOF'
import sys, random
n = int(sys.argv[1])
rng = random.Random(42)
files = {}
words = ["alpha", "beta", "gamma", "delta", "ferry", "travis", "build",
         "commit", "object", "stream", "packet", "socket", "mirror"]
out = sys.stdout
for i in range(1, n + 1):
    changes = []
    for _ in range(rng.randint(1, 3)):
        name = f"src/mod{rng.randint(0, 299):03d}.c"
        lines = files.setdefault(name, [])
        lines.append(" ".join(rng.choice(words) for _ in range(12)) + f" /* {i} */")
        changes.append(name)
    out.write("commit refs/heads/main\n")
    out.write(f"committer Bench <b@example.com> {1700000000 + i * 60} +0000\n")
    msg = f"change {i}\n"
    out.write(f"data {len(msg)}\n{msg}")
    for name in sorted(set(changes)):
        data = "\n".join(files[name]) + "\n"
        out.write(f"M 100644 inline {name}\ndata {len(data.encode())}\n{data}\n")
EOF
git init -q --bare --initial-branch=main "$T/srv/bench/repo.git"
git -C "$T/srv/bench/repo.git" fast-import --quiet <"$T/stream"
git -C "$T/srv/bench/repo.git" gc -q
touch "$T/srv/bench/repo.git/git-daemon-export-ok"
size=$(du -sk "$T/srv/bench/repo.git/objects" | cut -f1)
echo "repository: $(git -C "$T/srv/bench/repo.git" rev-list --count main) commits, ${size} KiB packed"

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
git daemon --reuseaddr --listen=127.0.0.1 --port="$PORT" --export-all \
	--base-path="$T/srv" --pid-file="$T/gd.pid" --detach "$T/srv"
i=0
until git ls-remote "git://127.0.0.1:$PORT/bench/repo.git" >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -gt 100 ] && { echo "git daemon did not start"; exit 1; }
	sleep 0.1
done
URL="git://127.0.0.1:$PORT/bench/repo.git"

ft=""
gt=""
r=1
while [ $r -le "$RUNS" ]; do
	rm -rf "$T/cache" "$T/ws" "$T/clone"
	t0=$(now)
	"$B" checkout "$T/cache" "$URL" "$T/ws" >"$T/first.out" || exit 1
	t1=$(now)
	git clone -q "$URL" "$T/clone" || exit 1
	t2=$(now)
	ft="$ft $(elapsed "$t0" "$t1")"
	gt="$gt $(elapsed "$t1" "$t2")"
	r=$((r + 1))
done
[ "$(git -C "$T/ws" rev-parse HEAD)" = "$(git -C "$T/clone" rev-parse HEAD)" ] ||
	{ echo "ferry and git checked out different commits"; exit 1; }
fm=$(echo "$ft" | median)
gm=$(echo "$gt" | median)
fb=$(sed -n 's/^fetched_bytes=//p' "$T/first.out")
fo=$(sed -n 's/^fetched_objects=//p' "$T/first.out")
echo "first build (clone, median of $RUNS): ferry ${fm}s, git clone ${gm}s, ratio $(python3 -c "print(f'{$fm / $gm:.2f}')")x ($fo objects, $fb bytes received)"

# second build: nothing new, then one new commit
t0=$(now)
"$B" checkout "$T/cache" "$URL" "$T/ws2" >"$T/second.out" || exit 1
t1=$(now)
echo "second build, nothing new: ferry $(elapsed "$t0" "$t1")s (fetch + workspace), $(sed -n 's/^fetched_objects=//p' "$T/second.out") objects, $(sed -n 's/^fetched_bytes=//p' "$T/second.out") bytes"
git clone -q "$T/srv/bench/repo.git" "$T/pusher"
echo "one more line" >>"$T/pusher/src/mod001.c"
git -C "$T/pusher" commit -q -am "one more commit"
git -C "$T/pusher" push -q origin main
t0=$(now)
"$B" checkout "$T/cache" "$URL" "$T/ws3" >"$T/third.out" || exit 1
t1=$(now)
git -C "$T/clone" fetch -q origin
t2=$(now)
[ "$(git -C "$T/ws3" rev-parse HEAD)" = "$(git -C "$T/pusher" rev-parse HEAD)" ] ||
	{ echo "the second build missed the new commit"; exit 1; }
echo "second build, one new commit: ferry $(elapsed "$t0" "$t1")s (mirror fetch $(sed -n 's/^fetch_seconds=//p' "$T/third.out")s, $(sed -n 's/^fetched_objects=//p' "$T/third.out") objects, $(sed -n 's/^fetched_bytes=//p' "$T/third.out") bytes; then the workspace), git fetch $(elapsed "$t1" "$t2")s"
