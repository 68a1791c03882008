# ferry's shell library: the helper functions every job script defines.
# Their names, arguments and output match Travis CI's build environment,
# because user scripts call them and logs are compared byte for byte:
# folds, timing markers, "The command ... exited with N.", the assert and
# footer lines.  ferry_* functions are ferry's own.

travis_nanoseconds() {
	if hash gdate >/dev/null 2>&1; then
		gdate -u '+%s%N'
	elif [[ "${TRAVIS_OS_NAME}" == osx ]]; then
		date -u '+%s000000000'
	else
		date -u '+%s%N'
	fi
}

# Nanoseconds into the variable named $1, without a fork when bash has
# EPOCHREALTIME (microseconds, the last three digits then are zeros).
_ferry_ns() {
	if [[ -n "${EPOCHREALTIME:-}" ]]; then
		printf -v "${1}" '%s000' "${EPOCHREALTIME/[.,]/}"
	else
		printf -v "${1}" '%s' "$(travis_nanoseconds)"
	fi
}

travis_fold() {
	echo -en "travis_fold:${1}:${2}\\r${ANSI_CLEAR}"
}

travis_time_start() {
	printf -v TRAVIS_TIMER_ID '%08x' $((RANDOM * RANDOM))
	_ferry_ns TRAVIS_TIMER_START_TIME
	export TRAVIS_TIMER_ID TRAVIS_TIMER_START_TIME
	echo -en "travis_time:start:${TRAVIS_TIMER_ID}\\r${ANSI_CLEAR}"
}

travis_time_finish() {
	local status="${?}" event="${1}" now
	_ferry_ns now
	echo -en "travis_time:end:${TRAVIS_TIMER_ID}:start=${TRAVIS_TIMER_START_TIME},finish=${now},duration=$((now - TRAVIS_TIMER_START_TIME)),event=${event}\\r${ANSI_CLEAR}"
	return "${status}"
}

# travis_cmd COMMAND [--assert] [--echo] [--display TEXT] [--retry]
#            [--timing] [--event STAGE] [--secure]
# Runs COMMAND with eval in this shell, so that cd, export and set -e
# carry over to the rest of the job.
travis_cmd() {
	local cmd="${1}" assert='' echo='' display='' retry='' timing=''
	local event='' secure='' status
	export TRAVIS_CMD="${cmd}"
	shift
	while [[ $# -gt 0 ]]; do
		case "${1}" in
		--assert) assert=1; shift ;;
		--echo) echo=1; shift ;;
		--display) display="${2}"; shift 2 ;;
		--retry) retry=1; shift ;;
		--timing) timing=1; shift ;;
		--event) event="${2}"; shift 2 ;;
		--secure) secure=' 2>/dev/null'; shift ;;
		*) break ;;
		esac
	done
	[[ -n "${timing}" ]] && travis_time_start "${event}"
	[[ -n "${echo}" ]] && echo "\$ ${display:-${cmd}}"
	if [[ -n "${retry}" ]]; then
		travis_retry eval "${cmd} ${secure}"
		status="${?}"
	elif [[ -n "${secure}" ]]; then
		eval "${cmd} ${secure}" 2>/dev/null
		status="${?}"
		if [[ "${status}" -ne 0 ]]; then
			echo -e "${ANSI_RED}We were unable to parse one of your secure environment variables.${ANSI_CLEAR}
${ANSI_RED}Please make sure to escape special characters such as ' ' (white space) and \$ (dollar symbol) with \\\\ (backslash) .${ANSI_CLEAR}
${ANSI_RED}For example, thi\$isanexample would be typed as thi\\\\\$isanexample. See https://docs.travis-ci.com/user/encryption-keys.${ANSI_CLEAR}"
		fi
	else
		eval "${cmd} ${secure}"
		status="${?}"
	fi
	[[ -n "${timing}" ]] && travis_time_finish "${event}"
	[[ -n "${assert}" ]] && travis_assert "${status}"
	return "${status}"
}

travis_result() {
	local status="${1}" color="${ANSI_GREEN}"
	export TRAVIS_TEST_RESULT=$((${TRAVIS_TEST_RESULT:-0} | $((status != 0))))
	[[ "${status}" -ne 0 ]] && color="${ANSI_RED}"
	printf "${color}The command \"%s\" exited with ${status}.${ANSI_RESET}\\n" "${TRAVIS_CMD}"
}

travis_assert() {
	local status="${1:-${?}}"
	[[ "${status}" -eq 0 ]] && return 0
	printf "${ANSI_RED}The command \"%s\" failed and exited with ${status} during %s.${ANSI_RESET}\\n" "${TRAVIS_CMD}" "${TRAVIS_STAGE}"
	printf "\\nYour build has been stopped.\\n"
	travis_terminate 2
}

# Ends the job with status $1: saves the state for `ferry shell`, kills
# what the job started in the background, and exits.
travis_terminate() {
	[[ -z "${TRAVIS_OS_NAME}" ]] && return
	set +e
	ferry_save_state
	# What the job left running in the background ends with it; the
	# container's end stops the rest.
	local pid
	for pid in $(jobs -p); do
		kill -9 "${pid}" >/dev/null 2>&1
	done
	exit "${1}"
}

travis_footer() {
	: "${TRAVIS_TEST_RESULT:=86}"
	echo -e "\\nDone. Your build exited with ${TRAVIS_TEST_RESULT}."
	travis_terminate "${TRAVIS_TEST_RESULT}"
}

# travis_retry COMMAND...: up to three attempts, one second apart.
travis_retry() {
	local status=0 attempt=1
	while [[ "${attempt}" -le 3 ]]; do
		if [[ "${status}" -ne 0 ]]; then
			echo -e "\\n${ANSI_RED}The command \"${*}\" failed. Retrying, ${attempt} of 3.${ANSI_RESET}\\n" >&2
		fi
		"${@}"
		status="${?}"
		[[ "${status}" -eq 0 ]] && break
		attempt=$((attempt + 1))
		sleep 1
	done
	if [[ "${attempt}" -gt 3 ]]; then
		echo -e "\\n${ANSI_RED}The command \"${*}\" failed 3 times.${ANSI_RESET}\\n" >&2
	fi
	return "${status}"
}

# travis_wait [MINUTES] COMMAND...: runs COMMAND with its output in a log
# file, printing a line every minute so the job is not stopped for
# silence; kills it after MINUTES (default 20).
travis_wait() {
	local limit="${1}" log status cmd_pid jigger_pid
	if [[ "${limit}" =~ ^[0-9]+$ ]]; then
		shift
	else
		limit=20
	fi
	local cmd=("${@}")
	log="travis_wait_${$}.log"
	"${cmd[@]}" &>"${log}" &
	cmd_pid="${!}"
	travis_jigger "${cmd_pid}" "${limit}" "${cmd[@]}" &
	jigger_pid="${!}"
	wait "${cmd_pid}" 2>/dev/null
	status="${?}"
	kill "${jigger_pid}" >/dev/null 2>&1
	if [[ "${status}" -eq 0 ]]; then
		printf "\\n${ANSI_GREEN}The command %s exited with ${status}.${ANSI_RESET}\\n" "${cmd[*]}"
	else
		printf "\\n${ANSI_RED}The command %s exited with ${status}.${ANSI_RESET}\\n" "${cmd[*]}"
	fi
	echo -e "\\n${ANSI_GREEN}Log:${ANSI_RESET}\\n"
	cat "${log}"
	return "${status}"
}

travis_jigger() {
	local pid="${1}" limit="${2}" n=0
	shift 2
	echo -e "\\n"
	while [[ "${n}" -lt "${limit}" ]]; do
		n=$((n + 1))
		echo -ne "Still running (${n} of ${limit}): ${*}\\r"
		sleep "${FERRY_JIGGER_INTERVAL:-60}"
	done
	echo -e "\\n${ANSI_RED}Timeout (${limit} minutes) reached. Terminating \"${*}\"${ANSI_RESET}\\n"
	kill -9 "${pid}"
}

travis_setup_env() {
	export ANSI_RED="\033[31;1m"
	export ANSI_GREEN="\033[32;1m"
	export ANSI_YELLOW="\033[33;1m"
	export ANSI_RESET="\033[0m"
	export ANSI_CLEAR="\033[0K"
	export DEBIAN_FRONTEND=noninteractive
	[[ "${TERM}" == dumb ]] && unset TERM
	export SHELL="${SHELL:-/bin/bash}" TERM="${TERM:-xterm}" USER="${USER:-travis}"
	# bash's OSTYPE and HOSTTYPE are what uname says, without a fork
	case "${OSTYPE:-$(uname | tr '[:upper:]' '[:lower:]')}" in
	linux*) TRAVIS_OS_NAME=linux ;;
	darwin*) TRAVIS_OS_NAME=osx ;;
	msys* | cygwin*) TRAVIS_OS_NAME=windows ;;
	freebsd*) TRAVIS_OS_NAME=freebsd ;;
	*) TRAVIS_OS_NAME=notset ;;
	esac
	export TRAVIS_OS_NAME
	case "${HOSTTYPE:-$(uname -m)}" in
	x86_64*) TRAVIS_CPU_ARCH=amd64 ;;
	aarch64*) TRAVIS_CPU_ARCH=arm64 ;;
	ppc64le*) TRAVIS_CPU_ARCH=ppc64le ;;
	s390x*) TRAVIS_CPU_ARCH=s390x ;;
	*) TRAVIS_CPU_ARCH=notset ;;
	esac
	export TRAVIS_CPU_ARCH
	TRAVIS_ARCH="${HOSTTYPE:-$(uname -m)}"
	[[ "${TRAVIS_ARCH}" == x86_64 ]] && TRAVIS_ARCH=amd64
	export TRAVIS_ARCH
	export TRAVIS_DIST=notset TRAVIS_INIT=notset
	if [[ "${TRAVIS_OS_NAME}" == linux ]]; then
		if command -v lsb_release >/dev/null 2>&1; then
			TRAVIS_DIST="$(lsb_release -sc 2>/dev/null)"
		elif [[ -r /etc/os-release ]]; then
			local k v
			while IFS='=' read -r k v; do
				[[ "${k}" == VERSION_CODENAME ]] && TRAVIS_DIST="${v//\"/}"
			done </etc/os-release
		fi
		export TRAVIS_DIST="${TRAVIS_DIST:-notset}"
		if command -v systemctl >/dev/null 2>&1; then
			export TRAVIS_INIT=systemd
		else
			export TRAVIS_INIT=upstart
		fi
	fi
	export TRAVIS_TEST_RESULT= TRAVIS_CMD=
	TRAVIS_TMPDIR="$(mktemp -d 2>/dev/null || mktemp -d -t travis_tmp.XXXX)"
	export TRAVIS_TMPDIR
	export TRAVIS_INFRA=ferry
}

travis_preamble() {
	[[ -s "${TRAVIS_ROOT}/etc/profile" ]] && source "${TRAVIS_ROOT}/etc/profile"
	[[ -s "${TRAVIS_HOME}/.bash_profile" ]] && source "${TRAVIS_HOME}/.bash_profile"
	mkdir -p "${TRAVIS_HOME}/.travis" "${TRAVIS_BUILD_DIR}"
	cd "${TRAVIS_BUILD_DIR}" || exit 86
}

# ferry_handoff VERB ARG: asks ferry (on the host) to do something for
# the job (start services, deploy, fetch or store the cache) and waits for
# its answer.  The job's environment and directory are saved first, so
# that what ferry does sees them.  ferry writes reply.N (the status), then
# done.N.  Returns ferry's status for the request.
ferry_handoff() {
	local dir="${TRAVIS_HOME}/.ferry" status seq
	FERRY_HANDOFF_SEQ=$((${FERRY_HANDOFF_SEQ:-0} + 1))
	seq="${FERRY_HANDOFF_SEQ}"
	mkdir -p "${dir}"
	env -0 >"${dir}/env.${seq}"
	pwd >"${dir}/pwd.${seq}"
	printf '\036ferry:%s:%s:%s\n' "${1}" "${seq}" "${2}"
	until [[ -e "${dir}/done.${seq}" ]]; do
		sleep 0.02
	done
	read -r status <"${dir}/reply.${seq}"
	rm -f "${dir}/env.${seq}" "${dir}/pwd.${seq}" "${dir}/reply.${seq}" "${dir}/done.${seq}"
	return "${status:-1}"
}

# ferry_cache_add DIR...: what `casher add` does.  Each directory made
# absolute (against the current directory); symbolic links are not
# followed.  ferry restores them from the fetched cache archive (and
# stores them in the cache stage); what is still missing is created.
ferry_cache_add() {
	local p list=()
	for p in "$@"; do
		[[ "${p}" == /* ]] || p="${PWD}/${p}"
		if [[ -L "${p}" ]]; then
			echo "${p} is a symbolic link to $(readlink "${p}"); not following"
			continue
		fi
		echo "adding ${p} to cache"
		list+=("${p}")
	done
	[[ "${#list[@]}" -eq 0 ]] && return 0
	# the paths go in the hand-off's line when they can, else in a file
	local joined="" sep=$'\x1f'
	for p in "${list[@]}"; do
		[[ "${p}" == *[[:cntrl:]]* ]] && joined="" && break
		joined+="${joined:+${sep}}${p}"
	done
	if [[ -n "${joined}" && "${#joined}" -lt 3000 ]]; then
		ferry_handoff cache-add "list:${joined}"
	else
		printf '%s\0' "${list[@]}" >"${TRAVIS_HOME}/.ferry/cache.paths"
		ferry_handoff cache-add file:cache.paths
	fi
	for p in "${list[@]}"; do
		if [[ ! -d "${p}" ]]; then
			echo "creating directory ${p}"
			mkdir -p "${p}"
		fi
	done
}

# travis_vers2int 1.2.3: a version as a number, to compare with -ge.
travis_vers2int() {
	local IFS=. v
	read -r -a v <<<"${1//[^0-9.]/}"
	printf '1%03d%03d%03d%03d' "$((10#${v[0]:-0}))" "$((10#${v[1]:-0}))" \
		"$((10#${v[2]:-0}))" "$((10#${v[3]:-0}))"
}

# Saves the environment, functions and directory for `ferry shell`.
ferry_save_state() {
	local dir="${TRAVIS_HOME}/.ferry"
	[[ -n "${FERRY_STATE_SAVED:-}" ]] && return 0
	FERRY_STATE_SAVED=1
	[[ -d "${dir}" ]] || return 0
	{
		declare -p 2>/dev/null |
			grep -v -E '^declare -[a-zA-Z-]*r|^declare -[^ ]* (BASH_[A-Z_]*|EUID|PPID|SHELLOPTS|UID|FUNCNAME|GROUPS|DIRSTACK|PIPESTATUS|BASHOPTS|HISTCMD|LINENO|RANDOM|SECONDS|FERRY_STATE_SAVED|_)='
		declare -f
		printf 'cd %q\n' "${PWD}"
	} >"${dir}/state.sh" 2>/dev/null
}

travis_apt_get_options() {
	echo '-o Debug::pkgProblemResolver=yes -o Acquire::Retries=3'
}

travis_apt_get_update() {
	sudo -E apt-get update -qq >"${TRAVIS_HOME}/apt-get-update.log" 2>&1
	local status="${?}"
	[[ "${status}" -ne 0 ]] && cat "${TRAVIS_HOME}/apt-get-update.log"
	return "${status}"
}

# Images run jobs as root; Travis's run them as a user with sudo.  When
# the image has no sudo, `sudo CMD` runs CMD.
ferry_setup_sudo() {
	command -v sudo >/dev/null 2>&1 && return 0
	sudo() {
		while [[ "${1}" == -* ]]; do
			case "${1}" in
			-u | -g | -p | -C | -h | -U) shift 2 ;;
			--) shift; break ;;
			*) shift ;;
			esac
		done
		"${@}"
	}
	export -f sudo
}
