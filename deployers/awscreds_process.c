/*
 * awscreds_process.c: credential_process (see awscreds.h): the command
 * line split as the AWS CLI splits it, the command run without a shell
 * under a time limit with its output capped, and its JSON read.
 */
#include "compat.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "aws.h"
#include "awscreds.h"
#include "buf.h"
#include "error.h"
#include "fs.h"
#include "json.h"
#include "svec.h"
#include "val.h"
#include "xalloc.h"

#define PROCESS_OUT_MAX	  (64u << 10) /* stdout: the JSON */
#define PROCESS_ERR_MAX	  (4u << 10)  /* stderr: kept for the message */
#define PROCESS_ERR_SHOWN 300	      /* bytes of stderr in a message */

extern char **environ;

/* ---- splitting: Python's shlex.split(), POSIX mode ---- */

int awscreds_process_split(struct svec *out, const char *cmd)
{
	struct svec words = SVEC_INIT;
	struct buf w = BUF_INIT;
	bool in_word = false; /* a word is open (maybe still empty: "") */
	char quote = 0;	      /* the open quote, or 0 */
	const char *p = cmd;
	int err = 0;

	for (; *p; p++) {
		char ch = *p;

		if (quote == '\'') {
			if (ch == '\'')
				quote = 0;
			else
				buf_addch(&w, ch);
		} else if (quote == '"') {
			if (ch == '"') {
				quote = 0;
			} else if (ch == '\\' && p[1]) {
				/* only \\ and \" are escapes in "..." */
				if (p[1] != '\\' && p[1] != '"')
					buf_addch(&w, '\\');
				buf_addch(&w, *++p);
			} else if (ch == '\\') {
				err = err_set(FY_EINVALID,
					      "no character after the last "
					      "backslash");
				goto out;
			} else {
				buf_addch(&w, ch);
			}
		} else if (ch == ' ' || ch == '\t' || ch == '\n' ||
			   ch == '\r') {
			if (in_word) {
				svec_push(&words, w.ptr);
				buf_reset(&w);
				in_word = false;
			}
		} else if (ch == '\'' || ch == '"') {
			quote = ch;
			in_word = true;
		} else if (ch == '\\') {
			if (!p[1]) {
				err = err_set(FY_EINVALID,
					      "no character after the last "
					      "backslash");
				goto out;
			}
			buf_addch(&w, *++p);
			in_word = true;
		} else {
			buf_addch(&w, ch);
			in_word = true;
		}
	}
	if (quote) {
		err = err_set(FY_EINVALID, "no closing quotation (%c)", quote);
		goto out;
	}
	if (in_word)
		svec_push(&words, w.ptr);
	for (size_t i = 0; i < words.n; i++)
		svec_push(out, words.v[i]);
out:
	svec_release(&words);
	buf_release(&w);
	return err;
}

/* ---- the JSON ---- */

/* A string member, or NULL (also when it is not a string). */
static const char *member(const struct val *v, const char *name)
{
	return val_strv(val_map_get(v, name));
}

static void wipe(struct val *v)
{
	if (!v)
		return;
	if (v->type == VAL_MAP)
		for (size_t i = 0; i < v->map.n; i++)
			wipe(v->map.v[i].v);
	if (v->type == VAL_SEQ)
		for (size_t i = 0; i < v->seq.n; i++)
			wipe(v->seq.v[i]);
	if ((v->type == VAL_STR || v->type == VAL_NUM) && v->str.s)
		explicit_bzero(v->str.s, v->str.len);
}

int awscreds_process_parse(struct aws_creds *out, const char *text, size_t len,
			   const char *profile)
{
	struct val *v = NULL;
	const struct val *version;
	const char *key, *secret_key, *token, *expiration;
	time_t exp = 0;
	char *where = NULL;
	int err;

	err = json_parse(&v, text, len, 0);
	if (err < 0) {
		/* json's own text quotes the input, which holds secrets */
		const char *m = err_msg();
		size_t n = strcspn(m, " ");

		where = xmemdupz(m, n && m[n - 1] == ':' ? n - 1 : 0);
		err = err_set(FY_EAUTH,
			      "credential_process of profile '%s': its output "
			      "is not JSON%s%s%s",
			      profile, *where ? " (at " : "", where,
			      *where ? ")" : "");
		goto out;
	}
	if (v->type != VAL_MAP) {
		err = err_set(FY_EAUTH,
			      "credential_process of profile '%s': its output "
			      "is not a JSON object",
			      profile);
		goto out;
	}
	version = val_map_get(v, "Version");
	if (!version || version->type != VAL_NUM ||
	    strtod(val_text(version), NULL) != 1.0) {
		err = err_set(FY_EAUTH,
			      "credential_process of profile '%s': Version "
			      "'%s' is not supported (it must be 1)",
			      profile,
			      version && val_is_scalar(version)
				      ? val_text(version)
				      : "(none)");
		goto out;
	}
	key = member(v, "AccessKeyId");
	secret_key = member(v, "SecretAccessKey");
	token = member(v, "SessionToken");
	expiration = member(v, "Expiration");
	if (!key || !*key || !secret_key || !*secret_key) {
		err = err_set(FY_EAUTH,
			      "credential_process of profile '%s': no %s in "
			      "its output",
			      profile,
			      !key || !*key ? "AccessKeyId"
					    : "SecretAccessKey");
		goto out;
	}
	if (val_map_get(v, "SessionToken") && !token) {
		err = err_set(FY_EAUTH,
			      "credential_process of profile '%s': "
			      "SessionToken is not a string",
			      profile);
		goto out;
	}
	if (val_map_get(v, "Expiration") &&
	    (!expiration || !(exp = aws_parse_time(expiration)))) {
		err = err_set(FY_EAUTH,
			      "credential_process of profile '%s': bad "
			      "Expiration '%s' (ISO 8601 wanted)",
			      profile, expiration ? expiration : "(not text)");
		goto out;
	}
	aws_creds_release(out);
	out->access_key_id = xstrdup(key);
	out->secret_access_key = xstrdup(secret_key);
	out->session_token = token && *token ? xstrdup(token) : NULL;
	out->expiration = exp;
	out->source = xasprintf("credential_process of profile '%s'", profile);
out:
	wipe(v);
	val_free(v);
	free(where);
	return err;
}

/* ---- running it ---- */

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The child's side of fork(): only async-signal-safe calls. */
static _Noreturn void child_exec(const char *prog, char *const *argv, int in,
				 int out, int err, int report)
{
	sigset_t none;
	int e;

	setpgid(0, 0);
	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
		_exit(127);
	execve(prog, argv, environ);
	e = errno;
	if (write(report, &e, sizeof(e)) < 0) {
		/* the parent sees exit status 127 */
	}
	_exit(127);
}

/* Read what is there into `b` (up to its cap); false at the end. */
static bool drain(int *fd, struct buf *b)
{
	char chunk[4096];
	ssize_t n = read(*fd, chunk, sizeof(chunk));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n <= 0) {
		close_fd(fd);
		return false;
	}
	buf_add(b, chunk, (size_t)n);
	return true;
}

/* stderr for a message: its last line(s), one line, shortened. */
static void describe_stderr(struct buf *msg, const struct buf *e)
{
	size_t start = 0, len;

	buf_addstr(msg, ": ");
	len = e->len;
	while (len && strchr(" \t\r\n", e->ptr[len - 1]))
		len--;
	if (len > PROCESS_ERR_SHOWN)
		start = len - PROCESS_ERR_SHOWN;
	if (start)
		buf_addstr(msg, "...");
	for (size_t i = start; i < len; i++) {
		unsigned char c = (unsigned char)e->ptr[i];

		buf_addch(msg, c == '\n' ? ' ' : c < 0x20 ? '?' : c);
	}
}

int awscreds_process_run(struct aws_creds *out, const char *command,
			 const char *profile, long timeout_ms)
{
	struct svec argv = SVEC_INIT;
	struct buf o = BUF_INIT, e = BUF_INIT, msg = BUF_INIT;
	int opipe[2] = { -1, -1 }, epipe[2] = { -1, -1 }, rep[2] = { -1, -1 };
	int in = -1, status = 0, exec_errno = 0, err;
	char *prog = NULL;
	long long until;
	bool timed_out = false, too_big = false;
	pid_t pid = -1;
	ssize_t n;

	err = awscreds_process_split(&argv, command);
	if (err < 0) {
		err = err_wrap(err, "credential_process of profile '%s'",
			       profile);
		goto out;
	}
	if (!argv.n) {
		err = err_set(FY_EINVALID,
			      "credential_process of profile '%s' is empty",
			      profile);
		goto out;
	}
	prog = fs_which(argv.v[0]);
	if (!prog) {
		err = err_set(FY_EINVALID,
			      "credential_process of profile '%s': '%s' is "
			      "not in PATH",
			      profile, argv.v[0]);
		goto out;
	}
	buf_set_limit(&o, PROCESS_OUT_MAX);
	buf_set_limit(&e, PROCESS_ERR_MAX);
	in = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (in < 0 || pipe2(opipe, O_CLOEXEC) < 0 ||
	    pipe2(epipe, O_CLOEXEC) < 0 || pipe2(rep, O_CLOEXEC) < 0) {
		err = err_errno("credential_process of profile '%s'", profile);
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		err = err_errno("credential_process of profile '%s'", profile);
		goto out;
	}
	if (!pid)
		child_exec(prog, argv.v, in, opipe[1], epipe[1], rep[1]);
	setpgid(pid, pid);
	close_fd(&opipe[1]);
	close_fd(&epipe[1]);
	close_fd(&rep[1]);
	do
		n = read(rep[0], &exec_errno, sizeof(exec_errno));
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(exec_errno))
		exec_errno = 0;
	until = now_ms() + timeout_ms;
	while (opipe[0] >= 0 || epipe[0] >= 0) {
		struct pollfd fds[2] = { { opipe[0], POLLIN, 0 },
					 { epipe[0], POLLIN, 0 } };
		long long left = until - now_ms();

		if (left <= 0) {
			timed_out = true;
			break;
		}
		if (poll(fds, 2, (int)(left > 1000 ? 1000 : left)) < 0 &&
		    errno != EINTR) {
			err = err_errno("credential_process of profile '%s'",
					profile);
			break;
		}
		if (fds[0].revents && !drain(&opipe[0], &o))
			opipe[0] = -1;
		if (fds[1].revents && !drain(&epipe[0], &e))
			epipe[0] = -1;
		if (buf_truncated(&o)) {
			too_big = true;
			break;
		}
	}
	/* Its output is closed; it may still linger until the limit. */
	while (!timed_out && !too_big && err >= 0) {
		pid_t got = waitpid(pid, &status, WNOHANG);

		if (got == pid || (got < 0 && errno != EINTR)) {
			pid = -1;
			break;
		}
		if (now_ms() >= until)
			timed_out = true;
		else
			poll(NULL, 0, 10);
	}
	if (pid > 0) {
		killpg(pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	if (err < 0)
		goto out;
	if (exec_errno) {
		errno = exec_errno;
		err = err_errno("credential_process of profile '%s': cannot "
				"run '%s'",
				profile, prog);
	} else if (timed_out) {
		err = err_set(FY_ETIMEOUT,
			      "credential_process of profile '%s' did not "
			      "finish within %ld s",
			      profile, timeout_ms / 1000);
	} else if (too_big) {
		err = err_set(FY_ETOOBIG,
			      "credential_process of profile '%s' printed "
			      "more than %u KiB",
			      profile, PROCESS_OUT_MAX >> 10);
	} else if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		if (WIFEXITED(status))
			buf_addf(&msg, "exited with status %d",
				 WEXITSTATUS(status));
		else
			buf_addf(&msg, "was killed by signal %d",
				 WTERMSIG(status));
		if (e.len)
			describe_stderr(&msg, &e);
		err = err_set(FY_EAUTH, "credential_process of profile '%s' %s",
			      profile, msg.ptr);
	} else {
		err = awscreds_process_parse(out, o.ptr, o.len, profile);
	}
out:
	close_fd(&in);
	close_fd(&opipe[0]);
	close_fd(&opipe[1]);
	close_fd(&epipe[0]);
	close_fd(&epipe[1]);
	close_fd(&rep[0]);
	close_fd(&rep[1]);
	buf_release_secure(&o);
	buf_release_secure(&e);
	buf_release(&msg);
	svec_release(&argv);
	free(prog);
	return err;
}
