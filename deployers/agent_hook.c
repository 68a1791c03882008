/*
 * agent_hook.c: the scripts of one lifecycle event, run as the CodeDeploy
 * agent's HookExecutor runs them: one after another, each in its own
 * process group with stdin closed, the agent's variables in its
 * environment, `su <runas> -c <script>` for runas (`sudo` in front for
 * `sudo: true`), output lines to logs/scripts.log as
 * "YYYY-MM-DD HH:MM:SS [stdout]text", a per-script time limit, and the
 * agent's error codes and messages when something fails.
 */
#include "compat.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent_int.h"
#include "buf.h"
#include "error.h"
#include "fs.h"
#include "log.h"
#include "svec.h"
#include "xalloc.h"

#define HOOK_TAIL_BYTES 2048	   /* what the agent reports as logTail */
#define HOOK_LINE_MAX	(64 << 10) /* a longer line is cut into entries */
#define HOOK_KILL_GRACE 10000	   /* ms between SIGTERM and SIGKILL */
#define HOOK_POLL_MS	50

extern char **environ;

struct hook {
	struct agent_run *r;
	struct agent_event *ev;
	const char *archive;
	int log_fd;
	struct svec tail; /* the agent's ScriptLog entries */
	struct svec env;  /* for the scripts */
};

struct stream {
	int fd;
	const char *tag; /* "[stdout]" */
	struct buf pending;
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * ScriptLog#append_to_log, including its arithmetic: the newest entries
 * within about 2 KB are kept (the agent looks one entry ahead, and at the
 * last entry once it has gone through them all).
 */
static void tail_append(struct svec *t, const char *entry)
{
	size_t index;
	long remaining = HOOK_TAIL_BYTES;

	svec_push(t, entry);
	index = t->n;
	while (index > 0 && remaining - (long)strlen(t->v[index - 1]) > 0) {
		index--;
		remaining -= (long)strlen(t->v[index ? index - 1 : t->n - 1]);
	}
	if (!index)
		return;
	for (size_t i = 0; i < index; i++)
		free(t->v[i]);
	memmove(t->v, t->v + index, (t->n - index + 1) * sizeof(*t->v));
	t->n -= index;
}

/* The agent's log_script: a timestamped line in scripts.log. */
static void log_script(struct hook *h, const char *msg, size_t len)
{
	struct buf line = BUF_INIT;
	char stamp[32];
	struct tm tm;
	time_t t = time(NULL);
	char *entry = xmemdupz(msg, len);

	localtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
	buf_addf(&line, "%s ", stamp);
	buf_add(&line, msg, len);
	if (h->log_fd >= 0 && fs_write_all(h->log_fd, line.ptr, line.len) < 0)
		log_warn("cannot write scripts.log: %s", err_msg());
	tail_append(&h->tail, entry);
	free(entry);
	buf_release(&line);
}

static void log_scriptf(struct hook *h, const char *fmt, ...) PRINTFLIKE(2, 3);

static void log_scriptf(struct hook *h, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	log_script(h, b.ptr, b.len);
	buf_release(&b);
}

/* Log the complete lines of a stream (all of it at `eof`). */
static void stream_flush(struct hook *h, struct stream *s, bool eof)
{
	struct buf entry = BUF_INIT;
	size_t start = 0;

	for (;;) {
		const char *nl = memchr(s->pending.ptr + start, '\n',
					s->pending.len - start);
		size_t end;

		if (nl)
			end = (size_t)(nl - s->pending.ptr) + 1;
		else if (s->pending.len - start >= HOOK_LINE_MAX ||
			 (eof && s->pending.len > start))
			end = s->pending.len;
		else
			break;
		buf_reset(&entry);
		buf_addstr(&entry, s->tag);
		buf_add(&entry, s->pending.ptr + start, end - start);
		log_script(h, entry.ptr, entry.len);
		start = end;
	}
	if (start) {
		memmove(s->pending.ptr, s->pending.ptr + start,
			s->pending.len - start);
		buf_setlen(&s->pending, s->pending.len - start);
	}
	buf_release(&entry);
}

/* Read what a stream has; closes it at end of file. */
static void stream_read(struct hook *h, struct stream *s)
{
	char chunk[16384];
	ssize_t n = read(s->fd, chunk, sizeof(chunk));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		stream_flush(h, s, true);
		close_fd(&s->fd);
		return;
	}
	buf_add(&s->pending, chunk, (size_t)n);
	stream_flush(h, s, false);
}

/* Wait for `pid`, polling; SIGKILL its group after `grace` ms. */
static int reap(pid_t pid, long long grace)
{
	long long until = now_ms() + grace;
	int status = 0;

	for (;;) {
		pid_t got = waitpid(pid, &status, WNOHANG);

		if (got == pid || (got < 0 && errno != EINTR))
			return status;
		if (now_ms() >= until) {
			killpg(pid, SIGKILL);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			return status;
		}
		poll(NULL, 0, HOOK_POLL_MS);
	}
}

struct child {
	pid_t pid;
	struct stream out, err;
	int status;
	bool exited;
};

/* The child's side of fork(): no allocation, only system calls. */
static _Noreturn void child_exec(const char *prog, char *const *argv,
				 char *const *envp, const char *cwd, int in,
				 int out, int err, int report, bool direct)
{
	static const int sigs[] = { SIGPIPE, SIGINT,  SIGQUIT, SIGTERM,
				    SIGHUP,  SIGCHLD, SIGALRM };
	sigset_t none;
	int e;

	setpgid(0, 0);
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		signal(sigs[i], SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
		_exit(127);
	if (chdir(cwd) < 0) {
		/* The agent does not choose a directory: carry on. */
	}
	execve(prog, argv, envp);
	if (errno == ENOEXEC && direct) {
		/* No #! line: Ruby's spawn hands the file to /bin/sh. */
		char *const sh[] = { (char *)"sh", (char *)prog, NULL };

		execve("/bin/sh", sh, envp);
	}
	e = errno;
	if (write(report, &e, sizeof(e)) < 0) {
		/* nothing more to do */
	}
	_exit(127);
}

/* Start argv; *exec_errno is the errno of a failed exec, or 0. */
static int child_start(struct child *c, const char *prog, char *const *argv,
		       char *const *envp, const char *cwd, bool direct,
		       int *exec_errno)
{
	int out[2] = { -1, -1 }, err[2] = { -1, -1 }, rep[2] = { -1, -1 };
	int in = -1, e = 0, rc = 0;
	ssize_t n;

	*exec_errno = 0;
	in = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (in < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0 ||
	    pipe2(rep, O_CLOEXEC) < 0) {
		rc = err_errno("cannot start '%s'", prog);
		goto out;
	}
	c->pid = fork();
	if (c->pid < 0) {
		rc = err_errno("cannot start '%s'", prog);
		goto out;
	}
	if (!c->pid)
		child_exec(prog, argv, envp, cwd, in, out[1], err[1], rep[1],
			   direct);
	setpgid(c->pid, c->pid);
	close_fd(&rep[1]);
	do
		n = read(rep[0], &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof(e)) {
		*exec_errno = e;
		while (waitpid(c->pid, &c->status, 0) < 0 && errno == EINTR)
			;
		c->exited = true;
		goto out;
	}
	c->out.fd = out[0];
	c->err.fd = err[0];
	out[0] = err[0] = -1;
out:
	close_fd(&in);
	close_fd(&out[0]);
	close_fd(&out[1]);
	close_fd(&err[0]);
	close_fd(&err[1]);
	close_fd(&rep[0]);
	close_fd(&rep[1]);
	return rc;
}

/* Ruby's Errno class name for an errno value. */
static const char *errno_class(int e)
{
	switch (e) {
	case ENOENT:
		return "Errno::ENOENT";
	case EACCES:
		return "Errno::EACCES";
	case ENOEXEC:
		return "Errno::ENOEXEC";
	case ENOTDIR:
		return "Errno::ENOTDIR";
	case ETXTBSY:
		return "Errno::ETXTBSY";
	case E2BIG:
		return "Errno::E2BIG";
	case ENOMEM:
		return "Errno::ENOMEM";
	case ELOOP:
		return "Errno::ELOOP";
	default:
		return "SystemCallError";
	}
}

static void fail(struct hook *h, enum agent_code code,
		 const struct appspec_script *s, const char *fmt, ...)
	PRINTFLIKE(4, 5);

static void fail(struct hook *h, enum agent_code code,
		 const struct appspec_script *s, const char *fmt, ...)
{
	struct agent_event *ev = h->ev;
	struct buf b = BUF_INIT;
	va_list ap;
	char *log;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	ev->code = code;
	free(ev->script);
	ev->script = s ? xstrdup(s->location) : NULL;
	free(ev->message);
	ev->message = buf_detach(&b, NULL);
	log = svec_join(&h->tail, "");
	free(ev->log);
	ev->log = log;
}

/* "Script at specified location: X[ run as user U]" */
static char *script_prefix(const struct appspec_script *s)
{
	if (s->runas)
		return xasprintf("Script at specified location: %s run as "
				 "user %s",
				 s->location, s->runas);
	return xasprintf("Script at specified location: %s", s->location);
}

/* The command the agent runs (LinuxUtil.prepare_script_command). */
static int script_argv(struct svec *argv, char **prog,
		       const struct appspec_script *s, const char *path)
{
	struct buf cmd = BUF_INIT;

	*prog = NULL;
	if (!s->runas && !s->sudo) {
		svec_push(argv, path);
		*prog = xstrdup(path);
		return 0;
	}
	buf_add_shquote(&cmd, path);
	if (s->sudo)
		svec_push(argv, "sudo");
	if (s->runas)
		svec_pushl(argv, "su", s->runas, "-c", cmd.ptr, NULL);
	else
		svec_push(argv, path);
	buf_release(&cmd);
	*prog = fs_which(argv->v[0]);
	return *prog ? 0 : -ENOENT;
}

/* Wait for the script and its output as the agent's ThreadJoiner does. */
static void child_wait(struct hook *h, struct child *c, long long deadline,
		       bool *timed_out, const char **left_open)
{
	*timed_out = false;
	*left_open = NULL;
	for (;;) {
		struct pollfd p[2];
		nfds_t n = 0;
		long long now, wait;

		if (!c->exited &&
		    waitpid(c->pid, &c->status, WNOHANG) == c->pid)
			c->exited = true;
		if (c->exited && c->out.fd < 0 && c->err.fd < 0)
			return;
		now = now_ms();
		if (now >= deadline) {
			if (!c->exited) {
				*timed_out = true;
				killpg(c->pid, SIGTERM);
				c->status = reap(c->pid, HOOK_KILL_GRACE);
				c->exited = true;
			} else {
				*left_open =
					c->out.fd >= 0 ? "STDOUT" : "STDERR";
			}
			return;
		}
		wait = deadline - now;
		if (!c->exited && wait > HOOK_POLL_MS)
			wait = HOOK_POLL_MS;
		if (c->out.fd >= 0)
			p[n++] = (struct pollfd){ .fd = c->out.fd,
						  .events = POLLIN };
		if (c->err.fd >= 0)
			p[n++] = (struct pollfd){ .fd = c->err.fd,
						  .events = POLLIN };
		if (poll(n ? p : NULL, n, (int)wait) <= 0)
			continue;
		for (nfds_t i = 0; i < n; i++) {
			if (!p[i].revents)
				continue;
			stream_read(h,
				    p[i].fd == c->out.fd ? &c->out : &c->err);
		}
	}
}

static void child_release(struct hook *h, struct child *c)
{
	if (c->out.fd >= 0)
		stream_flush(h, &c->out, true);
	if (c->err.fd >= 0)
		stream_flush(h, &c->err, true);
	close_fd(&c->out.fd);
	close_fd(&c->err.fd);
	buf_release(&c->out.pending);
	buf_release(&c->err.pending);
}

/* The script is there and executable (the agent does chmod +x). */
static int script_ready(struct hook *h, const struct appspec_script *s,
			const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		char *abs = agent_path_expand(path);

		fail(h, AGENT_SCRIPT_MISSING, s,
		     "Script does not exist at specified location: %s", abs);
		free(abs);
		return -1;
	}
	if (!access(path, X_OK))
		return 0;
	log_info("Script at specified location: %s is not executable.  Trying "
		 "to make it executable.",
		 s->location);
	if (chmod(path, (st.st_mode & 07777) | 0111) < 0) {
		fail(h, AGENT_SCRIPT_NOT_EXECUTABLE, s,
		     "Unable to set script at specified location: %s as "
		     "executable",
		     s->location);
		return -1;
	}
	return 0;
}

/* What the agent makes of a finished (or timed out) script. */
static int script_outcome(struct hook *h, const struct appspec_script *s,
			  struct child *c, const char *prefix, bool timed_out,
			  const char *left_open)
{
	if (timed_out) {
		child_release(h, c);
		fail(h, AGENT_SCRIPT_TIMED_OUT, s,
		     "Script at specified location: %s failed to complete in "
		     "%ld seconds",
		     s->location, s->timeout);
		return -1;
	}
	if (left_open) {
		fail(h, AGENT_OUTPUTS_LEFT_OPEN, s,
		     "Script at specified location: %s failed to close %s",
		     s->location, left_open);
		return -1;
	}
	if (WIFEXITED(c->status) && !WEXITSTATUS(c->status))
		return 0;
	if (WIFEXITED(c->status)) {
		h->ev->exit_status = WEXITSTATUS(c->status);
		fail(h, AGENT_SCRIPT_FAILED, s, "%s failed with exit code %d",
		     prefix, WEXITSTATUS(c->status));
	} else {
		/* Ruby's exitstatus is nil here: the agent prints nothing. */
		h->ev->exit_status = 128 + WTERMSIG(c->status);
		fail(h, AGENT_SCRIPT_FAILED, s,
		     "%s failed with exit code (killed by signal %d)", prefix,
		     WTERMSIG(c->status));
	}
	return -1;
}

/* Open3 raising Errno::*: "failed with error Errno::ENOENT with ..." */
static void exec_failed(struct hook *h, const struct appspec_script *s,
			const char *prefix, int e, const char *cmd)
{
	char msg[256];

	if (strerror_r(e, msg, sizeof(msg)))
		snprintf(msg, sizeof(msg), "error %d", e);
	fail(h, AGENT_SCRIPT_FAILED, s,
	     "%s failed with error %s with message %s - %s", prefix,
	     errno_class(e), msg, cmd);
}

/* Run one script; 0 when it worked, else the event has failed. */
static int run_script(struct hook *h, const struct appspec_script *s)
{
	struct child c = {
		.out = { .fd = -1, .tag = "[stdout]", .pending = BUF_INIT },
		.err = { .fd = -1, .tag = "[stderr]", .pending = BUF_INIT }
	};
	char *path = agent_path_join(h->archive, s->location);
	char *prefix = script_prefix(s), *prog = NULL;
	struct svec argv = SVEC_INIT;
	bool timed_out;
	const char *left_open;
	int rc = -1, exec_errno = 0;
	long long deadline;

	if (script_ready(h, s, path) < 0)
		goto out;
	log_scriptf(h, "Script - %s\n", s->location);
	h->ev->scripts++;
	if (script_argv(&argv, &prog, s, path) < 0) {
		exec_failed(h, s, prefix, ENOENT, argv.v[0]);
		goto out;
	}
	deadline = now_ms() +
		   (s->timeout > 100000000 ? 100000000 : s->timeout) * 1000LL;
	if (child_start(&c, prog, argv.v, h->env.v, h->archive,
			!s->runas && !s->sudo, &exec_errno) < 0) {
		fail(h, AGENT_SCRIPT_FAILED, s, "%s failed with error %s",
		     prefix, err_msg());
		goto out;
	}
	if (exec_errno) {
		exec_failed(h, s, prefix, exec_errno, argv.v[0]);
		goto out;
	}
	child_wait(h, &c, deadline, &timed_out, &left_open);
	rc = script_outcome(h, s, &c, prefix, timed_out, left_open);
out:
	child_release(h, &c);
	svec_release(&argv);
	free(prog);
	free(prefix);
	free(path);
	return rc;
}

static void hook_env(struct hook *h)
{
	for (size_t i = 0; i < h->r->env.n; i++)
		svec_push(&h->env, h->r->env.v[i]);
	svec_pushf(&h->env, "LIFECYCLE_EVENT=%s", h->ev->name);
}

static int open_log(struct hook *h)
{
	char *dir = fs_join(h->r->dir, "logs");
	char *path = fs_join(dir, "scripts.log");
	int err = fs_mkdir_p(dir, 0755);

	if (!err) {
		h->log_fd = open(
			path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (h->log_fd < 0)
			err = err_errno("cannot open '%s'", path);
	}
	free(dir);
	free(path);
	return err;
}

int agent_hook_run(struct agent_run *r, struct agent_event *ev,
		   const char *archive, const struct appspec_hook *hook)
{
	struct hook h = { .r = r,
			  .ev = ev,
			  .archive = archive,
			  .log_fd = -1,
			  .tail = SVEC_INIT,
			  .env = SVEC_INIT };
	int rc = 0;

	if (open_log(&h) < 0) {
		fail(&h, AGENT_UNKNOWN_ERROR, NULL, "%s", err_msg());
		rc = FY_EFAIL;
		goto out;
	}
	hook_env(&h);
	log_scriptf(&h, "LifecycleEvent - %s\n", ev->name);
	for (size_t i = 0; i < hook->n; i++) {
		if (run_script(&h, &hook->scripts[i]) < 0) {
			rc = FY_EFAIL;
			break;
		}
	}
out:
	close_fd(&h.log_fd);
	svec_release(&h.tail);
	svec_release(&h.env);
	return rc;
}
