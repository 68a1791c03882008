#ifndef FY_CACHE_JOB_INT_H
#define FY_CACHE_JOB_INT_H

/*
 * cache_job_int.h: private to lifecycle/cache_job*.c.  cache_job.c has a
 * job's cache state, the time limit of a hand-off, the trees copied to
 * this host and the dispatch of cache_handoff(); cache_job_fetch.c finds,
 * checks and restores an archive; cache_job_push.c records the added
 * directories, copies them out and stores a new archive.
 */

#include "compat.h"

#include <pthread.h>
#include <time.h>

#include "buf.h"
#include "cache.h"
#include "svec.h"
#include "tarball.h"

struct docker;

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

int cache_job_stopped(const struct watch *w);

void cache_job_warn(const struct cache_ctx *ctx, const char *fmt, ...)
	PRINTFLIKE(2, 3);

/*
 * A directory in memory (conf.memory_dir, a tmpfs) for a tree of
 * `bytes` in `files` entries, when it has room for twice that; NULL
 * when it has not, or the size is not known: the disk scratch is used.
 * Creating many files is what copying a cache costs most on a disk
 * (inode allocation), and nothing of it needs to last.
 */
char *cache_job_mem_dir(const struct cache_job *cj, uint64_t bytes,
			size_t files);

/*
 * After an extraction into `dir` (failed or not): a filesystem left
 * without room means a file did not fit; the message says so.
 */
int cache_job_check_room(const char *dir);

/* The lines (entries) of a manifest. */
size_t cache_job_count_lines(const struct buf *b);

/* Remove a scratch tree now if it is in memory (else with the job's). */
void cache_job_drop_tree(char **dir, bool in_memory);

int cache_job_open_store(struct cache_job *cj);

/* Whether the engine extracts `f` itself from an archive upload. */
bool cache_job_engine_takes(struct docker *d, enum tarball_format f);

/* What a push writes: the configured format, or one the engine takes. */
enum tarball_format cache_job_push_format(const struct cache_job *cj,
					  struct docker *d);

int cache_job_fetch(struct cache_job *cj, const struct cache_ctx *ctx,
		    struct docker *d, const struct watch *w);

/*
 * Record the directories of a `ferry_cache_add` (restored already, with
 * the whole archive, at the fetch).
 */
int cache_job_add(struct cache_job *cj, const struct cache_ctx *ctx,
		  struct docker *d, const char *arg);

int cache_job_push(struct cache_job *cj, const struct cache_ctx *ctx,
		   struct docker *d, const struct watch *w);

#endif
