/*
 * store_job.c: jobs in the server's store: a worker claims a queued job
 * and reports its result; a job is canceled or restarted; jobs that were
 * running when the server stopped are recovered.
 */
#include "compat.h"

#include "error.h"
#include "store.h"
#include "store_int.h"
#include "svec.h"
#include "val.h"

int store_job_claim(struct store *s, struct val **job, struct val **build)
{
	struct val *j = NULL, *b = NULL;
	int64_t id = 0, bid = 0;
	int err;

	err = store_begin(s);
	if (!err)
		err = store_scalar(s, &id,
				   "SELECT id FROM jobs WHERE state = 'queued' "
				   "ORDER BY id LIMIT 1",
				   NULL);
	if (!err)
		err = store_run(
			s, NULL,
			"UPDATE jobs SET state = 'started', reason = NULL, "
			"started_at = " NOW ", finished_at = NULL "
			"WHERE id = ?",
			"i", id);
	if (!err)
		err = store_row(s, &j,
				"SELECT " JOB_COLS " FROM jobs j WHERE id = ?",
				"i", id);
	if (!err) {
		bid = strtoll(store_text(j, "build_id"), NULL, 10);
		err = store_advance(s, bid);
	}
	if (!err)
		err = store_row(s, &b,
				"SELECT b.*, r.slug FROM builds b JOIN repos r "
				"ON r.id = b.repo_id WHERE b.id = ?",
				"i", bid);
	err = store_finish(s, err);
	if (err < 0) {
		val_free(j);
		val_free(b);
		return err;
	}
	*job = j;
	*build = b;
	return 0;
}

int store_job_finish(struct store *s, int64_t job_id, const char *state,
		     int exit_code, double seconds, const char *reason)
{
	int64_t bid = 0;
	int err;

	err = store_begin(s);
	if (!err)
		err = store_scalar(s, &bid,
				   "SELECT build_id FROM jobs WHERE id = ?",
				   "i", job_id);
	if (!err && !strcmp(state, "queued"))
		err = store_run(
			s, NULL,
			"UPDATE jobs SET state = 'queued', reason = ?, "
			"started_at = NULL WHERE id = ? AND state = 'started'",
			"ti", reason, job_id);
	else if (!err)
		err = store_run(s, NULL,
				"UPDATE jobs SET state = ?, exit_code = ?, "
				"duration = ?, reason = ?, finished_at = " NOW
				" WHERE id = ? AND state = 'started'",
				"tidti", state, (int64_t)exit_code, seconds,
				reason, job_id);
	if (!err)
		err = store_advance(s, bid);
	return store_finish(s, err);
}

int store_job_cancel(struct store *s, int64_t job_id, const char *reason,
		     bool *running)
{
	struct val *j = NULL;
	const char *st;
	int err;

	*running = false;
	err = store_begin(s);
	if (!err)
		err = store_row(s, &j,
				"SELECT build_id, state FROM jobs WHERE id = ?",
				"i", job_id);
	if (err < 0)
		goto out;
	st = store_text(j, "state");
	if (store_is_final(st)) {
		err = err_set(FY_EINVALID, "job %lld is finished already",
			      (long long)job_id);
	} else if (!strcmp(st, "started")) {
		*running = true;
	} else {
		err = store_run(
			s, NULL,
			"UPDATE jobs SET state = 'canceled', reason = ?, "
			"finished_at = " NOW " WHERE id = ?",
			"ti", reason, job_id);
		if (!err)
			err = store_advance(
				s,
				strtoll(store_text(j, "build_id"), NULL, 10));
	}
out:
	val_free(j);
	return store_finish(s, err);
}

int store_job_restart(struct store *s, int64_t job_id)
{
	struct val *j = NULL;
	int64_t bid = 0;
	long changes = 0;
	int err;

	err = store_begin(s);
	if (!err)
		err = store_row(
			s, &j,
			"SELECT j.build_id, j.state, b.state AS build_state "
			"FROM jobs j JOIN builds b ON b.id = j.build_id "
			"WHERE j.id = ?",
			"i", job_id);
	if (err < 0)
		goto out;
	bid = strtoll(store_text(j, "build_id"), NULL, 10);
	if (!store_is_final(store_text(j, "state"))) {
		err = err_set(FY_EINVALID, "job %lld is not finished",
			      (long long)job_id);
		goto out;
	}
	err = store_run(s, NULL,
			"UPDATE jobs SET state = 'queued', reason = NULL, "
			"exit_code = NULL, duration = NULL, queued_at = " NOW
			", started_at = NULL, finished_at = NULL, "
			"attempt = attempt + 1 WHERE id = ?",
			"i", job_id);
	if (!err)
		err = store_run(
			s, &changes,
			"UPDATE builds SET state = 'started', finished_at = "
			"NULL WHERE id = ? AND state IN ('passed', "
			"'failed', 'errored', 'canceled')",
			"i", bid);
	if (!err && changes)
		err = store_run(s, NULL,
				"INSERT INTO statuses(build_id, state) "
				"VALUES (?, 'created')",
				"i", bid);
	if (!err)
		err = store_advance(s, bid);
out:
	val_free(j);
	return store_finish(s, err);
}

int store_recover(struct store *s, const char *reason, struct svec *jobs)
{
	struct val *started = NULL;
	int err;

	err = store_begin(s);
	if (!err)
		err = store_rows(s, &started,
				 "SELECT id, build_id FROM jobs "
				 "WHERE state = 'started'",
				 NULL);
	for (size_t i = 0; !err && i < started->seq.n; i++) {
		const struct val *j = started->seq.v[i];

		err = store_run(
			s, NULL,
			"UPDATE jobs SET state = 'errored', reason = ?, "
			"finished_at = " NOW " WHERE id = ?",
			"ti", reason,
			(int64_t)strtoll(store_text(j, "id"), NULL, 10));
		if (!err)
			err = store_advance(
				s,
				strtoll(store_text(j, "build_id"), NULL, 10));
	}
	for (size_t i = 0; !err && i < started->seq.n; i++)
		svec_push(jobs, store_text(started->seq.v[i], "id"));
	val_free(started);
	return store_finish(s, err);
}
