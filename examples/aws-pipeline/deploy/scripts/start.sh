#!/bin/sh
# Start the new release.  Host networking: the service listens on the
# instance's own APP_PORT.
set -e
. "$(dirname "$0")/common.sh"
docker run -d --name "$APP_CONTAINER" --network host \
	-e PORT="$APP_PORT" --restart unless-stopped "$IMAGE"
