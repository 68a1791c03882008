#!/bin/sh
# ApplicationStop runs the scripts of the last successful revision: stop
# the container it started (nothing to stop the first time).
set -e
. "$(dirname "$0")/common.sh"
if docker inspect "$APP_CONTAINER" >/dev/null 2>&1; then
	docker rm -f "$APP_CONTAINER"
else
	echo "no container $APP_CONTAINER running"
fi
