#!/bin/sh
# Each third-party library is included by exactly one of our files.
status=0
only() {
	hdr=$1; file=$2
	found=$(grep -l "#include <$hdr" common/*.c runner/*.c lifecycle/*.c \
		deployers/*.c include/*.h 2>/dev/null | grep -vx "$file")
	if [ -n "$found" ]; then
		echo "only $file may include <$hdr>: $found" >&2
		status=1
	fi
}
only yaml.h runner/loader.c
only git2.h 'runner/vcs\(_remote\|_checkout\)\{0,1\}\.c'
only curl/ common/http.c
only openssl/ common/crypto.c
only archive common/tarball.c
only jansson.h common/json.c
only pcre2.h common/regex.c
only sqlite3.h runner/store.c
only microhttpd.h runner/httpd.c
exit $status
