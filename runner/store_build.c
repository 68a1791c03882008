/*
 * store_build.c: webhook deliveries and build requests in the server's
 * store, and builds: creation from a plan (with its jobs and the
 * auto-cancellation of the builds it supersedes), cancel and restart.
 */
#include "compat.h"

#include "error.h"
#include "store.h"
#include "store_int.h"
#include "svec.h"
#include "val.h"
#include "xalloc.h"

/* ---- webhooks ------------------------------------------------------------ */

static int repo_id(struct store *s, const char *slug, int64_t *id)
{
	int err = store_run(s, NULL,
			    "INSERT OR IGNORE INTO repos(slug) VALUES (?)", "t",
			    slug);

	if (!err)
		err = store_scalar(s, id, "SELECT id FROM repos WHERE slug = ?",
				   "t", slug);
	return err;
}

int store_delivery_add(struct store *s, const char *guid, const char *event,
		       const char *slug, const char *outcome,
		       const struct val *request, int64_t *request_id,
		       bool *dup)
{
	int64_t rid = 0, repo = 0;
	long changes = 0;
	int err;

	*dup = false;
	*request_id = 0;
	err = store_begin(s);
	if (!err)
		err = store_run(
			s, &changes,
			"INSERT OR IGNORE INTO deliveries(guid, event, slug, "
			"outcome) VALUES (?, ?, ?, ?)",
			"tttt", guid, event, slug, outcome);
	if (!err && !changes) {
		*dup = true;
		return store_finish(s, 0);
	}
	if (!err && request) {
		err = repo_id(s, slug, &repo);
		if (!err)
			err = store_run(
				s, NULL,
				"INSERT INTO requests(repo_id, delivery, "
				"event, data_json) VALUES (?, ?, ?, ?)",
				"ittj", repo, guid, event, request);
		rid = store_last_rowid(s);
		if (!err)
			err = store_run(s, NULL,
					"UPDATE deliveries SET request_id = ? "
					"WHERE guid = ?",
					"it", rid, guid);
	}
	err = store_finish(s, err);
	if (!err)
		*request_id = rid;
	return err;
}

int store_request_next(struct store *s, struct val **out)
{
	int err;

	store_lock(s);
	err = store_row(s, out,
			"SELECT q.id, r.slug, q.event, q.delivery, q.data_json "
			"FROM requests q JOIN repos r ON r.id = q.repo_id "
			"WHERE q.state = 'pending' ORDER BY q.id LIMIT 1",
			NULL);
	store_unlock(s);
	return err;
}

int store_request_close(struct store *s, int64_t id, const char *state,
			const char *reason)
{
	int err;

	store_lock(s);
	err = store_run(s, NULL,
			"UPDATE requests SET state = ?, reason = ? "
			"WHERE id = ?",
			"tti", state, reason, id);
	store_unlock(s);
	return err;
}

/* ---- builds ------------------------------------------------------------------ */

/* The plan's jobs, numbered <build number>.<position + 1>. */
static int insert_jobs(struct store *s, int64_t build_id, int64_t number,
		       const struct val *plan)
{
	const struct val *jobs = val_map_get(plan, "jobs");
	int err = 0;

	for (size_t i = 0; jobs && i < jobs->seq.n && !err; i++) {
		const struct val *j = jobs->seq.v[i];
		const struct val *af = val_map_get(j, "allow_failure");
		char *num = xasprintf("%lld.%zu", (long long)number, i + 1);

		err = store_run(
			s, NULL,
			"INSERT INTO jobs(build_id, number, position, "
			"stage, allow_failure, name, config_json, state) "
			"VALUES (?, ?, ?, ?, ?, ?, ?, 'created')",
			"itititj", build_id, num, (int64_t)i,
			val_strv(val_map_get(j, "stage")),
			(int64_t)(af && af->type == VAL_BOOL && af->b),
			val_strv(val_map_get(j, "name")),
			val_map_get(j, "config"));
		free(num);
	}
	return err;
}

static int cancel_build(struct store *s, int64_t build_id, const char *reason,
			struct svec *running)
{
	struct val *started = NULL;
	int err;

	err = store_run(s, NULL,
			"UPDATE jobs SET state = 'canceled', reason = ?, "
			"finished_at = " NOW " WHERE build_id = ? AND "
			"state IN ('created', 'queued')",
			"ti", reason, build_id);
	if (!err)
		err = store_rows(s, &started,
				 "SELECT id FROM jobs WHERE build_id = ? AND "
				 "state = 'started'",
				 "i", build_id);
	for (size_t i = 0; !err && i < started->seq.n; i++)
		svec_push(running, store_text(started->seq.v[i], "id"));
	val_free(started);
	if (!err)
		err = store_advance(s, build_id);
	return err;
}

/* Cancel the unfinished builds that `build_id` supersedes. */
static int auto_cancel(struct store *s, int64_t build_id, int64_t repo,
		       const struct val *b, int64_t number,
		       struct svec *running)
{
	const char *event = store_text(b, "event");
	struct val *old = NULL;
	char *reason;
	int err;

	if (!strcmp(event, "pull_request"))
		err = store_rows(
			s, &old,
			"SELECT id FROM builds WHERE repo_id = ? AND "
			"id <> ? AND event = 'pull_request' AND pr = ? AND "
			"state IN ('created', 'started')",
			"iii", repo, build_id,
			(int64_t)strtoll(store_text(b, "pr"), NULL, 10));
	else if (!strcmp(event, "push") && !val_strv(val_map_get(b, "tag")))
		err = store_rows(
			s, &old,
			"SELECT id FROM builds WHERE repo_id = ? AND "
			"id <> ? AND event = 'push' AND tag IS NULL AND "
			"branch = ? AND state IN ('created', 'started')",
			"iit", repo, build_id, store_text(b, "branch"));
	else
		return 0;
	if (err < 0)
		return err;
	reason = xasprintf("auto-canceled: superseded by build #%lld",
			   (long long)number);
	for (size_t i = 0; i < old->seq.n && !err; i++)
		err = cancel_build(
			s, strtoll(store_text(old->seq.v[i], "id"), NULL, 10),
			reason, running);
	free(reason);
	val_free(old);
	return err;
}

int store_build_create(struct store *s, int64_t request_id, const struct val *b,
		       const struct val *plan, bool cancel_old,
		       int64_t *build_id, struct svec *running)
{
	int64_t repo = 0, number = 0, id = 0;
	const struct val *ff = val_map_get(plan, "fast_finish");
	const struct val *fork = val_map_get(b, "fork");
	const char *pr = store_text(b, "pr");
	int err;

	err = store_begin(s);
	if (!err)
		err = repo_id(s, store_text(b, "slug"), &repo);
	if (!err)
		err = store_scalar(
			s, &number,
			"SELECT coalesce(max(number), 0) + 1 FROM builds "
			"WHERE repo_id = ?",
			"i", repo);
	if (!err)
		err = store_run(
			s, NULL,
			"INSERT INTO builds(repo_id, request_id, number, "
			"event, branch, tag, pr, commit_sha, status_sha, "
			"message, author, commit_range, pr_branch, pr_sha, "
			"pr_slug, head_slug, sender, fork, clone_url, "
			"gitdir, url, default_branch, fast_finish) VALUES "
			"(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
			"?, ?, ?, ?, ?, ?, ?)",
			"iiittttttttttttttitttti", repo, request_id, number,
			store_text(b, "event"), store_text(b, "branch"),
			val_strv(val_map_get(b, "tag")), pr,
			store_text(b, "commit_sha"),
			store_text(b, "status_sha"), store_text(b, "message"),
			store_text(b, "author"), store_text(b, "range"),
			store_text(b, "pr_branch"), store_text(b, "pr_sha"),
			store_text(b, "pr_slug"), store_text(b, "head_slug"),
			store_text(b, "sender"),
			(int64_t)(fork && fork->type == VAL_BOOL && fork->b),
			store_text(b, "clone_url"), store_text(b, "gitdir"),
			store_text(b, "url"), store_text(b, "default_branch"),
			(int64_t)(ff && ff->type == VAL_BOOL && ff->b));
	id = store_last_rowid(s);
	if (!err)
		err = insert_jobs(s, id, number, plan);
	if (!err)
		err = store_run(
			s, NULL,
			"UPDATE requests SET state = 'built', build_id = ? "
			"WHERE id = ?",
			"ii", id, request_id);
	if (!err)
		err = store_run(s, NULL,
				"INSERT INTO statuses(build_id, state) "
				"VALUES (?, 'created')",
				"i", id);
	if (!err && cancel_old)
		err = auto_cancel(s, id, repo, b, number, running);
	if (!err)
		err = store_advance(s, id);
	err = store_finish(s, err);
	if (!err)
		*build_id = id;
	return err;
}

int store_build_cancel(struct store *s, int64_t build_id, const char *reason,
		       struct svec *running)
{
	struct val *b = NULL;
	int err;

	err = store_begin(s);
	if (!err)
		err = store_row(s, &b, "SELECT state FROM builds WHERE id = ?",
				"i", build_id);
	if (!err && store_is_final(store_text(b, "state")))
		err = err_set(FY_EINVALID, "build %lld is finished already",
			      (long long)build_id);
	if (!err)
		err = cancel_build(s, build_id, reason, running);
	val_free(b);
	return store_finish(s, err);
}

int store_build_restart(struct store *s, int64_t build_id)
{
	struct val *b = NULL;
	int err;

	err = store_begin(s);
	if (!err)
		err = store_row(s, &b, "SELECT state FROM builds WHERE id = ?",
				"i", build_id);
	if (!err && !store_is_final(store_text(b, "state")))
		err = err_set(FY_EINVALID, "build %lld is still running",
			      (long long)build_id);
	if (!err)
		err = store_run(
			s, NULL,
			"UPDATE jobs SET state = 'created', reason = NULL, "
			"exit_code = NULL, duration = NULL, queued_at = "
			"NULL, started_at = NULL, finished_at = NULL, "
			"attempt = attempt + 1 WHERE build_id = ?",
			"i", build_id);
	if (!err)
		err = store_run(
			s, NULL,
			"UPDATE builds SET state = 'created', started_at = "
			"NULL, finished_at = NULL, attempt = attempt + 1 "
			"WHERE id = ?",
			"i", build_id);
	if (!err)
		err = store_run(s, NULL,
				"INSERT INTO statuses(build_id, state) "
				"VALUES (?, 'created')",
				"i", build_id);
	if (!err)
		err = store_advance(s, build_id);
	val_free(b);
	return store_finish(s, err);
}
