#!/bin/sh
# Docker: the Engine API client (lifecycle/docker.c) against the real
# engine, then against a second engine started here on 127.0.0.1 with TLS
# client authentication (certificates made with the openssl CLI).
#   - tests/setup/docker.sh: the engine and the test base image;
#   - a registry on 127.0.0.1 (docker-registry, installed when missing)
#     with one small image, for a real pull;
#   - unit-tests docker__ with FERRY_REQUIRE_DOCKER=1: engine tests fail,
#     never skip, when the engine or the image is missing;
#   - unit-tests docker_tls: DOCKER_HOST=tcp:// with DOCKER_TLS_VERIFY.
# Prints ok/FAIL lines and ends with "N passed, N failed".
cd "${FERRY_TOP:-$(dirname "$0")/../..}" || exit 2
BUILD=${BUILD:-build}
UNIT=$BUILD/bin/unit-tests
pass=0
fail=0
tmp=$(mktemp -d /tmp/ferry-docker-suite.XXXXXX)

ok() {
	echo "ok   $*"
	pass=$((pass + 1))
}
bad() {
	echo "FAIL $*"
	fail=$((fail + 1))
}

# Run unit tests matching $1 with the rest as environment; count them.
unit() {
	filter=$1
	shift
	env "$@" "$UNIT" "$filter" >"$tmp/unit.out" 2>&1
	cat "$tmp/unit.out"
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$tmp/unit.out" | tail -n 1)
	if [ -z "$line" ]; then
		bad "unit-tests $filter printed no summary"
		return
	fi
	p=${line%% passed*}
	f=${line#*passed, }
	f=${f%% failed}
	pass=$((pass + p))
	fail=$((fail + f))
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

tls_pid=""
cleanup() {
	if [ -n "$tls_pid" ]; then
		kill "$tls_pid" 2>/dev/null
		i=0
		while kill -0 "$tls_pid" 2>/dev/null && [ $i -lt 100 ]; do
			sleep 0.2
			i=$((i + 1))
		done
	fi
	[ -n "$reg_pid" ] && kill "$reg_pid" 2>/dev/null
	docker ps -aq --filter label=io.ferry.test=unit 2>/dev/null |
		xargs -r docker rm -f >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT

if [ ! -x "$UNIT" ]; then
	bad "docker: $UNIT is not built"
	echo "$pass passed, $fail failed"
	exit 1
fi
# A registry on 127.0.0.1 (Debian's docker-registry) holding one small
# image, for a real pull with progress; the engine trusts 127.0.0.0/8.
reg_pid=""
start_registry() {
	if ! command -v docker-registry >/dev/null 2>&1; then
		[ "$(id -u)" = 0 ] || return 1
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			--no-install-recommends docker-registry >/dev/null 2>&1 ||
			return 1
	fi
	rport=$(free_port) || return 1
	r=$tmp/registry
	mkdir -p "$r/data" "$r/img" || return 1
	cat >"$r/config.yml" <<EOF2
version: 0.1
storage:
  filesystem:
    rootdirectory: $r/data
http:
  addr: 127.0.0.1:$rport
EOF2
	setsid docker-registry serve "$r/config.yml" >"$r/log" 2>&1 </dev/null &
	reg_pid=$!
	i=0
	until curl -sf "http://127.0.0.1:$rport/v2/" >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -gt 50 ] && return 1
		sleep 0.2
	done
	# One layer of 8 MiB of random bytes: enough for progress lines.
	head -c 8388608 /dev/urandom >"$r/img/blob" &&
	tar -C "$r/img" -cf - blob |
		docker import - "127.0.0.1:$rport/ferry-test/tiny:1" >/dev/null &&
	docker push -q "127.0.0.1:$rport/ferry-test/tiny:1" >/dev/null &&
	docker rmi "127.0.0.1:$rport/ferry-test/tiny:1" >/dev/null
}

if sh tests/setup/docker.sh; then
	ok "docker: engine and test image ready (${FERRY_TEST_IMAGE:-ferry/debian:bookworm})"
	if start_registry; then
		ok "docker: registry on 127.0.0.1:$rport with ferry-test/tiny:1"
		unit docker__ FERRY_REQUIRE_DOCKER=1 \
			FERRY_TEST_REGISTRY="127.0.0.1:$rport"
	else
		bad "docker: cannot start a local registry (docker-registry)"
		unit docker__ FERRY_REQUIRE_DOCKER=1
	fi
else
	bad "docker: tests/setup/docker.sh could not provide the engine and image"
fi

# Certificates: a CA signing the engine's and the client's, and another CA
# with its own client certificate, which the engine must refuse.
make_certs() {
	d=$tmp/pki
	mkdir -p "$d" "$tmp/client" "$tmp/other" || return 1
	key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
	ca() {
		key "$d/$1-key.pem" &&
		openssl req -x509 -new -key "$d/$1-key.pem" -days 2 \
			-subj "/CN=ferry test $1" -out "$d/$1.pem" 2>/dev/null
	}
	# cert NAME CA CN EXT
	cert() {
		key "$d/$1-key.pem" &&
		openssl req -new -key "$d/$1-key.pem" -subj "/CN=$3" \
			-out "$d/$1.csr" 2>/dev/null &&
		printf '%s\n' "$4" >"$d/$1.ext" &&
		openssl x509 -req -in "$d/$1.csr" -CA "$d/$2.pem" \
			-CAkey "$d/$2-key.pem" -CAcreateserial -days 2 \
			-extfile "$d/$1.ext" -out "$d/$1.pem" 2>/dev/null
	}
	ca ca && ca otherca &&
	cert server ca 127.0.0.1 "subjectAltName=IP:127.0.0.1
extendedKeyUsage=serverAuth" &&
	cert client ca ferry-client "extendedKeyUsage=clientAuth" &&
	cert otherclient otherca ferry-other "extendedKeyUsage=clientAuth" &&
	cp "$d/ca.pem" "$tmp/client/ca.pem" &&
	cp "$d/client.pem" "$tmp/client/cert.pem" &&
	cp "$d/client-key.pem" "$tmp/client/key.pem" &&
	cp "$d/otherca.pem" "$tmp/other/ca.pem" &&
	cp "$d/otherclient.pem" "$tmp/other/cert.pem" &&
	cp "$d/otherclient-key.pem" "$tmp/other/key.pem"
}

if ! make_certs; then
	bad "docker tls: cannot make certificates with openssl"
elif ! port=$(free_port); then
	bad "docker tls: no free port"
else
	e=$tmp/engine
	mkdir -p "$e"
	setsid dockerd --data-root "$e/root" --exec-root "$e/exec" \
		--pidfile "$e/docker.pid" -H "unix://$e/docker.sock" \
		-H "tcp://127.0.0.1:$port" --tlsverify \
		--tlscacert "$tmp/pki/ca.pem" --tlscert "$tmp/pki/server.pem" \
		--tlskey "$tmp/pki/server-key.pem" \
		--bridge=none --iptables=false >"$e/dockerd.log" 2>&1 </dev/null &
	tls_pid=$!
	i=0
	until docker -H "unix://$e/docker.sock" version >/dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -gt 120 ] || ! kill -0 "$tls_pid" 2>/dev/null; then
			break
		fi
		sleep 0.5
	done
	if docker -H "unix://$e/docker.sock" version >/dev/null 2>&1; then
		ok "docker tls: second engine on tcp://127.0.0.1:$port with --tlsverify"
		unit docker_tls FERRY_TLS_DOCKER_HOST="tcp://127.0.0.1:$port" \
			FERRY_TLS_CERTS="$tmp/client" \
			FERRY_TLS_OTHER_CERTS="$tmp/other"
	else
		bad "docker tls: the second engine did not start:"
		tail -5 "$e/dockerd.log" | sed 's/^/    /'
	fi
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
