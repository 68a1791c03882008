#!/bin/sh
# Log in to ECR with the instance role (the instance profile's
# credentials, from the instance metadata) and pull the new image.
set -e
. "$(dirname "$0")/common.sh"
registry=$(ferry ecr login)
echo "logged in to $registry"
docker pull "$IMAGE"
