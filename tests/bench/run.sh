#!/bin/sh
# `make bench`: every benchmark in tests/bench/*.sh, each printing ratios
# against a baseline measured in the same invocation.
cd "$(dirname "$0")/../.." || exit 2
BUILD=${BUILD:-build}
FERRY=${FERRY:-$PWD/$BUILD/bin/ferry}
export BUILD FERRY
# The shared reference data (conformance, AWS vectors): $FERRY_SHARED,
# else ../shared beside the repository, else /work/shared.
if [ -z "${FERRY_SHARED:-}" ]; then
	for d in "$(cd .. && pwd)/shared" /work/shared; do
		if [ -d "$d/conformance" ]; then
			FERRY_SHARED=$d
			break
		fi
	done
fi
export FERRY_SHARED="${FERRY_SHARED:-$(cd .. && pwd)/shared}"
status=0
for b in tests/bench/*.sh; do
	[ "$b" = tests/bench/run.sh ] && continue
	echo "=== bench $(basename "$b" .sh)"
	sh "$b" || status=1
done
exit $status
