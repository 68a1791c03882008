#!/bin/bash
# ferry appspec run: real deployments into temporary deployment roots, as
# the CodeDeploy agent carries them out, and ferry appspec validate.
# The case table: every lifecycle hook failing in turn (what ran before,
# what did not run after, the message), timeouts, runas, permissions,
# file_exists_behavior, the previous revision's ApplicationStop and the
# cleanup of its files, bundle formats, the agent's environment and log,
# and the two sample appspecs of the agent (aws-vectors/appspec/).
# Runs as root (runas, owners); needs jq; ACLs need setfacl (package acl).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
cd "${FERRY_TOP:-$(dirname "$0")/../..}" || exit 2
FERRY=${FERRY:-$PWD/${BUILD:-build}/bin/ferry}
SHARED=${FERRY_SHARED:-$PWD/../shared}
T=$(mktemp -d /tmp/ferry-appspec.XXXXXX)
chmod 755 "$T"
RUNAS_USER=ferry-appspec
pass=0
fail_count=0
problems=""
made_user=no
cleanup() {
	pkill -f "ferry-appspec-marker-$$" 2>/dev/null
	[ $made_user = yes ] && userdel "$RUNAS_USER" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

ok() { echo "ok   $*"; pass=$((pass + 1)); }
if ! command -v jq >/dev/null 2>&1; then
	echo "FAIL the 'jq' command is missing"
	echo "0 passed, 1 failed"
	exit 1
fi
bad() { echo "FAIL $*"; fail_count=$((fail_count + 1)); }
# expect DESCRIPTION TEST...: note a problem of the current case.
expect() {
	local what=$1
	shift
	"$@" || problems="$problems
    $what"
}
# finish NAME: the case passes when nothing was noted.
finish() {
	if [ -z "$problems" ]; then
		ok "$1"
	else
		bad "$1$problems"
		[ -f "$T/out.json" ] && jq -c '.error' "$T/out.json" 2>/dev/null |
			sed 's/^/    error: /' | cut -c1-300
		[ -s "$T/stderr" ] && sed 's/^/    stderr: /' "$T/stderr" | tail -5
	fi
	problems=""
}
is() { [ "$1" = "$2" ]; }
has() { grep -q -- "$2" "$1"; }
jv() { jq -r "$1" "$T/out.json"; }
# The status of event $1 in the last result.
st() { jq -r --arg e "$1" '.events[] | select(.name == $e) | .status' \
	"$T/out.json"; }
mode() { stat -c %a "$1"; }
owner() { stat -c %U:%G "$1"; }

# deploy ROOT BUNDLE [ARGS...]: ferry appspec run --json; $rc is its status.
deploy() {
	local root=$1 bundle=$2
	shift 2
	"$FERRY" appspec run --json --root "$root" --bundle "$bundle" "$@" \
		>"$T/out.json" 2>"$T/stderr"
	rc=$?
}

HOOKS="BeforeBlockTraffic AfterBlockTraffic ApplicationStop BeforeInstall
AfterInstall ApplicationStart ValidateService BeforeAllowTraffic
AfterAllowTraffic"
PREVIOUS="BeforeBlockTraffic AfterBlockTraffic ApplicationStop"

# make_bundle DIR REV TRACE [FAILING_EVENT]: every hook appends
# "REV:EVENT" to TRACE; the failing one also prints and exits 7.
make_bundle() {
	local dir=$1 rev=$2 trace=$3 failing=${4:-} e
	rm -rf "$dir"
	mkdir -p "$dir/scripts" "$dir/content"
	echo "$rev" >"$dir/content/version.txt"
	{
		echo "version: 0.0"
		echo "os: linux"
		echo "hooks:"
		for e in $HOOKS; do
			echo "  $e:"
			echo "    - location: scripts/$e.sh"
		done
	} >"$dir/appspec.yml"
	for e in $HOOKS; do
		{
			echo '#!/bin/sh'
			echo "echo \"$rev:\$LIFECYCLE_EVENT\" >>$trace"
			if [ "$e" = "$failing" ]; then
				echo "echo failing $e"
				echo "echo complaint >&2"
				echo "exit 7"
			fi
		} >"$dir/scripts/$e.sh"
		chmod 755 "$dir/scripts/$e.sh"
	done
}

# ---------------------------------------------------------------------
# 1. Each hook failing in turn.  The previous-revision hooks fail in the
# first revision and run (and fail) in the second deployment.
# ---------------------------------------------------------------------
for failing in $HOOKS; do
	c=$T/fail-$failing
	mkdir -p "$c"
	trace=$c/trace
	prev_fails=""
	case " $PREVIOUS " in *" $failing "*) prev_fails=$failing ;; esac
	make_bundle "$c/r1" r1 "$trace" "$prev_fails"
	deploy "$c/root" "$c/r1" --deployment-id d-ONE --deployment-group g1
	expect "first deployment failed (rc $rc)" is "$rc" 0
	: >"$trace"
	new_fails=$failing
	[ -n "$prev_fails" ] && new_fails=""
	make_bundle "$c/r2" r2 "$trace" "$new_fails"
	deploy "$c/root" "$c/r2" --deployment-id d-TWO --deployment-group g1
	expect "exit status $rc, want 1" is "$rc" 1
	expect "error event $(jv .error.event)" is "$(jv .error.event)" "$failing"
	expect "script $(jv .error.script_name)" is "$(jv .error.script_name)" \
		"scripts/$failing.sh"
	expect "error code $(jv .error.error_code)" is "$(jv .error.error_code)" 4
	expect "exit_status $(jv .error.exit_status)" is "$(jv .error.exit_status)" 7
	expect "message: $(jv .error.message)" is "$(jv .error.message)" \
		"Script at specified location: scripts/$failing.sh failed with exit code 7"
	expect "log tail lacks the output" has <(jv .error.log) "\[stdout\]failing $failing"
	expect "log tail lacks stderr" has <(jv .error.log) "\[stderr\]complaint"
	# What ran: every hook up to the failing one, in order, each from the
	# right revision; nothing after it.
	want=""
	for e in $HOOKS; do
		r=r2
		case " $PREVIOUS " in *" $e "*) r=r1 ;; esac
		want="$want$r:$e "
		[ "$e" = "$failing" ] && break
	done
	got=$(tr '\n' ' ' <"$trace")
	expect "ran: $got; want: $want" is "$got" "$want"
	after=no
	for e in $HOOKS DownloadBundle Install; do
		s=$(st "$e")
		if [ $after = yes ]; then
			case $e in DownloadBundle | Install) ;; *)
				expect "$e is $s after the failure" is "$s" Pending ;;
			esac
		fi
		[ "$e" = "$failing" ] && after=yes
	done
	expect "failing event status $(st "$failing")" is "$(st "$failing")" Failed
	# The agent records an install as successful once Install is done.
	last=$(cat "$c/root/deployment-instructions/g1_last_successful_install")
	case $failing in
	BeforeBlockTraffic | AfterBlockTraffic | ApplicationStop | BeforeInstall)
		expect "last successful install moved: $last" is "$last" "$c/root/g1/d-ONE"
		expect "Install ran" is "$(st Install)" Pending ;;
	*)
		expect "last successful install not moved: $last" is "$last" "$c/root/g1/d-TWO" ;;
	esac
	# The human form names the event, the script and the output.
	"$FERRY" appspec run --root "$c/root" --bundle "$c/r2" \
		--deployment-id d-THREE --deployment-group g1 >"$c/human" 2>&1
	expect "human output lacks the failure" has "$c/human" \
		"failed in $failing: Script at specified location: scripts/$failing.sh failed with exit code 7"
	expect "human output lacks the log tail" has "$c/human" "\[stdout\]failing $failing"
	finish "hook $failing failing"
done

# ---------------------------------------------------------------------
# 2. Timeouts, and output left open.
# ---------------------------------------------------------------------
c=$T/timeout
mkdir -p "$c/b/scripts"
marker=ferry-appspec-marker-$$
cat >"$c/b/appspec.yml" <<EOF
version: 0.0
os: linux
hooks:
  ApplicationStart:
    - location: scripts/slow.sh
      timeout: 2
    - location: scripts/never.sh
EOF
cat >"$c/b/scripts/slow.sh" <<EOF
#!/bin/sh
echo started
sh -c 'sleep 60; echo $marker-child' &
sleep 60
EOF
printf '#!/bin/sh\ntouch %s/never-ran\n' "$c" >"$c/b/scripts/never.sh"
chmod 755 "$c/b/scripts/"*.sh
start=$(date +%s)
deploy "$c/root" "$c/b"
took=$(($(date +%s) - start))
expect "exit status $rc" is "$rc" 1
expect "error code $(jv .error.error_code)" is "$(jv .error.error_code)" 3
expect "message $(jv .error.message)" is "$(jv .error.message)" \
	"Script at specified location: scripts/slow.sh failed to complete in 2 seconds"
expect "took ${took}s" test "$took" -ge 2 -a "$took" -le 8
expect "second script ran" test ! -e "$c/never-ran"
expect "output before the timeout not logged" has <(jv .error.log) "\[stdout\]started"
sleep 0.5
expect "the script's background child survived" \
	test -z "$(pgrep -f "$marker-child")"
finish "timeout kills the script's process group"

# A script that ignores SIGTERM gets SIGKILL after the grace period.
c=$T/timeout-term
mkdir -p "$c/b/scripts"
printf 'version: 0.0\nos: linux\nhooks:\n  AfterInstall:\n    - location: s.sh\n      timeout: 1\n' \
	>"$c/b/appspec.yml"
printf '#!/bin/sh\ntrap "" TERM\necho stubborn\nwhile :; do sleep 1; done\n' >"$c/b/s.sh"
chmod 755 "$c/b/s.sh"
start=$(date +%s)
deploy "$c/root" "$c/b"
took=$(($(date +%s) - start))
expect "exit status $rc" is "$rc" 1
expect "error code $(jv .error.error_code)" is "$(jv .error.error_code)" 3
expect "took ${took}s (TERM, then KILL 10 s later)" test "$took" -ge 10 -a "$took" -le 16
finish "timeout: a script ignoring SIGTERM is killed"

# A background process holding stdout after the script exits (error 6).
c=$T/left-open
mkdir -p "$c/b"
printf 'version: 0.0\nos: linux\nhooks:\n  ValidateService:\n    - location: s.sh\n      timeout: 2\n' \
	>"$c/b/appspec.yml"
printf '#!/bin/sh\nsh -c "sleep 30; echo %s-open" &\necho bye\nexit 0\n' "$marker" >"$c/b/s.sh"
chmod 755 "$c/b/s.sh"
deploy "$c/root" "$c/b"
expect "exit status $rc" is "$rc" 1
expect "error code $(jv .error.error_code)" is "$(jv .error.error_code)" 6
expect "message $(jv .error.message)" is "$(jv .error.message)" \
	"Script at specified location: s.sh failed to close STDOUT"
pkill -f "$marker-open"
finish "output left open by a background process"

# ---------------------------------------------------------------------
# 3. runas
# ---------------------------------------------------------------------
if [ "$(id -u)" != 0 ]; then
	bad "runas: the suite must run as root"
else
	if ! id "$RUNAS_USER" >/dev/null 2>&1; then
		useradd -M -d /nonexistent -s /bin/sh "$RUNAS_USER" && made_user=yes
	fi
	c=$T/runas
	mkdir -p "$c/b/scripts" "$c/out"
	chmod 777 "$c/out"
	cat >"$c/b/appspec.yml" <<EOF
version: 0.0
os: linux
hooks:
  AfterInstall:
    - location: scripts/who.sh
      runas: $RUNAS_USER
    - location: scripts/root.sh
EOF
	cat >"$c/b/scripts/who.sh" <<EOF
#!/bin/sh
id -un >$c/out/who
echo "\$DEPLOYMENT_ID \$LIFECYCLE_EVENT" >$c/out/env
touch $c/out/made-by-hook
EOF
	printf '#!/bin/sh\nid -un >%s/out/who-root\n' "$c" >"$c/b/scripts/root.sh"
	chmod 755 "$c/b/scripts/"*.sh
	deploy "$c/root" "$c/b" --deployment-id d-RUNAS
	expect "exit status $rc" is "$rc" 0
	expect "ran as $(cat "$c/out/who" 2>/dev/null)" is "$(cat "$c/out/who" 2>/dev/null)" "$RUNAS_USER"
	expect "file owner $(owner "$c/out/made-by-hook")" is \
		"$(stat -c %U "$c/out/made-by-hook")" "$RUNAS_USER"
	expect "environment through su: $(cat "$c/out/env")" is "$(cat "$c/out/env")" \
		"d-RUNAS AfterInstall"
	expect "the next script ran as $(cat "$c/out/who-root")" is "$(cat "$c/out/who-root")" root
	finish "runas: scripts run as the user, with the agent's variables"

	c=$T/runas-missing
	mkdir -p "$c/b"
	printf 'version: 0.0\nos: linux\nhooks:\n  AfterInstall:\n    - location: s.sh\n      runas: no-such-user-x\n' \
		>"$c/b/appspec.yml"
	printf '#!/bin/sh\nexit 0\n' >"$c/b/s.sh"
	chmod 755 "$c/b/s.sh"
	deploy "$c/root" "$c/b"
	expect "exit status $rc" is "$rc" 1
	expect "message $(jv .error.message)" has <(jv .error.message) \
		"^Script at specified location: s.sh run as user no-such-user-x failed with exit code [1-9]"
	finish "runas: an unknown user fails the hook"
fi

# ---------------------------------------------------------------------
# 4. permissions
# ---------------------------------------------------------------------
c=$T/perms
mkdir -p "$c/b/app/bin" "$c/b/app/conf/sub"
for f in app/bin/run.sh app/bin/skip.sh app/bin/tool app/conf/a.conf \
	app/conf/sub/b.conf app/readme; do
	echo "$f" >"$c/b/$f"
	chmod 600 "$c/b/$f"
done
cat >"$c/b/appspec.yml" <<EOF
version: 0.0
os: linux
files:
  - source: app
    destination: $c/dest/app
  - source: app/readme
    destination: $c/dest/single
permissions:
  - object: $c/dest/app/bin
    pattern: "*.sh"
    except: [skip.sh]
    mode: 755
    type: [file]
  - object: $c/dest/app/conf
    owner: $RUNAS_USER
    group: $RUNAS_USER
    mode: 0750
    type: [directory]
  - object: $c/dest/app/conf
    pattern: "*.conf"
    mode: 0644
    type: [file]
  - object: $c/dest/single/readme
    owner: $RUNAS_USER
    mode: "0444"
EOF
# The unquoted 0750 is the octal number 488, whose 8 is refused when the
# agent first reads the appspec (BeforeInstall).
deploy "$c/root" "$c/b"
expect "exit status $rc" is "$rc" 1
expect "event $(jv .error.event)" is "$(jv .error.event)" BeforeInstall
expect "message $(jv .error.message)" has <(jv .error.message) \
	"permissions mode (488) in the application specification file contains an invalid character (8)"
expect "files installed" test ! -e "$c/dest"
finish "permissions: an unquoted 0750 is octal 488 and refused"

sed -i 's/mode: 0750/mode: "0750"/' "$c/b/appspec.yml"
deploy "$c/root" "$c/b"
expect "exit status $rc" is "$rc" 0
d=$c/dest/app
expect "run.sh mode $(mode "$d/bin/run.sh")" is "$(mode "$d/bin/run.sh")" 755
expect "skip.sh (except) mode $(mode "$d/bin/skip.sh")" is "$(mode "$d/bin/skip.sh")" 600
expect "tool (no match) mode $(mode "$d/bin/tool")" is "$(mode "$d/bin/tool")" 600
expect "a.conf (0644 is octal 420) mode $(mode "$d/conf/a.conf")" is "$(mode "$d/conf/a.conf")" 420
expect "sub/b.conf is below the pattern's level: $(mode "$d/conf/sub/b.conf")" is \
	"$(mode "$d/conf/sub/b.conf")" 600
expect "conf/sub owner $(owner "$d/conf/sub")" is "$(owner "$d/conf/sub")" "$RUNAS_USER:$RUNAS_USER"
expect "conf/sub mode $(mode "$d/conf/sub")" is "$(mode "$d/conf/sub")" 750
expect "conf itself (the object) changed: $(owner "$d/conf")" is "$(owner "$d/conf")" root:root
expect "a file under conf changed owner: $(owner "$d/conf/sub/b.conf")" is \
	"$(owner "$d/conf/sub/b.conf")" root:root
expect "single file mode $(mode "$c/dest/single/readme")" is "$(mode "$c/dest/single/readme")" 444
expect "single file owner $(owner "$c/dest/single/readme")" is \
	"$(owner "$c/dest/single/readme")" "$RUNAS_USER:root"
expect "install.json lacks chown" has "$c/root/deployment-instructions/default-local-deployment-group-install.json" \
	"\"type\":\"chown\",\"owner\":\"$RUNAS_USER\",\"group\":\"$RUNAS_USER\",\"file\":\"$d/conf/sub\""
finish "permissions: pattern, except, type, mode (0644 unquoted is 420), owner, group, a single file"

# Permission errors the agent raises at Install.
perm_error() { # id, name, permissions yaml, expected message part
	local name=$2 yaml=$3 want=$4
	c=$T/perm-err-$1
	mkdir -p "$c/b/app"
	echo x >"$c/b/app/f.txt"
	printf 'version: 0.0\nos: linux\nfiles:\n  - source: app\n    destination: %s/dest\npermissions:\n%s\n' \
		"$c" "$yaml" >"$c/b/appspec.yml"
	deploy "$c/root" "$c/b"
	expect "exit status $rc" is "$rc" 1
	expect "event $(jv .error.event)" is "$(jv .error.event)" Install
	expect "message $(jv .error.message)" has <(jv .error.message) "$want"
	finish "permissions: $name"
}
perm_error pattern "pattern on a file" "  - object: $T/perm-err-pattern/dest/f.txt
    pattern: \"*.txt\"
    mode: 644" "with an invalid pattern (\*.txt)"
perm_error owner "unknown owner" "  - object: $T/perm-err-owner/dest
    owner: no-such-user-x" "can't find user for no-such-user-x"
perm_error twice "twice" "  - object: $T/perm-err-twice/dest
    mode: 644
  - object: $T/perm-err-twice/dest/f.txt
    mode: 600" "permissions setting for ($T/perm-err-twice/dest/f.txt) is specified more than once"
perm_error dacl "default acl on a file" "  - object: $T/perm-err-dacl/dest/f.txt
    acls: [\"d:u:root:rw\"]" "the -d parameter has been specified"

# ACLs: setfacl --set with the entries the agent adds.
c=$T/acl
mkdir -p "$c/b/app"
echo x >"$c/b/app/f.txt"
cat >"$c/b/appspec.yml" <<EOF
version: 0.0
os: linux
files:
  - source: app
    destination: $c/dest
permissions:
  - object: $c/dest
    acls: ["u:$RUNAS_USER:rw"]
    type: [file]
EOF
deploy "$c/root" "$c/b"
if command -v setfacl >/dev/null; then
	expect "exit status $rc" is "$rc" 0
	expect "getfacl lacks the entry" has <(getfacl -c "$c/dest/f.txt" 2>/dev/null) \
		"^user:$RUNAS_USER:rw-"
	expect "getfacl lacks the mask" has <(getfacl -c "$c/dest/f.txt" 2>/dev/null) "^mask::"
	finish "permissions: acls with setfacl"
	# Default entries on the directories made; the agent completes them.
	c=$T/acl-default
	mkdir -p "$c/b/app/sub"
	echo x >"$c/b/app/sub/f.txt"
	cat >"$c/b/appspec.yml" <<EOF
version: 0.0
os: linux
files:
  - source: app
    destination: $c/dest
permissions:
  - object: $c/dest
    acls: ["d:u:$RUNAS_USER:rwx", "g:$RUNAS_USER:5"]
    type: [directory]
EOF
	deploy "$c/root" "$c/b"
	expect "exit status $rc" is "$rc" 0
	getfacl -cE "$c/dest/sub" >"$c/acl" 2>/dev/null
	for e in "default:user:$RUNAS_USER:rwx" "group:$RUNAS_USER:r-x" \
		"default:user::rwx" "default:group::r-x" "default:other::r-x" \
		"default:mask::r-x" "mask::r-x"; do
		expect "getfacl lacks $e" has "$c/acl" "^$e\$"
	done
	expect "f.txt got an ACL" test -z "$(getfacl -c "$c/dest/sub/f.txt" 2>/dev/null | grep "$RUNAS_USER")"
	finish "permissions: default acls on directories (type directory)"
else
	expect "exit status $rc" is "$rc" 1
	expect "message $(jv .error.message)" has <(jv .error.message) \
		"Failed command: setfacl --set user:$RUNAS_USER:rw-,user::rw-,group::r--,other::r--,mask::r-- $c/dest/f.txt. Exit code: 127 (setfacl was not found"
	finish "permissions: acls without setfacl fail and say so"
fi

# SELinux contexts: semanage fcontext and restorecon, named when missing.
c=$T/context
mkdir -p "$c/b/app"
echo x >"$c/b/app/f.txt"
cat >"$c/b/appspec.yml" <<EOF
version: 0.0
os: linux
files:
  - source: app
    destination: $c/dest
permissions:
  - object: $c/dest/f.txt
    context: {name: system_u, type: httpd_sys_content_t, range: s0}
EOF
deploy "$c/root" "$c/b"
if command -v semanage >/dev/null && command -v restorecon >/dev/null; then
	expect "exit status $rc" is "$rc" 0
	expect "cleanup list lacks the context" has \
		"$c/root/deployment-instructions/default-local-deployment-group-cleanup" "^semanage"
	finish "permissions: SELinux context with semanage"
else
	expect "exit status $rc" is "$rc" 1
	expect "event $(jv .error.event)" is "$(jv .error.event)" Install
	expect "message $(jv .error.message)" has <(jv .error.message) \
		"Failed command: semanage fcontext -a -s system_u -t httpd_sys_content_t -r s0 $c/dest/f.txt. Exit code: 127 (semanage and restorecon were not found"
	expect "install.json lacks the context" has \
		"$c/root/deployment-instructions/default-local-deployment-group-install.json" \
		'"type":"semanage","context":{"user":"system_u","role":null,"type":"httpd_sys_content_t","range":"s0"}'
	finish "permissions: SELinux context without semanage fails and says so"
fi

# ---------------------------------------------------------------------
# 5. file_exists_behavior
# ---------------------------------------------------------------------
feb_case() { # id, name, appspec behavior ("" none), cli behavior, want
	local name=$2 spec=$3 cli=$4 want=$5
	c=$T/feb-$1
	mkdir -p "$c/b/site" "$c/dest"
	echo new >"$c/b/site/index.html"
	echo new >"$c/b/site/other.html"
	echo old >"$c/dest/index.html"
	{
		printf 'version: 0.0\nos: linux\n'
		[ -n "$spec" ] && echo "file_exists_behavior: $spec"
		printf 'files:\n  - source: site\n    destination: %s/dest\n' "$c"
		printf 'hooks:\n  AfterInstall:\n    - location: after.sh\n'
	} >"$c/b/appspec.yml"
	printf '#!/bin/sh\ntouch %s/after-ran\n' "$c" >"$c/b/after.sh"
	chmod 755 "$c/b/after.sh"
	if [ -n "$cli" ]; then
		deploy "$c/root" "$c/b" --file-exists-behavior "$cli"
	else
		deploy "$c/root" "$c/b"
	fi
	case $want in
	fail)
		expect "exit status $rc" is "$rc" 1
		expect "event $(jv .error.event)" is "$(jv .error.event)" Install
		expect "message $(jv .error.message)" is "$(jv .error.message)" \
			"The deployment failed because a specified file already exists at this location: $c/dest/index.html"
		expect "the file changed" is "$(cat "$c/dest/index.html")" old
		expect "AfterInstall ran" test ! -e "$c/after-ran"
		expect "other.html installed" test ! -e "$c/dest/other.html" ;;
	overwrite)
		expect "exit status $rc" is "$rc" 0
		expect "not overwritten" is "$(cat "$c/dest/index.html")" new
		expect "overwritten file missing from the cleanup list" has \
			"$c/root/deployment-instructions/default-local-deployment-group-cleanup" \
			"^$c/dest/index.html\$" ;;
	retain)
		expect "exit status $rc" is "$rc" 0
		expect "not retained" is "$(cat "$c/dest/index.html")" old
		expect "other.html missing" is "$(cat "$c/dest/other.html")" new
		expect "retained file in the cleanup list" test -z \
			"$(grep -x "$c/dest/index.html" "$c/root/deployment-instructions/default-local-deployment-group-cleanup")" ;;
	esac
	finish "file_exists_behavior: $name"
}
feb_case 1 "DISALLOW by default" "" "" fail
feb_case 2 "OVERWRITE from the command line" "" OVERWRITE overwrite
feb_case 3 "RETAIN from the command line" "" retain retain
feb_case 4 "RETAIN in the appspec" RETAIN "" retain
feb_case 5 "the appspec's DISALLOW beats the command line" DISALLOW OVERWRITE fail
feb_case 6 "the appspec's OVERWRITE beats the command line" OVERWRITE RETAIN overwrite

# ---------------------------------------------------------------------
# 6. A second deployment: the previous revision's ApplicationStop, its
# files removed (cleanup list), pointers, logs, old folders.
# ---------------------------------------------------------------------
c=$T/second
mkdir -p "$c/r1/scripts" "$c/r1/site/sub" "$c/r2/scripts" "$c/r2/site"
echo one >"$c/r1/site/a.txt"
echo one >"$c/r1/site/sub/b.txt"
ln -s a.txt "$c/r1/site/link"
echo two >"$c/r2/site/c.txt"
for r in r1 r2; do
	cat >"$c/$r/appspec.yml" <<EOF
version: 0.0
os: linux
files:
  - source: site
    destination: $c/www/app
hooks:
  ApplicationStop:
    - location: scripts/stop.sh
  ApplicationStart:
    - location: scripts/start.sh
EOF
	printf '#!/bin/sh\necho "%s:stop $DEPLOYMENT_ID" >>%s/trace\n' "$r" "$c" >"$c/$r/scripts/stop.sh"
	printf '#!/bin/sh\necho "%s:start $DEPLOYMENT_ID" >>%s/trace\n' "$r" "$c" >"$c/$r/scripts/start.sh"
	chmod 755 "$c/$r/scripts/"*.sh
done
deploy "$c/root" "$c/r1" --deployment-id d-FIRST
expect "first: exit status $rc" is "$rc" 0
expect "first: ApplicationStop $(st ApplicationStop)" is "$(st ApplicationStop)" Skipped
expect "first: the link was not copied as a link" test -L "$c/www/app/link"
echo mine >"$c/www/app/sub/user-file"
deploy "$c/root" "$c/r2" --deployment-id d-SECOND
expect "second: exit status $rc" is "$rc" 0
expect "trace: $(tr '\n' '|' <"$c/trace")" is "$(tr '\n' '|' <"$c/trace")" \
	"r1:start d-FIRST|r1:stop d-SECOND|r2:start d-SECOND|"
expect "ApplicationStop revision $(jq -r '.events[] | select(.name == "ApplicationStop") | .revision' "$T/out.json")" \
	is "$(jq -r '.events[] | select(.name == "ApplicationStop") | .revision' "$T/out.json")" previous
expect "a.txt of r1 left" test ! -e "$c/www/app/a.txt"
expect "link of r1 left" test ! -L "$c/www/app/link"
expect "sub/b.txt of r1 left" test ! -e "$c/www/app/sub/b.txt"
expect "someone's file (and its directory) removed" test -e "$c/www/app/sub/user-file"
expect "c.txt missing" is "$(cat "$c/www/app/c.txt")" two
expect "cleanup list" is "$(cat "$c/root/deployment-instructions/default-local-deployment-group-cleanup")" \
	"$c/www/app/c.txt"
expect "last successful" is "$(cat "$c/root/deployment-instructions/default-local-deployment-group_last_successful_install")" \
	"$c/root/default-local-deployment-group/d-SECOND"
expect "most recent" is "$(cat "$c/root/deployment-instructions/default-local-deployment-group_most_recent_install")" \
	"$c/root/default-local-deployment-group/d-SECOND"
log=$c/root/default-local-deployment-group/d-SECOND/logs/scripts.log
expect "scripts.log lacks ApplicationStop" has "$log" "^[0-9-]\{10\} [0-9:]\{8\} LifecycleEvent - ApplicationStop$"
expect "scripts.log line format" test -z "$(grep -v '^[0-9]\{4\}-[0-9][0-9]-[0-9][0-9] [0-9][0-9]:[0-9][0-9]:[0-9][0-9] \(LifecycleEvent - \|Script - \|\[stdout\]\|\[stderr\]\)' "$log")"
finish "second deployment: previous ApplicationStop, previous files removed"

# The previous revision's failing ApplicationStop can be ignored.
c=$T/ignore-stop
make_bundle "$c/r1" r1 "$c/trace" ApplicationStop
deploy "$c/root" "$c/r1"
make_bundle "$c/r2" r2 "$c/trace"
deploy "$c/root" "$c/r2" --ignore-application-stop-failures
expect "exit status $rc" is "$rc" 0
expect "ApplicationStop $(st ApplicationStop)" is "$(st ApplicationStop)" Ignored
expect "ValidateService $(st ValidateService)" is "$(st ValidateService)" Succeeded
finish "--ignore-application-stop-failures"

# Old deployment folders: at most --max-revisions, never the last
# successful one.
c=$T/revisions
make_bundle "$c/b" r1 "$c/trace"
for i in 1 2 3 4 5 6; do
	deploy "$c/root" "$c/b" --deployment-id "d-$i" --max-revisions 3
	sleep 0.05
done
expect "folders: $(ls "$c/root/default-local-deployment-group" | tr '\n' ' ')" is \
	"$(ls "$c/root/default-local-deployment-group" | tr '\n' ' ')" "d-4 d-5 d-6 "
finish "max revisions: old deployment folders removed"

# ---------------------------------------------------------------------
# 7. The agent's sample appspecs, with hook scripts of our own.
# ---------------------------------------------------------------------
for sample in all-hooks file-exists-retain; do
	c=$T/sample-$sample
	mkdir -p "$c/b/scripts"
	cp "$SHARED/aws-vectors/appspec/agent-sample-$sample.appspec.yml" "$c/b/appspec.yml"
	for s in before_block_traffic after_block_traffic application_stop \
		before_install after_install application_start validate_service \
		before_allow_traffic after_allow_traffic; do
		printf '#!/bin/bash\necho "$LIFECYCLE_EVENT %s" >>%s/trace\n' "$s" "$c" \
			>"$c/b/scripts/$s.sh"
		chmod 755 "$c/b/scripts/$s.sh"
	done
	"$FERRY" appspec validate "$c/b/appspec.yml" >"$c/validate" 2>&1
	vrc=$?
	expect "validate: $(cat "$c/validate")" is "$vrc" 0
	deploy "$c/root" "$c/b"
	expect "first: exit status $rc" is "$rc" 0
	deploy "$c/root" "$c/b"
	expect "second: exit status $rc" is "$rc" 0
	expect "order: $(tr '\n' ' ' <"$c/trace")" is "$(tr '\n' ' ' <"$c/trace")" \
"BeforeInstall before_install AfterInstall after_install ApplicationStart application_start ValidateService validate_service BeforeAllowTraffic before_allow_traffic AfterAllowTraffic after_allow_traffic \
BeforeBlockTraffic before_block_traffic AfterBlockTraffic after_block_traffic ApplicationStop application_stop \
BeforeInstall before_install AfterInstall after_install ApplicationStart application_start ValidateService validate_service BeforeAllowTraffic before_allow_traffic AfterAllowTraffic after_allow_traffic "
	finish "agent sample appspec: $sample"
done

# ---------------------------------------------------------------------
# 8. Bundles (directory, tar, tgz, zip with a top directory), the
# agent's variables, missing and non-executable scripts.
# ---------------------------------------------------------------------
c=$T/bundles
mkdir -p "$c/src/rev/scripts"
cat >"$c/src/rev/appspec.yml" <<EOF
version: 0.0
os: linux
hooks:
  BeforeInstall:
    - location: scripts/env.sh
EOF
cat >"$c/src/rev/scripts/env.sh" <<EOF
#!/bin/sh
env | grep -E '^(LIFECYCLE_EVENT|DEPLOYMENT_ID|APPLICATION_NAME|DEPLOYMENT_GROUP_NAME|DEPLOYMENT_GROUP_ID|BUNDLE_[A-Z]*)=' | LC_ALL=C sort >\$(dirname \$0)/../../env.out
pwd >\$(dirname \$0)/../../pwd.out
EOF
chmod 755 "$c/src/rev/scripts/env.sh"
(cd "$c/src/rev" && tar cf "$c/b.tar" . && tar czf "$c/b.tgz" .)
(cd "$c/src" && zip -qr "$c/b.zip" rev)
for kind in dir tar tgz zip; do
	case $kind in dir) b=$c/src/rev ;; *) b=$c/b.$kind ;; esac
	BUNDLE_VERSION=stale deploy "$c/root" "$b" --deployment-id "d-$kind" \
		--deployment-group grp-1 --deployment-group-name Fleet \
		--application App --bundle-bucket bkt --bundle-key k/b.zip --bundle-etag e1
	dir=$c/root/grp-1/d-$kind
	expect "$kind: exit status $rc" is "$rc" 0
	expect "$kind: environment $(tr '\n' ' ' <"$dir/env.out")" is "$(tr '\n' ' ' <"$dir/env.out")" \
		"APPLICATION_NAME=App BUNDLE_BUCKET=bkt BUNDLE_ETAG=e1 BUNDLE_KEY=k/b.zip DEPLOYMENT_GROUP_ID=grp-1 DEPLOYMENT_GROUP_NAME=Fleet DEPLOYMENT_ID=d-$kind LIFECYCLE_EVENT=BeforeInstall "
	expect "$kind: working directory $(cat "$dir/pwd.out")" is "$(cat "$dir/pwd.out")" "$dir/deployment-archive"
	expect "$kind: appspec not at the top" test -f "$dir/deployment-archive/appspec.yml"
	case $kind in
	dir) expect "dir: bundle.tar made" test ! -e "$dir/bundle.tar" ;;
	*) expect "$kind: bundle.tar link" is "$(readlink "$dir/bundle.tar")" "$b" ;;
	esac
	finish "bundle as $kind, with the agent's variables"
done

c=$T/github
mkdir -p "$c/b"
printf 'version: 0.0\nos: linux\nhooks:\n  AfterInstall:\n    - location: e.sh\n' >"$c/b/appspec.yml"
printf '#!/bin/sh\necho "$BUNDLE_COMMIT ${BUNDLE_BUCKET:-none} $APPLICATION_NAME" >%s/out\n' "$c" >"$c/b/e.sh"
chmod 755 "$c/b/e.sh"
(cd "$c" && "$FERRY" appspec run --json --root "$c/root" --bundle b --bundle-commit abc123 >"$T/out.json" 2>"$T/stderr")
expect "exit status $?" is "$?" 0
expect "variables: $(cat "$c/out")" is "$(cat "$c/out")" "abc123 none b"
finish "GitHub revision: BUNDLE_COMMIT; application name defaults to the bundle"

c=$T/scripts
mkdir -p "$c/b"
printf 'version: 0.0\nos: linux\nhooks:\n  BeforeInstall:\n    - location: plain.sh\n  AfterInstall:\n    - location: missing.sh\n' >"$c/b/appspec.yml"
printf 'echo no shebang, not executable\n' >"$c/b/plain.sh"
chmod 644 "$c/b/plain.sh"
deploy "$c/root" "$c/b"
expect "exit status $rc" is "$rc" 1
expect "BeforeInstall $(st BeforeInstall)" is "$(st BeforeInstall)" Succeeded
expect "error code $(jv .error.error_code)" is "$(jv .error.error_code)" 1
expect "message $(jv .error.message)" is "$(jv .error.message)" \
	"Script does not exist at specified location: $(jv .directory)/deployment-archive/missing.sh"
expect "plain.sh made executable" test -x "$(jv .directory)/deployment-archive/plain.sh"
expect "plain.sh output" has "$(jv .log)" "\[stdout\]no shebang, not executable"
finish "scripts: made executable, run by sh without #!, missing"

# ---------------------------------------------------------------------
# 9. Bad appspecs and bad input.
# ---------------------------------------------------------------------
c=$T/bad
mkdir -p "$c/v" "$c/u" "$c/empty"
printf "version: '0.0'\nos: linux\n" >"$c/v/appspec.yml"
deploy "$c/root" "$c/v"
expect "quoted version: exit $rc" is "$rc" 1
expect "quoted version: event $(jv .error.event)" is "$(jv .error.event)" BeforeInstall
expect "quoted version: message" has <(jv .error.message) "invalid version value (0.0)"
expect "quoted version: DownloadBundle $(st DownloadBundle)" is "$(st DownloadBundle)" Succeeded
printf 'version: 0.0\nos: linux\nhooks:\n  AfterInstal:\n    - location: x.sh\n' >"$c/u/appspec.yml"
deploy "$c/root" "$c/u"
expect "unknown event: exit $rc" is "$rc" 1
expect "unknown event: message $(jv .error.message)" is "$(jv .error.message)" \
	'appspec.yml file contains unknown lifecycle events: ["AfterInstal"]'
deploy "$c/root" "$c/empty"
expect "no appspec: exit $rc" is "$rc" 2
deploy "$c/root" "$c/nowhere"
expect "no bundle: exit $rc" is "$rc" 2
"$FERRY" appspec run --root "$c/root" --bundle "$c/v" --file-exists-behavior KEEP >/dev/null 2>&1
expect "bad behaviour: exit $?" is "$?" 64
"$FERRY" appspec run --root "$c/root" --bundle "$c/v" --deployment-id ../x >/dev/null 2>&1
expect "bad deployment id: exit $?" is "$?" 2
"$FERRY" appspec run --help | grep -q -- --file-exists-behavior
expect "run --help" is "$?" 0
"$FERRY" appspec validate --help | grep -q -- "--json"
expect "validate --help" is "$?" 0
"$FERRY" appspec frobnicate >/dev/null 2>&1
expect "unknown subcommand: exit $?" is "$?" 64
finish "bad appspecs fail in the agent's events; bad input is exit 2"

c=$T/events
make_bundle "$c/b" r1 "$c/trace"
deploy "$c/root" "$c/b" --events ApplicationStart,ValidateService
expect "exit status $rc" is "$rc" 0
expect "events: $(jq -r '[.events[].name] | join(",")' "$T/out.json")" is \
	"$(jq -r '[.events[].name] | join(",")' "$T/out.json")" "DownloadBundle,Install,ApplicationStart,ValidateService"
expect "trace $(tr '\n' ' ' <"$c/trace")" is "$(tr '\n' ' ' <"$c/trace")" "r1:ApplicationStart r1:ValidateService "
deploy "$c/root" "$c/b" --events ValidateService,DownloadBundle
expect "bad order: exit $rc" is "$rc" 2
finish "--events: a chosen order, with codedeploy-local's rules"

# ---------------------------------------------------------------------
# 10. ferry appspec validate
# ---------------------------------------------------------------------
c=$T/validate
mkdir -p "$c"
printf 'version: 0.0\nos: linux\npermissions:\n  - object: /srv\n    mode: 0644\nhooks:\n  Install:\n    - location: a.sh\n  AfterInstall:\n    - timeout: 5\n  Bogus:\n    - location: b.sh\n' >"$c/a.yml"
"$FERRY" appspec validate "$c/a.yml" >"$c/out" 2>&1
rc=$?
expect "exit status $rc" is "$rc" 1
expect "missing location with its line" has "$c/out" "^$c/a.yml:10: error: .*no location value.*(missing_location)"
expect "octal warning" has "$c/out" "^$c/a.yml:5: warning: mode 0644 is read by YAML 1.1 as the octal number 420"
expect "reserved event warning" has "$c/out" "^$c/a.yml:7: warning: scripts for 'Install' never run"
expect "unknown event" has "$c/out" "^$c/a.yml:11: error: unknown lifecycle event 'Bogus' (unknown_event)"
"$FERRY" appspec validate --json "$c/a.yml" >"$c/json"
expect "json: valid $(jq .valid "$c/json")" is "$(jq .valid "$c/json")" false
expect "json: problems $(jq '.problems | length' "$c/json")" is "$(jq '.problems | length' "$c/json")" 4
"$FERRY" appspec validate "$c/none.yml" >/dev/null 2>&1
expect "unreadable: exit $?" is "$?" 2
finish "validate: problems with lines, --json, exit status"

echo "$pass passed, $fail_count failed"
[ "$fail_count" -eq 0 ]
