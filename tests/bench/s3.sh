#!/bin/sh
# S3 upload benchmark: 1,000 small files and one 200 MiB file, uploaded to
# the same local AWS test server (tests/servers/moto_server.py) by ferry's
# s3 provider (through bench-deploy) and by `aws s3 sync`, each into a
# fresh bucket, in this one invocation.  Prints both times and the ratio.
# Needs: python3 with moto[server], the aws CLI.
#   BENCH_THREADS   ferry's max_threads (default 10: what `aws s3 sync`
#                   uses, its max_concurrent_requests)
set -u
TOP=$(pwd)
B="$TOP/$BUILD/bin/bench-deploy"
case $BUILD in /*) B="$BUILD/bin/bench-deploy" ;; esac
T=$(mktemp -d /tmp/ferry-s3bench.XXXXXX)
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 2' INT TERM

if ! python3 -c 'import moto.server' 2>/dev/null || ! command -v aws >/dev/null; then
	echo "s3 bench: needs python3 with moto[server] and the aws CLI"
	exit 1
fi
for v in $(env | sed -n 's/^\(AWS_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done
export HOME="$T/home" AWS_EC2_METADATA_DISABLED=true
export AWS_ACCESS_KEY_ID=AKIABENCHEXAMPLE0000 AWS_SECRET_ACCESS_KEY=bench-secret
export AWS_DEFAULT_REGION=us-east-1
mkdir -p "$HOME"

python3 "$TOP/tests/servers/moto_server.py" --port-file "$T/port" \
	>"$T/moto.log" 2>&1 &
pid=$!
i=0
while [ ! -s "$T/port" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
E="http://127.0.0.1:$(cat "$T/port")"

# The data: 1,000 files of 1 to 16 KiB in 10 directories, and 200 MiB.
python3 - "$T/data" <<'EOF'
import os, random, sys
root = sys.argv[1]
rnd = random.Random(42)
for i in range(1000):
    d = os.path.join(root, "dir%d" % (i % 10))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "file%04d.txt" % i), "wb") as f:
        f.write(os.urandom(rnd.randint(1024, 16384)))
with open(os.path.join(root, "big.bin"), "wb") as f:
    for _ in range(200):
        f.write(os.urandom(1 << 20))
EOF

now() { python3 -c 'import time; print(time.monotonic())'; }
aws --endpoint-url "$E" s3api create-bucket --bucket ferry-bench >/dev/null
aws --endpoint-url "$E" s3api create-bucket --bucket awscli-bench >/dev/null

cat >"$T/s3.yml" <<EOF
provider: s3
bucket: ferry-bench
endpoint: $E
local_dir: data
max_threads: ${BENCH_THREADS:-10}
EOF
t0=$(now)
(cd "$T" && "$B" s3.yml) >"$T/ferry.out" 2>"$T/ferry.err"
rc=$?
t1=$(now)
aws --endpoint-url "$E" s3 sync --only-show-errors "$T/data" s3://awscli-bench \
	>"$T/aws.out" 2>&1
rc2=$?
t2=$(now)

count() {
	aws --endpoint-url "$E" s3 ls --recursive "s3://$1" | wc -l
}
nf=$(count ferry-bench)
na=$(count awscli-bench)
if [ $rc -ne 0 ] || [ $rc2 -ne 0 ] || [ "$nf" != 1001 ] || [ "$na" != 1001 ]; then
	echo "s3 bench failed: ferry rc $rc ($nf objects), aws rc $rc2 ($na objects)"
	tail -n 5 "$T/ferry.err" "$T/aws.out"
	exit 1
fi
python3 - "$t0" "$t1" "$t2" <<'EOF'
import sys
t0, t1, t2 = map(float, sys.argv[1:])
f, a = t1 - t0, t2 - t1
print("s3 upload, 1000 small files + one 200 MiB file, same moto server:")
print("  ferry s3 provider: %6.2f s" % f)
print("  aws s3 sync:       %6.2f s" % a)
print("  ratio aws/ferry:   %6.2f (above 1: ferry is faster)" % (a / f))
EOF
