#ifndef FY_VCS_H
#define FY_VCS_H

#include "compat.h"

#include "svec.h"

struct buf;
struct config_fetcher;
struct val;
struct vcs_lfs_report;

/*
 * vcs: everything ferry does with git, on libgit2 (runner/vcs.c is the
 * only file that includes <git2.h>; runner/vcs_util.c holds the parts
 * that need no libgit2).
 *
 * Two cases:
 *
 *  - `ferry run` in a checkout: vcs_local_info() reads HEAD of the
 *    repository containing a directory, vcs_export() writes the tree of
 *    HEAD (optionally with the uncommitted changes) to a sink or a
 *    directory.
 *
 *  - `ferry build URL`: vcs_remote_resolve() brings a per-repository bare
 *    mirror in a cache directory up to date (cloned on first use, fetched
 *    incrementally later, under a lock so that concurrent builds of one
 *    repository are safe) and resolves the wanted branch, tag, commit or
 *    pull request there; vcs_checkout() then makes a fresh workspace (a
 *    git clone of the mirror with `origin` set to the real URL, HEAD
 *    detached at the commit as Travis leaves it, submodules recursively).
 *    The .travis.yml can be read between the two with vcs_read_file().
 *
 * Git LFS: a checkout (and, through vcs_lfs_smudge(), an export) replaces
 * LFS pointer files with their content, as git-lfs's smudge filter does
 * during `git clone`: from the repository's LFS object cache, else the
 * LFS server's batch API (see "Git LFS" below).
 *
 * Either way, struct vcs_info describes the commit being built and
 * vcs_info_env() turns it into the TRAVIS_* checkout variables.
 *
 * Errors: one message naming the URL (credentials redacted) and the ref;
 * FY_EAUTH when the remote rejected our credentials (or wanted some and
 * we had none), FY_ENOTFOUND for a missing ref, commit, path or
 * repository, FY_ETIMEOUT when the mirror lock could not be had in time,
 * FY_EFAIL for the rest (unreachable host, corrupt data).  A failed
 * vcs_checkout() leaves no workspace behind and a failed first clone
 * leaves no mirror behind.
 *
 * Ownership: arguments are borrowed; a struct vcs_info owns its strings
 * and is finished with vcs_info_release().
 */

#define VCS_SHA_HEX 40

/* ---- what is being built -------------------------------------------- */

struct vcs_info {
	char commit[VCS_SHA_HEX + 1]; /* TRAVIS_COMMIT */
	char *message;		      /* full message, trailing newlines cut */
	char *author;		      /* "Name <email>" */
	char *branch;		      /* TRAVIS_BRANCH ("" when unknown) */
	char *tag;		      /* TRAVIS_TAG; NULL unless a tag build */
	char *range;		      /* TRAVIS_COMMIT_RANGE or "" */
	char *slug;		      /* owner/name */
	char *default_branch;	      /* NULL when unknown */
	char *event_type;	      /* "push", "pull_request", ... */
	unsigned long pr;	      /* pull request number, 0 if none */
	char *pr_branch;	      /* PR head branch ("" if unknown) */
	char *pr_sha;		      /* PR head commit */
	char *pr_slug;		      /* PR head repository ("" if unknown) */
	bool detached;		      /* local: HEAD is not on a branch */
	char *workdir;		      /* local: top of the work tree */
	char *gitdir;		      /* repository (local .git or mirror) */
	char *url;		      /* remote: the URL as given */
	char *origin_url;	      /* local: the `origin` URL, or NULL */
	/* remote: what the last fetch into the mirror transferred */
	size_t fetched_objects;
	uint64_t fetched_bytes;
	double fetch_seconds;
};

/* clang-format off */
#define VCS_INFO_INIT { .commit = "" }
/* clang-format on */

void vcs_info_release(struct vcs_info *info);

/*
 * Add the checkout variables to the map `env` (strings, in this order):
 * TRAVIS_BRANCH, TRAVIS_COMMIT, TRAVIS_COMMIT_MESSAGE,
 * TRAVIS_COMMIT_RANGE, TRAVIS_EVENT_TYPE, TRAVIS_PULL_REQUEST (number or
 * "false"), TRAVIS_PULL_REQUEST_BRANCH, TRAVIS_PULL_REQUEST_SHA,
 * TRAVIS_PULL_REQUEST_SLUG, TRAVIS_REPO_SLUG, TRAVIS_TAG.  Absent values
 * are empty strings, as Travis exports them.
 */
void vcs_info_env(const struct vcs_info *info, struct val *env);

/* ---- pure helpers (no repository needed) ----------------------------- */

/*
 * OWNER/NAME from a remote URL: https://host/owner/name(.git),
 * ssh://[user@]host[:port]/owner/name, git@host:owner/name(.git),
 * git://host/owner/name, file:///path/owner/name.  The last two path
 * parts are used.  FY_EINVALID when the URL has fewer than two parts.
 */
int vcs_slug_from_url(char **out, const char *url);

/*
 * A copy of `url` safe to show: "https://user:secret@host/x" becomes
 * "https://user:XXX@host/x" (XXX being three asterisks) and
 * "https://token@host/x" loses the token the same way
 * (http and https only: an ssh user is no secret).
 */
char *vcs_url_redact(const char *url);

/* `url` without any user information (what a workspace's origin gets). */
char *vcs_url_strip_auth(const char *url);

/*
 * Where the mirror of `url` lives under `cache_root`:
 * <root>/<host>[_<port>]/<path>.git, e.g. github.com/owner/name.git;
 * local paths and file:// URLs go under <root>/local/.  Unsafe path
 * characters become '_'; ".." parts are dropped.
 */
char *vcs_mirror_path(const char *cache_root, const char *url);

/*
 * True when the commit message asks to skip the build (spec 6.4):
 * "[<KEYWORD> skip]" or "[skip <KEYWORD>]" anywhere in the message, with
 * KEYWORD one of ci, travis, travis ci, travis-ci, travisci.  Letters are
 * compared without case and any run of blanks separates the words; the
 * legacy "[ci:skip]" form is accepted too.
 */
bool vcs_skip_message(const char *message);

/* Information about the libgit2 in use, e.g. "libgit2 1.5.1 (https, ssh)". */
const char *vcs_version(void);
bool vcs_has_ssh(void);

/* ---- the local checkout (ferry run) ------------------------------------ */

/*
 * Describe HEAD of the repository containing `dir` (searched upwards):
 * commit, branch (or, when detached, a branch whose tip is HEAD),
 * message, author, slug from the `origin` URL (falling back to
 * "<parent dir>/<dir>" of the work tree), default branch from
 * refs/remotes/origin/HEAD, range "<first parent>...<commit>", event
 * "push".  FY_ENOTFOUND when there is no repository or no commit yet.
 */
int vcs_local_info(struct vcs_info *out, const char *dir);

enum vcs_entry_type {
	VCS_ENTRY_DIR,
	VCS_ENTRY_FILE,
	VCS_ENTRY_SYMLINK,
};

/*
 * One entry of an exported tree.  `path` is relative ("src/a.c"); a
 * directory comes before its contents.  A file's bytes are either in
 * memory (`data`, `size`) or in the work tree (`src_path` not NULL, read
 * it yourself; `size` is its size when it was looked at).  `mode` is
 * 0755 or 0644 for files, 0755 for directories.  A symlink's target is
 * `data`/`size` (not NUL-terminated).
 */
struct vcs_entry {
	enum vcs_entry_type type;
	const char *path;
	unsigned mode;
	const void *data;
	size_t size;
	const char *src_path;
};

struct vcs_sink {
	int (*entry)(void *payload, const struct vcs_entry *e);
	void *payload;
};

enum vcs_export_flags {
	/* the work tree as on disk: tracked files with their changes (the
	 * deleted ones left out) plus untracked files not ignored */
	VCS_EXPORT_DIRTY = 1 << 0,
	/* leave submodules out (they are exported when checked out) */
	VCS_EXPORT_NO_SUBMODULES = 1 << 1,
};

/*
 * Export the tree of HEAD of the repository containing `dir`, as a clean
 * clone would have it (.gitattributes filters applied, no .git), into
 * `sink`, with submodules that are checked out (at the commit the
 * superproject records; FY_ENOTFOUND if that commit is missing there).
 * A sink error stops the export and is returned as is.
 */
int vcs_export(const char *dir, unsigned flags, const struct vcs_sink *sink);
/* The same into the directory `dest` (created; must not exist or be
 * empty; removed again on failure). */
int vcs_export_dir(const char *dir, const char *dest, unsigned flags);

/* ---- remote repositories (ferry build) --------------------------------- */

enum vcs_ref_kind {
	VCS_REF_DEFAULT, /* the remote's default branch */
	VCS_REF_BRANCH,
	VCS_REF_TAG,
	VCS_REF_COMMIT, /* `name` is a full or abbreviated SHA */
	VCS_REF_PR,	/* refs/pull/N/merge, else refs/pull/N/head */
	VCS_REF_ANY,	/* `name` is a branch, a tag or a SHA (imports) */
};

struct vcs_ref {
	enum vcs_ref_kind kind;
	const char *name;
	unsigned long pr;
	/* VCS_REF_COMMIT: the branch to report; VCS_REF_PR: the base branch
	 * (otherwise guessed: a branch holding the merge's first parent) */
	const char *branch;
};

struct vcs_progress {
	const char *url; /* redacted */
	size_t total_objects;
	size_t received_objects;
	size_t indexed_objects;
	size_t total_deltas;
	size_t indexed_deltas;
	uint64_t received_bytes;
	double seconds; /* since the transfer began */
	double bytes_per_second;
	bool done; /* the last call for this transfer */
};

/* Return non-zero to cancel the transfer (FY_ECANCELED). */
typedef int (*vcs_progress_fn)(const struct vcs_progress *p, void *payload);

struct vcs_remote_opts {
	const char *cache_root; /* mirrors live here (required) */
	/*
	 * https: Basic auth with `username` (default "x-access-token") and
	 * `token`; NULL token: $FERRY_GIT_TOKEN, then $GITHUB_TOKEN.  User
	 * information in the URL is used first when present.
	 */
	const char *username;
	const char *token;
	/*
	 * ssh: the key file `ssh_key` (default $FERRY_GIT_SSH_KEY), then the
	 * agent ($SSH_AUTH_SOCK), then ~/.ssh/id_ed25519, id_ecdsa, id_rsa.
	 * Host keys are checked against ~/.ssh/known_hosts; an unknown host
	 * is refused unless `ssh_accept_unknown` (Travis's
	 * StrictHostKeyChecking no).
	 */
	const char *ssh_key;
	const char *ssh_passphrase;
	bool ssh_accept_unknown;
	int lock_timeout; /* seconds to wait for the mirror lock; 0: 600 */
	vcs_progress_fn progress; /* NULL: none; called at most ~10/s */
	void *progress_payload;
};

/*
 * Bring the mirror of `url` up to date and resolve `ref` there, filling
 * `out` (commit, message, author, branch/tag/PR fields, slug from the
 * URL, default branch, event type, gitdir = the mirror, and what the
 * fetch transferred).  Branches and tags are always fetched (with
 * pruning); a pull request's refs/pull/N/{merge,head} when asked; a
 * commit missing from them is fetched with every ref of the remote.
 */
int vcs_remote_resolve(struct vcs_info *out, const char *url,
		       const struct vcs_ref *ref,
		       const struct vcs_remote_opts *opts);

struct vcs_checkout_opts {
	bool submodules; /* git.submodules: recursive, each from its mirror */
	const char *autocrlf; /* git.autocrlf: core.autocrlf; NULL: unset */
	const char *symlinks; /* git.symlinks: core.symlinks; NULL: unset */
	bool tarball;	      /* git.strategy: tarball: no .git, submodules */
	/* only the .git: HEAD, branches and an index of the commit's tree,
	 * no files and no submodules (see vcs_attach_git()) */
	bool git_only;
	/* Git LFS content in place of pointer files (git.lfs_skip_smudge
	 * unset or false); the outcome goes to *lfs_report when it is set,
	 * else its warnings to the diagnostic log */
	bool lfs;
	struct vcs_lfs_report *lfs_report;
	/* the mirror's objects are copied (hard links where possible): the
	 * full history is there, whatever git.depth says */
};

/* The options of a job's `git:` section (normalised; NULL: defaults). */
void vcs_checkout_opts_from_git(struct vcs_checkout_opts *o,
				const struct val *git);

/*
 * Make `workspace` (must not exist, or be empty) a clone of the mirror
 * resolved in `info` (or of the local repository of vcs_local_info(), for
 * a workspace with a .git), with `origin` set to the URL (local: the
 * `origin` URL) without credentials,
 * the branch (for branch builds) created, and HEAD detached at
 * info->commit with its files checked out.  Submodules come from their
 * mirrors (ropts->cache_root is needed then, also for a local info).  On
 * failure the workspace is removed.
 */
int vcs_checkout(const struct vcs_info *info, const char *workspace,
		 const struct vcs_remote_opts *ropts,
		 const struct vcs_checkout_opts *copts);

/*
 * Give `tree`, an export of the local repository of `info` (see
 * vcs_export_dir()), the .git a workspace made by vcs_checkout() has:
 * HEAD detached at info->commit, its tree in the index, the branch and
 * `origin` as there.  The files of `tree` are left as they are, so an
 * export with uncommitted changes shows them as changes.
 */
int vcs_attach_git(const struct vcs_info *info, const char *tree);

/* ---- Git LFS ------------------------------------------------------------ */

/*
 * The Git LFS files of a checkout: the tracked files whose path has the
 * `filter=lfs` attribute at the commit (.gitattributes in every
 * directory) and whose content is a valid LFS pointer.  Each is replaced
 * with its content, verified against the pointer's SHA-256 and size,
 * taken from
 *
 *  1. the repository's LFS cache: <mirror>/lfs/objects for a remote, the
 *     repository's own .git/lfs/objects (git-lfs's store) for a local one;
 *  2. read-only stores: a local remote's lfs/objects, and for a local
 *     repository the LFS cache of its origin's mirror (remote opts'
 *     cache_root);
 *  3. the LFS server (lfs.url or remote.origin.lfsurl from the
 *     repository's config, then from .lfsconfig at the commit, else the
 *     remote URL + "/info/lfs"), through the batch API, with the
 *     credentials of the git fetch when the server is on the remote's
 *     host.  Downloads are verified before they enter the cache.
 *
 * What cannot be had (no server, a missing object, a server that cannot
 * be reached, content that does not match) keeps its pointer file and
 * gets one warning line; a checkout never fails because of LFS.
 */
struct vcs_lfs_report {
	size_t files;	      /* pointer files found */
	uint64_t bytes;	      /* the size of their content */
	size_t downloaded;    /* replaced with content downloaded now */
	size_t cached;	      /* replaced from the cache or a store */
	size_t kept;	      /* left as pointers (see warnings) */
	struct svec warnings; /* one line each, naming file and object */
};

/* clang-format off */
#define VCS_LFS_REPORT_INIT { .warnings = SVEC_INIT }
/* clang-format on */

void vcs_lfs_report_release(struct vcs_lfs_report *r);
/* Append "Git LFS: 3 files (12.4 MiB), 1 downloaded, 2 from the cache". */
void vcs_lfs_summary(const struct vcs_lfs_report *r, struct buf *out);
/* Push the summary (when there were LFS files) and the warnings. */
void vcs_lfs_notes(const struct vcs_lfs_report *r, struct svec *out);

/*
 * The same for `tree`, the top of an export of info's commit made by
 * vcs_export_dir() (its .git from vcs_attach_git() is used when there,
 * else the repository of `info`).  Fails only when the repository or
 * the commit cannot be read; LFS trouble is in the report.
 */
int vcs_lfs_smudge(const struct vcs_info *info, const char *tree,
		   const struct vcs_remote_opts *ropts,
		   struct vcs_lfs_report *rep);

/*
 * Read `path` at `rev` (NULL: info->commit; else a branch, tag or SHA)
 * from the repository of `info` (a mirror or a local repository), capped
 * at `out`'s limit.  FY_ENOTFOUND when the revision or path is missing.
 */
int vcs_read_file(const struct vcs_info *info, const char *rev,
		  const char *path, struct buf *out);

/*
 * The config fetcher for `import:` (config.h).  Sources in the repository
 * being built (repo NULL or equal to info->slug) are read from its
 * repository at the commit being built (or `@ref`); other repositories
 * are fetched through the mirror cache from url_template (one "%s" for
 * owner/name, e.g. "https://github.com/%s.git") at `@ref` or their
 * default branch.  Without `remote` (or with no template) other
 * repositories are FY_EINVALID.  Everything stays borrowed: keep it alive
 * while the fetcher is used.
 */
struct vcs_importer {
	const struct vcs_info *info;
	const char *url_template;
	const struct vcs_remote_opts *remote;
	/* same-repository sources without `@ref` are read from
	 * info->workdir on disk (ferry run --dirty) */
	bool worktree;
};

void vcs_config_fetcher(struct config_fetcher *out, struct vcs_importer *im);

#endif
