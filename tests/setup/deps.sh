#!/bin/sh
# Install the Debian packages ferry needs to build and test, when missing.
# Safe to run repeatedly: it does nothing when everything is present.
set -e
PKGS="make gcc clang pkg-config git python3 curl ca-certificates
libyaml-dev libgit2-dev libcurl4-openssl-dev libssl-dev libarchive-dev
libjansson-dev libpcre2-dev libsqlite3-dev libmicrohttpd-dev
docker.io debootstrap openssl ruby openssh-client openssh-server
chromium wrk awscli jq file zip acl zstd docker-registry"
missing=""
# Node.js and npm (the serve tests' browser driver): any install will do,
# Debian's packages or another vendor's.
command -v npm >/dev/null 2>&1 || PKGS="$PKGS nodejs npm"
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "ferry: missing Debian packages:$missing (run as root to install)" >&2
	exit 1
fi
echo "ferry: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends $missing >/dev/null
