/*
 * agent_util.c: what the agent*.c files share: Ruby's path joining and
 * expansion, $PATH lookup, running a tool, and the pointer files of the
 * deployment-instructions folder.
 */
#include "compat.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent_int.h"
#include "buf.h"
#include "error.h"
#include "fs.h"
#include "svec.h"
#include "xalloc.h"

extern char **environ;

/* ---- helpers shared by agent*.c ---------------------------------------- */

char *agent_path_join(const char *a, const char *b)
{
	size_t la = strlen(a);

	while (la > 1 && a[la - 1] == '/')
		la--;
	while (*b == '/')
		b++;
	if (la == 1 && *a == '/')
		return xasprintf("/%s", b);
	return xasprintf("%.*s/%s", (int)la, a, b);
}

char *agent_path_expand(const char *path)
{
	struct svec parts = SVEC_INIT, out = SVEC_INIT;
	struct buf b = BUF_INIT;
	char cwd[PATH_MAX];

	if (path[0] != '/' && getcwd(cwd, sizeof(cwd)))
		svec_split(&parts, cwd, "/", true);
	{
		struct svec rest = SVEC_INIT;

		svec_split(&rest, path, "/", true);
		for (size_t i = 0; i < rest.n; i++)
			svec_push(&parts, rest.v[i]);
		svec_release(&rest);
	}
	for (size_t i = 0; i < parts.n; i++) {
		if (!strcmp(parts.v[i], "."))
			continue;
		if (!strcmp(parts.v[i], "..")) {
			if (out.n)
				svec_pop(&out);
			continue;
		}
		svec_push(&out, parts.v[i]);
	}
	for (size_t i = 0; i < out.n; i++)
		buf_addf(&b, "/%s", out.v[i]);
	if (!b.len)
		buf_addch(&b, '/');
	svec_release(&parts);
	svec_release(&out);
	return buf_detach(&b, NULL);
}

int agent_command(char *const *argv, char *const *env, int *status,
		  struct buf *out)
{
	int pipefd[2] = { -1, -1 }, null = -1, wstatus = 0, err = 0;
	pid_t pid;

	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0 || pipe2(pipefd, O_CLOEXEC) < 0) {
		err = err_errno("cannot run '%s'", argv[0]);
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		err = err_errno("cannot run '%s'", argv[0]);
		goto out;
	}
	if (!pid) {
		signal(SIGPIPE, SIG_DFL);
		dup2(null, 0);
		dup2(out ? pipefd[1] : null, 1);
		dup2(out ? pipefd[1] : null, 2);
		execve(argv[0], argv, env ? env : environ);
		_exit(127);
	}
	close_fd(&pipefd[1]);
	for (;;) {
		char chunk[4096];
		ssize_t n = read(pipefd[0], chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (out)
			buf_add(out, chunk, (size_t)n);
	}
	while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
		;
	*status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus)
				     : 128 + WTERMSIG(wstatus);
out:
	close_fd(&pipefd[0]);
	close_fd(&pipefd[1]);
	close_fd(&null);
	return err;
}

/* ---- small file helpers ------------------------------------------------- */

/* A pointer file's content, chomped (NULL when absent). */
char *agent_pointer_read(const struct agent_run *r, const char *suffix)
{
	char *path = xasprintf("%s/%s_%s", r->instructions, r->group, suffix);
	struct buf b = BUF_INIT;
	char *res = NULL;

	buf_set_limit(&b, PATH_MAX * 4);
	if (!fs_read_file(&b, path)) {
		if (b.len && b.ptr[b.len - 1] == '\n')
			buf_setlen(&b, b.len - 1);
		if (b.len && b.ptr[b.len - 1] == '\r')
			buf_setlen(&b, b.len - 1);
		res = buf_detach(&b, NULL);
	}
	buf_release(&b);
	free(path);
	return res;
}

int agent_pointer_write(const struct agent_run *r, const char *suffix)
{
	char *path = xasprintf("%s/%s_%s", r->instructions, r->group, suffix);
	int err = fs_write_file(path, r->dir, strlen(r->dir), 0644);

	free(path);
	return err;
}
