#ifndef FY_VCS_LFS_H
#define FY_VCS_LFS_H

#include "compat.h"

#include "svec.h"

struct vcs_lfs_report;
struct vcs_remote_opts;

/*
 * vcs_lfs.h: private to runner/vcs*.c (and the tests).  Git LFS without
 * libgit2: pointer files, git-config text (.lfsconfig), the endpoint of a
 * remote and batch answers (vcs_lfs.c); the batch API, the object cache
 * and putting content in place (vcs_lfs_fetch.c).
 * vcs_checkout.c finds the pointer files (the `filter=lfs` attribute at
 * the commit) and hands them to vcs_lfs_fetch_run().
 *
 * A repository's LFS directory has git-lfs's layout: objects/<aa>/<bb>/<oid>
 * (whole, verified objects only: they arrive in tmp/ and are renamed in),
 * tmp/, and `lock`, held (vcs_lock) by the build that downloads so that a
 * second build of the repository waits and then finds the objects there.
 *
 * Nothing here fails a checkout: what cannot be fetched is a warning in
 * the report and its pointer file stays.
 */

#define VCS_LFS_POINTER_MAX 1024 /* a pointer file is shorter than this */
#define VCS_LFS_OID_HEX	    64
#define VCS_LFS_OBJECT_MAX  ((uint64_t)64 << 30) /* per object */
#define VCS_LFS_BATCH_MAX   100			 /* objects per batch request */
#define VCS_LFS_PARALLEL    4			 /* downloads at once */

struct vcs_lfs_pointer {
	char oid[VCS_LFS_OID_HEX + 1]; /* SHA-256 of the content, lower hex */
	uint64_t size;		       /* of the content */
	bool extensions;	       /* ext-N-name keys: filters we lack */
};

/*
 * Parse pointer text as the spec has it: "key value\n" lines, `version`
 * first (https://git-lfs.github.com/spec/v1 or the older hawser URL),
 * the other keys sorted and unique, `oid sha256:<64 lower hex>` and
 * `size <decimal>` required, shorter than VCS_LFS_POINTER_MAX bytes.
 * FY_EINVALID when it is not a pointer, FY_ETOOBIG when too long.
 */
int vcs_lfs_pointer_parse(struct vcs_lfs_pointer *out, const char *text,
			  size_t len);

/*
 * The last value of `section[.sub].name` in git-config text (section and
 * name without case, the subsection with), or NULL when absent or when
 * the text does not parse.  Includes are not followed.
 */
char *vcs_lfs_config_get(const char *text, size_t len, const char *section,
			 const char *sub, const char *name);

/*
 * The LFS endpoint git-lfs derives from a remote URL: https (or http for
 * http remotes) on the same host, the path with ".git" appended when
 * missing, then "/info/lfs"; ssh, scp-like and git:// URLs map to https.
 * No credentials.  NULL for local paths and file:// URLs.
 */
char *vcs_lfs_endpoint(const char *remote_url);

/* One object of a batch answer. */
struct vcs_lfs_answer {
	char oid[VCS_LFS_OID_HEX + 1];
	uint64_t size;
	char *href;	     /* download URL; NULL when `error` is set */
	struct svec headers; /* "Name: value" to send with it */
	long code;	     /* the object's error code (404, 410, 422...) */
	char *error;	     /* why it cannot be had, or NULL */
};

struct vcs_lfs_batch {
	struct vcs_lfs_answer *v;
	size_t n;
};

/*
 * Parse a batch API answer (HTTP 200).  An object without a usable
 * download action (none, a bad href or header) gets an error of its own;
 * FY_EINVALID when the answer as a whole is malformed or names another
 * transfer than "basic".
 */
int vcs_lfs_batch_parse(struct vcs_lfs_batch *out, const char *json,
			size_t len);
void vcs_lfs_batch_release(struct vcs_lfs_batch *b);
/* The `message` of an LFS error answer, fit for one line; NULL: none. */
char *vcs_lfs_error_message(const char *json, size_t len);

/* One pointer file of a work tree. */
struct vcs_lfs_file {
	char *path; /* relative to the work tree */
	struct vcs_lfs_pointer ptr;
};

/*
 * What to fetch and from where.  vcs_lfs_fetch_release() wipes the
 * credentials.
 */
struct vcs_lfs_fetch {
	const char *workdir; /* the files are under it */
	const char *prefix;  /* shown before paths in warnings, or NULL */
	struct vcs_lfs_file *files;
	size_t n, alloc;
	char *dir;	    /* the LFS directory (cache), created on use */
	struct svec stores; /* more objects/ directories, read only */
	char *endpoint;	    /* batch API base, no credentials; or NULL */
	char *user, *pass;  /* Basic auth for the endpoint, or NULL */
	int lock_timeout;   /* seconds; 0: 600 */
};

/* clang-format off */
#define VCS_LFS_FETCH_INIT { .stores = SVEC_INIT }
/* clang-format on */

void vcs_lfs_fetch_release(struct vcs_lfs_fetch *f);
/* Take a file (path copied). */
void vcs_lfs_fetch_add(struct vcs_lfs_fetch *f, const char *path,
		       const struct vcs_lfs_pointer *ptr);

/*
 * Set the endpoint: `lfs_url` (lfs.url, may carry user information) or,
 * when NULL, the one derived from `remote_url`.  The credentials of the
 * git fetch (the remote URL's user information, else the token of
 * `ropts`) go with it only when it is on the remote's host.
 */
void vcs_lfs_fetch_endpoint(struct vcs_lfs_fetch *f, const char *lfs_url,
			    const char *remote_url,
			    const struct vcs_remote_opts *ropts);

/*
 * Replace each pointer file with its content: from the cache or the
 * stores, else downloaded (verified, then cached).  Counts and warnings
 * go to `rep`.
 */
void vcs_lfs_fetch_run(struct vcs_lfs_fetch *f, struct vcs_lfs_report *rep);

/* "12.4 MiB" */
void vcs_lfs_size_text(char *out, size_t cap, uint64_t bytes);

#endif
