#ifndef FY_VCS_INT_H
#define FY_VCS_INT_H

#include "compat.h"

#include "vcs.h"

/*
 * vcs_int.h: private to runner/vcs*.c.  What vcs.c (libgit2) and
 * vcs_util.c (no libgit2) share.
 */

/* The parts of a remote URL; every field is malloc'd or NULL. */
struct vcs_url {
	char *scheme; /* "https", "ssh", "git", "file"; NULL: scp-like or path */
	char *user;
	char *pass;
	char *host;
	char *port;
	char *path; /* without a leading '/' for scp-like URLs */
	bool scp;   /* user@host:path */
	bool local; /* a path or file:// */
};

void vcs_url_parse(struct vcs_url *u, const char *url);
void vcs_url_release(struct vcs_url *u);

/* A submodule URL relative to its superproject's ("../x.git", "./x")
 * made absolute against `base`, as git does; other URLs are copied. */
char *vcs_url_join(const char *base, const char *rel);

/* Exclusive (writer) or shared (reader) lock on `path`, waiting up to
 * `timeout` seconds; the descriptor goes to *fd. */
int vcs_lock(int *fd, const char *path, bool exclusive, int timeout,
	     const char *what);
void vcs_unlock(int *fd);

/* A sink writing entries under the directory `dest`. */
struct vcs_dir_sink {
	const char *dest;
};
int vcs_dir_sink_entry(void *payload, const struct vcs_entry *e);

/* How deep submodules may nest. */
#define SUBMODULE_MAX_LEVEL 8

/* The lock file of a mirror: "<mirror>.lock". */
char *vcs_lock_path(const char *mirror);

/* The https token: opts->token, else $FERRY_GIT_TOKEN, else $GITHUB_TOKEN
 * (empty ones skipped); NULL when none.  `opts` may be NULL. */
const char *vcs_token(const struct vcs_remote_opts *opts);

/* Replace every occurrence of the secret `s` in `b` with "***". */
struct buf;
void vcs_scrub(struct buf *b, const char *s);

#endif
