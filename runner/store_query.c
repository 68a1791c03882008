/*
 * store_query.c: what the server's API and web UI read from the store
 * (repositories, builds, jobs, requests, badges, counts) and the outbox
 * of GitHub commit statuses.
 */
#include "compat.h"

#include "error.h"
#include "store.h"
#include "store_int.h"
#include "val.h"
#include "xalloc.h"

/* ---- queries ---------------------------------------------------------------- */

int store_repos(struct store *s, struct val **out)
{
	int err;

	store_lock(s);
	err = store_rows(
		s, out,
		"SELECT r.slug, r.created_at, b.id AS last_build_id, "
		"b.number AS last_build_number, b.state AS "
		"last_build_state, b.branch AS last_build_branch, "
		"b.event AS last_build_event, b.finished_at AS "
		"last_build_finished_at FROM repos r LEFT JOIN builds b "
		"ON b.id = (SELECT max(id) FROM builds "
		"WHERE repo_id = r.id) ORDER BY r.slug",
		NULL);
	store_unlock(s);
	return err;
}

int store_builds(struct store *s, const char *slug, const char *branch,
		 long limit, int64_t before, struct val **out)
{
	int err;

	store_lock(s);
	err = store_rows(
		s, out,
		"SELECT " BUILD_COLS " FROM builds b JOIN repos r "
		"ON r.id = b.repo_id WHERE r.slug = ?1 AND "
		"(?2 IS NULL OR b.branch = ?2) AND (?3 = 0 OR b.id < ?3) "
		"ORDER BY b.id DESC LIMIT ?4",
		"ttii", slug, branch, before, (int64_t)limit);
	store_unlock(s);
	return err;
}

int store_build(struct store *s, int64_t id, struct val **out)
{
	struct val *b = NULL, *jobs = NULL;
	int err;

	store_lock(s);
	err = store_row(s, &b,
			"SELECT " BUILD_COLS " FROM builds b JOIN repos r "
			"ON r.id = b.repo_id WHERE b.id = ?",
			"i", id);
	if (!err)
		err = store_rows(s, &jobs,
				 "SELECT " JOB_COLS
				 " FROM jobs j WHERE build_id = ? "
				 "ORDER BY position",
				 "i", id);
	store_unlock(s);
	if (err < 0) {
		val_free(b);
		return err;
	}
	val_map_set(b, "jobs", jobs);
	*out = b;
	return 0;
}

int store_job(struct store *s, int64_t id, struct val **out)
{
	struct val *j = NULL, *b = NULL;
	int err;

	store_lock(s);
	err = store_row(s, &j, "SELECT " JOB_COLS " FROM jobs j WHERE id = ?",
			"i", id);
	if (!err)
		err = store_row(
			s, &b,
			"SELECT " BUILD_COLS " FROM builds b JOIN repos r "
			"ON r.id = b.repo_id WHERE b.id = ?",
			"i",
			(int64_t)strtoll(store_text(j, "build_id"), NULL, 10));
	store_unlock(s);
	if (err < 0) {
		val_free(j);
		return err;
	}
	val_map_set(j, "build", b);
	*out = j;
	return 0;
}

int store_requests(struct store *s, const char *slug, long limit,
		   struct val **out)
{
	int err;

	store_lock(s);
	err = store_rows(
		s, out,
		"SELECT q.id, r.slug, q.delivery, q.event, q.state, "
		"q.reason, q.build_id, q.created_at FROM requests q "
		"JOIN repos r ON r.id = q.repo_id WHERE "
		"(?1 IS NULL OR r.slug = ?1) ORDER BY q.id DESC LIMIT ?2",
		"ti", slug, (int64_t)limit);
	store_unlock(s);
	return err;
}

int store_badge(struct store *s, const char *slug, const char *branch,
		char **state)
{
	struct val *b = NULL;
	int err;

	store_lock(s);
	err = store_row(
		s, &b,
		"SELECT b.state FROM builds b JOIN repos r ON "
		"r.id = b.repo_id WHERE r.slug = ?1 AND b.event = 'push' "
		"AND (?2 IS NULL OR b.branch = ?2) AND b.state IN "
		"('passed', 'failed', 'errored', 'canceled') "
		"ORDER BY b.id DESC LIMIT 1",
		"tt", slug, branch);
	store_unlock(s);
	if (!err)
		*state = xstrdup(store_text(b, "state"));
	val_free(b);
	return err;
}

int store_counts(struct store *s, long *queued, long *running)
{
	int64_t q = 0, r = 0;
	int err;

	store_lock(s);
	err = store_scalar(s, &q,
			   "SELECT count(*) FROM jobs WHERE state = 'queued'",
			   NULL);
	if (!err)
		err = store_scalar(
			s, &r,
			"SELECT count(*) FROM jobs WHERE state = 'started'",
			NULL);
	store_unlock(s);
	*queued = (long)q;
	*running = (long)r;
	return err;
}

int store_ping(struct store *s)
{
	int64_t v = 0;
	int err;

	store_lock(s);
	err = store_scalar(s, &v, "SELECT max(version) FROM schema_version",
			   NULL);
	store_unlock(s);
	return err;
}

/* ---- the status outbox ------------------------------------------------------ */

int store_status_next(struct store *s, int64_t now, struct val **out,
		      long *wait)
{
	int64_t next = -1;
	int err;

	*wait = -1;
	store_lock(s);
	err = store_row(
		s, out,
		"SELECT t.id, t.build_id, t.state, t.attempts, t.next_at, "
		"r.slug, b.status_sha, b.event, b.pr FROM statuses t "
		"JOIN builds b ON b.id = t.build_id JOIN repos r ON "
		"r.id = b.repo_id WHERE t.sent = 0 AND NOT EXISTS "
		"(SELECT 1 FROM statuses p WHERE p.sent = 0 AND "
		"p.build_id = t.build_id AND p.id < t.id) AND "
		"t.next_at <= ? ORDER BY t.id LIMIT 1",
		"i", now);
	if (err == FY_ENOTFOUND &&
	    !store_scalar(s, &next,
			  "SELECT coalesce(min(next_at), -1) FROM statuses "
			  "WHERE sent = 0",
			  NULL) &&
	    next >= 0)
		*wait = next > now ? (long)(next - now) : 0;
	store_unlock(s);
	return err;
}

int store_status_done(struct store *s, int64_t id, const char *error)
{
	int err;

	store_lock(s);
	err = store_run(
		s, NULL,
		"UPDATE statuses SET sent = 1, attempts = attempts + 1, "
		"error = ? WHERE id = ?",
		"ti", error, id);
	store_unlock(s);
	return err;
}

int store_status_retry(struct store *s, int64_t id, int64_t next_at,
		       const char *error)
{
	int err;

	store_lock(s);
	err = store_run(
		s, NULL,
		"UPDATE statuses SET attempts = attempts + 1, next_at = ?, "
		"error = ? WHERE id = ?",
		"iti", next_at, error, id);
	store_unlock(s);
	return err;
}

int store_status_pending(struct store *s, long *n)
{
	int64_t v = 0;
	int err;

	store_lock(s);
	err = store_scalar(
		s, &v, "SELECT count(*) FROM statuses WHERE sent = 0", NULL);
	store_unlock(s);
	*n = (long)v;
	return err;
}
