#ifndef FY_STORE_H
#define FY_STORE_H

#include "compat.h"

struct svec;
struct val;

/*
 * store: the state of `ferry serve` in one SQLite database (runner/store.c
 * is the only file that includes <sqlite3.h>): repositories, webhook
 * deliveries, build requests, builds, jobs with their states and times,
 * and the outbox of GitHub commit statuses.  Job logs are files, not
 * rows (the server keeps them next to the database).
 *
 * Durability.  The database is in WAL mode with synchronous=FULL, and
 * every change that spans rows is one transaction, so a crash (kill -9,
 * power loss) leaves it as it was after the last completed call: a
 * delivery is recorded together with the request it created, a build
 * together with its jobs and its first status, a job's result together
 * with the stage and build states it implies and the status it sends.
 *
 * Schema.  The table `schema_version` holds the version; store_open()
 * applies every migration above it, each in its own transaction, and
 * refuses a database newer than this ferry.
 *
 * States.  Builds: created, started, passed, failed, errored, canceled.
 * Jobs: created (waiting for an earlier stage), queued, started, passed,
 * failed, errored, canceled.  Requests: pending, built, rejected,
 * errored.  The build state follows Travis (spec 5.3): only jobs without
 * allow_failure count; canceled if one of them was canceled, else
 * errored, else failed, else passed; with fast_finish the build is
 * finished as soon as its required jobs are.  When a stage ends in a
 * state other than passed, the jobs of later stages are canceled.
 *
 * Threads.  One connection guarded by a mutex: any thread may call any
 * function.  Rows come back as val maps (column name -> value; columns
 * named *_json come back parsed, without the suffix), which the JSON API
 * prints as they are.
 *
 * Errors: FY_ENOTFOUND for a missing row, FY_EINVALID for a change the
 * current state forbids (restarting a running build), FY_EFAIL with
 * SQLite's message otherwise.  Ownership: arguments are borrowed; trees
 * returned through `out` belong to the caller (val_free).
 */
struct store;

int store_open(struct store **out, const char *path);
void store_close(struct store *s);

/* ---- webhooks ------------------------------------------------------------ */

/*
 * Record delivery `guid` (event, repository, what was done with it) and,
 * when `request` is not NULL, a pending build request with that data, in
 * one transaction.  *dup is set (and nothing recorded) when the delivery
 * is known already.  *request_id gets the new request's id (0 if none).
 */
int store_delivery_add(struct store *s, const char *guid, const char *event,
		       const char *slug, const char *outcome,
		       const struct val *request, int64_t *request_id,
		       bool *dup);

/* The oldest pending request: {id, slug, event, data}; FY_ENOTFOUND. */
int store_request_next(struct store *s, struct val **out);
/* A request that makes no build ("rejected" or "errored", with why). */
int store_request_close(struct store *s, int64_t id, const char *state,
			const char *reason);

/*
 * A new build from request `request_id`: `build` holds the build's
 * columns (slug, clone_url, event, branch, tag, pr, commit_sha,
 * status_sha, message, author, range, pr_branch, pr_sha, pr_slug,
 * head_slug, sender, fork, gitdir, url, default_branch), `plan` is
 * matrix_plan()'s result.  Jobs of the first stage are queued, the
 * others wait; the request is marked built; a status is queued.  With
 * `auto_cancel`, older unfinished builds of the same branch (pushes) or
 * pull request are canceled and the ids of their running jobs are added
 * to `running` (the caller raises their cancel flags).
 */
int store_build_create(struct store *s, int64_t request_id,
		       const struct val *build, const struct val *plan,
		       bool auto_cancel, int64_t *build_id,
		       struct svec *running);

/* ---- jobs ------------------------------------------------------------------ */

/*
 * Take the oldest queued job and mark it started.  *job gets the job row
 * ({id, build_id, number, stage, allow_failure, config, ...}) and *build
 * its build's row.  FY_ENOTFOUND when nothing is queued.
 */
int store_job_claim(struct store *s, struct val **job, struct val **build);
/*
 * Record the result of a started job (passed, failed, errored,
 * canceled; or queued: back in the queue, as at a graceful shutdown),
 * then move its build on: the next stage, cancellations, the build's
 * state and its status.
 */
int store_job_finish(struct store *s, int64_t job_id, const char *state,
		     int exit_code, double seconds, const char *reason);

/* Cancel a build's unfinished jobs; running ones are added to `running`. */
int store_build_cancel(struct store *s, int64_t build_id, const char *reason,
		       struct svec *running);
/* Cancel one job; *running is set when it is running (raise its flag). */
int store_job_cancel(struct store *s, int64_t job_id, const char *reason,
		     bool *running);
/* Run a finished build (every job) or a finished job again. */
int store_build_restart(struct store *s, int64_t build_id);
int store_job_restart(struct store *s, int64_t job_id);

/*
 * After a crash: every job left "started" becomes errored with `reason`,
 * and its build moves on.  Their ids are added to `jobs`.
 */
int store_recover(struct store *s, const char *reason, struct svec *jobs);

/* ---- queries (the API) ------------------------------------------------------ */

int store_repos(struct store *s, struct val **out);
/* Builds of `slug`, newest first, at most `limit`, ids below `before`
 * (0: no bound), only `branch` when not NULL. */
int store_builds(struct store *s, const char *slug, const char *branch,
		 long limit, int64_t before, struct val **out);
/* A build with its "jobs". */
int store_build(struct store *s, int64_t id, struct val **out);
int store_job(struct store *s, int64_t id, struct val **out);
/* Requests of `slug` (NULL: all), newest first. */
int store_requests(struct store *s, const char *slug, long limit,
		   struct val **out);
/* State of the latest finished push build of `branch` (NULL: the
 * latest of any branch); FY_ENOTFOUND when there is none. */
int store_badge(struct store *s, const char *slug, const char *branch,
		char **state);
/* Jobs queued and started. */
int store_counts(struct store *s, long *queued, long *running);
/* Cheap query that fails when the database is unusable (healthz). */
int store_ping(struct store *s);

/* ---- the status outbox ------------------------------------------------------ */

/*
 * The next status to send: the oldest unsent one whose build has no
 * older unsent status (so they reach GitHub in order) and whose retry
 * time (unix seconds) has come: {id, build_id, state, attempts, slug,
 * status_sha, event, pr}.  FY_ENOTFOUND when none is due; *wait then
 * gets the seconds until the next one is (-1: none).
 */
int store_status_next(struct store *s, int64_t now, struct val **out,
		      long *wait);
/* Sent (or given up: `error` says why). */
int store_status_done(struct store *s, int64_t id, const char *error);
/* Try again at `next_at`. */
int store_status_retry(struct store *s, int64_t id, int64_t next_at,
		       const char *error);
/* Statuses not sent yet. */
int store_status_pending(struct store *s, long *n);

#endif
