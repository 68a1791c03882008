/*
 * cache_job.c: the build cache's hand-offs of a job (cache.h): find,
 * check and restore an archive into the container, record the added
 * directories, copy them out, compare checksums and store a new archive,
 * each bounded by the job's cache timeout.  Trees copied to this host
 * go to a tmpfs when they fit (memory_dir), else to the scratch
 * directory beside the store.
 */
#include "compat.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cache.h"
#include "crypto.h"
#include "docker.h"
#include "error.h"
#include "fs.h"
#include "job.h"
#include "log.h"
#include "svec.h"
#include "tarball.h"
#include "val.h"
#include "xalloc.h"

#define YELLOW	   "\033[33;1m"
#define RESET	   "\033[0m"
#define PATHS_MAX  (1u << 20)	/* the list of directories to add */
#define SUMS_MAX   (256u << 20) /* checksums of what is pushed */
#define DIFF_SHOWN 1000		/* bytes of changed paths shown (casher) */
#define CHUNK	   (256 * 1024)

static const char *first_text(const struct val *v)
{
	if (v && v->type == VAL_SEQ)
		v = v->seq.n ? v->seq.v[0] : NULL;
	return v && v->type != VAL_SECURE ? val_text(v) : NULL;
}

struct cache_job {
	struct cache_conf conf;
	bool disabled; /* a bad ferry config: warned once */
	struct cache_store *store;
	char *repo, *name;
	struct svec groups;
	struct docker *docker; /* the engine, opened by the first hand-off */
	char *tmp;	       /* host scratch directory */
	bool fetched;
	uint64_t content;  /* bytes of the fetched archive's files */
	struct buf sums;   /* checksums of the fetched archive */
	struct svec paths; /* directories added, clean absolute paths */
	long timeout;	   /* seconds */
};

/*
 * A hand-off's time limit: a thread raises `stop` at the deadline, or
 * when the run is canceled; it waits on a condition variable, so that
 * the end of the hand-off wakes it at once.
 */
struct watch {
	atomic_bool stop, timed_out;
	bool done; /* under `lock` */
	struct timespec deadline;
	const atomic_bool *cancel; /* Ctrl-C of the run */
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	bool running;
};

static bool past(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > t->tv_sec ||
	       (now.tv_sec == t->tv_sec && now.tv_nsec >= t->tv_nsec);
}

/* 50 ms from now, or the deadline if sooner (CLOCK_MONOTONIC). */
static struct timespec next_check(const struct timespec *deadline)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_nsec += 50 * 1000 * 1000;
	if (t.tv_nsec >= 1000000000) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000;
	}
	if (t.tv_sec > deadline->tv_sec ||
	    (t.tv_sec == deadline->tv_sec && t.tv_nsec > deadline->tv_nsec))
		t = *deadline;
	return t;
}

static void *watch_main(void *payload)
{
	struct watch *w = payload;

	pthread_mutex_lock(&w->lock);
	while (!w->done) {
		struct timespec t = next_check(&w->deadline);

		if (past(&w->deadline)) {
			atomic_store(&w->timed_out, true);
			atomic_store(&w->stop, true);
			break;
		}
		if (w->cancel && atomic_load(w->cancel)) {
			atomic_store(&w->stop, true);
			break;
		}
		pthread_cond_timedwait(&w->wake, &w->lock, &t);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

static void watch_start(struct watch *w, long seconds,
			const atomic_bool *cancel)
{
	pthread_condattr_t ca;

	atomic_init(&w->stop, false);
	atomic_init(&w->timed_out, false);
	w->done = false;
	clock_gettime(CLOCK_MONOTONIC, &w->deadline);
	w->deadline.tv_sec += seconds;
	w->cancel = cancel;
	pthread_mutex_init(&w->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->wake, &ca);
	pthread_condattr_destroy(&ca);
	w->running = !pthread_create(&w->thread, NULL, watch_main, w);
}

static void watch_end(struct watch *w)
{
	pthread_mutex_lock(&w->lock);
	w->done = true;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	if (w->running)
		pthread_join(w->thread, NULL);
	w->running = false;
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
}

static int stopped(const struct watch *w)
{
	return err_set(atomic_load(&w->timed_out) ? FY_ETIMEOUT : FY_ECANCELED,
		       "the cache operation was stopped");
}

static void warn(const struct cache_ctx *ctx, const char *fmt, ...)
	PRINTFLIKE(2, 3);
static void warn(const struct cache_ctx *ctx, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	ctx->say(ctx->payload, YELLOW "%s" RESET "\n", b.ptr);
	buf_release(&b);
}

/* The job's `cache.timeout`, else the ferry config's. */
static long job_timeout(const struct val *job, long dflt)
{
	const char *t =
		first_text(val_map_get(val_map_get(job, "cache"), "timeout"));
	char *end;
	long v;

	if (!t)
		return dflt;
	errno = 0;
	v = strtol(t, &end, 10);
	return errno || *end || v <= 0 ? dflt : v;
}

/*
 * A job's scratch directory, DIR/.tmp/job-XXXXXX: on the store's disk
 * (caches can be large; /tmp may be memory), where a local store's
 * archive is written in place.  Ones a crash left for a day go.
 */
/* Remove what a crash left in `base`: `prefix`* older than a day. */
static void remove_stale(const char *base, const char *prefix)
{
	time_t old = time(NULL) - 24 * 3600;
	DIR *d = opendir(base);
	struct dirent *de;

	for (;;) {
		struct stat st;
		char *p;

		de = d ? readdir(d) : NULL;
		if (!de)
			break;
		if (strncmp(de->d_name, prefix, strlen(prefix)))
			continue;
		p = fs_join(base, de->d_name);
		if (!lstat(p, &st) && S_ISDIR(st.st_mode) && st.st_mtime < old)
			fs_rm_rf(p);
		free(p);
	}
	if (d)
		closedir(d);
}

static int scratch_dir(char **out, const char *dir)
{
	char *base = fs_join(dir, ".tmp"), *path;
	int err;

	err = fs_mkdir_p(base, 0700);
	if (err < 0) {
		free(base);
		return err;
	}
	remove_stale(base, "job-");
	path = xasprintf("%s/job-XXXXXX", base);
	free(base);
	if (!mkdtemp(path)) {
		err = err_errno("cannot create '%s'", path);
		free(path);
		return err;
	}
	*out = path;
	return 0;
}

/*
 * A directory in memory (conf.memory_dir, a tmpfs) for a tree of
 * `bytes` in `files` entries, when it has room for twice that; NULL
 * when it has not, or the size is not known: the disk scratch is used.
 * Creating many files is what copying a cache costs most on a disk
 * (inode allocation), and nothing of it needs to last.
 */
static char *mem_dir(const struct cache_job *cj, uint64_t bytes, size_t files)
{
	uint64_t need = bytes + (uint64_t)files * 4096;
	struct statvfs vf;
	char *path;

	if (!cj->conf.memory_dir || !bytes ||
	    statvfs(cj->conf.memory_dir, &vf) < 0 ||
	    (uint64_t)vf.f_bavail * vf.f_frsize < need * 2 + (256ull << 20))
		return NULL;
	remove_stale(cj->conf.memory_dir, "ferry-cache-");
	path = xasprintf("%s/ferry-cache-XXXXXX", cj->conf.memory_dir);
	if (!mkdtemp(path)) {
		log_debug("cache: cannot create '%s'", path);
		free(path);
		return NULL;
	}
	log_debug("cache: a tree of %llu bytes in '%s'",
		  (unsigned long long)need, path);
	return path;
}

/*
 * After an extraction into `dir` (failed or not): a filesystem left
 * without room means a file did not fit; the message says so.
 */
static int check_room(const char *dir)
{
	struct statvfs vf;

	if (statvfs(dir, &vf) < 0)
		return err_errno("cannot check the room left in '%s'", dir);
	if ((uint64_t)vf.f_bavail * vf.f_frsize < (1u << 20))
		return err_set(FY_EFAIL, "no space left in '%s'", dir);
	return 0;
}

/* The lines (entries) of a manifest. */
static size_t count_lines(const struct buf *b)
{
	size_t n = 0;

	for (size_t i = 0; i < b->len; i++)
		n += b->ptr[i] == '\n';
	return n;
}

/* Remove a scratch tree now if it is in memory (else with the job's). */
static void drop_tree(char **dir, bool in_memory)
{
	if (*dir && in_memory)
		fs_rm_rf(*dir);
	free(*dir);
	*dir = NULL;
}

static struct cache_job *job_new(const struct cache_ctx *ctx)
{
	const struct job_spec *spec = ctx->spec;
	struct cache_job *cj = xcalloc(1, sizeof(*cj));
	int err;

	cj->groups = (struct svec)SVEC_INIT;
	cj->paths = (struct svec)SVEC_INIT;
	buf_init(&cj->sums);
	err = cache_conf_parse(&cj->conf, spec->cache_conf, spec->data_dir);
	if (err < 0) {
		warn(ctx,
		     "ferry's cache configuration: %s; going on without "
		     "the cache",
		     err_msg());
		cj->disabled = true;
		return cj;
	}
	if (!cj->conf.enabled) {
		cj->disabled = true;
		return cj;
	}
	cj->repo = xstrdup(spec->info.slug ? spec->info.slug : "local/job");
	cj->name = cache_name(spec->config);
	cache_groups(&cj->groups, spec->info.branch, spec->info.pull_request,
		     spec->default_branch);
	cj->timeout = job_timeout(spec->config, cj->conf.timeout);
	err = scratch_dir(&cj->tmp, cj->conf.dir);
	if (err < 0) {
		warn(ctx, "cache: %s; going on without the cache", err_msg());
		cj->disabled = true;
	}
	return cj;
}

void cache_job_free(struct cache_job *cj)
{
	if (!cj)
		return;
	if (cj->tmp)
		fs_rm_rf(cj->tmp);
	free(cj->tmp);
	cache_store_free(cj->store);
	docker_close(cj->docker);
	cache_conf_release(&cj->conf);
	free(cj->repo);
	free(cj->name);
	svec_release(&cj->groups);
	svec_release(&cj->paths);
	buf_release(&cj->sums);
	free(cj);
}

static int open_store(struct cache_job *cj)
{
	if (cj->store)
		return 0;
	return cache_store_open(&cj->store, &cj->conf);
}

/* Reading an archive file: its SHA-256 is computed on the way. */
struct hashed_read {
	int fd;
	struct crypto_hash *h;
	char *chunk;
	const struct watch *w;
};

static int hashed_pull(void *dst, size_t cap, size_t *got, void *payload)
{
	struct hashed_read *r = payload;
	ssize_t n;

	*got = 0;
	if (atomic_load(&r->w->stop))
		return stopped(r->w);
	do
		n = read(r->fd, dst, cap);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return err_errno("cannot read the cache archive");
	crypto_hash_update(r->h, dst, (size_t)n);
	*got = (size_t)n;
	return 0;
}

/* Extract the archive into `tree`, checking its SHA-256. */
static int extract_hit(const char *tree, const struct cache_hit *hit,
		       const struct watch *w)
{
	struct hashed_read r = { -1, NULL, NULL, w };
	unsigned char digest[CRYPTO_MAX_DIGEST];
	char hex[65], buf[CHUNK];
	size_t got;
	int err;

	r.fd = open(hit->path, O_RDONLY | O_CLOEXEC);
	if (r.fd < 0)
		return err_errno("cannot read the cache archive");
	r.h = crypto_hash_new(CRYPTO_SHA256);
	err = tarball_extract(tree, 0, hashed_pull, &r);
	/* libarchive may stop before the end: hash the rest too */
	while (!err) {
		err = hashed_pull(buf, sizeof(buf), &got, &r);
		if (!got)
			break;
	}
	if (!err) {
		crypto_hash_final(r.h, digest);
		crypto_hex(hex, digest, 32);
		if (strcmp(hex, hit->meta.sha256))
			err = err_set(FY_EINVALID,
				      "the cache archive does not match its "
				      "checksum");
	}
	crypto_hash_free(r.h);
	close(r.fd);
	return err;
}

struct checked_pack {
	struct tarball_pack *p;
	const struct watch *w;
};

static int checked_pull(void *dst, size_t cap, size_t *got, void *payload)
{
	struct checked_pack *c = payload;

	if (atomic_load(&c->w->stop)) {
		*got = 0;
		return stopped(c->w);
	}
	return tarball_pack_read(c->p, dst, cap, got);
}

/* Whether the engine extracts `f` itself from an archive upload. */
static bool engine_takes(struct docker *d, enum tarball_format f)
{
	const char *v = docker_engine_version(d);

	if (f != TARBALL_TAR_ZST)
		return true; /* tar, tar.gz */
	/* zstd: moby's pkg/archive reads it since Docker 23 */
	return v && strtol(v, NULL, 10) >= 23;
}

/* What a push writes: the configured format, or one the engine takes. */
static enum tarball_format push_format(const struct cache_job *cj,
				       struct docker *d)
{
	if (!cj->conf.format_auto)
		return cj->conf.format;
	return engine_takes(d, TARBALL_TAR_ZST) ? TARBALL_TAR_ZST
						: TARBALL_TAR_GZ;
}

/* Check the archive's SHA-256 before anything of it goes anywhere. */
static int verify(const struct cache_hit *hit, const struct watch *w)
{
	struct hashed_read r = { -1, NULL, NULL, w };
	unsigned char digest[CRYPTO_MAX_DIGEST];
	char hex[65], *chunk = xmalloc(CHUNK);
	size_t got = 0;
	int err = 0;

	r.fd = open(hit->path, O_RDONLY | O_CLOEXEC);
	if (r.fd < 0) {
		free(chunk);
		return err_errno("cannot read the cache archive");
	}
	r.h = crypto_hash_new(CRYPTO_SHA256);
	do
		err = hashed_pull(chunk, CHUNK, &got, &r);
	while (!err && got);
	if (!err) {
		crypto_hash_final(r.h, digest);
		crypto_hex(hex, digest, 32);
		if (strcmp(hex, hit->meta.sha256))
			err = err_set(FY_EINVALID,
				      "the cache archive does not match its "
				      "checksum");
	}
	crypto_hash_free(r.h);
	close(r.fd);
	free(chunk);
	return err;
}

/* Reading a file for an upload, stopping when told to. */
struct file_read {
	int fd;
	const struct watch *w;
};

static int file_pull(void *dst, size_t cap, size_t *got, void *payload)
{
	struct file_read *f = payload;
	ssize_t n;

	*got = 0;
	if (atomic_load(&f->w->stop))
		return stopped(f->w);
	do
		n = read(f->fd, dst, cap);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return err_errno("cannot read the cache archive");
	*got = (size_t)n;
	return 0;
}

/* The archive as it is into the container: the engine extracts it. */
static int restore_direct(const struct cache_ctx *ctx, struct docker *d,
			  const struct cache_hit *hit, const struct watch *w)
{
	struct file_read f = { -1, w };
	int err;

	f.fd = open(hit->path, O_RDONLY | O_CLOEXEC);
	if (f.fd < 0)
		return err_errno("cannot read the cache archive");
	err = docker_archive_put(d, ctx->container, "/", false, file_pull, &f);
	close(f.fd);
	return err;
}

/*
 * A format the engine cannot read: extracted here (checking it), then
 * the directories it holds uploaded as a plain tar.
 */
static int restore_via_host(struct cache_job *cj, const struct cache_ctx *ctx,
			    struct docker *d, const struct cache_hit *hit,
			    const struct watch *w)
{
	struct tarball_opts o = TARBALL_OPTS_INIT;
	struct checked_pack cp = { NULL, w };
	char *tree = mem_dir(cj, hit->meta.content, count_lines(&hit->sums));
	bool in_memory = tree != NULL;
	size_t n = 0;
	int err;

	if (!tree) {
		tree = fs_join(cj->tmp, "tree");
		fs_rm_rf(tree);
	}
	err = extract_hit(tree, hit, w);
	if (!err)
		err = check_room(tree);
	if (!err) {
		o.uid = o.gid = 0;
		err = tarball_pack_new(&cp.p, &o);
	}
	/* only what the archive holds: never the parents' modes */
	for (size_t i = 0; !err && i < hit->meta.paths.n; i++) {
		const char *p = hit->meta.paths.v[i];
		char *host = xasprintf("%s%s", tree, p);

		if (*p == '/' && !strstr(p, "/..") && fs_exists(host)) {
			err = tarball_pack_add(cp.p, host, p + 1);
			n++;
		}
		free(host);
	}
	if (!err && n)
		err = docker_archive_put(d, ctx->container, "/", false,
					 checked_pull, &cp);
	tarball_pack_free(cp.p);
	drop_tree(&tree, in_memory);
	return err;
}

/*
 * Restore the whole archive into the container: directly when the engine
 * reads its format (checked first), else through the host.
 */
static int restore(struct cache_job *cj, const struct cache_ctx *ctx,
		   struct docker *d, const struct cache_hit *hit,
		   const struct watch *w)
{
	int err;

	if (!engine_takes(d, hit->meta.format))
		return restore_via_host(cj, ctx, d, hit, w);
	err = verify(hit, w);
	if (!err)
		err = restore_direct(ctx, d, hit, w);
	if (err < 0 && hit->meta.format == TARBALL_TAR_ZST &&
	    !atomic_load(&w->stop) && err != FY_EINVALID) {
		/* an engine that does not read zstd after all */
		log_debug("cache: the engine refused zstd: %s", err_msg());
		err = restore_via_host(cj, ctx, d, hit, w);
	}
	return err;
}

static int do_fetch(struct cache_job *cj, const struct cache_ctx *ctx,
		    struct docker *d, const struct watch *w)
{
	const char *ext = cache_format_ext(push_format(cj, d));
	struct cache_hit hit = CACHE_HIT_INIT;
	char *key = NULL;
	bool found = false;
	int err;

	ctx->say(ctx->payload, "attempting to download cache archive\n");
	err = open_store(cj);
	if (err < 0) {
		warn(ctx, "%s", err_msg());
		ctx->say(ctx->payload, "could not download cache\n");
		return 0;
	}
	for (size_t i = 0; !found && i < cj->groups.n; i++) {
		free(key);
		key = cache_key(cj->repo, cj->groups.v[i], cj->name);
		ctx->say(ctx->payload, "fetching %s/%s.%s\n", cj->groups.v[i],
			 cj->name, ext);
		err = cache_store_find(cj->store, key, cj->tmp, &hit, &w->stop);
		if (!err) {
			found = true;
		} else if (atomic_load(&w->stop)) {
			goto out;
		} else if (err != FY_ENOTFOUND) {
			warn(ctx, "cannot use the cache of %s: %s",
			     cj->groups.v[i], err_msg());
		}
	}
	err = 0;
	if (!found) {
		ctx->say(ctx->payload, "could not download cache\n");
		goto out;
	}
	ctx->say(ctx->payload, "found cache\n");
	err = restore(cj, ctx, d, &hit, w);
	if (err < 0) {
		if (atomic_load(&w->stop))
			goto out;
		warn(ctx,
		     "the cache archive cannot be used: %s; going on "
		     "without it",
		     err_msg());
		err = 0;
		goto out;
	}
	cj->fetched = true;
	cj->content = hit.meta.content;
	buf_reset(&cj->sums);
	buf_add(&cj->sums, hit.sums.ptr, hit.sums.len);
	if (cache_store_touch(cj->store, key) < 0)
		log_debug("cache: %s", err_msg());
out:
	cache_hit_release(&hit);
	free(key);
	return err;
}

/* "/a/./b/../c/" -> "/a/c"; NULL for a relative path or "/". */
static char *clean_path(const char *p)
{
	struct svec parts = SVEC_INIT, keep = SVEC_INIT;
	char *joined, *out = NULL;

	if (*p != '/')
		return NULL;
	svec_split(&parts, p, "/", true);
	for (size_t i = 0; i < parts.n; i++) {
		if (!strcmp(parts.v[i], "."))
			continue;
		if (!strcmp(parts.v[i], "..")) {
			if (keep.n)
				svec_pop(&keep);
			continue;
		}
		svec_push(&keep, parts.v[i]);
	}
	if (keep.n) {
		joined = svec_join(&keep, "/");
		out = xasprintf("/%s", joined);
		free(joined);
	}
	svec_release(&parts);
	svec_release(&keep);
	return out;
}

/* Whether `p` or a directory above it was added already. */
static bool covered(const struct svec *paths, const char *p)
{
	for (size_t i = 0; i < paths->n; i++) {
		size_t n = strlen(paths->v[i]);

		if (!strncmp(p, paths->v[i], n) && (!p[n] || p[n] == '/'))
			return true;
	}
	return false;
}

/* Read a file of the container's ~/.ferry (hand-off arguments). */
static int read_ferry_file(const struct cache_job *cj,
			   const struct cache_ctx *ctx, struct docker *d,
			   const char *name, struct buf *out)
{
	char *dir = fs_join(cj->tmp, "in"), *path = NULL, *local = NULL;
	int err;

	fs_rm_rf(dir);
	path = xasprintf("%s/.ferry/%s", ctx->home, name);
	err = docker_archive_get(d, ctx->container, path, dir);
	if (!err) {
		local = fs_join(dir, name);
		buf_set_limit(out, PATHS_MAX);
		err = fs_read_file(out, local);
	}
	fs_rm_rf(dir);
	free(dir);
	free(path);
	free(local);
	return err;
}

/*
 * Record the directories of a `ferry_cache_add` (restored already, with
 * the whole archive, at the fetch).
 */
static int do_add(struct cache_job *cj, const struct cache_ctx *ctx,
		  struct docker *d, const char *arg)
{
	struct buf list = BUF_INIT;
	int err;

	/* "list:" paths joined by \x1f, or "file:" NAME of ~/.ferry */
	if (!strncmp(arg, "list:", 5)) {
		buf_addstr(&list, arg + 5);
		for (size_t i = 0; i < list.len; i++)
			if (list.ptr[i] == '\x1f')
				list.ptr[i] = '\0';
		err = 0;
	} else if (!strncmp(arg, "file:", 5) && arg[5] && arg[5] != '.' &&
		   !strchr(arg + 5, '/')) {
		log_debug("cache: the paths are in '%s'", arg + 5);
		err = read_ferry_file(cj, ctx, d, arg + 5, &list);
	} else {
		return err_set(FY_EINVALID, "bad cache-add argument '%s'", arg);
	}
	for (size_t i = 0; !err && i < list.len;) {
		const char *p = list.ptr + i;
		char *clean;

		i += strnlen(p, list.len - i) + 1;
		clean = clean_path(p);
		if (clean && !covered(&cj->paths, clean))
			svec_push(&cj->paths, clean);
		free(clean);
	}
	buf_release(&list);
	return err;
}

/* Writing the new archive: to a file, with its size and SHA-256. */
struct hashed_write {
	int fd;
	struct crypto_hash *h;
	uint64_t size;
	const struct watch *w;
};

static int hashed_push(const void *data, size_t len, void *payload)
{
	struct hashed_write *hw = payload;

	if (atomic_load(&hw->w->stop))
		return stopped(hw->w);
	crypto_hash_update(hw->h, data, len);
	hw->size += len;
	return fs_write_all(hw->fd, data, len);
}

/* Pack the trees copied out of the container into `path`. */
static int pack_push(struct cache_job *cj, enum tarball_format format,
		     const struct svec *hosts, const struct svec *paths,
		     const char *path, struct cache_meta *m,
		     const struct watch *w)
{
	struct tarball_opts o = TARBALL_OPTS_INIT;
	struct tarball_pack *p = NULL;
	struct hashed_write hw = { -1, NULL, 0, w };
	unsigned char digest[CRYPTO_MAX_DIGEST];
	int err;

	o.format = format;
	o.level = cj->conf.level;
	if (!o.level && format == TARBALL_TAR_GZ)
		o.level = 1; /* fast: caches are often compressed already */
	o.uid = o.gid = 0;
	hw.fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (hw.fd < 0)
		return err_errno("cannot write '%s'", path);
	hw.h = crypto_hash_new(CRYPTO_SHA256);
	err = tarball_pack_new(&p, &o);
	for (size_t i = 0; !err && i < hosts->n; i++)
		err = tarball_pack_add(p, hosts->v[i], paths->v[i] + 1);
	if (!err)
		err = tarball_pack_write(p, hashed_push, &hw);
	if (!err && fsync(hw.fd) < 0)
		err = err_errno("cannot write '%s'", path);
	if (close(hw.fd) < 0 && !err)
		err = err_errno("cannot write '%s'", path);
	if (!err) {
		crypto_hash_final(hw.h, digest);
		crypto_hex(m->sha256, digest, 32);
		m->size = hw.size;
		m->format = o.format;
	}
	crypto_hash_free(hw.h);
	tarball_pack_free(p);
	return err;
}

static void say_changes(const struct cache_job *cj, const struct cache_ctx *ctx,
			const struct buf *now)
{
	struct buf list = BUF_INIT;
	bool more;

	cache_manifest_diff(&list, cj->sums.ptr, cj->sums.len, now->ptr,
			    now->len, DIFF_SHOWN);
	more = list.len >= 4 && !strcmp(list.ptr + list.len - 4, "\n...");
	if (more)
		buf_setlen(&list, list.len - 4);
	ctx->say(ctx->payload,
		 "change detected (content changed, file is created, or file "
		 "is deleted):\n%s\n\n%s",
		 list.ptr, more ? "...\n\n" : "\n");
	buf_release(&list);
}

/* Copy the added directories out and take their checksums. */
static int copy_out(struct cache_job *cj, const struct cache_ctx *ctx,
		    struct docker *d, const char *dir, struct svec *hosts,
		    struct svec *paths, struct buf *sums, uint64_t *bytes,
		    const struct watch *w)
{
	int err = 0;

	for (size_t i = 0; !err && i < cj->paths.n; i++) {
		const char *p = cj->paths.v[i];
		char *sub = xasprintf("%s/%zu", dir, i), *host;

		err = docker_archive_get(d, ctx->container, p, sub);
		/* a failed copy on a full filesystem: say so */
		if (err != FY_ENOTFOUND && check_room(sub) < 0)
			err = FY_EFAIL;
		if (err == FY_ENOTFOUND) {
			/* gone (before_cache may remove things) */
			log_debug("cache: '%s' is not in the container", p);
			free(sub);
			err = 0;
			continue;
		}
		host = fs_join(sub, fs_basename(p));
		free(sub);
		if (!err)
			err = cache_manifest(sums, host, p, bytes, &w->stop);
		if (!err) {
			svec_push(hosts, host);
			svec_push(paths, p);
		}
		free(host);
	}
	if (!err)
		cache_manifest_sort(sums);
	return err;
}

static int do_push(struct cache_job *cj, const struct cache_ctx *ctx,
		   struct docker *d, const struct watch *w)
{
	const char *group = cj->groups.v[0];
	enum tarball_format format = push_format(cj, d);
	const char *ext = cache_format_ext(format);
	struct cache_meta m = CACHE_META_INIT;
	struct svec hosts = SVEC_INIT, paths = SVEC_INIT;
	struct buf sums = BUF_INIT;
	char *dir = NULL, *key = NULL, *archive = NULL;
	bool in_memory = false;
	size_t evicted = 0;
	int err;

	/* about the size of what was fetched, if anything was */
	if (cj->fetched)
		dir = mem_dir(cj, cj->content, count_lines(&cj->sums));
	in_memory = dir != NULL;
	if (!dir) {
		dir = fs_join(cj->tmp, "push");
		fs_rm_rf(dir);
	}
	buf_set_limit(&sums, SUMS_MAX);
	err = copy_out(cj, ctx, d, dir, &hosts, &paths, &sums, &m.content, w);
	if (err < 0 && in_memory && !atomic_load(&w->stop)) {
		/* grown past the room in memory: again, on the disk */
		log_debug("cache: in memory: %s", err_msg());
		drop_tree(&dir, in_memory);
		in_memory = false;
		dir = fs_join(cj->tmp, "push");
		fs_rm_rf(dir);
		svec_release(&hosts);
		svec_release(&paths);
		buf_reset(&sums);
		m.content = 0;
		err = copy_out(cj, ctx, d, dir, &hosts, &paths, &sums,
			       &m.content, w);
	}
	if (err < 0)
		goto out;
	if (cj->fetched && sums.len == cj->sums.len &&
	    !memcmp(sums.ptr, cj->sums.ptr, sums.len)) {
		ctx->say(ctx->payload, "nothing changed, not updating cache\n");
		goto out;
	}
	if (cj->fetched)
		say_changes(cj, ctx, &sums);
	ctx->say(ctx->payload, "changes detected, packing new archive\n");
	err = open_store(cj);
	key = cache_key(cj->repo, group, cj->name);
	if (!err)
		err = cache_store_begin(cj->store, key, cj->tmp, &archive);
	if (!err)
		err = pack_push(cj, format, &hosts, &paths, archive, &m, w);
	if (err < 0)
		goto out;
	if ((cj->conf.repo_quota && m.size > cj->conf.repo_quota) ||
	    (cj->conf.quota && m.size > cj->conf.quota)) {
		warn(ctx,
		     "the cache archive (%llu MiB) is larger than the cache "
		     "quota; not storing it",
		     (unsigned long long)(m.size >> 20));
		goto out;
	}
	for (size_t i = 0; i < paths.n; i++)
		svec_push(&m.paths, paths.v[i]);
	m.created = time(NULL);
	ctx->say(ctx->payload, "uploading %s/%s.%s\n", group, cj->name, ext);
	err = cache_store_commit(cj->store, key, archive, &m, &sums, &w->stop);
	if (err < 0) {
		if (!atomic_load(&w->stop))
			ctx->say(ctx->payload, "failed to upload cache\n");
		goto out;
	}
	free(archive);
	archive = NULL;
	ctx->say(ctx->payload, "cache uploaded\n");
	if (cache_store_enforce(cj->store, &cj->conf, cj->repo, key, &evicted) <
	    0)
		log_warn("cache: quota: %s", err_msg());
	else if (evicted)
		log_info("cache: %zu least recently used caches removed to "
			 "stay within the quota",
			 evicted);
out:
	if (archive && cj->store)
		cache_store_abort(cj->store, archive);
	free(archive);
	drop_tree(&dir, in_memory);
	free(key);
	cache_meta_release(&m);
	svec_release(&hosts);
	svec_release(&paths);
	buf_release(&sums);
	return err;
}

int cache_handoff(struct cache_job **state, const struct cache_ctx *ctx,
		  const char *verb, const char *arg)
{
	struct cache_job *cj;
	struct watch w;
	const char *what;
	int err;

	if (strcmp(verb, "cache-fetch") && strcmp(verb, "cache-add") &&
	    strcmp(verb, "cache-push"))
		return 1;
	if (!*state)
		*state = job_new(ctx);
	cj = *state;
	if (cj->disabled)
		return 0;
	what = verb + 6;
	watch_start(&w, cj->timeout, ctx->spec->cancel);
	/* one connection for the job's hand-offs */
	err = cj->docker ? 0 : docker_open(&cj->docker, NULL);
	if (!err)
		docker_set_cancel(cj->docker, &w.stop);
	if (!err && !strcmp(what, "fetch"))
		err = do_fetch(cj, ctx, cj->docker, &w);
	else if (!err && !strcmp(what, "add"))
		err = do_add(cj, ctx, cj->docker, arg);
	else if (!err)
		err = do_push(cj, ctx, cj->docker, &w);
	watch_end(&w);
	if (cj->docker)
		docker_set_cancel(cj->docker, NULL);
	if (atomic_load(&w.stop)) {
		/* a transfer cut short: a fresh connection next time */
		docker_close(cj->docker);
		cj->docker = NULL;
	}
	if (atomic_load(&w.timed_out))
		warn(ctx,
		     "running `cache %s` took longer than %ld seconds and has "
		     "been aborted",
		     what, cj->timeout);
	else if (err < 0 && !atomic_load(&w.stop))
		warn(ctx, "cache %s: %s", what, err_msg());
	if (err < 0 && !strcmp(what, "fetch"))
		cj->fetched = false; /* half a restore is no cache */
	return 0;
}
