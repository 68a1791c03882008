/*
 * agent_bundle.c: the DownloadBundle lifecycle event of a local revision,
 * as codedeploy-local does it: old deployment folders removed (at most
 * max_revisions kept, never the last successful one), a directory copied
 * to deployment-archive/ (FileUtils.cp_r), an archive linked as
 * bundle.tar and unpacked there (tar, tar.gz or zip, found by content),
 * a lone top directory holding the appspec stripped.
 */
#include "compat.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent_int.h"
#include "buf.h"
#include "error.h"
#include "fs.h"
#include "log.h"
#include "svec.h"
#include "tarball.h"
#include "xalloc.h"

struct aged {
	char *path;
	struct timespec mtime;
};

static int cmp_aged(const void *a, const void *b)
{
	const struct aged *x = a, *y = b;

	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
	if (x->mtime.tv_nsec != y->mtime.tv_nsec)
		return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
	return strcmp(x->path, y->path);
}

/* The agent's cleanup_old_archives: keep max_revisions folders. */
static int cleanup_old_archives(const struct agent_run *r)
{
	char *gdir = fs_join(r->root, r->group), *last = NULL;
	int max = r->d->max_revisions > 0 ? r->d->max_revisions
					  : AGENT_MAX_REVISIONS;
	struct aged *v = NULL;
	size_t n = 0, alloc = 0, extra, take = 0;
	DIR *d = opendir(gdir);
	struct dirent *e;
	int err = 0;

	if (!d) {
		err = err_errno("cannot read '%s'", gdir);
		goto out;
	}
	while ((e = readdir(d))) {
		struct stat st;
		char *p;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		p = fs_join(gdir, e->d_name);
		if (!strcmp(p, r->dir) || stat(p, &st) < 0) {
			free(p);
			continue;
		}
		XGROW(v, alloc, n + 1);
		v[n].path = p;
		v[n++].mtime = st.st_mtim;
	}
	closedir(d);
	if (!v || n + 1 <= (size_t)max)
		goto out;
	extra = n + 1 - (size_t)max;
	/* Never the last successful deployment (after counting, as the
	 * agent does). */
	last = agent_pointer_read(r, "last_successful_install");
	for (size_t i = 0; last && i < n; i++) {
		if (strcmp(v[i].path, last))
			continue;
		free(v[i].path);
		v[i] = v[--n];
		break;
	}
	qsort(v, n, sizeof(*v), cmp_aged);
	take = extra < n ? extra : n;
	for (size_t i = 0; !err && i < take; i++) {
		log_debug("deleting old deployment %s", v[i].path);
		err = fs_rm_rf(v[i].path);
	}
out:
	for (size_t i = 0; i < n; i++)
		free(v[i].path);
	free(v);
	free(last);
	free(gdir);
	return err;
}

/* FileUtils.cp_r: modes through the umask, links kept, owners not. */
static int copy_tree(const char *src, const char *dst)
{
	struct stat st;
	int err = 0;

	if (lstat(src, &st) < 0)
		return err_errno("cannot read '%s'", src);
	if (S_ISLNK(st.st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlink(src, target, sizeof(target) - 1);

		if (n < 0)
			return err_errno("cannot read the link '%s'", src);
		target[n] = '\0';
		if (symlink(target, dst) < 0)
			return err_errno("cannot make the link '%s'", dst);
		return 0;
	}
	if (S_ISDIR(st.st_mode)) {
		DIR *d;
		struct dirent *e;

		if (mkdir(dst, 0777) < 0 && errno != EEXIST)
			return err_errno("cannot make '%s'", dst);
		d = opendir(src);
		if (!d)
			return err_errno("cannot read '%s'", src);
		while (!err && (e = readdir(d))) {
			char *s, *t;

			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			s = fs_join(src, e->d_name);
			t = fs_join(dst, e->d_name);
			err = copy_tree(s, t);
			free(s);
			free(t);
		}
		closedir(d);
		return err;
	}
	if (!S_ISREG(st.st_mode))
		return err_set(FY_EINVALID,
			       "cannot copy '%s': not a regular "
			       "file",
			       src);
	{
		struct buf data = BUF_INIT;
		int fd;

		err = fs_read_file(&data, src);
		if (err < 0)
			return err;
		fd = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			  st.st_mode & 0777);
		if (fd < 0)
			err = err_errno("cannot create '%s'", dst);
		else
			err = fs_write_all(fd, data.ptr, data.len);
		close_fd(&fd);
		buf_release(&data);
	}
	return err;
}

/* An archive with one top directory holding an appspec loses that level. */
static int strip_top_dir(const struct agent_run *r)
{
	struct svec top = SVEC_INIT;
	DIR *d = opendir(r->archive);
	struct dirent *e;
	char *only = NULL, *tmp = NULL, *nested = NULL;
	bool appspec = false;
	int err = 0;

	if (!d)
		return err_errno("cannot read '%s'", r->archive);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			svec_push(&top, e->d_name);
	closedir(d);
	if (top.n != 1)
		goto out;
	only = fs_join(r->archive, top.v[0]);
	d = fs_is_dir(only) ? opendir(only) : NULL;
	while (d && (e = readdir(d)))
		if (strcasestr(e->d_name, "appspec"))
			appspec = true;
	if (d)
		closedir(d);
	if (!appspec)
		goto out;
	log_info("Stripping leading directory from archive bundle contents.");
	tmp = fs_join(r->dir, "deployment-archive-temp");
	err = fs_rm_rf(tmp);
	if (!err && rename(r->archive, tmp) < 0)
		err = err_errno("cannot move '%s'", r->archive);
	nested = fs_join(tmp, top.v[0]);
	if (!err && rename(nested, r->archive) < 0)
		err = err_errno("cannot move '%s'", nested);
	if (!err && rmdir(tmp) < 0)
		err = err_errno("cannot remove '%s'", tmp);
out:
	svec_release(&top);
	free(only);
	free(tmp);
	free(nested);
	return err;
}

/* FileUtils.cp_r refuses to copy a directory into itself. */
static int check_not_inside(const char *bundle, const char *dir)
{
	char *b = realpath(bundle, NULL), *d = realpath(dir, NULL);
	size_t n = b ? strlen(b) : 0;
	int err = 0;

	if (!b || !d)
		err = err_errno("cannot resolve '%s'", b ? dir : bundle);
	else if (!strncmp(d, b, n) && (d[n] == '/' || !d[n] || n == 1))
		err = err_set(FY_EINVALID,
			      "cannot copy directory %s to itself %s/"
			      "deployment-archive",
			      b, d);
	free(b);
	free(d);
	return err;
}

int agent_download_bundle(struct agent_run *r)
{
	const char *bundle = r->d->bundle;
	char *abs = NULL, *link = NULL;
	int fd = -1, err;

	err = cleanup_old_archives(r);
	if (!err && fs_is_dir(bundle)) {
		/* A directory is copied where an archive would be unpacked. */
		err = check_not_inside(bundle, r->dir);
		if (!err)
			err = fs_rm_rf(r->archive);
		if (!err)
			err = copy_tree(bundle, r->archive);
	} else if (!err) {
		abs = realpath(bundle, NULL);
		if (!abs)
			err = err_errno("cannot read the bundle '%s'", bundle);
		link = fs_join(r->dir, "bundle.tar");
		if (!err && unlink(link) < 0 && errno != ENOENT)
			err = err_errno("cannot remove '%s'", link);
		if (!err && symlink(abs, link) < 0)
			err = err_errno("cannot link '%s'", link);
		if (!err)
			err = fs_rm_rf(r->archive);
		if (!err) {
			fd = open(abs, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				err = err_errno("cannot read the bundle '%s'",
						bundle);
		}
		if (!err)
			err = tarball_extract_fd(
				r->archive, geteuid() ? 0 : TARBALL_OWNER, fd);
		if (!err)
			err = strip_top_dir(r);
	}
	if (!err)
		err = fs_mkdir_p(r->instructions, 0755);
	if (!err)
		err = agent_pointer_write(r, "most_recent_install");
	close_fd(&fd);
	free(abs);
	free(link);
	return err;
}
