#ifndef FY_STORE_INT_H
#define FY_STORE_INT_H

#include "compat.h"

struct store;
struct val;

/*
 * store_int.h: private to runner/store*.c.  store.c owns the SQLite
 * connection and gives the rest these helpers; store_state.c moves a
 * build on when its jobs change; store_build.c has deliveries, requests
 * and builds, store_job.c jobs, store_query.c the reads and the status
 * outbox.
 *
 * Statements: `types` describes the arguments after it, one character
 * each: 'i' an int64_t, 't' a string (NULL binds NULL), 'd' a double,
 * 'j' a val tree stored as JSON.  Rows come back as val maps (store.h).
 */

/* The current time as SQL, in the form the store keeps times. */
#define NOW "strftime('%Y-%m-%dT%H:%M:%SZ','now')"

/* Columns of a build the API shows (not its paths and URLs). */
#define BUILD_COLS                                                          \
	"b.id, r.slug, b.number, b.state, b.event, b.branch, b.tag, b.pr, " \
	"b.commit_sha, b.status_sha, b.message, b.author, b.commit_range, " \
	"b.pr_branch, b.pr_sha, b.pr_slug, b.head_slug, b.sender, b.fork, " \
	"b.fast_finish, b.attempt, b.created_at, b.started_at, "            \
	"b.finished_at, b.request_id"
#define JOB_COLS                                                             \
	"j.id, j.build_id, j.number, j.position, j.stage, j.allow_failure, " \
	"j.name, j.config_json, j.state, j.reason, j.exit_code, "            \
	"j.duration, j.attempt, j.queued_at, j.started_at, j.finished_at"

/* Run a statement that returns no rows; *changes (may be NULL). */
int store_run(struct store *s, long *changes, const char *sql,
	      const char *types, ...);
/* All rows as a seq of maps. */
int store_rows(struct store *s, struct val **out, const char *sql,
	       const char *types, ...);
/* The first row as a map; FY_ENOTFOUND when there is none. */
int store_row(struct store *s, struct val **out, const char *sql,
	      const char *types, ...);
/* The first column of the first row as an integer (0 when NULL). */
int store_scalar(struct store *s, int64_t *out, const char *sql,
		 const char *types, ...);
/* The rowid of the last row inserted. */
int64_t store_last_rowid(struct store *s);

/* Take and release the connection's lock, for reads. */
void store_lock(struct store *s);
void store_unlock(struct store *s);
/* BEGIN IMMEDIATE under the lock; end with store_finish(). */
int store_begin(struct store *s);
/* COMMIT when `err` is 0, else ROLLBACK keeping err's message; unlock. */
int store_finish(struct store *s, int err);

/* The text of `key` in row `m`. */
const char *store_text(const struct val *m, const char *key);

/* Whether a job or build state is final (passed, failed, errored...). */
bool store_is_final(const char *state);
/* Move build `id` on after a change to its jobs (inside a transaction). */
int store_advance(struct store *s, int64_t id);

#endif
