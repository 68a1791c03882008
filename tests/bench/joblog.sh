#!/bin/sh
# The job log pipeline (masking, limit, log file, terminal rendering) on
# 200 MiB of output with 10 secrets, against memcpy + write of the same
# data in the same process; peak RSS shows that memory stays flat.
BUILD=${BUILD:-build}
bin=$BUILD/bin/bench-joblog
if [ ! -x "$bin" ]; then
	echo "FAIL bench joblog: $bin is not built (make programs)"
	exit 1
fi
dir=$(mktemp -d) || exit 2
"$bin" "${JOBLOG_BENCH_MIB:-200}" "$dir"
rc=$?
rm -rf "$dir"
exit $rc
