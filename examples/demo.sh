#!/bin/sh
# `make demo`: start a Docker engine if none runs, build the local base
# image once (no registry needed), and run the C example with ferry run.
set -e
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
FERRY=${FERRY:-$PWD/$BUILD/bin/ferry}
export FERRY FERRY_TOP="$PWD"
. tests/setup/docker.sh
echo "ferry demo: ferry run --image $FERRY_TEST_IMAGE examples/c-project" >&2
exec "$FERRY" run --image "$FERRY_TEST_IMAGE" examples/c-project
