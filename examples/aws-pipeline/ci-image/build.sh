#!/bin/sh
# Build the example's job image:
#   sh examples/aws-pipeline/ci-image/build.sh [TAG [BASE]]
# TAG defaults to ferry/aws-pipeline-ci:bookworm and BASE to
# ferry/debian:bookworm (`ferry image bootstrap --include python3`).
# apt-get needs the Debian archive, so the build uses the host network.
set -e
tag=${1:-ferry/aws-pipeline-ci:bookworm}
base=${2:-ferry/debian:bookworm}
here=$(cd "$(dirname "$0")" && pwd)
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
cp "$here/Dockerfile" "$ctx/"
cp "$(command -v docker)" "$ctx/docker"
docker build -q --network host --build-arg BASE="$base" -t "$tag" "$ctx" >/dev/null
echo "$tag"
