/*
 * cache_job.c: the build cache's hand-offs of a job (cache.h): the job's
 * cache state, the time limit of each hand-off (the job's cache timeout),
 * the trees copied to this host (a tmpfs when they fit, memory_dir, else
 * the scratch directory beside the store) and cache_handoff(), which
 * runs a fetch (cache_job_fetch.c) or an add or push (cache_job_push.c).
 */
#include "compat.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>

#include "buf.h"
#include "cache.h"
#include "cache_job_int.h"
#include "docker.h"
#include "error.h"
#include "fs.h"
#include "job.h"
#include "log.h"
#include "svec.h"
#include "tarball.h"
#include "val.h"
#include "xalloc.h"

#define YELLOW "\033[33;1m"
#define RESET  "\033[0m"

static const char *first_text(const struct val *v)
{
	if (v && v->type == VAL_SEQ)
		v = v->seq.n ? v->seq.v[0] : NULL;
	return v && v->type != VAL_SECURE ? val_text(v) : NULL;
}

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

int cache_job_stopped(const struct watch *w)
{
	return err_set(atomic_load(&w->timed_out) ? FY_ETIMEOUT : FY_ECANCELED,
		       "the cache operation was stopped");
}
void cache_job_warn(const struct cache_ctx *ctx, const char *fmt, ...)
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
char *cache_job_mem_dir(const struct cache_job *cj, uint64_t bytes,
			size_t files)
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
int cache_job_check_room(const char *dir)
{
	struct statvfs vf;

	if (statvfs(dir, &vf) < 0)
		return err_errno("cannot check the room left in '%s'", dir);
	if ((uint64_t)vf.f_bavail * vf.f_frsize < (1u << 20))
		return err_set(FY_EFAIL, "no space left in '%s'", dir);
	return 0;
}

/* The lines (entries) of a manifest. */
size_t cache_job_count_lines(const struct buf *b)
{
	size_t n = 0;

	for (size_t i = 0; i < b->len; i++)
		n += b->ptr[i] == '\n';
	return n;
}

/* Remove a scratch tree now if it is in memory (else with the job's). */
void cache_job_drop_tree(char **dir, bool in_memory)
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
		cache_job_warn(
			ctx,
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
		cache_job_warn(ctx, "cache: %s; going on without the cache",
			       err_msg());
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

int cache_job_open_store(struct cache_job *cj)
{
	if (cj->store)
		return 0;
	return cache_store_open(&cj->store, &cj->conf);
}

/* Whether the engine extracts `f` itself from an archive upload. */
bool cache_job_engine_takes(struct docker *d, enum tarball_format f)
{
	const char *v = docker_engine_version(d);

	if (f != TARBALL_TAR_ZST)
		return true; /* tar, tar.gz */
	/* zstd: moby's pkg/archive reads it since Docker 23 */
	return v && strtol(v, NULL, 10) >= 23;
}

/* What a push writes: the configured format, or one the engine takes. */
enum tarball_format cache_job_push_format(const struct cache_job *cj,
					  struct docker *d)
{
	if (!cj->conf.format_auto)
		return cj->conf.format;
	return cache_job_engine_takes(d, TARBALL_TAR_ZST) ? TARBALL_TAR_ZST
							  : TARBALL_TAR_GZ;
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
		err = cache_job_fetch(cj, ctx, cj->docker, &w);
	else if (!err && !strcmp(what, "add"))
		err = cache_job_add(cj, ctx, cj->docker, arg);
	else if (!err)
		err = cache_job_push(cj, ctx, cj->docker, &w);
	watch_end(&w);
	if (cj->docker)
		docker_set_cancel(cj->docker, NULL);
	if (atomic_load(&w.stop)) {
		/* a transfer cut short: a fresh connection next time */
		docker_close(cj->docker);
		cj->docker = NULL;
	}
	if (atomic_load(&w.timed_out))
		cache_job_warn(
			ctx,
			"running `cache %s` took longer than %ld seconds and has "
			"been aborted",
			what, cj->timeout);
	else if (err < 0 && !atomic_load(&w.stop))
		cache_job_warn(ctx, "cache %s: %s", what, err_msg());
	if (err < 0 && !strcmp(what, "fetch"))
		cj->fetched = false; /* half a restore is no cache */
	return 0;
}
