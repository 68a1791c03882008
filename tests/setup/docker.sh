#!/bin/sh
# Makes a Docker engine and the test base image available.  Idempotent:
# run it (sh tests/setup/docker.sh) or source it (. tests/setup/docker.sh)
# from any suite; it returns 0 when both are ready.
#
#  - When no engine answers, starts `dockerd --bridge=none --iptables=false`
#    (installing docker.io first when missing, as root) and waits for it.
#  - When the image $FERRY_TEST_IMAGE (default ferry/debian:bookworm) is
#    missing, builds it ONCE with `$FERRY image bootstrap` (about a minute,
#    needs the Debian archive); an existing image is never rebuilt.  A lock
#    keeps concurrent suites from building it twice.  The image carries
#    make, gcc, libc6-dev and python3 on top of the bootstrap defaults, for
#    the example projects.
#
# Environment: FERRY (the ferry binary), FERRY_TEST_IMAGE.
FERRY_TEST_IMAGE=${FERRY_TEST_IMAGE:-ferry/debian:bookworm}
export FERRY_TEST_IMAGE

ferry_docker_engine_up() {
	docker version --format '{{.Server.Version}}' >/dev/null 2>&1
}

ferry_docker_setup() {
	if ! command -v dockerd >/dev/null 2>&1; then
		if [ "$(id -u)" != 0 ]; then
			echo "setup: docker.io is missing (run as root)" >&2
			return 1
		fi
		echo "setup: installing docker.io" >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			--no-install-recommends docker.io >/dev/null || return 1
	fi
	if ! ferry_docker_engine_up; then
		if [ "$(id -u)" != 0 ]; then
			echo "setup: no Docker engine, and not root to start one" >&2
			return 1
		fi
		echo "setup: starting dockerd" >&2
		setsid dockerd --bridge=none --iptables=false \
			>/var/log/dockerd.log 2>&1 </dev/null &
		i=0
		until ferry_docker_engine_up; do
			i=$((i + 1))
			if [ $i -gt 120 ]; then
				echo "setup: dockerd did not start (see /var/log/dockerd.log)" >&2
				return 1
			fi
			sleep 0.5
		done
	fi
	docker image inspect "$FERRY_TEST_IMAGE" >/dev/null 2>&1 && return 0

	ferry=${FERRY:-$(cd "$(dirname "$0")/../.." 2>/dev/null && pwd)/build/bin/ferry}
	if [ ! -x "$ferry" ]; then
		echo "setup: $ferry is not built: cannot build $FERRY_TEST_IMAGE" >&2
		return 1
	fi
	(
		# One builder at a time; the others wait, then find the image.
		command -v flock >/dev/null 2>&1 && flock 9
		docker image inspect "$FERRY_TEST_IMAGE" >/dev/null 2>&1 && exit 0
		echo "setup: building $FERRY_TEST_IMAGE with '$ferry image bootstrap'" >&2
		"$ferry" image bootstrap --dist bookworm \
			--include make,gcc,libc6-dev,python3 \
			--tag "$FERRY_TEST_IMAGE" >/dev/null
	) 9>/tmp/ferry-test-image.lock
}

ferry_docker_setup
