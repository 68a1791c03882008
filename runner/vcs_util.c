#include "compat.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "error.h"
#include "fs.h"
#include "svec.h"
#include "val.h"
#include "vcs.h"
#include "vcs_int.h"
#include "xalloc.h"

/*
 * vcs_util.c: the parts of the vcs module that need no libgit2: URLs,
 * slugs, the mirror layout, skip keywords, the checkout environment,
 * locks and the directory sink.
 */

void vcs_info_release(struct vcs_info *info)
{
	if (info->message)
		explicit_bzero(info->message, strlen(info->message));
	free(info->message);
	free(info->author);
	free(info->branch);
	free(info->tag);
	free(info->range);
	free(info->slug);
	free(info->default_branch);
	free(info->event_type);
	free(info->pr_branch);
	free(info->pr_sha);
	free(info->pr_slug);
	free(info->workdir);
	free(info->gitdir);
	free(info->url);
	free(info->origin_url);
	memset(info, 0, sizeof(*info));
}

static void env_set(struct val *env, const char *name, const char *value)
{
	val_map_set(env, name, val_str(value ? value : ""));
}

void vcs_info_env(const struct vcs_info *info, struct val *env)
{
	env_set(env, "TRAVIS_BRANCH", info->branch);
	env_set(env, "TRAVIS_COMMIT", info->commit);
	env_set(env, "TRAVIS_COMMIT_MESSAGE", info->message);
	env_set(env, "TRAVIS_COMMIT_RANGE", info->range);
	env_set(env, "TRAVIS_EVENT_TYPE",
		info->event_type ? info->event_type : "push");
	if (info->pr)
		val_map_set(env, "TRAVIS_PULL_REQUEST",
			    val_strf("%lu", info->pr));
	else
		env_set(env, "TRAVIS_PULL_REQUEST", "false");
	env_set(env, "TRAVIS_PULL_REQUEST_BRANCH",
		info->pr ? info->pr_branch : "");
	env_set(env, "TRAVIS_PULL_REQUEST_SHA", info->pr ? info->pr_sha : "");
	env_set(env, "TRAVIS_PULL_REQUEST_SLUG", info->pr ? info->pr_slug : "");
	env_set(env, "TRAVIS_REPO_SLUG", info->slug);
	env_set(env, "TRAVIS_TAG", info->tag);
}

/* ---- URLs ---------------------------------------------------------------- */

static char *pct_decode(const char *s, size_t len)
{
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '%' && i + 2 < len &&
		    isxdigit((unsigned char)s[i + 1]) &&
		    isxdigit((unsigned char)s[i + 2])) {
			char hex[3] = { s[i + 1], s[i + 2], 0 };

			buf_addch(&b, (int)strtol(hex, NULL, 16));
			i += 2;
			continue;
		}
		buf_addch(&b, s[i]);
	}
	return buf_detach(&b, NULL);
}

static void parse_authority(struct vcs_url *u, const char *a, size_t len)
{
	const char *at = NULL, *colon, *hend;

	for (size_t i = 0; i < len; i++)
		if (a[i] == '@')
			at = a + i;
	if (at) {
		size_t ulen = (size_t)(at - a);

		colon = memchr(a, ':', ulen);
		if (colon) {
			u->user = pct_decode(a, (size_t)(colon - a));
			u->pass =
				pct_decode(colon + 1, (size_t)(at - colon - 1));
		} else {
			u->user = pct_decode(a, ulen);
		}
		len -= ulen + 1;
		a = at + 1;
	}
	hend = a + len;
	if (len && a[0] == '[') {
		const char *close = memchr(a, ']', len);

		if (close) {
			u->host = xmemdupz(a + 1, (size_t)(close - a - 1));
			if (close + 1 < hend && close[1] == ':')
				u->port = xmemdupz(close + 2,
						   (size_t)(hend - close - 2));
			return;
		}
	}
	colon = memchr(a, ':', len);
	if (colon) {
		u->host = xmemdupz(a, (size_t)(colon - a));
		u->port = xmemdupz(colon + 1, (size_t)(hend - colon - 1));
	} else {
		u->host = xmemdupz(a, len);
	}
}

void vcs_url_parse(struct vcs_url *u, const char *url)
{
	const char *sep = strstr(url, "://");
	const char *colon = strchr(url, ':');
	const char *slash = strchr(url, '/');

	memset(u, 0, sizeof(*u));
	if (sep && sep > url && (!slash || sep < slash)) {
		const char *rest = sep + 3;
		const char *end = strchr(rest, '/');
		size_t alen = end ? (size_t)(end - rest) : strlen(rest);

		u->scheme = xmemdupz(url, (size_t)(sep - url));
		for (char *p = u->scheme; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		u->local = !strcmp(u->scheme, "file");
		parse_authority(u, rest, alen);
		u->path = xstrdup(end ? end + 1 : "");
		return;
	}
	if (colon && colon > url && (!slash || colon < slash)) {
		u->scp = true;
		parse_authority(u, url, (size_t)(colon - url));
		free(u->port); /* "host:path" has no port */
		u->port = NULL;
		url = colon + 1;
		while (*url == '/')
			url++;
		u->path = xstrdup(url);
		return;
	}
	u->local = true;
	u->path = xstrdup(url[0] == '/' ? url + 1 : url);
}

void vcs_url_release(struct vcs_url *u)
{
	if (u->pass)
		explicit_bzero(u->pass, strlen(u->pass));
	free(u->scheme);
	free(u->user);
	free(u->pass);
	free(u->host);
	free(u->port);
	free(u->path);
	memset(u, 0, sizeof(*u));
}

/* Where the path of `url` starts: after "scheme://host", or "host:". */
static size_t path_start(const char *url)
{
	const char *sep = strstr(url, "://");
	const char *colon = strchr(url, ':');
	const char *slash = strchr(url, '/');

	if (sep && (!slash || sep < slash)) {
		const char *p = strchr(sep + 3, '/');

		return p ? (size_t)(p - url) : strlen(url);
	}
	if (colon && colon > url && (!slash || colon < slash))
		return (size_t)(colon - url) + 1;
	return 0;
}

char *vcs_url_join(const char *base, const char *rel)
{
	struct buf b = BUF_INIT;
	size_t start = path_start(base);

	if (strncmp(rel, "./", 2) && strncmp(rel, "../", 3))
		return xstrdup(rel);
	buf_addstr(&b, base);
	while (b.len > start + 1 && b.ptr[b.len - 1] == '/')
		buf_setlen(&b, b.len - 1);
	for (;;) {
		if (!strncmp(rel, "./", 2)) {
			rel += 2;
		} else if (!strncmp(rel, "../", 3)) {
			char *slash =
				memrchr(b.ptr + start, '/', b.len - start);

			buf_setlen(&b, slash ? (size_t)(slash - b.ptr) : start);
			rel += 3;
		} else {
			break;
		}
	}
	if (b.len > start || (start && b.ptr[start - 1] != ':'))
		buf_addch(&b, '/');
	buf_addstr(&b, rel);
	return buf_detach(&b, NULL);
}

/* The path parts of `path`, without empty, "." and ".." parts. */
static void path_parts(struct svec *out, const char *path)
{
	struct svec all = SVEC_INIT;

	svec_split(&all, path, "/", true);
	for (size_t i = 0; i < all.n; i++)
		if (strcmp(all.v[i], ".") && strcmp(all.v[i], ".."))
			svec_push(out, all.v[i]);
	svec_release(&all);
}

static void strip_git_suffix(char *s)
{
	size_t n = strlen(s);

	if (n > 4 && !strcmp(s + n - 4, ".git"))
		s[n - 4] = '\0';
}

int vcs_slug_from_url(char **out, const char *url)
{
	struct vcs_url u;
	struct svec parts = SVEC_INIT;
	int err = 0;

	vcs_url_parse(&u, url);
	path_parts(&parts, u.path);
	if (parts.n)
		strip_git_suffix(parts.v[parts.n - 1]);
	if (parts.n < 2 || !*parts.v[parts.n - 1]) {
		char *safe = vcs_url_redact(url);

		err = err_set(FY_EINVALID, "no owner/name in the URL '%s'",
			      safe);
		free(safe);
	} else {
		*out = xasprintf("%s/%s", parts.v[parts.n - 2],
				 parts.v[parts.n - 1]);
	}
	svec_release(&parts);
	vcs_url_release(&u);
	return err;
}

/* Where the user information of a "scheme://" URL is, if any. */
static bool find_userinfo(const char *url, size_t *start, size_t *end,
			  bool *http)
{
	const char *sep = strstr(url, "://");
	const char *slash = strchr(url, '/');
	const char *auth, *aend, *at = NULL;

	if (!sep || sep == url || (slash && slash < sep))
		return false;
	*http = (size_t)(sep - url) >= 4 && !strncasecmp(url, "http", 4);
	auth = sep + 3;
	aend = strchr(auth, '/');
	if (!aend)
		aend = auth + strlen(auth);
	for (const char *p = auth; p < aend; p++)
		if (*p == '@')
			at = p;
	if (!at)
		return false;
	*start = (size_t)(auth - url);
	*end = (size_t)(at - url);
	return true;
}

static char *rewrite_userinfo(const char *url, bool strip)
{
	size_t start, end;
	bool http;
	const char *colon;
	struct buf b = BUF_INIT;

	if (!find_userinfo(url, &start, &end, &http))
		return xstrdup(url);
	colon = memchr(url + start, ':', end - start);
	buf_add(&b, url, start);
	if (strip && http) {
		/* no user information at all */
	} else if (colon) {
		buf_add(&b, url + start, (size_t)(colon - url - start));
		buf_addstr(&b, strip ? "@" : ":***@");
	} else if (http && !strip) {
		buf_addstr(&b, "***@");
	} else {
		buf_add(&b, url + start, end - start + 1);
	}
	buf_addstr(&b, url + end + 1);
	return buf_detach(&b, NULL);
}

char *vcs_url_redact(const char *url)
{
	return rewrite_userinfo(url, false);
}

char *vcs_url_strip_auth(const char *url)
{
	return rewrite_userinfo(url, true);
}

static void add_safe_part(struct buf *b, const char *s)
{
	buf_addch(b, '/');
	if (*s == '.')
		buf_addch(b, '_');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		buf_addch(b, isalnum(c) || c == '.' || c == '-' || c == '_'
				     ? c
				     : '_');
	}
}

char *vcs_mirror_path(const char *cache_root, const char *url)
{
	struct vcs_url u;
	struct svec parts = SVEC_INIT;
	struct buf b = BUF_INIT;

	vcs_url_parse(&u, url);
	buf_addstr(&b, cache_root);
	buf_rtrim(&b);
	while (b.len > 1 && b.ptr[b.len - 1] == '/')
		buf_setlen(&b, b.len - 1);
	if (u.local || !u.host || !*u.host) {
		add_safe_part(&b, "local");
	} else {
		char *host = u.port ? xasprintf("%s_%s", u.host, u.port)
				    : xstrdup(u.host);

		for (char *p = host; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		add_safe_part(&b, host);
		free(host);
	}
	path_parts(&parts, u.path);
	if (parts.n)
		strip_git_suffix(parts.v[parts.n - 1]);
	if (!parts.n || !*parts.v[parts.n - 1])
		svec_push(&parts, "repo");
	for (size_t i = 0; i < parts.n; i++)
		add_safe_part(&b, parts.v[i]);
	buf_addstr(&b, ".git");
	svec_release(&parts);
	vcs_url_release(&u);
	return buf_detach(&b, NULL);
}

/* ---- skip keywords ------------------------------------------------------- */

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	       c == '\v';
}

/* Match `word` without case at p; return the end or NULL. */
static const char *word(const char *p, const char *w)
{
	size_t n = strlen(w);

	return strncasecmp(p, w, n) ? NULL : p + n;
}

static const char *blanks(const char *p)
{
	if (!p || !is_blank(*p))
		return NULL;
	while (is_blank(*p))
		p++;
	return p;
}

/* A keyword at p followed by `tail` (a matcher), longest forms first. */
static bool keyword_then(const char *p, bool (*tail)(const char *))
{
	static const char *const simple[] = { "travis-ci", "travisci", "travis",
					      "ci" };
	const char *q = word(p, "travis");

	q = blanks(q);
	q = q ? word(q, "ci") : NULL;
	if (q && tail(q))
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(simple); i++) {
		q = word(p, simple[i]);
		if (q && tail(q))
			return true;
	}
	return false;
}

static bool tail_close(const char *p)
{
	return *p == ']';
}

static bool tail_skip_close(const char *p)
{
	p = blanks(p);
	p = p ? word(p, "skip") : NULL;
	return p && *p == ']';
}

bool vcs_skip_message(const char *message)
{
	if (!message)
		return false;
	for (const char *p = strchr(message, '['); p; p = strchr(p + 1, '[')) {
		const char *q = word(p + 1, "skip");

		if (q && (q = blanks(q)) && keyword_then(q, tail_close))
			return true;
		if (keyword_then(p + 1, tail_skip_close))
			return true;
		q = word(p + 1, "ci:skip]");
		if (q)
			return true;
	}
	return false;
}

/* ---- locks --------------------------------------------------------------- */

int vcs_lock(int *fd, const char *path, bool exclusive, int timeout,
	     const char *what)
{
	struct timespec start, now, pause = { 0, 50 * 1000 * 1000 };
	int lfd;

	if (timeout <= 0)
		timeout = 600;
	lfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (lfd < 0)
		return err_errno("cannot open the lock file '%s'", path);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		if (!flock(lfd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB))
			break;
		if (errno != EWOULDBLOCK && errno != EINTR) {
			int err = err_errno("cannot lock '%s'", path);

			close(lfd);
			return err;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec >= timeout) {
			close(lfd);
			return err_set(FY_ETIMEOUT,
				       "timed out after %d s waiting for "
				       "another build to release %s",
				       timeout, what);
		}
		nanosleep(&pause, NULL);
	}
	*fd = lfd;
	return 0;
}

char *vcs_lock_path(const char *mirror)
{
	return xasprintf("%s.lock", mirror);
}

void vcs_unlock(int *fd)
{
	if (*fd >= 0)
		flock(*fd, LOCK_UN);
	close_fd(fd);
}

/* ---- the directory sink -------------------------------------------------- */

static int copy_file(int out, const char *src)
{
	char chunk[65536];
	int in = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	int err = 0;

	if (in < 0)
		return err_errno("cannot open '%s'", src);
	for (;;) {
		ssize_t n = read(in, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = err_errno("cannot read '%s'", src);
			break;
		}
		if (!n)
			break;
		err = fs_write_all(out, chunk, (size_t)n);
		if (err < 0)
			break;
	}
	close(in);
	return err;
}

int vcs_dir_sink_entry(void *payload, const struct vcs_entry *e)
{
	struct vcs_dir_sink *s = payload;
	char *full = fs_join(s->dest, e->path);
	char *target = NULL;
	int fd = -1, err = 0;

	switch (e->type) {
	case VCS_ENTRY_DIR:
		if (mkdir(full, 0755) < 0 && errno != EEXIST)
			err = err_errno("cannot create '%s'", full);
		break;
	case VCS_ENTRY_SYMLINK:
		target = xmemdupz(e->data, e->size);
		if (symlink(target, full) < 0)
			err = err_errno("cannot create the symlink '%s'", full);
		break;
	case VCS_ENTRY_FILE:
		fd = open(full, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
			  (mode_t)e->mode);
		if (fd < 0) {
			err = err_errno("cannot create '%s'", full);
			break;
		}
		if (e->src_path)
			err = copy_file(fd, e->src_path);
		else
			err = fs_write_all(fd, e->data, e->size);
		if (!err && fchmod(fd, (mode_t)e->mode) < 0)
			err = err_errno("cannot chmod '%s'", full);
		break;
	}
	close_fd(&fd);
	free(target);
	free(full);
	return err;
}

int vcs_export_dir(const char *dir, const char *dest, unsigned flags)
{
	struct vcs_dir_sink ds = { dest };
	struct vcs_sink sink = { vcs_dir_sink_entry, &ds };
	int err;

	if (mkdir(dest, 0755) < 0 && errno != EEXIST)
		return err_errno("cannot create '%s'", dest);
	if (rmdir(dest) < 0 || mkdir(dest, 0755) < 0)
		return err_set(FY_EINVALID,
			       "cannot export into '%s': it is not an empty "
			       "directory",
			       dest);
	err = vcs_export(dir, flags, &sink);
	if (err < 0)
		fs_rm_rf(dest);
	return err;
}

const char *vcs_token(const struct vcs_remote_opts *opts)
{
	static const char *const names[] = { "FERRY_GIT_TOKEN",
					     "GITHUB_TOKEN" };

	if (opts && opts->token)
		return opts->token;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		const char *v = getenv(names[i]);

		if (v && *v)
			return v;
	}
	return NULL;
}

void vcs_scrub(struct buf *b, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	struct buf out = BUF_INIT;
	const char *p = b->ptr, *hit;

	if (n < 4)
		return;
	while ((hit = memmem(p, b->len - (size_t)(p - b->ptr), s, n))) {
		buf_add(&out, p, (size_t)(hit - p));
		buf_addstr(&out, "***");
		p = hit + n;
	}
	if (p == b->ptr) {
		buf_release(&out);
		return;
	}
	buf_add(&out, p, b->len - (size_t)(p - b->ptr));
	buf_release(b);
	*b = out;
}

void vcs_checkout_opts_from_git(struct vcs_checkout_opts *o,
				const struct val *git)
{
	const struct val *sub = val_map_get(git, "submodules");
	const struct val *crlf = val_map_get(git, "autocrlf");
	const struct val *links = val_map_get(git, "symlinks");
	const struct val *lfs = val_map_get(git, "lfs_skip_smudge");
	const char *strategy = val_text(val_map_get(git, "strategy"));

	memset(o, 0, sizeof(*o));
	o->submodules = !(sub && sub->type == VAL_BOOL && !sub->b);
	if (crlf && crlf->type == VAL_BOOL)
		o->autocrlf = crlf->b ? "true" : "false";
	else if (crlf)
		o->autocrlf = val_text(crlf);
	if (links && links->type == VAL_BOOL)
		o->symlinks = links->b ? "true" : "false";
	o->tarball = strategy && !strcmp(strategy, "tarball");
	o->lfs = !(lfs && lfs->type == VAL_BOOL && lfs->b);
}
