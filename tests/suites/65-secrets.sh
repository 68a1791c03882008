#!/bin/sh
# Secrets end to end (issue 5), with the real Docker engine and OpenSSL's
# command line: the key store and its permissions, `ferry keys`, `ferry
# encrypt` (also --add), `ferry encrypt-file`, `ferry env`; round trips
# both ways with `openssl pkeyutl`; a build whose jobs (two at once) echo
# their secrets in many ways, including from a deploy script, and show
# only [secure] in the terminal and the log files; a pull request from a
# fork that gets none of them.
cd "${FERRY_TOP:-$(dirname "$0")/../..}" || exit 2
. tests/setup/test-image.sh || {
	echo "FAIL setup: no Docker engine or image"
	echo "0 passed, 1 failed"
	exit 1
}
IMG=$FERRY_JOB_IMAGE
FERRY=${FERRY:-$PWD/${BUILD:-build}/bin/ferry}
pass=0
fail=0
top=$(mktemp -d /tmp/ferry-secrets.XXXXXX)
export XDG_DATA_HOME="$top/data"
unset FERRY_CONFIG
data=$XDG_DATA_HOME/ferry
keys=$data/keys
SLUG=acme/widget
P=$top/proj

ok() {
	echo "ok   $*"
	pass=$((pass + 1))
}
bad() {
	echo "FAIL $*"
	fail=$((fail + 1))
}
show() { sed 's/^/      | /' "$@" | head -n 20; }
mode() { stat -c %a "$1"; }
b64() { base64 -w0; }

# ---- the key store -----------------------------------------------------------

if "$FERRY" keys generate $SLUG >"$top/out" 2>&1 &&
	[ "$(mode "$keys")" = 700 ] && [ "$(mode "$keys/acme")" = 700 ] &&
	[ "$(mode "$keys/acme/widget.pem")" = 600 ] &&
	grep -q 'BEGIN RSA PRIVATE KEY' "$keys/acme/widget.pem" &&
	[ "$(openssl rsa -in "$keys/acme/widget.pem" -noout -text 2>/dev/null | head -n 1)" = "Private-Key: (4096 bit, 2 primes)" ]; then
	ok "keys generate: 4096-bit PKCS#1 key, store 0700, key 0600"
else
	bad "keys generate"
	show "$top/out"
fi

openssl rsa -in "$keys/acme/widget.pem" -pubout -out "$top/expect.pem" 2>/dev/null
"$FERRY" keys show $SLUG >"$top/travis.pem" 2>"$top/err"
"$FERRY" keys show --format spki $SLUG >"$top/spki.pem" 2>>"$top/err"
"$FERRY" keys show --json $SLUG >"$top/key.json" 2>>"$top/err"
fp=$("$FERRY" keys show --format ssh $SLUG | ssh-keygen -l -E md5 -f - 2>/dev/null | sed 's/^[0-9]* MD5:\([^ ]*\) .*/\1/')
if [ "$(head -n 1 "$top/travis.pem")" = "-----BEGIN RSA PUBLIC KEY-----" ] &&
	sed 's/RSA PUBLIC KEY/PUBLIC KEY/' "$top/travis.pem" | cmp -s - "$top/expect.pem" &&
	cmp -s "$top/spki.pem" "$top/expect.pem" &&
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(not (d["key"] == open(sys.argv[2]).read() and d["fingerprint"] == sys.argv[3]))' \
		"$top/key.json" "$top/travis.pem" "$fp"; then
	ok "keys show: Travis's PEM (SPKI under RSA PUBLIC KEY), spki, API JSON with the MD5 fingerprint"
else
	bad "keys show"
	show "$top/err" "$top/travis.pem"
fi

# Looser permissions are refused, naming the path, the mode and the fix.
perm_case() { # path loose fixed chmod-arg
	chmod "$2" "$1"
	"$FERRY" keys show $SLUG >/dev/null 2>"$top/err"
	rc=$?
	chmod "$3" "$1"
	if [ $rc -eq 2 ] && grep -qF "'$1' has mode 0$2" "$top/err" &&
		grep -qF "chmod $4 '$1'" "$top/err" &&
		"$FERRY" keys show $SLUG >/dev/null 2>&1; then
		ok "keys: mode $2 on ${1#$data/} refused (exit 2, names path, mode and chmod)"
	else
		bad "keys: mode $2 on ${1#$data/} (exit $rc)"
		show "$top/err"
	fi
}
perm_case "$keys" 755 700 700
perm_case "$keys/acme" 750 700 700
perm_case "$keys/acme/widget.pem" 644 600 600
perm_case "$keys/acme/widget.pem" 640 600 600

# import: PKCS#8 and PKCS#1 keys made by openssl; encrypted keys refused.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$top/k8.pem" 2>/dev/null
openssl genrsa -traditional -out "$top/k1.pem" 2048 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -aes256 -pass pass:pw -out "$top/kenc.pem" 2>/dev/null
if "$FERRY" keys import acme/other "$top/k8.pem" 2>"$top/err" &&
	"$FERRY" keys show --format spki acme/other | cmp -s - "$(openssl pkey -in "$top/k8.pem" -pubout -out "$top/k8.pub" && echo "$top/k8.pub")" &&
	"$FERRY" keys import acme/other1 - <"$top/k1.pem" 2>>"$top/err" &&
	"$FERRY" keys show --format spki acme/other1 | cmp -s - "$(openssl rsa -in "$top/k1.pem" -pubout -out "$top/k1.pub" 2>/dev/null && echo "$top/k1.pub")" &&
	[ "$(mode "$keys/acme/other.pem")" = 600 ] &&
	! "$FERRY" keys import acme/other "$top/k1.pem" 2>/dev/null &&
	"$FERRY" keys import --force acme/other "$top/k1.pem" 2>/dev/null &&
	! "$FERRY" keys import acme/enc "$top/kenc.pem" 2>/dev/null &&
	[ ! -e "$keys/acme/enc.pem" ]; then
	ok "keys import: PKCS#8 and PKCS#1 (file and stdin), --force, encrypted key refused"
else
	bad "keys import"
	show "$top/err"
fi

# ---- the project (a git checkout whose origin names acme/widget) ---------------

mkdir -p "$P"
(cd "$P" && git init -q -b master && git remote add origin https://github.com/acme/widget.git)
commit() { (cd "$P" && git add -A && git -c user.name=t -c user.email=t@example.com commit -qm "$1"); }
echo "# widget" >"$P/README"
commit "start" # `ferry run` names a checkout without commits local/proj

# ---- ferry encrypt against openssl ------------------------------------------------

out=$(cd "$P" && "$FERRY" encrypt '  FOO=bar baz  ' 2>"$top/err")
ct=${out#secure: \"}
ct=${ct%\"}
if printf '%s\n' "$out" | grep -Eq '^secure: "[A-Za-z0-9+/]+={0,2}"$' &&
	grep -q 'repository acme/widget' "$top/err" &&
	[ "$(printf %s "$ct" | base64 -d | wc -c)" = 512 ] &&
	[ "$(printf %s "$ct" | base64 -d | openssl pkeyutl -decrypt -inkey "$keys/acme/widget.pem" -pkeyopt rsa_padding_mode:pkcs1)" = "FOO=bar baz" ]; then
	ok "encrypt: secure: \"<base64>\", 512 bytes of PKCS#1 v1.5 that openssl pkeyutl decrypts (input stripped, repo from the checkout)"
else
	bad "encrypt round trip to openssl"
	echo "      | $out"
	show "$top/err"
fi

printf 'A=1\nB=two words\n' | "$FERRY" encrypt -r $SLUG --split >"$top/split" 2>"$top/err"
dec=""
while read -r line; do
	c=${line#secure: \"}
	c=${c%\"}
	dec="$dec[$(printf %s "$c" | base64 -d | openssl pkeyutl -decrypt -inkey "$keys/acme/widget.pem" -pkeyopt rsa_padding_mode:pkcs1)]"
done <"$top/split"
long=$(head -c 600 /dev/zero | tr '\0' x)
if [ "$dec" = "[A=1][B=two words]" ] &&
	! "$FERRY" encrypt -r $SLUG "$long" >/dev/null 2>"$top/err2" &&
	grep -q 'ferry encrypt-file' "$top/err2" &&
	! "$FERRY" encrypt -r nope/none x >/dev/null 2>&1; then
	ok "encrypt: --split (one value per line), too long refused with a hint, unknown repository refused"
else
	bad "encrypt --split / errors: $dec"
	show "$top/err" "$top/err2"
fi

# ---- settings variables --------------------------------------------------------------

E="$FERRY env"
if $E set $SLUG SETTING_SECRET settings-hidden-value 2>"$top/err" &&
	$E set $SLUG PUBLIC_SETTING visible-public --public &&
	$E set $SLUG BR_VAR dev-only-value --branch dev &&
	echo master-only-secret | $E set $SLUG BR_VAR2 --branch master &&
	$E set $SLUG TEMP x && $E unset $SLUG TEMP &&
	! $E unset $SLUG TEMP 2>/dev/null &&
	$E list $SLUG >"$top/list" &&
	[ "$(mode "$data/settings/acme/widget.json")" = 600 ] &&
	! grep -q 'settings-hidden-value\|master-only-secret\|dev-only-value' "$top/list" &&
	grep -qx 'SETTING_SECRET=\[secure\]' "$top/list" &&
	grep -qx 'PUBLIC_SETTING=visible-public' "$top/list" &&
	grep -qx 'BR_VAR2=\[secure\]  # branch master' "$top/list"; then
	ok "env set/unset/list: private values never listed, file 0600"
else
	bad "env set/unset/list"
	show "$top/err" "$top/list"
fi

# ---- a build with every kind of secret ------------------------------------------

# made by openssl with the public key: PKCS#1 v1.5 (list form) and OAEP (map form)
OSSL1=$(printf 'OSSL_V1=from-openssl-v15' | openssl pkeyutl -encrypt -pubin -inkey "$top/spki.pem" -pkeyopt rsa_padding_mode:pkcs1 | b64)
OSSL2=$(printf 'from-openssl-oaep' | openssl pkeyutl -encrypt -pubin -inkey "$top/spki.pem" -pkeyopt rsa_padding_mode:oaep | b64)
head -c 3000 /dev/urandom >"$P/secret.bin"
HASH=$(sha256sum "$P/secret.bin" | cut -c1-64)
cat >"$P/.travis.yml" <<EOF
language: shell
env:
  global:
    - PLAIN_VAR=plain-value   # not a secret
    - secure: "$OSSL1"
    - OSSL_V2:
        secure: $OSSL2
  jobs:
    - JOBN=1
    - JOBN=2
script:
  - '[ "\$S1" = "sup3r-s3cret-one" ] && echo S1_OK'
  - '[ "\$S3" = "two words secret" ] && echo S3_OK'
  - '[ "\$OSSL_V1" = "from-openssl-v15" ] && echo OSSL_V1_OK'
  - '[ "\$OSSL_V2" = "from-openssl-oaep" ] && echo OSSL_V2_OK'
  - '[ "\$SETTING_SECRET" = "settings-hidden-value" ] && echo SETTING_OK'
  - '[ -z "\${WRONG:-}" ] && echo WRONG_UNSET'
  - '[ "\$(sha256sum secret.bin | cut -c1-64)" = "$HASH" ] && echo FILE_OK'
  - echo "sev=\$TRAVIS_SECURE_ENV_VARS"
  - bash echo.sh
  - echo \$S1
deploy:
  provider: script
  script: bash deploy.sh
  on:
    all_branches: true
EOF
cat >"$P/echo.sh" <<'EOF'
echo "plain: $S1"
echo "twice: $S1 $S1$S1 $OSSL_V1$OSSL_V1"
echo "inside: xx${S1}yy${SETTING_SECRET}zz${OSSL_V2}!"
echo "stderr: $S1 $SETTING_SECRET" >&2
printf '%s' "$S1" | while IFS= read -r -n1 c; do printf '%s' "$c"; sleep 0.03; done; echo
for ((i = 0; i < ${#SETTING_SECRET}; i++)); do /bin/echo -n "${SETTING_SECRET:i:1}"; sleep 0.01; done; echo
python3 -c 'import os,sys,time
for c in os.environ["OSSL_V2"] + " " + os.environ["BR_VAR2"]:
    sys.stdout.write(c); sys.stdout.flush(); time.sleep(0.01)
print()'
echo "spaces: $S3 / \"$S3\""
env | grep -E '^(S1|S3|SETTING_SECRET|OSSL_V1|OSSL_V2|BR_VAR2|encrypted_[0-9a-f]+_(key|iv))=' | sort
bash -xc 'true "$S1" "$SETTING_SECRET"' 2>&1
echo "public: $PUBLIC_SETTING $PLAIN_VAR branch: [${BR_VAR:-unset}] [${#BR_VAR2}]"
EOF
cat >"$P/deploy.sh" <<'EOF'
echo "deploy: $S1 and $SETTING_SECRET and $S3"
echo "deploy stderr: $OSSL_V1" >&2
echo DEPLOY_RAN
EOF
cp "$P/.travis.yml" "$top/before.yml"
(cd "$P" && "$FERRY" encrypt 'S1=sup3r-s3cret-one' --add &&
	"$FERRY" encrypt --add env.global 'S3="two words secret"' &&
	"$FERRY" encrypt -r acme/other --add env.global 'WRONG=other-key-value') >"$top/out" 2>&1
wrong_index=5 # PLAIN_VAR, OSSL_V1, OSSL_V2, S1, S3, then WRONG
if diff "$top/before.yml" "$P/.travis.yml" | grep -q '^<'; then
	bad "encrypt --add changed existing lines"
	diff "$top/before.yml" "$P/.travis.yml" | head -n 10
elif [ "$(diff "$top/before.yml" "$P/.travis.yml" | grep -c '^> *- secure: "')" = 3 ] &&
	[ "$("$FERRY" config "$P/.travis.yml" 2>/dev/null | grep -c 'secure:')" -ge 5 ]; then
	ok "encrypt --add: three entries appended to env.global, every other byte kept"
else
	bad "encrypt --add"
	show "$top/out"
fi

# encrypt-file: the printed line, then --add into before_install
printf 'other secret\n' >"$P/other.txt"
id=$(printf %s other.txt | sha1sum | cut -c1-12)
line=$(cd "$P" && "$FERRY" encrypt-file other.txt 2>"$top/err")
if [ "$line" = "openssl aes-256-cbc -K \$encrypted_${id}_key -iv \$encrypted_${id}_iv -in other.txt.enc -out other.txt -d" ] &&
	[ -f "$P/other.txt.enc" ] && grep -q "Make sure not to add other.txt" "$top/err" &&
	! (cd "$P" && "$FERRY" encrypt-file other.txt 2>/dev/null); then
	ok "encrypt-file: prints travis's openssl line (id = sha1 of the path), refuses to overwrite"
else
	bad "encrypt-file line: $line"
	show "$top/err"
fi
rm -f "$P/other.txt" "$P/other.txt.enc"
id=$(printf %s secret.bin | sha1sum | cut -c1-12)
(cd "$P" && "$FERRY" encrypt-file --print-key secret.bin --add) >"$top/out" 2>&1
AESKEY=$(sed -n 's/^key: //p' "$top/out")
AESIV=$(sed -n 's/^iv:  //p' "$top/out")
if [ "$(printf %s "$AESKEY" | wc -c)" = 64 ] && [ "$(printf %s "$AESIV" | wc -c)" = 32 ] &&
	openssl aes-256-cbc -K "$AESKEY" -iv "$AESIV" -in "$P/secret.bin.enc" -d 2>/dev/null | cmp -s - "$P/secret.bin" &&
	[ "$(sed -n '/^before_install:/,/^[a-z]/p' "$P/.travis.yml" | sed -n 2p)" = "  - openssl aes-256-cbc -K \$encrypted_${id}_key -iv \$encrypted_${id}_iv -in secret.bin.enc -out secret.bin -d" ] &&
	"$FERRY" env list $SLUG | grep -qx "encrypted_${id}_key=\[secure\]" &&
	"$FERRY" env list $SLUG | grep -qx "encrypted_${id}_iv=\[secure\]"; then
	ok "encrypt-file --add: raw AES-256-CBC that openssl decrypts, key/iv stored as private settings, command in before_install"
else
	bad "encrypt-file --add"
	show "$top/out"
fi
mv "$P/secret.bin" "$top/secret.bin" # the build must decrypt its own copy
mv "$P/secret.bin.enc" "$top/secret.bin.enc"
commit "secrets"
cp "$top/secret.bin.enc" "$P/" # untracked: the first run uses --dirty

SECRETS="sup3r-s3cret-one
two words secret
from-openssl-v15
from-openssl-oaep
settings-hidden-value
master-only-secret
other-key-value
$AESKEY
$AESIV"
leaks() { # files...: print the secrets found in them
	printf '%s\n' "$SECRETS" | while IFS= read -r s; do
		[ -n "$s" ] && grep -lF -- "$s" "$@" 2>/dev/null | sed "s|^|$s in |"
	done
}

logs=$top/logs-a
(cd "$top" && "$FERRY" run --plain --json -j 2 --dirty --image "$IMG" --log-dir "$logs" proj >"$top/a.json" 2>"$top/a.term")
rc=$?
states=$(python3 -c 'import json,sys; print(" ".join(j["state"] for j in json.load(open(sys.argv[1]))["jobs"]))' "$top/a.json" 2>/dev/null)
if [ $rc -eq 0 ] && [ "$states" = "passed passed" ]; then
	ok "build: two jobs at once, both passed"
else
	bad "build: exit $rc, states '$states'"
	tail -n 20 "$top/a.term"
fi
missing=""
for l in "$logs"/*.log; do
	for m in S1_OK S3_OK OSSL_V1_OK OSSL_V2_OK SETTING_OK WRONG_UNSET FILE_OK DEPLOY_RAN sev=true; do
		grep -q "^$m" "$l" || missing="$missing ${l##*/}:$m"
	done
done
[ -z "$missing" ] && ok "every secret reached the jobs (ferry encrypt, openssl v1.5 and OAEP, map form, settings, encrypted file, deploy)" ||
	bad "secrets missing in jobs:$missing"
found=$(leaks "$top/a.term" "$logs"/*.log)
nlogs=$(ls "$logs"/*.log | wc -l)
nsec=$(cat "$logs"/*.log | grep -o '\[secure\]' | wc -l)
if [ -z "$found" ] && [ "$nlogs" = 2 ] && [ "$nsec" -ge 60 ]; then
	ok "masking: no secret in the terminal or the 2 logs ($nsec [secure]; plain, repeated, inside strings, byte by byte, stderr, xtrace, env, deploy script)"
else
	bad "masking: $nlogs logs, $nsec [secure], leaks:"
	echo "$found" | sed 's/^/      | /'
fi
l1=$logs/$(ls "$logs" | head -n 1)
if grep -qx '\$ export S1=\[secure\]' "$l1" && grep -qx '\$ export SETTING_SECRET=\[secure\]' "$l1" &&
	grep -qx '\$ export PUBLIC_SETTING=visible-public' "$l1" &&
	grep -qx '\$ export PLAIN_VAR=plain-value' "$l1" &&
	grep -q '^public: visible-public plain-value branch: \[unset\] \[18\]' "$l1" &&
	grep -q '^inside: xx\[secure\]yy\[secure\]zz\[secure\]!' "$l1" &&
	grep -q '^plain: \[secure\]$' "$l1" &&
	! grep -q 'BR_VAR=' "$l1"; then
	ok "export lines say [secure]; public values shown; branch variables only on their branch"
else
	bad "export lines / public values"
	grep -n 'export\|public:\|inside:\|plain:' "$l1" | head -n 20 | sed 's/^/      | /'
fi
if grep -q "warning: cannot decrypt env.global\[$wrong_index\] (line [0-9]*): " "$top/a.term"; then
	ok "a value for another key: warning naming env.global[$wrong_index], the job runs without it"
else
	bad "no warning for the undecryptable value"
	grep -i warning "$top/a.term" | sed 's/^/      | /'
fi

# The encrypted file committed, as users keep it (no --dirty).
commit "the encrypted file"
(cd "$top" && "$FERRY" run --plain --job 1 --image "$IMG" --log-dir "$top/logs-committed" proj >"$top/committed.term" 2>&1)
rc=$?
lc=$(ls "$top"/logs-committed/*.log 2>/dev/null | head -n 1)
if [ $rc -eq 0 ] && grep -q '^FILE_OK' "$lc"; then
	ok "a committed encrypted file decrypts in the job with the printed openssl command"
else
	bad "committed encrypted file (exit $rc)$(cmp -s "$top/secret.bin.enc" "$P/secret.bin.enc" && git -C "$P" cat-file -p HEAD:secret.bin.enc | cmp -s - "$top/secret.bin.enc" && echo ': git has it intact, so the checkout export changed it')"
	grep -n -A2 'openssl aes' "$lc" | head -n 6 | sed 's/^/      | /'
fi

# ---- pull requests: from a fork (nothing secret) and from the repository itself ----

cat >"$P/.travis.yml.new" <<'EOF'
script:
  - echo "lens=${#S1}/${#S3}/${#OSSL_V1}/${#OSSL_V2}/${#SETTING_SECRET}/${#BR_VAR2} sev=$TRAVIS_SECURE_ENV_VARS pr=$TRAVIS_PULL_REQUEST"
  - bash echo.sh
EOF
sed -n '/^env:/,/^script:/p' "$P/.travis.yml" | sed '$d' | sed '/JOBN=2/d' >"$P/.travis.env"
cat "$P/.travis.env" "$P/.travis.yml.new" >"$P/.travis.yml"
rm -f "$P/.travis.env" "$P/.travis.yml.new"
commit "pr"
pr_run() { # name args...
	n=$1
	shift
	(cd "$top" && "$FERRY" run --plain --image "$IMG" --log-dir "$top/logs-$n" "$@" proj >"$top/$n.term" 2>&1)
}
pr_run fork --pull-request 7 --head-repo evil/widget
rc=$?
lf=$(ls "$top"/logs-fork/*.log 2>/dev/null | head -n 1)
if [ $rc -eq 0 ] && [ -n "$lf" ] &&
	grep -q 'Encrypted environment variables have been removed for security reasons.' "$lf" &&
	grep -q 'See https://docs.travis-ci.com/user/pull-requests/#pull-requests-and-security-restrictions' "$lf" &&
	grep -q '^lens=0/0/0/0/0/0 sev=false pr=7$' "$lf" &&
	grep -q '^public: visible-public plain-value' "$lf" &&
	! grep -q 'export S1=' "$lf" && [ -z "$(leaks "$top/fork.term" "$lf")" ]; then
	ok "pull request from a fork: no secure or private value, the two yellow lines, TRAVIS_SECURE_ENV_VARS=false"
else
	bad "fork pull request (exit $rc)"
	grep -n 'lens=\|removed\|public:' "$lf" | sed 's/^/      | /'
fi
pr_run same --pull-request 8 --head-repo acme/widget
rc=$?
ls=$(ls "$top"/logs-same/*.log 2>/dev/null | head -n 1)
if [ $rc -eq 0 ] && grep -q '^lens=16/16/16/17/21/18 sev=true pr=8$' "$ls" &&
	! grep -q 'removed for security reasons' "$ls" &&
	[ -z "$(leaks "$top/same.term" "$ls")" ]; then
	ok "pull request from the repository itself: every secret given, and masked"
else
	bad "same-repository pull request (exit $rc)"
	grep -n 'lens=' "$ls" | sed 's/^/      | /'
fi

# A key store others can read stops the build before any job starts.
chmod 755 "$keys"
(cd "$top" && "$FERRY" run --plain --image "$IMG" --log-dir "$top/logs-loose" proj >"$top/loose.term" 2>&1)
rc=$?
chmod 700 "$keys"
if [ $rc -eq 2 ] && grep -qF "'$keys' has mode 0755" "$top/loose.term" &&
	[ -z "$(ls "$top/logs-loose" 2>/dev/null)" ]; then
	ok "run: a loose key store is an error (exit 2), no job runs"
else
	bad "run with a loose key store (exit $rc)"
	show "$top/loose.term"
fi

if [ $fail -eq 0 ]; then
	rm -rf "$top"
else
	echo "(kept $top)"
fi
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
