#include "compat.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "error.h"
#include "fs.h"
#include "svec.h"
#include "xalloc.h"

void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

int fs_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return err_errno("write failed");
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int fs_read_file(struct buf *out, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char chunk[65536];
	int err = 0;

	if (fd < 0)
		return err_errno("cannot read '%s'", path);
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = err_errno("cannot read '%s'", path);
			break;
		}
		if (!n)
			break;
		if (buf_add(out, chunk, (size_t)n) < 0) {
			err = err_set(
				FY_ETOOBIG,
				"'%s' is larger than the limit of %zu bytes",
				path, out->limit);
			break;
		}
	}
	close(fd);
	return err;
}

int fs_write_file(const char *path, const void *data, size_t len, int mode)
{
	char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	int err = 0;

	if (fd < 0) {
		err = err_errno("cannot write '%s'", path);
		goto out;
	}
	err = fs_write_all(fd, data, len);
	if (close(fd) < 0 && !err)
		err = err_errno("cannot write '%s'", path);
	if (!err && rename(tmp, path) < 0)
		err = err_errno("cannot rename '%s' to '%s'", tmp, path);
	if (err)
		unlink(tmp);
out:
	free(tmp);
	return err;
}

int fs_mkdir_p(const char *path, int mode)
{
	char *p = xstrdup(path);
	int err = 0;

	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST) {
			err = err_errno("cannot create directory '%s'", p);
			goto out;
		}
		*s = '/';
	}
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		err = err_errno("cannot create directory '%s'", p);
out:
	free(p);
	return err;
}

int fs_rm_rf(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	int err = 0;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0
				       : err_errno("cannot stat '%s'", path);
	if (!S_ISDIR(st.st_mode)) {
		if (unlink(path) < 0 && errno != ENOENT)
			return err_errno("cannot remove '%s'", path);
		return 0;
	}
	d = opendir(path);
	if (!d)
		return err_errno("cannot open directory '%s'", path);
	while ((e = readdir(d))) {
		char *sub;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		sub = fs_join(path, e->d_name);
		if (fs_rm_rf(sub) < 0)
			err = FY_EFAIL;
		free(sub);
	}
	closedir(d);
	if (rmdir(path) < 0 && errno != ENOENT)
		return err_errno("cannot remove '%s'", path);
	return err;
}

int fs_tmpdir(char **out, const char *prefix)
{
	const char *base = getenv("TMPDIR");
	char *tmpl;

	if (!base || !*base)
		base = "/tmp";
	tmpl = xasprintf("%s/%s.XXXXXX", base, prefix);
	if (!mkdtemp(tmpl)) {
		int err = err_errno("cannot create a directory in '%s'", base);

		free(tmpl);
		return err;
	}
	*out = tmpl;
	return 0;
}

bool fs_exists(const char *path)
{
	struct stat st;

	return !lstat(path, &st);
}

bool fs_is_dir(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

char *fs_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xmemdupz(path, (size_t)(slash - path));
}

const char *fs_basename(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

char *fs_join(const char *a, const char *b)
{
	size_t la = strlen(a);

	if (!la)
		return xstrdup(b);
	if (*b == '/')
		b++;
	if (a[la - 1] == '/')
		return xasprintf("%s%s", a, b);
	return xasprintf("%s/%s", a, b);
}

static bool executable_file(const char *path)
{
	return !access(path, X_OK) && !fs_is_dir(path);
}

char *fs_which(const char *name)
{
	const char *path = getenv("PATH");
	struct svec dirs = SVEC_INIT;
	char *found = NULL;

	if (strchr(name, '/'))
		return xstrdup(name);
	svec_split(&dirs, path ? path : "/usr/local/bin:/usr/bin:/bin", ":",
		   false);
	for (size_t i = 0; !found && i < dirs.n; i++) {
		char *p = fs_join(*dirs.v[i] ? dirs.v[i] : ".", name);

		if (executable_file(p))
			found = p;
		else
			free(p);
	}
	svec_release(&dirs);
	return found;
}
