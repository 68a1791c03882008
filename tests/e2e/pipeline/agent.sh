#!/bin/sh
# The test "instance" of tests/suites/95-pipeline.sh: the CodeDeploy test
# server (tests/servers/moto_server.py, FERRY_TEST_AGENT) runs this to
# carry a deployment out, with the bundle it downloaded with the instance
# role in BUNDLE_FILE.  It is `ferry appspec run` on this host, its
# deployment root under $PIPELINE_TOP/instance; the hooks run docker
# against the engine and get AWS credentials as an EC2 instance does,
# from the instance metadata (the test server's, with the instance role).
# The agent's JSON result goes to $AGENT_RESULT (the server serves it as
# the instance's lifecycle events) and to $PIPELINE_TOP/agent-results/.
top=$PIPELINE_TOP
E="http://127.0.0.1:$(cat "$top/moto.port")"
for v in $(env | sed -n 's/^\(AWS_[A-Z0-9_]*\)=.*/\1/p'); do unset "$v"; done
export AWS_EC2_METADATA_SERVICE_ENDPOINT="$E"
export AWS_ENDPOINT_URL="$E"
export AWS_DEFAULT_REGION=us-east-1
export DOCKER_CONFIG="$top/instance/docker"
export PATH="$(dirname "$FERRY"):$PATH"
mkdir -p "$top/instance/deployment-root" "$top/agent-results"
# A new instance has no copy of the image the build made on this engine:
# untag it, so that the hooks' pull downloads it from the registry.
docker images --format '{{.Repository}}:{{.Tag}}' |
	grep '/aws-pipeline-demo:' | xargs -r docker rmi -f >/dev/null 2>&1
"$FERRY" appspec run --json --bundle "$BUNDLE_FILE" \
	--root "$top/instance/deployment-root" \
	--deployment-id "$DEPLOYMENT_ID" \
	--deployment-group "${DEPLOYMENT_GROUP_ID:-$DEPLOYMENT_GROUP_NAME}" \
	--deployment-group-name "$DEPLOYMENT_GROUP_NAME" \
	--application "$APPLICATION_NAME" \
	--bundle-bucket "$BUNDLE_BUCKET" --bundle-key "$BUNDLE_KEY" \
	${BUNDLE_VERSION:+--bundle-version "$BUNDLE_VERSION"} \
	${BUNDLE_ETAG:+--bundle-etag "$BUNDLE_ETAG"} >"$AGENT_RESULT"
rc=$?
cp "$AGENT_RESULT" "$top/agent-results/$DEPLOYMENT_ID.json"
exit $rc
