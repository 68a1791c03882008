#!/bin/sh
# The service must answer its new version on loopback within 30 s.
. "$(dirname "$0")/common.sh"
url="http://127.0.0.1:$APP_PORT/version"
i=0
while [ $i -lt 60 ]; do
	got=$(curl -fsS --max-time 2 "$url" 2>/dev/null) && [ "$got" = "$VERSION" ] && {
		echo "$url answers $got"
		exit 0
	}
	i=$((i + 1))
	sleep 0.5
done
echo "$url does not answer $VERSION (last answer: '${got:-none}')"
docker logs --tail 20 "$APP_CONTAINER" 2>&1
exit 1
