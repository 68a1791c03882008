#!/bin/sh
# The s3 and codedeploy providers (deployers/*.c) through their driver,
# bench-deploy, against real local servers: moto (S3, IAM, STS,
# CodeDeploy, instance metadata) completed by tests/servers/moto_server.py,
# with SigV4 and IAM authorisation enforced after set-up, and a fault
# proxy (tests/servers/fault_proxy.py) in front of it.  What the providers
# stored is checked with the aws CLI (s3api, deploy).
# Needs: python3 with moto[server] (and its boto3/botocore), the aws CLI,
# jq, gzip, cmp, curl; ruby and file(1) for the two comparison tests (skipped
# with a note when missing).
set -u
TOP=$(pwd)
B="$TOP/$BUILD/bin/bench-deploy"
case $BUILD in /*) B="$BUILD/bin/bench-deploy" ;; esac
T=$(mktemp -d /tmp/ferry-deploy.XXXXXX)
pass=0
fail=0
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 2' INT TERM

ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() {
	fail=$((fail + 1))
	echo "FAIL $1"
	[ -f "$T/out" ] && sed 's/^/    | /' "$T/out" | tail -n 25
	[ -f "$T/err" ] && sed 's/^/    ! /' "$T/err" | tail -n 8
	return 0
}
finish() {
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit $?
}
has() { grep -q -- "$1" "$T/$2"; }
count() { grep -c -- "$1" "$T/$2"; }

# ---- prerequisites ----
if ! python3 -c 'import moto.server, boto3, flask' 2>/dev/null; then
	echo "moto[server] is missing; trying: python3 -m pip install 'moto[server]'"
	python3 -m pip install -q 'moto[server]' >/dev/null 2>&1
fi
if ! python3 -c 'import moto.server, boto3, flask' 2>/dev/null; then
	bad "moto[server] is not installed and pip could not install it"
	finish
fi
for tool in aws jq gzip cmp curl; do
	if ! command -v $tool >/dev/null 2>&1; then
		bad "the '$tool' command is missing"
		finish
	fi
done

# A clean environment: no credentials, files or instance metadata of the
# machine running the tests.
for v in $(env | sed -n 's/^\(AWS_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done
export HOME="$T/home"
mkdir -p "$HOME"
export AWS_EC2_METADATA_DISABLED=true
export AWS_SHARED_CREDENTIALS_FILE="$T/no-credentials"
export AWS_CONFIG_FILE="$T/no-config"
export AWS_DEFAULT_REGION=us-east-1

wait_file() {
	i=0
	while [ ! -s "$1" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
	[ -s "$1" ]
}

python3 "$TOP/tests/servers/moto_server.py" --port-file "$T/moto.port" \
	>"$T/moto.log" 2>&1 &
pids="$pids $!"
if ! wait_file "$T/moto.port"; then
	bad "the AWS test server did not start"
	cat "$T/moto.log"
	finish
fi
MP=$(cat "$T/moto.port")
E="http://127.0.0.1:$MP"
python3 "$TOP/tests/servers/fault_proxy.py" "$MP" --port-file "$T/proxy.port" \
	>"$T/proxy.log" 2>&1 &
pids="$pids $!"
wait_file "$T/proxy.port" || { bad "the fault proxy did not start"; finish; }
PE="http://127.0.0.1:$(cat "$T/proxy.port")"
# STS for AssumeRole: the test server (every other endpoint is an option)
export AWS_ENDPOINT_URL_STS="$E"

ACCT=123456789012
ALL='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*","codedeploy:*"],"Resource":"*"}]}'
LIST='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}'
S3ONLY='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}'
ASSUME='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::'$ACCT':role/deploy-role"}]}'
CDNOCREATE='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*","codedeploy:GetDeployment","codedeploy:RegisterApplicationRevision"],"Resource":"*"}]}'

setup() { python3 "$TOP/tests/servers/moto_setup.py" "$E"; }

if ! setup >"$T/setup.out" 2>"$T/setup.err" <<EOF
bucket site
bucket big
bucket faults
bucket bundles versioned
bucket plain
user deployer $ALL
user limited $LIST
user assumer $ASSUME
user s3only $S3ONLY
user cdlimited $CDNOCREATE
role deploy-role arn:aws:iam::$ACCT:user/assumer $S3ONLY
role instance-role ec2.amazonaws.com $S3ONLY
codedeploy shop prod
codedeploy shop staging
instance-role arn:aws:iam::$ACCT:role/instance-role
auth on
EOF
then
	bad "set-up of the AWS test server"
	cat "$T/setup.err"
	finish
fi
line() { sed -n "$1p" "$T/setup.out"; }
DK=$(line 6 | cut -d' ' -f1)
DS=$(line 6 | cut -d' ' -f2)
LK=$(line 7 | cut -d' ' -f1)
LS=$(line 7 | cut -d' ' -f2)
AK=$(line 8 | cut -d' ' -f1)
AS=$(line 8 | cut -d' ' -f2)
CK=$(line 10 | cut -d' ' -f1)
CS=$(line 10 | cut -d' ' -f2)

# The aws CLI, as the deployer, to look at what the providers stored.
awsq() {
	AWS_ACCESS_KEY_ID=$DK AWS_SECRET_ACCESS_KEY=$DS aws --endpoint-url "$E" \
		--region us-east-1 "$@"
}

W="$T/ws"
mkdir -p "$W"
# deploy [NAME=VALUE...] FILE.yml [bench-deploy options...]: runs the
# provider with those variables in ferry's environment; output in $T/out
# and $T/err, exit status in $rc.
deploy() {
	(
		while :; do
			case $1 in
			-* | *.yml) break ;;
			*=*) export "$1" ;;
			*) break ;;
			esac
			shift
		done
		f=$1
		shift
		cd "$W" && exec "$B" "$@" --secrets "$T/secrets" "$f"
	) >"$T/out" 2>"$T/err"
	rc=$?
}
requests() { curl -s "$E/ferry-test/requests" | jq -r '.[]'; }
creds() {
	printf "access_key_id: '%s'\nsecret_access_key: '%s'\n" "$1" "$2"
}

# ---- 1. a site, object by object ----
P="$W/public"
mkdir -p "$P/about" "$P/css" "$P/js" "$P/img" "$P/docs" "$P/.well-known"
printf '<!DOCTYPE html>\n<html><body>home</body></html>\n' >"$P/index.html"
printf '<!DOCTYPE html>\n<html><body>about</body></html>\n' >"$P/about/index.html"
printf 'body { color: #333 }\n' >"$P/css/site.css"
printf 'console.log("hi");\n' >"$P/js/app.js"
printf 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==' |
	base64 -d >"$P/img/logo.png"
printf '{"items": [1, 2, 3]}\n' | gzip -9 >"$P/data.json.gz"
printf 'plus and space\n' >"$P/docs/a b+c.txt"
printf 'Contact: mailto:security@example.com\n' >"$P/.well-known/security.txt"
printf 'some text\n' >"$P/unknown.xyz"
{
	echo "provider: s3"
	creds "$DK" "$DS"
	cat <<EOF
bucket: site
endpoint: $E
local_dir: public
upload_dir: www
acl: public_read
storage_class: STANDARD_IA
cache_control:
  - "public, max-age=31536000: *.css, *.js, img/*"
  - no-cache
expires: "2030-01-01 00:00:00 UTC: *.html"
detect_encoding: true
default_text_charset: utf-8
index_document_suffix: index.html
max_threads: 4
EOF
} >"$W/site.yml"
deploy site.yml
if [ $rc -eq 0 ] && has "Uploading 8 files with up to 4 threads" out &&
	has "Setting index document suffix to index.html" out; then
	ok "s3: a site is deployed (dpl's log lines)"
else
	bad "s3: a site is deployed (dpl's log lines)"
fi

awsq s3api list-objects-v2 --bucket site --query 'Contents[].Key' \
	--output json 2>"$T/err" | jq -r '.[]' | sort >"$T/keys"
printf '%s\n' "www/about/index.html" "www/css/site.css" "www/data.json.gz" \
	"www/docs/a b+c.txt" "www/img/logo.png" "www/index.html" \
	"www/js/app.js" "www/unknown.xyz" | sort >"$T/want"
if cmp -s "$T/keys" "$T/want"; then
	ok "s3: the bucket holds exactly the site's keys (dot files left out)"
else
	diff "$T/want" "$T/keys" >"$T/out"
	bad "s3: the bucket holds exactly the site's keys (dot files left out)"
fi

# key|content type|cache control|content encoding|expires
cat >"$T/expect" <<'EOF'
index.html|text/html; charset=utf-8|no-cache|text|2030-01-01T00:00:00
about/index.html|text/html; charset=utf-8|no-cache|text|2030-01-01T00:00:00
css/site.css|text/css; charset=utf-8|public, max-age=31536000|text|
js/app.js|text/javascript; charset=utf-8|public, max-age=31536000|text|
img/logo.png|image/png|public, max-age=31536000||
data.json.gz|application/gzip|no-cache|gzip|
docs/a b+c.txt|text/plain; charset=utf-8|no-cache|text|
unknown.xyz|application/octet-stream|no-cache|text|
EOF
errors=0
: >"$T/out"
while IFS='|' read -r key ctype cache enc exp; do
	awsq s3api head-object --bucket site --key "www/$key" >"$T/head" 2>>"$T/out"
	got=$(jq -r '[.ContentType, .CacheControl, (.ContentEncoding // ""),
		.StorageClass] | join("|")' "$T/head")
	want="$ctype|$cache|$enc|STANDARD_IA"
	if [ "$got" != "$want" ]; then
		echo "$key: got '$got', want '$want'" >>"$T/out"
		errors=$((errors + 1))
	fi
	# the header as sent, or parsed by newer CLIs: compare the instant
	gotexp=$(jq -r '.Expires // ""' "$T/head")
	[ -n "$gotexp" ] && gotexp=$(date -u -d "$gotexp" +%Y-%m-%dT%H:%M:%S)
	case $gotexp in
	"$exp") ;;
	*)
		echo "$key: Expires '$gotexp', want '$exp'" >>"$T/out"
		errors=$((errors + 1))
		;;
	esac
	awsq s3api get-object --bucket site --key "www/$key" "$T/body" \
		>/dev/null 2>>"$T/out"
	if ! cmp -s "$T/body" "$P/$key"; then
		echo "$key: body differs" >>"$T/out"
		errors=$((errors + 1))
	fi
	awsq s3api get-object-acl --bucket site --key "www/$key" 2>>"$T/out" |
		jq -e '.Grants[] | select(.Grantee.URI ==
			"http://acs.amazonaws.com/groups/global/AllUsers"
			and .Permission == "READ")' >/dev/null ||
		{ echo "$key: not public-read" >>"$T/out"; errors=$((errors + 1)); }
done <"$T/expect"
if [ $errors -eq 0 ]; then
	ok "s3: every object's body, Content-Type, Cache-Control, Content-Encoding, Expires, storage class and ACL"
else
	bad "s3: every object's body, Content-Type, Cache-Control, Content-Encoding, Expires, storage class and ACL"
fi

awsq s3api get-bucket-website --bucket site >"$T/out" 2>"$T/err"
if [ "$(jq -r .IndexDocument.Suffix "$T/out")" = index.html ]; then
	ok "s3: index_document_suffix sets the bucket's website"
else
	bad "s3: index_document_suffix sets the bucket's website"
fi

deploy site.yml
if ! grep -q -e "$DS" -e "$DK" "$T/out" "$T/err" &&
	grep -qx -- "$DS" "$T/secrets" && grep -qx -- "$DK" "$T/secrets" &&
	has "Using Access Key: $(printf %s "$DK" | cut -c1-2)\*\{18\}$" out; then
	ok "s3: secrets never printed, registered for masking, key obfuscated as dpl does"
else
	bad "s3: secrets never printed, registered for masking, key obfuscated as dpl does"
fi

# ---- 2. dot_match, overwrite: false, skip_unchanged ----
sed 's/^max_threads: 4$/dot_match: true/' "$W/site.yml" >"$W/dots.yml"
deploy dots.yml
awsq s3api head-object --bucket site --key www/.well-known/security.txt \
	>/dev/null 2>"$T/err"
there=$?
if [ $rc -eq 0 ] && [ $there -eq 0 ] && has "Uploading 9 files" out; then
	ok "s3: dot_match uploads dot files"
else
	bad "s3: dot_match uploads dot files"
fi

printf 'changed\n' >"$P/css/site.css"
{ cat "$W/site.yml"; echo "overwrite: false"; } >"$W/noover.yml"
deploy noover.yml
awsq s3api get-object --bucket site --key www/css/site.css "$T/body" >/dev/null
if [ $rc -eq 0 ] && [ "$(count "already exists" out)" -eq 8 ] &&
	has "Skipping css/site.css, already exists" out &&
	! cmp -s "$T/body" "$P/css/site.css"; then
	ok "s3: overwrite: false skips existing keys with dpl's warning"
else
	bad "s3: overwrite: false skips existing keys with dpl's warning"
fi

{ cat "$W/site.yml"; echo "skip_unchanged: true"; } >"$W/skip.yml"
deploy skip.yml
awsq s3api get-object --bucket site --key www/css/site.css "$T/body" >/dev/null
if [ $rc -eq 0 ] && [ "$(count "unchanged" out)" -eq 7 ] &&
	has "Uploading css/site.css" out && cmp -s "$T/body" "$P/css/site.css" &&
	has "Uploaded 1 file .* 7 skipped" out; then
	ok "s3: skip_unchanged uploads only what changed (size and ETag)"
else
	bad "s3: skip_unchanged uploads only what changed (size and ETag)"
fi

# ---- 3. a dry run sends nothing ----
before=$(requests | wc -l)
deploy site.yml --dry-run
after=$(requests | wc -l)
if [ $rc -eq 0 ] && [ "$before" -eq "$after" ] &&
	[ "$(count "^dry run: PUT $E/site/www/" out)" -eq 8 ] &&
	has "Signature=\[hidden\]" out && ! grep -q -- "$DS" "$T/out"; then
	ok "s3: dry run prints every request, secrets masked, sends none"
else
	bad "s3: dry run prints every request, secrets masked, sends none"
fi

# ---- 4. a 100 MiB file in parts ----
mkdir -p "$W/bigdir"
head -c 104857600 /dev/urandom >"$W/bigdir/big.bin"
{
	echo "provider: s3"
	creds "$DK" "$DS"
	printf 'bucket: big\nendpoint: %s\nlocal_dir: bigdir\n' "$E"
} >"$W/big.yml"
before=$(requests | grep -c 'partNumber=')
deploy big.yml --color
parts=$(($(requests | grep -c 'partNumber=') - before))
etag=$(awsq s3api head-object --bucket big --key big.bin --query ETag --output text)
want=$(python3 -c '
import hashlib, sys
part = 5 << 20
md5s = b""
n = 0
with open(sys.argv[1], "rb") as f:
    while True:
        b = f.read(part)
        if not b:
            break
        md5s += hashlib.md5(b).digest()
        n += 1
print("\"%s-%d\"" % (hashlib.md5(md5s).hexdigest(), n))' "$W/bigdir/big.bin")
awsq s3api get-object --bucket big --key big.bin "$T/big.dl" >/dev/null
if [ $rc -eq 0 ] && [ "$parts" -eq 20 ] && [ "$etag" = "$want" ] &&
	cmp -s "$T/big.dl" "$W/bigdir/big.bin" &&
	has "big.bin:  50% of 100.0 MiB" out && has "big.bin: 100% of 100.0 MiB" out; then
	ok "s3: a 100 MiB file goes up in 20 parts of 5 MiB, byte for byte, progress on a terminal"
else
	echo "parts $parts, etag $etag, want $want" >>"$T/out"
	bad "s3: a 100 MiB file goes up in 20 parts of 5 MiB, byte for byte, progress on a terminal"
fi
rm -f "$T/big.dl"

# A part that fails for good: the multipart upload is aborted.
curl -s -X POST -d '{"status": 500, "count": 100, "code": "InternalError", "method": "PUT"}' \
	"$PE/__fault__" >/dev/null
sed "s|$E|$PE|; s/bucket: big/bucket: faults/" "$W/big.yml" >"$W/bigp.yml"
deploy bigp.yml
curl -s -X POST -d '{"count": 0}' "$PE/__fault__" >/dev/null
uploads=$(awsq s3api list-multipart-uploads --bucket faults --query 'Uploads[].UploadId' --output text)
if [ $rc -ne 0 ] && has "the multipart upload was aborted" err &&
	has "after 3 attempts" err && { [ -z "$uploads" ] || [ "$uploads" = None ]; }; then
	ok "s3: a part failing for good aborts the multipart upload"
else
	echo "uploads left: $uploads" >>"$T/out"
	bad "s3: a part failing for good aborts the multipart upload"
fi

# ---- 5. faults: 503 twice then success, dropped connections ----
mkdir -p "$W/one"
printf 'one file\n' >"$W/one/file.txt"
{
	echo "provider: s3"
	creds "$DK" "$DS"
	printf 'bucket: faults\nendpoint: %s\nlocal_dir: one\nmax_threads: 1\n' "$PE"
} >"$W/fault.yml"
curl -s -X POST -d '{"status": 503, "count": 2, "code": "SlowDown"}' \
	"$PE/__fault__" >/dev/null
deploy fault.yml
stats=$(curl -s "$PE/__fault__")
if [ $rc -eq 0 ] && [ "$(count "HTTP 503 SlowDown; retrying" out)" -eq 2 ] &&
	has "attempt 3 of 3" out && [ "$(echo "$stats" | jq .faults)" -eq 2 ] &&
	awsq s3api head-object --bucket faults --key file.txt >/dev/null 2>&1; then
	ok "s3: 503 SlowDown twice, then success on the third attempt"
else
	bad "s3: 503 SlowDown twice, then success on the third attempt"
fi

curl -s -X POST -d '{"drop": 2}' "$PE/__fault__" >/dev/null
deploy fault.yml
if [ $rc -eq 0 ] && [ "$(count "retrying" out)" -eq 2 ]; then
	ok "s3: dropped connections are retried"
else
	bad "s3: dropped connections are retried"
fi

curl -s -X POST -d '{"status": 503, "count": 5, "code": "SlowDown"}' \
	"$PE/__fault__" >/dev/null
deploy fault.yml
curl -s -X POST -d '{"count": 0}' "$PE/__fault__" >/dev/null
if [ $rc -ne 0 ] && has "after 3 attempts" err && has "SlowDown" err; then
	ok "s3: three 503s give up with a clear error"
else
	bad "s3: three 503s give up with a clear error"
fi

curl -s -X POST -d '{"delay_ms": 1500, "count": 1}' "$PE/__fault__" >/dev/null
t0=$(date +%s%N)
deploy fault.yml
t1=$(date +%s%N)
if [ $rc -eq 0 ] && ! has "retrying" out && [ $(((t1 - t0) / 1000000)) -ge 1500 ] &&
	[ "$(curl -s "$PE/__fault__" | jq .faults)" -eq 1 ]; then
	ok "s3: a slow answer is waited for, not retried"
else
	bad "s3: a slow answer is waited for, not retried"
fi

printf 'max_attempts: 5\n' >>"$W/fault.yml"
curl -s -X POST -d '{"status": 503, "count": 4, "code": "SlowDown"}' \
	"$PE/__fault__" >/dev/null
deploy fault.yml
if [ $rc -eq 0 ] && has "attempt 5 of 5" out; then
	ok "s3: max_attempts raises the number of tries"
else
	bad "s3: max_attempts raises the number of tries"
fi

# ---- 6. credential and permission errors ----
sed "s|$DS|wrong-secret-$DS|" "$W/fault.yml" | sed "s|$PE|$E|" >"$W/wrong.yml"
deploy wrong.yml
if [ $rc -ne 0 ] &&
	has "AWS secret key does not match the access key id" err &&
	has "SignatureDoesNotMatch" err && has "HTTP 403" err &&
	! grep -q "wrong-secret" "$T/out" "$T/err"; then
	ok "s3: a wrong secret gives a clear 403 error"
else
	bad "s3: a wrong secret gives a clear 403 error"
fi

sed "s|$DK|AKIANOSUCHKEY0000000|" "$W/fault.yml" | sed "s|$PE|$E|" >"$W/nokey.yml"
deploy nokey.yml
if [ $rc -ne 0 ] && has "Invalid S3 access key id" err; then
	ok "s3: an unknown access key gives dpl's message"
else
	bad "s3: an unknown access key gives dpl's message"
fi

{
	echo "provider: s3"
	creds "$LK" "$LS"
	printf 'bucket: faults\nendpoint: %s\nlocal_dir: one\nupload_dir: app\n' "$E"
} >"$W/denied.yml"
deploy denied.yml
stmt=$(sed -n 's/.*a policy statement that allows it: \({.*}\).*/\1/p' "$T/err")
if [ $rc -ne 0 ] && has "not yours or does not exist" err &&
	has "AccessDenied" err &&
	has "not allowed s3:PutObject on arn:aws:s3:::faults/app/file.txt;" err &&
	[ "$(echo "$stmt" | jq -r .Resource)" = "arn:aws:s3:::faults/app/*" ]; then
	ok "s3: AccessDenied names the refused action and prints the statement"
else
	bad "s3: AccessDenied names the refused action and prints the statement"
fi
# The statement printed is enough: a user with exactly it can deploy.
printf 'auth off\nuser granted {"Version":"2012-10-17","Statement":[%s]}\nauth on\n' \
	"$stmt" | setup >"$T/granted" 2>"$T/err"
read -r GK GS <<EOF
$(sed -n 2p "$T/granted")
EOF
sed "s|$LK|$GK|; s|$LS|$GS|" "$W/denied.yml" >"$W/granted.yml"
deploy granted.yml
if [ $rc -eq 0 ] && has "Uploaded 1 file" out; then
	ok "s3: the printed statement is sufficient for the deploy"
else
	bad "s3: the printed statement is sufficient for the deploy"
fi

# ---- 7. where credentials come from ----
printf 'provider: s3\nbucket: faults\nendpoint: %s\nlocal_dir: one\n' "$E" \
	>"$W/nocreds.yml"
deploy AWS_ACCESS_KEY_ID=$DK AWS_SECRET_ACCESS_KEY=$DS nocreds.yml
if [ $rc -eq 0 ] && has "Credentials from the environment" out; then
	ok "credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY"
else
	bad "credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY"
fi

deploy nocreds.yml -e "AWS_ACCESS_KEY_ID=$DK" -e "AWS_SECRET_ACCESS_KEY=$DS"
if [ $rc -eq 0 ] && has "Credentials from the environment" out; then
	ok "credentials: from the job's environment"
else
	bad "credentials: from the job's environment"
fi

printf '[default]\naws_access_key_id = AKIAWRONGWRONGWRONG0\naws_secret_access_key = x\n[ci]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
	"$DK" "$DS" >"$T/credentials"
deploy AWS_SHARED_CREDENTIALS_FILE="$T/credentials" AWS_PROFILE=ci nocreds.yml
if [ $rc -eq 0 ] && has "Credentials from profile 'ci'" out; then
	ok "credentials: shared credentials file, AWS_PROFILE"
else
	bad "credentials: shared credentials file, AWS_PROFILE"
fi

printf '[profile deployer]\nrole_arn = arn:aws:iam::%s:role/deploy-role\nsource_profile = assumer\n' \
	"$ACCT" >"$T/config"
printf '[assumer]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
	"$AK" "$AS" >"$T/credentials2"
deploy AWS_SHARED_CREDENTIALS_FILE="$T/credentials2" AWS_CONFIG_FILE="$T/config" \
	AWS_PROFILE=deployer nocreds.yml
if [ $rc -eq 0 ] && has "role 'arn:aws:iam::$ACCT:role/deploy-role' assumed with profile 'assumer'" out &&
	has "(temporary)" out; then
	ok "credentials: a profile's role_arn and source_profile (STS AssumeRole)"
else
	bad "credentials: a profile's role_arn and source_profile (STS AssumeRole)"
fi

{
	cat "$W/nocreds.yml"
	creds "$AK" "$AS"
	echo "role_arn: arn:aws:iam::$ACCT:role/deploy-role"
} >"$W/role.yml"
deploy role.yml
ok_role=$rc
grep -v role_arn "$W/role.yml" >"$W/norole.yml"
deploy norole.yml
if [ $ok_role -eq 0 ] && [ $rc -ne 0 ] && has "AccessDenied" err; then
	ok "credentials: the role_arn option assumes the role (its keys alone may not upload)"
else
	bad "credentials: the role_arn option assumes the role (its keys alone may not upload)"
fi

before=$(requests | grep -c '^imds:')
deploy AWS_EC2_METADATA_DISABLED=false AWS_EC2_METADATA_SERVICE_ENDPOINT="$E" \
	nocreds.yml
imds=$(requests | grep '^imds:' | tail -n +$((before + 1)))
if [ $rc -eq 0 ] && has "instance metadata (role 'instance-role')" out &&
	[ "$(echo "$imds" | head -n 1)" = "imds:PUT /latest/api/token" ] &&
	echo "$imds" | grep -q "GET /latest/meta-data/iam/security-credentials/instance-role"; then
	ok "credentials: EC2 instance metadata (IMDSv2 token, then the role)"
else
	echo "$imds" >>"$T/out"
	bad "credentials: EC2 instance metadata (IMDSv2 token, then the role)"
fi

curl -s -X POST -d 'Bearer container-secret' "$E/ferry-test/container-token" >/dev/null
deploy AWS_CONTAINER_CREDENTIALS_FULL_URI="$E/ferry-test/container-credentials" \
	AWS_CONTAINER_AUTHORIZATION_TOKEN='Bearer container-secret' nocreds.yml
if [ $rc -eq 0 ] && has "Credentials from container credentials" out &&
	grep -qx 'Bearer container-secret' "$T/secrets"; then
	ok "credentials: container credentials with an authorization token"
else
	bad "credentials: container credentials with an authorization token"
fi

deploy nocreds.yml
if [ $rc -ne 0 ] && has "no AWS credentials" err; then
	ok "credentials: none anywhere is a clear error"
else
	bad "credentials: none anywhere is a clear error"
fi

# ---- 7b. credential_process and web identity ----
# A credential_process (under a directory with a space, quoted in the
# profile as the AWS CLI wants): prints the keys it is given, valid for
# the seconds of its third argument (none: no Expiration), and counts
# its runs in $COUNT_FILE.
mkdir -p "$T/cred tools"
CP="$T/cred tools/cred-process"
cat >"$CP" <<'EOF'
#!/bin/sh
[ -n "${COUNT_FILE:-}" ] && echo run >>"$COUNT_FILE"
exp=
[ -n "${3:-}" ] && exp=$(date -u -d "@$(($(date +%s) + $3))" +%Y-%m-%dT%H:%M:%SZ)
printf '{"Version": 1, "AccessKeyId": "%s", "SecretAccessKey": "%s"%s}\n' \
	"$1" "$2" "${exp:+, \"Expiration\": \"$exp\"}"
EOF
chmod +x "$CP"
OIDC="arn:aws:iam::$ACCT:oidc-provider/token.ferry.test"
webtrust() {
	printf '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"%s"},"Action":"sts:AssumeRoleWithWebIdentity"}]}' "$1"
}
PROC='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::faults","arn:aws:s3:::faults/*","arn:aws:s3:::big","arn:aws:s3:::big/*","arn:aws:s3:::bundles","arn:aws:s3:::bundles/*"]},{"Effect":"Allow","Action":"codedeploy:*","Resource":"*"}]}'
WEBTOKEN="ci-token-$$-$(date +%s)"
{
	echo "auth off"
	echo "user proc $PROC"
	echo "role-trust web-deploy $(webtrust "$OIDC") $S3ONLY"
	echo "role-trust web-list $(webtrust "$OIDC") $LIST"
	echo "role-trust web-other $(webtrust "arn:aws:iam::$ACCT:oidc-provider/other.example") $S3ONLY"
	echo "web-identity-token $WEBTOKEN $OIDC"
	echo "auth on"
} | setup >"$T/setup2" 2>"$T/err"
read -r PK PS <<EOF
$(sed -n 2p "$T/setup2")
EOF
[ -n "$PS" ] || { bad "set-up of the credential_process user"; cat "$T/err"; }
cat >"$T/pconfig" <<EOF
[profile proc]
credential_process = "$CP" $PK $PS
[profile short]
credential_process = "$CP" $PK $PS 120
[profile long]
credential_process = "$CP" $PK $PS 7200
[profile broken]
credential_process = "$CP" "unbalanced
[profile failing]
credential_process = sh -c 'echo $PS; echo "the token expired: sign in again" >&2; exit 4'
[profile viaprocess]
role_arn = arn:aws:iam::$ACCT:role/deploy-role
source_profile = assumer
[profile assumer]
credential_process = "$CP" $AK $AS
[profile web]
web_identity_token_file = $T/web-token
role_arn = arn:aws:iam::$ACCT:role/web-deploy
EOF
printf '%s\n' "$WEBTOKEN" >"$T/web-token"

: >"$T/count"
deploy AWS_CONFIG_FILE="$T/pconfig" AWS_PROFILE=proc COUNT_FILE="$T/count" \
	nocreds.yml
if [ $rc -eq 0 ] && has "Credentials from credential_process of profile 'proc'" out &&
	has "Uploaded 1 file" out && [ "$(wc -l <"$T/count")" -eq 1 ] &&
	grep -qx -- "$PS" "$T/secrets" && ! grep -q -- "$PS" "$T/out" "$T/err"; then
	ok "credential_process: a profile's command gives the keys (run once, secret masked)"
else
	bad "credential_process: a profile's command gives the keys (run once, secret masked)"
fi

sed 's/^bucket: faults$/bucket: site/' "$W/nocreds.yml" >"$W/procsite.yml"
deploy AWS_CONFIG_FILE="$T/pconfig" AWS_PROFILE=proc procsite.yml
if [ $rc -ne 0 ] && has "AccessDenied" err &&
	has "not allowed s3:PutObject on arn:aws:s3:::site/file.txt" err; then
	ok "credential_process: the keys are the restricted user's (its policy applies)"
else
	bad "credential_process: the keys are the restricted user's (its policy applies)"
fi

deploy AWS_CONFIG_FILE="$T/pconfig" AWS_PROFILE=failing nocreds.yml
if [ $rc -ne 0 ] &&
	has "credential_process of profile 'failing' exited with status 4: the token expired: sign in again" err &&
	! grep -q -- "$PS" "$T/out" "$T/err"; then
	ok "credential_process: a failing command is a clear error (its stderr, not its stdout)"
else
	bad "credential_process: a failing command is a clear error (its stderr, not its stdout)"
fi

deploy AWS_CONFIG_FILE="$T/pconfig" AWS_PROFILE=broken nocreds.yml
if [ $rc -ne 0 ] && has "credential_process of profile 'broken': no closing quotation" err; then
	ok "credential_process: an unbalanced quote is a clear error"
else
	bad "credential_process: an unbalanced quote is a clear error"
fi

deploy AWS_CONFIG_FILE="$T/pconfig" AWS_PROFILE=viaprocess nocreds.yml
if [ $rc -eq 0 ] &&
	has "role 'arn:aws:iam::$ACCT:role/deploy-role' assumed with credential_process of profile 'assumer'" out; then
	ok "credential_process: as the source_profile of a role (STS AssumeRole)"
else
	bad "credential_process: as the source_profile of a role (STS AssumeRole)"
fi

deploy nocreds.yml -e "AWS_CONFIG_FILE=$T/pconfig" -e AWS_PROFILE=proc
if [ $rc -ne 0 ] && has "does not run the credential_process" err &&
	has "job's AWS_CONFIG_FILE" err; then
	ok "credential_process: not run from a file the job's own variables name"
else
	bad "credential_process: not run from a file the job's own variables name"
fi

webdeploy() { # webdeploy ROLE [NAME=VALUE...]: web identity from the environment
	r=$1
	shift
	deploy AWS_WEB_IDENTITY_TOKEN_FILE="$T/web-token" \
		AWS_ROLE_ARN="arn:aws:iam::$ACCT:role/$r" AWS_ROLE_SESSION_NAME=build-42 \
		"$@" nocreds.yml
}
before=$(requests | wc -l)
webdeploy web-deploy
calls=$(requests | tail -n +$((before + 1)) | grep '^sts:')
if [ $rc -eq 0 ] && [ "$calls" = "sts:AssumeRoleWithWebIdentity unsigned" ] &&
	has "Credentials from role 'arn:aws:iam::$ACCT:role/web-deploy' assumed with the web identity token '$T/web-token' (temporary)" out &&
	has "Uploaded 1 file" out && grep -qx -- "$WEBTOKEN" "$T/secrets" &&
	! grep -q -- "$WEBTOKEN" "$T/out" "$T/err"; then
	ok "web identity: AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN, one unsigned AssumeRoleWithWebIdentity"
else
	echo "sts calls: $calls" >>"$T/out"
	bad "web identity: AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN, one unsigned AssumeRoleWithWebIdentity"
fi

webdeploy web-list
if [ $rc -ne 0 ] && has "AccessDenied" err &&
	has "not allowed s3:PutObject on arn:aws:s3:::faults/file.txt" err; then
	ok "web identity: the role's policy applies (a role without s3:PutObject is refused)"
else
	bad "web identity: the role's policy applies (a role without s3:PutObject is refused)"
fi

webdeploy web-other
if [ $rc -ne 0 ] &&
	has "web identity for role 'arn:aws:iam::$ACCT:role/web-other': AssumeRoleWithWebIdentity: AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity" err &&
	! has "policy statement" err; then
	ok "web identity: a role that does not trust the token's provider is refused by STS"
else
	bad "web identity: a role that does not trust the token's provider is refused by STS"
fi

printf 'not-a-token\n' >"$T/bad-token"
deploy AWS_WEB_IDENTITY_TOKEN_FILE="$T/bad-token" \
	AWS_ROLE_ARN="arn:aws:iam::$ACCT:role/web-deploy" nocreds.yml
if [ $rc -ne 0 ] && has "InvalidIdentityToken" err; then
	ok "web identity: a token STS does not accept is refused"
else
	bad "web identity: a token STS does not accept is refused"
fi

deploy AWS_ACCESS_KEY_ID=$DK AWS_SECRET_ACCESS_KEY=$DS \
	AWS_WEB_IDENTITY_TOKEN_FILE="$T/web-token" AWS_ROLE_ARN="arn:aws:iam::$ACCT:role/web-list" \
	nocreds.yml
envfirst=$rc
before=$(requests | wc -l)
deploy AWS_CONFIG_FILE="$T/pconfig" AWS_PROFILE=web nocreds.yml
calls=$(requests | tail -n +$((before + 1)) | grep -c '^sts:AssumeRoleWithWebIdentity unsigned')
if [ $envfirst -eq 0 ] && [ $rc -eq 0 ] && [ "$calls" -eq 1 ] &&
	has "role 'arn:aws:iam::$ACCT:role/web-deploy' assumed with the web identity token" out; then
	ok "web identity: a profile's web_identity_token_file and role_arn; environment keys come first"
else
	bad "web identity: a profile's web_identity_token_file and role_arn; environment keys come first"
fi

# ---- 8. CodeDeploy ----
mkdir -p "$W/app/scripts"
printf 'version: 0.0\nos: linux\nfiles:\n  - source: /\n    destination: /srv/shop\nhooks:\n  ApplicationStart:\n    - location: scripts/start.sh\n' \
	>"$W/app/appspec.yml"
printf '#!/bin/sh\necho started\n' >"$W/app/scripts/start.sh"
chmod +x "$W/app/scripts/start.sh"
cdyml() { # cdyml FILE [extra lines...]
	f=$1
	shift
	{
		echo "provider: codedeploy"
		creds "$DK" "$DS"
		printf 'application: shop\ndeployment_group: prod\nendpoint: %s\nwait_interval: 0.05\n' "$E"
		for l in "$@"; do echo "$l"; done
	} >"$W/$f"
}
cdyml cd.yml "bucket: bundles" "key: shop/build-7.zip" "bundle_dir: app" \
	"wait_until_deployed: true"
before=$(requests | wc -l)
deploy cd.yml --build-number 7 --slug acme/shop --commit 0123abc
calls=$(requests | tail -n +$((before + 1)) | grep -v 'GetDeployment$' |
	sed 's/ .*//' | tr '\n' ' ')
id=$(sed -n 's/^Deployment triggered: //p' "$T/out")
awsq deploy get-deployment --deployment-id "$id" >"$T/dep" 2>"$T/err"
if [ $rc -eq 0 ] && has "done: Succeeded." out &&
	[ "$calls" = "s3:PUT s3:HEAD codedeploy:RegisterApplicationRevision codedeploy:CreateDeployment " ] &&
	[ "$(jq -r .deploymentInfo.status "$T/dep")" = Succeeded ] &&
	[ "$(jq -r .deploymentInfo.description "$T/dep")" = "Deploy build 7 via Travis CI" ] &&
	[ "$(jq -r .deploymentInfo.revision.s3Location.bundleType "$T/dep")" = zip ] &&
	[ "$(jq -r .deploymentInfo.fileExistsBehavior "$T/dep")" = DISALLOW ]; then
	ok "codedeploy: bundle_dir uploaded, HeadObject, RegisterApplicationRevision (versioned), CreateDeployment, waited until Succeeded"
else
	echo "calls: $calls" >>"$T/out"
	bad "codedeploy: bundle_dir uploaded, HeadObject, RegisterApplicationRevision (versioned), CreateDeployment, waited until Succeeded"
fi

awsq s3api get-object --bucket bundles --key shop/build-7.zip "$T/bundle.zip" >/dev/null
if python3 -c 'import sys, zipfile; n = sorted(zipfile.ZipFile(sys.argv[1]).namelist()); sys.exit(not ("appspec.yml" in n and "scripts/start.sh" in n))' "$T/bundle.zip"; then
	ok "codedeploy: the bundle is a zip with appspec.yml at its top"
else
	bad "codedeploy: the bundle is a zip with appspec.yml at its top"
fi

# An unversioned bucket: no RegisterApplicationRevision (dpl's rule).
cdyml cdplain.yml "bucket: plain" "key: shop.tgz" "bundle_dir: app" \
	"wait_until_deployed: true" "file_exists_behavior: overwrite" \
	'description: "%{repository} at %{git_sha} (%{$DEPLOY_NOTE})"'
before=$(requests | wc -l)
deploy cdplain.yml --slug acme/shop --commit 0123abc -e DEPLOY_NOTE=nightly
calls=$(requests | tail -n +$((before + 1)) | grep -c RegisterApplicationRevision)
id=$(sed -n 's/^Deployment triggered: //p' "$T/out")
awsq deploy get-deployment --deployment-id "$id" >"$T/dep" 2>"$T/err"
if [ $rc -eq 0 ] && [ "$calls" -eq 0 ] &&
	[ "$(jq -r .deploymentInfo.revision.s3Location.bundleType "$T/dep")" = tgz ] &&
	[ "$(jq -r .deploymentInfo.description "$T/dep")" = "acme/shop at 0123abc (nightly)" ] &&
	[ "$(jq -r .deploymentInfo.fileExistsBehavior "$T/dep")" = OVERWRITE ]; then
	ok "codedeploy: unversioned bucket, tgz bundle, description interpolation, file_exists_behavior"
else
	bad "codedeploy: unversioned bucket, tgz bundle, description interpolation, file_exists_behavior"
fi

cdyml cdfail.yml "bucket: bundles" "key: shop/build-7.zip" \
	"wait_until_deployed: true" 'description: "build 8 [ferry-test:fail]"'
deploy cdfail.yml
if [ $rc -ne 0 ] && has "done: Failed." err && has "HOOK_EXECUTION_FAILURE" err &&
	has "errorInformation: HOOK_EXECUTION_FAILURE: Script at specified location" out; then
	ok "codedeploy: a Failed deployment errors with its errorInformation"
else
	bad "codedeploy: a Failed deployment errors with its errorInformation"
fi

curl -s -X POST -d '{"outcome": "Stopped", "errorInformation": {"code": "MANUAL_STOP", "message": "stopped by an operator"}}' \
	"$E/ferry-test/codedeploy" >/dev/null
cdyml cdstop.yml "revision_type: GitHub" "commit_id: 89abcdef" \
	"repository: acme/shop" "wait_until_deployed: true"
deploy cdstop.yml
if [ $rc -ne 0 ] && has "done: Stopped." err && has "MANUAL_STOP: stopped by an operator" err; then
	ok "codedeploy: a Stopped deployment errors (GitHub revision)"
else
	bad "codedeploy: a Stopped deployment errors (GitHub revision)"
fi

cdyml cdgh.yml "revision_type: github" "deployment_group: staging"
sed -i 's/^deployment_group: prod$//' "$W/cdgh.yml"
deploy cdgh.yml --slug acme/shop --commit fedcba9876
id=$(sed -n 's/^Deployment triggered: //p' "$T/out")
awsq deploy get-deployment --deployment-id "$id" >"$T/dep" 2>"$T/err"
if [ $rc -eq 0 ] &&
	[ "$(jq -r .deploymentInfo.revision.gitHubLocation.repository "$T/dep")" = acme/shop ] &&
	[ "$(jq -r .deploymentInfo.revision.gitHubLocation.commitId "$T/dep")" = fedcba9876 ]; then
	ok "codedeploy: GitHub revision from the build's slug and commit, no waiting"
else
	bad "codedeploy: GitHub revision from the build's slug and commit, no waiting"
fi

# CodeDeploy throttling (JSON 1.1 error) through the proxy: retried.
cdyml cdthrottle.yml "revision_type: github" "repository: acme/shop" \
	"commit_id: 0a0a0a0" "wait_until_deployed: true"
sed -i "s|$E|$PE|" "$W/cdthrottle.yml"
curl -s -X POST -d '{"status": 400, "count": 1, "code": "ThrottlingException", "json": true, "method": "POST"}' \
	"$PE/__fault__" >/dev/null
deploy cdthrottle.yml
if [ $rc -eq 0 ] && has "CreateDeployment: HTTP 400 ThrottlingException; retrying" out &&
	has "done: Succeeded." out; then
	ok "codedeploy: ThrottlingException is retried"
else
	bad "codedeploy: ThrottlingException is retried"
fi

# The staging deployment above is still running: a second one is refused.
deploy cdgh.yml --slug acme/shop --commit fedcba9876
if [ $rc -ne 0 ] && has "DeploymentLimitExceededException" err &&
	has "already has an active Deployment" err; then
	ok "codedeploy: DeploymentLimitExceededException with the service's message"
else
	bad "codedeploy: DeploymentLimitExceededException with the service's message"
fi

sed "s|$DK|$CK|; s|$DS|$CS|" "$W/cd.yml" | grep -v bundle_dir >"$W/cddenied.yml"
deploy cddenied.yml
if [ $rc -ne 0 ] && has "AccessDeniedException" err &&
	has "not allowed codedeploy:CreateDeployment on arn:aws:codedeploy:us-east-1:$ACCT:deploymentgroup:shop/prod" err &&
	has '"Action":"codedeploy:CreateDeployment"' err; then
	ok "codedeploy: AccessDenied names codedeploy:CreateDeployment on the group's ARN"
else
	bad "codedeploy: AccessDenied names codedeploy:CreateDeployment on the group's ARN"
fi

cdyml cdbad.yml "bucket: bundles" "key: shop/build-7.rar"
deploy cdbad.yml
bt=$rc
cdyml cdmiss.yml "bucket: bundles" "key: nothing-here.zip"
deploy cdmiss.yml
if [ $bt -ne 0 ] && [ $rc -ne 0 ] && has "NotFound" err; then
	ok "codedeploy: unknown bundle type and missing bundle are errors"
else
	bad "codedeploy: unknown bundle type and missing bundle are errors"
fi

# The test server itself refuses a malformed CodeDeploy request.
code=$(curl -s -o "$T/out" -w '%{http_code}' -X POST \
	-H 'Content-Type: application/x-amz-json-1.1' \
	-H 'X-Amz-Target: CodeDeploy_20141006.CreateDeployment' \
	-H 'Authorization: AWS4-HMAC-SHA256 Credential=X/20260101/us-east-1/codedeploy/aws4_request' \
	-d '{"deploymentGroupName": 7}' "$E/")
if [ "$code" = 400 ] && has "ValidationException" out &&
	has "applicationName" out && grep -q "MALFORMED codedeploy CreateDeployment" "$T/moto.log"; then
	ok "test server: malformed CodeDeploy requests are refused loudly"
else
	bad "test server: malformed CodeDeploy requests are refused loudly"
fi
if grep -q "MALFORMED" "$T/moto.log" &&
	[ "$(grep -c MALFORMED "$T/moto.log")" -ne 1 ]; then
	grep MALFORMED "$T/moto.log" >"$T/out"
	bad "codedeploy: every request ferry sent matched the service model"
else
	ok "codedeploy: every request ferry sent matched the service model"
fi

# ---- 8b. temporary credentials refreshed during one deploy ----
# Keys of a credential_process that expire in 2 minutes, inside the
# 5-minute refresh margin: every request of a long deploy asks for them
# again (counted in $COUNT_FILE); keys valid for 2 hours are fetched once.
nocreds() { grep -v -e '^access_key_id:' -e '^secret_access_key:' "$W/$1" >"$W/$2"; }
sed 's/^bucket: site$/bucket: faults/' "$W/site.yml" >"$W/sitep.yml"
nocreds sitep.yml siteproc.yml
: >"$T/count"
deploy AWS_CONFIG_FILE="$T/pconfig" AWS_PROFILE=short COUNT_FILE="$T/count" \
	siteproc.yml
runs=$(wc -l <"$T/count")
refreshed=$(count "^Credentials refreshed from credential_process of profile 'short' (until " out)
if [ $rc -eq 0 ] && has "Uploading 8 files with up to 4 threads" out &&
	[ "$runs" -ge 2 ] && [ "$refreshed" -eq $((runs - 1)) ]; then
	ok "refresh: parallel uploads (4 threads) fetch expiring keys again"
else
	echo "process runs: $runs, refreshed lines: $refreshed" >>"$T/out"
	bad "refresh: parallel uploads (4 threads) fetch expiring keys again"
fi

: >"$T/count"
deploy AWS_CONFIG_FILE="$T/pconfig" AWS_PROFILE=long COUNT_FILE="$T/count" \
	siteproc.yml
if [ $rc -eq 0 ] && [ "$(wc -l <"$T/count")" -eq 1 ] && ! has "refreshed" out; then
	ok "refresh: keys far from their expiration are fetched once"
else
	echo "process runs: $(wc -l <"$T/count")" >>"$T/out"
	bad "refresh: keys far from their expiration are fetched once"
fi

nocreds big.yml bigproc.yml
: >"$T/count"
before=$(requests | grep -c 'partNumber=')
deploy AWS_CONFIG_FILE="$T/pconfig" AWS_PROFILE=short COUNT_FILE="$T/count" \
	bigproc.yml
parts=$(($(requests | grep -c 'partNumber=') - before))
runs=$(wc -l <"$T/count")
if [ $rc -eq 0 ] && [ "$parts" -eq 20 ] && [ "$runs" -ge 2 ] &&
	has "Credentials refreshed from credential_process of profile 'short'" out; then
	ok "refresh: a multipart upload (20 parts, parallel) fetches expiring keys again"
else
	echo "parts $parts, process runs: $runs" >>"$T/out"
	bad "refresh: a multipart upload (20 parts, parallel) fetches expiring keys again"
fi

nocreds cd.yml cdproc.yml
: >"$T/count"
before=$(requests | wc -l)
deploy AWS_CONFIG_FILE="$T/pconfig" AWS_PROFILE=short COUNT_FILE="$T/count" \
	cdproc.yml --build-number 8 --slug acme/shop --commit 0123abc
sent=$(requests | tail -n +$((before + 1)) | wc -l)
polls=$(requests | tail -n +$((before + 1)) | grep -c 'GetDeployment$')
runs=$(wc -l <"$T/count")
# one request at a time: each one asks for the keys again
if [ $rc -eq 0 ] && has "done: Succeeded." out && [ "$polls" -ge 2 ] &&
	[ "$runs" -eq $((sent + 1)) ]; then
	ok "refresh: the CodeDeploy upload and wait fetch expiring keys before each request"
else
	echo "requests $sent ($polls polls), process runs: $runs" >>"$T/out"
	bad "refresh: the CodeDeploy upload and wait fetch expiring keys before each request"
fi

# ---- 9. Ruby's glob and file(1), compared ----
if command -v ruby >/dev/null 2>&1; then
	G="$T/globtree"
	mkdir -p "$G/two" "$G/.dir" "$G/a/b/c" "$G/a/.hid"
	for f in one.txt two/two.txt two/.h2 .hidden.txt .dir/x.txt a/b/c/d.txt \
		a/.hid/z.txt a/b.txt; do
		echo x >"$G/$f"
	done
	ln -s two "$G/link"
	cat >"$T/pats" <<'EOF'
0 **/*
2 **/*
0 *
0 two/*
0 *.txt
0 {one,two/two}.txt
0 **/d.txt
0 **/**/d.txt
0 link/*
0 a/**
0 */
0 **/*.txt
2 **/*.txt
0 a/**/*
2 a/**/*
0 **/
0 a/*/c/*
0 [ab]/*
0 {a,two}/**/*.txt
0 link/**/*
0 a//b.txt
0 a/b*
EOF
	(cd "$G" && ruby -e 'STDIN.each_line { |l| l = l.chomp; fl = l[0] == "2" ? File::FNM_DOTMATCH : 0; puts Dir.glob(l[2..], fl).reject { |x| x == "." || x.end_with?("/.") }.sort.uniq.join("|") }') \
		<"$T/pats" >"$T/ruby.out"
	"$B" glob "$G" <"$T/pats" >"$T/ours.out"
	if cmp -s "$T/ruby.out" "$T/ours.out"; then
		ok "glob: Dir.glob agrees with Ruby on $(wc -l <"$T/pats") patterns"
	else
		paste -d'\n' "$T/pats" "$T/ruby.out" "$T/ours.out" >"$T/out"
		bad "glob: Dir.glob agrees with Ruby"
	fi
	ruby -e '
pats = ["*", "**", "*.txt", "**/*.txt", "a*", "?b*", "[a-c]*", "[!a]*", "a/*",
  "*/*", "**/b", "*.{txt,css}", "{a,b}*", "\\*", "[a-]", ".*", "a/**/b",
  "a**", "{*.css,*.js}", "x[-a]", "**/*", "*/b", "?", "*/"]
strs = ["a", "abc", "a.txt", ".a", "a/b", "a/.b", ".a/b", "b/a/b", "a/x/y/b",
  "c.css", "c.js", "ab", "a{b", "*", "-x", ".txt", "a/", "A", ""]
pats.each { |p| strs.each { |s| [0, 1, 2, 3, 4, 6, 7, 8, 16].each { |f|
  rf = 0
  rf |= File::FNM_PATHNAME if f & 1 != 0
  rf |= File::FNM_DOTMATCH if f & 2 != 0
  rf |= File::FNM_EXTGLOB if f & 4 != 0
  rf |= File::FNM_NOESCAPE if f & 8 != 0
  rf |= File::FNM_CASEFOLD if f & 16 != 0
  STDERR.puts "#{f}\t#{p}\t#{s}"
  puts(File.fnmatch(p, s, rf) ? 1 : 0) } } }' >"$T/ruby.out" 2>"$T/cases"
	"$B" fnmatch <"$T/cases" >"$T/ours.out"
	if cmp -s "$T/ruby.out" "$T/ours.out"; then
		ok "glob: File.fnmatch agrees with Ruby on $(wc -l <"$T/cases") cases"
	else
		paste "$T/cases" "$T/ruby.out" "$T/ours.out" |
			awk -F'\t' '$4 != $5' | head -n 20 >"$T/out"
		bad "glob: File.fnmatch agrees with Ruby"
	fi
else
	echo "note: ruby is missing; the Ruby glob comparisons were not run"
fi

if command -v file >/dev/null 2>&1; then
	D="$T/detect"
	mkdir -p "$D"
	cp "$P/index.html" "$P/img/logo.png" "$P/data.json.gz" "$D/"
	printf '{"a": 1}\n' >"$D/a.json"
	printf '<svg xmlns="http://www.w3.org/2000/svg"></svg>\n' >"$D/a.svg"
	printf '%%PDF-1.4\nabc\n' >"$D/a.pdf"
	printf 'h\303\251llo\n' >"$D/utf8.txt"
	printf 'h\351llo\n' >"$D/latin1.txt"
	printf 'a\001b\n' >"$D/ctl.bin"
	printf 'GIF89a' >"$D/a.gif"
	printf '\037\235\220abc' >"$D/a.Z"
	printf '#!/bin/sh\necho hi\n' >"$D/s.sh"
	python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)) * 12)' \
		>"$D/bytes.bin"
	: >"$D/empty"
	errors=0
	: >"$T/out"
	for f in "$D"/*; do
		desc=$(file -b "$f")
		case $desc in
		*"gzip compressed"*) want=gzip ;;
		*"compress'd"*) want=compress ;;
		*text*) want=text ;;
		*) want=none ;;
		esac
		got=$("$B" detect "$f" | sed 's/.*: //')
		if [ "$got" != "$want" ]; then
			echo "$f: file(1) says '$desc', we say $got" >>"$T/out"
			errors=$((errors + 1))
		fi
	done
	if [ $errors -eq 0 ]; then
		ok "detect_encoding: our classes agree with file(1) on $(ls "$D" | wc -l) files"
	else
		bad "detect_encoding: our classes agree with file(1)"
	fi
else
	echo "note: file(1) is missing; the detect_encoding comparison was not run"
fi

finish
