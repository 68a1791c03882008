# Sourced by the hooks: the release this bundle carries (IMAGE, VERSION,
# APP_PORT, APP_CONTAINER), written by before_deploy.
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/release.env"
echo "[$LIFECYCLE_EVENT] $APPLICATION_NAME/$DEPLOYMENT_GROUP_NAME $DEPLOYMENT_ID: $IMAGE"
