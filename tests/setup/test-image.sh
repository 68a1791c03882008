#!/bin/sh
# The image the job tests run in: the bootstrap base image of
# tests/setup/docker.sh plus redis-server (for the services test), built
# once with `docker build` and kept.  Idempotent; safe to source.
FERRY_JOB_IMAGE=${FERRY_JOB_IMAGE:-ferry/test:bookworm}
export FERRY_JOB_IMAGE
. "${FERRY_TOP:-.}/tests/setup/docker.sh" || return 1 2>/dev/null || exit 1
if ! docker image inspect "$FERRY_JOB_IMAGE" >/dev/null 2>&1; then
	echo "setup: building $FERRY_JOB_IMAGE from $FERRY_TEST_IMAGE" >&2
	printf 'FROM %s\nRUN apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends redis-server make gcc libc6-dev python3 >/dev/null && rm -rf /var/lib/apt/lists/*\n' \
		"$FERRY_TEST_IMAGE" |
		docker build -q --network host -t "$FERRY_JOB_IMAGE" - >/dev/null ||
		{ echo "setup: cannot build $FERRY_JOB_IMAGE" >&2; return 1 2>/dev/null || exit 1; }
fi
