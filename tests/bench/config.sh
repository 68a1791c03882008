#!/bin/sh
# Configs per second through the config layer over the conformance corpus
# (2,233 real configs), single-threaded, against loading the YAML alone.
cd "${FERRY_TOP:-$(dirname "$0")/../..}" || exit 2
conf="$FERRY_SHARED/conformance/travis-yml"
list=$(mktemp)
find "$conf/configs" -name '*.yml' | sort >"$list"
"$BUILD/bin/bench-config" --rounds 5 --list "$list"
rm -f "$list"
