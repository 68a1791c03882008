#!/bin/sh
# Webhook load: wrk (Debian) posts a real signed push payload to
# POST /webhooks/github of `ferry serve` for DURATION seconds, each request
# with its own X-GitHub-Delivery.  The repository is not in
# serve.repositories, so every delivery is verified, parsed, recorded and
# answered 202 without a build.  Reported: requests/s, p99 latency, and
# errors (any non-2xx answer or socket error counts); the baseline, in the
# same invocation, is GET /healthz on the same server.
#   DURATION=10 CONNECTIONS=32 sh tests/bench/serve.sh
set -u
TOP=$(pwd)
FERRY=${FERRY:-$TOP/${BUILD:-build}/bin/ferry}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-32}
T=$(mktemp -d /tmp/ferry-servebench.XXXXXX)
SECRET=bench-secret
cleanup() {
	[ -f "$T/pid" ] && kill "$(cat "$T/pid")" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 2' INT TERM

if ! command -v wrk >/dev/null 2>&1; then
	if [ "$(id -u)" = 0 ]; then
		apt-get update -q >/dev/null 2>&1
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			--no-install-recommends wrk >/dev/null 2>&1
	fi
	command -v wrk >/dev/null 2>&1 || { echo "serve bench: wrk is missing (apt-get install wrk)"; exit 1; }
fi
[ -d tests/serve/node_modules/@octokit/webhooks-examples ] ||
	(cd tests/serve && npm ci --no-audit --no-fund >/dev/null 2>&1) ||
	{ echo "serve bench: npm ci in tests/serve failed"; exit 1; }
[ -x "$FERRY" ] || { echo "serve bench: $FERRY is not built"; exit 1; }

python3 tests/serve/payload.py push "$T/push.json" acme/app \
	http://127.0.0.1:9/acme/app.git refs/heads/main \
	0000000000000000000000000000000000000000 \
	4a0d55e3bdbff9e4b8a36d4b6de9816cfb885865 "load test"
SIG=$(openssl dgst -sha256 -hmac "$SECRET" -r "$T/push.json" | cut -d' ' -f1)
cat >"$T/ferry.yml" <<EOF
data_dir: $T/data
serve:
  listen: 127.0.0.1:0
  port_file: $T/port
  log_file: $T/server.log
  secret: $SECRET
  repositories: [acme/allowed-only]
  statuses: false
EOF
"$FERRY" serve --config "$T/ferry.yml" >"$T/out" 2>&1 &
echo $! >"$T/pid"
for i in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.1; done
URL=http://127.0.0.1:$(cat "$T/port")

# The Lua script: the same signed body, a fresh delivery id per request;
# done() prints one line of numbers.
python3 - "$T/push.json" "$SIG" >"$T/hook.lua" <<'EOF'
import json, sys
body = open(sys.argv[1]).read()
print("""local body = %s
local sig = "sha256=%s"
local n = 0
tid = 0
local threads = {}
function setup(thread)
  tid = tid + 1
  thread:set("tid", tid)
  table.insert(threads, thread)
end
function request()
  n = n + 1
  return wrk.format("POST", "/webhooks/github", {
    ["Content-Type"] = "application/json",
    ["X-GitHub-Event"] = "push",
    ["X-GitHub-Delivery"] = string.format("bench-%%d-%%d", tid, n),
    ["X-Hub-Signature-256"] = sig,
  }, body)
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %%d %%.3f %%.3f %%d %%d\\n", summary.requests,
    summary.duration / 1e6, latency:percentile(99) / 1000,
    e.status, e.connect + e.read + e.write + e.timeout))
end""" % (json.dumps(body), sys.argv[2]))
EOF
cat >"$T/get.lua" <<'EOF'
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %.3f %.3f %d %d\n", summary.requests,
    summary.duration / 1e6, latency:percentile(99) / 1000,
    e.status, e.connect + e.read + e.write + e.timeout))
end
EOF

# A wrong signature must be refused before the run, or the numbers lie.
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'X-GitHub-Event: push' \
	-H 'X-GitHub-Delivery: check-1' -H "X-Hub-Signature-256: sha256=$SIG" \
	--data-binary @"$T/push.json" "$URL/webhooks/github")
[ "$code" = 202 ] || { echo "serve bench: the signed payload got $code, not 202"; exit 1; }

wrk -t2 -c"$CONNECTIONS" -d5s -s "$T/get.lua" "$URL/healthz" >"$T/base.out" 2>&1
wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" -s "$T/hook.lua" "$URL/webhooks/github" >"$T/hook.out" 2>&1
set -- $(sed -n 's/^RESULT //p' "$T/base.out")
b_req=$1 b_secs=$2 b_p99=$3
set -- $(sed -n 's/^RESULT //p' "$T/hook.out")
h_req=$1 h_secs=$2 h_p99=$3 h_status=$4 h_sock=$5
ignored=$(curl -s "$URL/metrics" | sed -n 's/^ferry_webhooks_total{result="ignored"} //p')
builds=$(curl -s "$URL/api/repos" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
python3 - "$h_req" "$h_secs" "$h_p99" "$h_status" "$h_sock" "$b_req" "$b_secs" "$b_p99" "$ignored" "$builds" "$CONNECTIONS" <<'EOF'
import sys
h_req, h_secs, h_p99, h_st, h_sock, b_req, b_secs, b_p99, ign, builds, conns = sys.argv[1:]
h_rps = int(h_req) / float(h_secs)
b_rps = int(b_req) / float(b_secs)
print(f"webhook POST (signed push, {conns} connections, {float(h_secs):.0f}s): "
      f"{h_rps:.0f} requests/s, p99 {float(h_p99):.2f} ms, "
      f"{h_st} non-2xx, {h_sock} socket errors")
print(f"baseline GET /healthz: {b_rps:.0f} requests/s, p99 {float(b_p99):.2f} ms "
      f"(webhooks run at {h_rps / b_rps:.2f}x its rate)")
print(f"deliveries counted as ignored: {ign} (answers wrk counted: {h_req}, "
      f"plus 1 check and the requests in flight at the end); "
      f"repositories with builds: {builds}")
ok = int(h_st) == 0 and int(h_sock) == 0 and int(builds) == 0 and \
    int(ign) >= int(h_req) + 1
sys.exit(0 if ok else 1)
EOF
