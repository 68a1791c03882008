#ifndef FY_CACHE_H
#define FY_CACHE_H

#include "compat.h"

#include <stdatomic.h>
#include <time.h>

#include "buf.h"
#include "svec.h"
#include "tarball.h"

struct job_spec;
struct val;

/*
 * cache: Travis's build cache (spec/travis.md 8), kept by ferry on the
 * host, in a local directory or in S3 (any S3-compatible endpoint).
 *
 * In the job.  The script (script.c, with the bash of this module) does
 * what travis-build and casher do, through hand-offs to ferry:
 *
 *  1. setup_casher (fold cache.1): `ferry_handoff cache-fetch`: ferry
 *     looks for the job's archive in its own branch, then (pull
 *     requests) the target branch, then the default branch, checks it
 *     (size and SHA-256 recorded when it was stored) and restores it
 *     into the container: uploaded as it is when the engine extracts its
 *     format (gzip; zstd from Docker 23), else extracted on the host and
 *     uploaded as a tar.  Then `ferry_cache_add DIR...` (shlib.sh) for
 *     `cache.directories`: each path made absolute against the build
 *     directory, recorded for the push (`cache-add`), created when the
 *     archive did not have it.  Unlike casher, which extracts each
 *     added path, the whole archive is restored: it holds what the
 *     last push stored, so only a directory since dropped from the
 *     config differs (restored once more, left out of the next push);
 *  2. setup_cache: the language's directories (pip, npm or yarn,
 *     ccache, cargo, bundler, R packages), each in its fold, the same
 *     way;
 *  3. cache (fold cache.2, after before_cache): `cache-push`: ferry
 *     copies the added directories out of the container, compares their
 *     checksums (SHA-256 of every file, modes, symlink targets) with
 *     those of the fetched archive, and stores a new archive only when
 *     something changed, to the job's own branch.
 *
 * The job log gets casher's lines ("attempting to download cache
 * archive", "fetching B/NAME", "found cache", "adding DIR to cache",
 * "nothing changed, not updating cache", "changes detected, packing new
 * archive", "uploading B/NAME", "cache uploaded").  Each hand-off is
 * bounded by `cache.timeout` (default 180 s, or the ferry config's).
 * Nothing the cache does fails a job: a missing, truncated or corrupt
 * archive, an unreachable store, a full disk or a timeout is a yellow
 * warning in the log and the job goes on without (or without storing)
 * the cache.
 *
 * Archives are tar (pax) compressed with zstd or gzip (`compression`
 * below), made and read with libarchive (tarball.h).  Entries are named
 * by their absolute path without the leading '/' ("home/travis/.cache/
 * pip/..."), so `tar -C / -xf` restores one; modes, symlinks, hard links
 * and mtimes are kept; owners are not (the job's files are root's).
 *
 * Identity (8.2).  Name: "cache-<arch>-<os>-<dist>[-<osx_image>]-<SHA-256
 * of the job's sorted NAME=value env, joined by '='>" and the language's
 * suffix (lang_cache_suffix()).  Key: OWNER/REPO/BRANCH/NAME with BRANCH
 * "PR.<n>" for pull requests; every part but '/' percent-encoded (only
 * [A-Za-z0-9_-] stay), so a key is also a safe relative path.
 *
 * Store.  An entry KEY is three objects: KEY.json (the record: archive
 * name, format, size, SHA-256, paths; written last, so a reader sees
 * either the old entry or the new), KEY@ID.tar.zst (or .tar.gz) and
 * KEY@ID.sums (the checksums), ID being the start of the archive's
 * SHA-256.  Last use is the newest mtime of KEY.json and KEY.used.  A
 * size quota per repository and one in total are enforced after every
 * push by removing the least recently used entries (never the one just
 * pushed); an archive larger than a quota is not stored.
 *
 * Errors follow error.h; functions that cannot fail return void.
 * Ownership: what is passed in is borrowed; what comes out through
 * `out` belongs to the caller (the matching _release or _free).
 */

/* ---- configuration (the ferry config's `cache:` section) ---- */

enum cache_store_kind {
	CACHE_LOCAL, /* a directory on this host */
	CACHE_S3,    /* a bucket of S3 or of an S3-compatible server */
};

struct cache_s3_conf {
	char *bucket;
	char *prefix;	/* key prefix ("" or ending in '/') */
	char *region;	/* NULL: AWS_REGION..., us-east-1 */
	char *endpoint; /* S3-compatible server URL, or NULL */
	bool path_style;
	char *access_key_id, *secret_access_key, *session_token;
	char *profile; /* of the AWS shared files */
};

/*
 * cache:
 *   enabled: true          false: no job uses the cache
 *   store: local           or s3
 *   dir: DIR               local store (default DATA_DIR/cache)
 *   compression: auto      zstd, gzip, or auto: zstd when the Docker
 *                          engine reads it (23 and later), else gzip
 *   level: 0               compression level (0: gzip 1, zstd 3)
 *   quota: 10GiB           all repositories together (0: none)
 *   repo_quota: 2GiB       each repository (0: none)
 *   timeout: 3m            when .travis.yml's cache.timeout is absent
 *   memory_dir: /dev/shm   a tmpfs for the trees copied out of a
 *                          container when they fit ("": never)
 *   s3: {bucket, prefix, region, endpoint, path_style, access_key_id,
 *        secret_access_key, session_token, profile}
 */
struct cache_conf {
	bool enabled;
	enum cache_store_kind store;
	char *dir;
	enum tarball_format format; /* TARBALL_TAR_ZST or TARBALL_TAR_GZ */
	bool format_auto;	    /* zstd if the engine reads it, else gzip */
	int level;
	uint64_t quota, repo_quota; /* bytes; 0: no limit */
	long timeout;		    /* seconds */
	char *memory_dir;	    /* tmpfs for scratch trees; NULL: none */
	struct cache_s3_conf s3;
};

#define CACHE_TIMEOUT	 180 /* seconds (casher's and Travis's default) */
#define CACHE_QUOTA	 (10ull << 30)
#define CACHE_REPO_QUOTA (2ull << 30)

/*
 * Read `section` (NULL: defaults); `data_dir` gives the default store
 * directory.  FY_EINVALID with the line for a bad key or value.
 */
int cache_conf_parse(struct cache_conf *out, const struct val *section,
		     const char *data_dir);
/* Free; secrets are wiped. */
void cache_conf_release(struct cache_conf *c);
/* False when `section` is `false` or says `enabled: false`. */
bool cache_conf_enabled(const struct val *section);

/* "tar.zst" or "tar.gz". */
const char *cache_format_ext(enum tarball_format f);

/* ---- what a job caches ---- */

/*
 * Whether the job's `cache:` makes travis-build use the directory cache:
 * `directories`, or a cache of the job's language (pip, npm (on unless
 * turned off) and yarn, ccache, cargo, bundler, packages).
 */
bool cache_wanted(const struct val *job);

/* The job's cache name with its arch (see the overview). */
char *cache_name(const struct val *job);

/*
 * The branch groups an archive is fetched from, in order: the job's own
 * (branch, or "PR.<n>"), the pull request's target branch, the
 * repository's default branch; duplicates and empty names dropped.  The
 * first is where pushes go.
 */
void cache_groups(struct svec *out, const char *branch,
		  const char *pull_request, const char *default_branch);

/* Append `s` percent-encoded: [A-Za-z0-9_-] stay, the rest is %XX. */
void cache_escape(struct buf *out, const char *s);
/* The reverse; FY_EINVALID for a malformed escape. */
int cache_unescape(struct buf *out, const char *s);
/* OWNER/REPO/GROUP/NAME, each escaped ("local/REPO" if `repo` has no '/'). */
char *cache_key(const char *repo, const char *group, const char *name);

/*
 * Bash for the script's stages (script.c): the fetch and the
 * `directories` (setup_casher), the language's directories (setup_cache)
 * and the push (cache).  Nothing is appended when !cache_wanted(job).
 */
void cache_script_fetch(struct buf *out, const struct val *job);
void cache_script_languages(struct buf *out, const struct val *job);
void cache_script_push(struct buf *out, const struct val *job);

/* ---- the job's hand-offs (job.c) ---- */

struct cache_job;

struct cache_ctx {
	const struct job_spec *spec; /* config, info, cache_conf, data_dir */
	const char *container;	     /* the job's container */
	const char *home;	     /* $HOME in it */
	void (*say)(void *payload, const char *fmt, ...) PRINTFLIKE(2, 3);
	void *payload;
};

/*
 * Carry out hand-off `verb` ("cache-fetch", "cache-add", "cache-push")
 * for the job; *state (NULL at first) keeps what the job's earlier
 * hand-offs found.  Returns the status to reply: 0, or 1 for an unknown
 * verb.  Problems are warnings in the job log, never failures.
 */
int cache_handoff(struct cache_job **state, const struct cache_ctx *ctx,
		  const char *verb, const char *arg);
/* Free the state and the host files it holds; NULL is fine. */
void cache_job_free(struct cache_job *cj);

/* ---- checksums of a tree ---- */

/*
 * Append the sorted manifest of the tree at `dir` as if it were at
 * `as` (an absolute path): one line per directory, file, symlink or
 * special file below and including `dir`, with its type, mode, SHA-256
 * (files) or target (symlinks) and its path (escaped: '\\', '\n', '\t'
 * and control bytes as \ooo).  *bytes (may be NULL) grows by the files'
 * sizes.  Stops with FY_ECANCELED when *cancel.
 */
int cache_manifest(struct buf *out, const char *dir, const char *as,
		   uint64_t *bytes, const atomic_bool *cancel);
/* Sort the lines of a manifest by path (after joining several). */
void cache_manifest_sort(struct buf *m);
/*
 * The paths whose lines differ between manifests `a` and `b`, sorted
 * and unique, one per line, at most `max` bytes (then "...").
 * Returns the number of such paths.
 */
size_t cache_manifest_diff(struct buf *out, const char *a, size_t alen,
			   const char *b, size_t blen, size_t max);

/* ---- stores ---- */

struct cache_store;

int cache_store_open(struct cache_store **out, const struct cache_conf *conf);
void cache_store_free(struct cache_store *s);
/* "/var/lib/ferry/cache" or "s3://bucket/prefix", for messages. */
const char *cache_store_where(const struct cache_store *s);

/* The record of a stored archive (KEY.json). */
struct cache_meta {
	char *archive; /* object name of the archive, in KEY's directory */
	char *sums;    /* object name of the checksums, or NULL */
	enum tarball_format format;
	uint64_t size;
	uint64_t content;     /* bytes of the files in it; 0: unknown */
	char sha256[65];      /* of the archive */
	char sums_sha256[65]; /* of the checksums */
	time_t created;
	struct svec paths; /* the directories in the archive */
};
/* clang-format off */
#define CACHE_META_INIT { .paths = SVEC_INIT }
/* clang-format on */
void cache_meta_release(struct cache_meta *m);
int cache_meta_parse(struct cache_meta *out, const char *json, size_t len);
void cache_meta_write(struct buf *out, const struct cache_meta *m);

/* An archive found in the store, ready to be read. */
struct cache_hit {
	struct cache_meta meta;
	char *path;	 /* a local file with the archive */
	bool downloaded; /* `path` is a download, removed on release */
	struct buf sums; /* the stored checksums ("" when missing/bad) */
};
/* clang-format off */
#define CACHE_HIT_INIT { .meta = CACHE_META_INIT, .sums = BUF_INIT }
/* clang-format on */
void cache_hit_release(struct cache_hit *h);

/*
 * Look `key` up and make its archive readable: the local store's own
 * file, or (S3) a download into `tmpdir`.  FY_ENOTFOUND when there is no
 * entry; FY_EINVALID when the record is bad or the archive's size is not
 * the recorded one; the store's error otherwise.  The archive's SHA-256
 * is the reader's to check (cache.c does it while extracting).
 */
int cache_store_find(struct cache_store *s, const char *key, const char *tmpdir,
		     struct cache_hit *out, const atomic_bool *cancel);
/* Record a use of `key` (for least-recently-used eviction). */
int cache_store_touch(struct cache_store *s, const char *key);

/*
 * Storing an entry:
 *  1. cache_store_begin(): *path_out is a new file to write the archive
 *     into (in the store's directory, or a temporary file for S3);
 *  2. cache_store_commit() with the record (archive, sums and
 *     sums_sha256 are filled in) and the checksums;
 *  3. cache_store_abort() if anything went wrong (removes the file).
 */
int cache_store_begin(struct cache_store *s, const char *key,
		      const char *tmpdir, char **path_out);
int cache_store_commit(struct cache_store *s, const char *key, const char *path,
		       struct cache_meta *m, const struct buf *sums,
		       const atomic_bool *cancel);
void cache_store_abort(struct cache_store *s, const char *path);

/* An entry, as listed. */
struct cache_entry {
	char *key;		    /* escaped OWNER/REPO/GROUP/NAME */
	char *repo, *branch, *name; /* unescaped */
	uint64_t size;		    /* of all its objects */
	time_t used;		    /* last fetch or push */
	bool complete;		    /* has a record (KEY.json) */
};
void cache_entries_free(struct cache_entry *e, size_t n);

/*
 * The entries of `repo` (OWNER/REPO; NULL: all), sorted by key;
 * `branch` (may be NULL) keeps only that branch's.
 */
int cache_store_list(struct cache_store *s, const char *repo,
		     const char *branch, struct cache_entry **out, size_t *n);
/* Remove every object of the entry `key`. */
int cache_store_remove(struct cache_store *s, const char *key);

/*
 * The entries to evict so that `repo` stays within `repo_quota` and
 * the whole within `quota` (0: no limit): least recently used first
 * (ties: by key), never `keep` (a key, or NULL).  Writes indices into
 * `victims` (room for n) and returns their count.
 */
size_t cache_evict_plan(const struct cache_entry *e, size_t n, const char *repo,
			uint64_t repo_quota, uint64_t quota, const char *keep,
			size_t *victims);
/*
 * List, plan and remove (cache_evict_plan) for `conf`'s quotas;
 * *removed (may be NULL) gets the count.
 */
int cache_store_enforce(struct cache_store *s, const struct cache_conf *conf,
			const char *repo, const char *keep, size_t *removed);

#endif
