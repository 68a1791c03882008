/*
 * store_state.c: the state machine of the server's store (store.h
 * "States"): after a change to a build's jobs, queue the jobs of the
 * current stage, cancel those after a stage that did not pass, and
 * start or finish the build.
 */
#include "compat.h"

#include "store.h"
#include "store_int.h"
#include "val.h"
#include "xalloc.h"

/* Why jobs of later stages are canceled (not a user's cancellation). */
#define STAGE_REASON "an earlier stage did not pass"

struct jrow {
	int64_t id;
	char *stage;
	bool allow_failure;
	char *state;
	bool stage_canceled;
};

bool store_is_final(const char *state)
{
	return !strcmp(state, "passed") || !strcmp(state, "failed") ||
	       !strcmp(state, "errored") || !strcmp(state, "canceled");
}

static bool same_stage(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static void set_state(struct jrow *j, const char *state)
{
	free(j->state);
	j->state = xstrdup(state);
}

static int load_jobs(struct store *s, int64_t build_id, struct jrow **out,
		     size_t *n)
{
	struct val *seq = NULL;
	struct jrow *j;
	int err;

	err = store_rows(
		s, &seq,
		"SELECT id, stage, allow_failure, state, reason FROM jobs "
		"WHERE build_id = ? ORDER BY position",
		"i", build_id);
	if (err < 0)
		return err;
	j = xcalloc(seq->seq.n + 1, sizeof(*j));
	for (size_t i = 0; i < seq->seq.n; i++) {
		const struct val *r = seq->seq.v[i];
		const char *stage = val_strv(val_map_get(r, "stage"));
		const char *reason = val_strv(val_map_get(r, "reason"));

		j[i].id = strtoll(val_text(val_map_get(r, "id")), NULL, 10);
		j[i].stage = stage ? xstrdup(stage) : NULL;
		j[i].allow_failure = val_map_get(r, "allow_failure")->b;
		j[i].state = xstrdup(val_strv(val_map_get(r, "state")));
		j[i].stage_canceled = reason && !strcmp(reason, STAGE_REASON);
	}
	*out = j;
	*n = seq->seq.n;
	val_free(seq);
	return 0;
}

static void free_jobs(struct jrow *j, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(j[i].stage);
		free(j[i].state);
	}
	free(j);
}

/* Travis's build state from its required jobs (see store.h). */
static const char *build_state(const struct jrow *j, size_t n)
{
	bool canceled = false, errored = false, failed = false;

	for (size_t i = 0; i < n; i++) {
		if (j[i].allow_failure)
			continue;
		if (!strcmp(j[i].state, "canceled") && !j[i].stage_canceled)
			canceled = true;
		else if (!strcmp(j[i].state, "errored"))
			errored = true;
		else if (!strcmp(j[i].state, "failed"))
			failed = true;
	}
	return canceled	 ? "canceled"
	       : errored ? "errored"
	       : failed	 ? "failed"
			 : "passed";
}

/* Queue the jobs of the current stage, cancel those after a failed one. */
static int advance_stages(struct store *s, struct jrow *j, size_t n)
{
	bool blocked = false, waiting = false;
	int err = 0;

	for (size_t i = 0; i < n && !err;) {
		size_t end = i;
		bool unfinished = false, bad = false;

		while (end < n && same_stage(j[end].stage, j[i].stage))
			end++;
		for (size_t k = i; k < end && !err; k++) {
			if (blocked && (!strcmp(j[k].state, "created") ||
					!strcmp(j[k].state, "queued"))) {
				err = store_run(
					s, NULL,
					"UPDATE jobs SET state = 'canceled', "
					"reason = ?, finished_at = " NOW
					" WHERE id = ?",
					"ti", STAGE_REASON, j[k].id);
				set_state(&j[k], "canceled");
				j[k].stage_canceled = true;
			} else if (!blocked && !waiting &&
				   !strcmp(j[k].state, "created")) {
				err = store_run(
					s, NULL,
					"UPDATE jobs SET state = 'queued', "
					"queued_at = " NOW " WHERE id = ?",
					"i", j[k].id);
				set_state(&j[k], "queued");
			}
			if (!store_is_final(j[k].state))
				unfinished = true;
			else if (!j[k].allow_failure &&
				 strcmp(j[k].state, "passed"))
				bad = true;
		}
		if (unfinished)
			waiting = true;
		else if (bad)
			blocked = true;
		i = end;
	}
	return err;
}

/* Move build `id` on after a change to its jobs (inside a transaction). */
int store_advance(struct store *s, int64_t id)
{
	struct jrow *j = NULL;
	struct val *b = NULL;
	size_t n = 0;
	bool all = true, required = true, any_started = false;
	const char *cur;
	int err;

	err = store_row(s, &b,
			"SELECT state, fast_finish FROM builds WHERE id = ?",
			"i", id);
	if (!err)
		err = load_jobs(s, id, &j, &n);
	if (!err)
		err = advance_stages(s, j, n);
	if (err < 0)
		goto out;
	cur = val_strv(val_map_get(b, "state"));
	for (size_t i = 0; i < n; i++) {
		bool fin = store_is_final(j[i].state);

		all &= fin;
		if (!j[i].allow_failure)
			required &= fin;
		if (strcmp(j[i].state, "created") &&
		    strcmp(j[i].state, "queued"))
			any_started = true;
	}
	if (store_is_final(cur))
		goto out;
	if (all || (required && val_map_get(b, "fast_finish")->b)) {
		const char *st = build_state(j, n);

		err = store_run(
			s, NULL,
			"UPDATE builds SET state = ?, finished_at = " NOW
			", started_at = coalesce(started_at, " NOW
			") WHERE id = ?",
			"ti", st, id);
		if (!err)
			err = store_run(s, NULL,
					"INSERT INTO statuses(build_id, state) "
					"VALUES (?, ?)",
					"it", id, st);
	} else if (any_started && !strcmp(cur, "created")) {
		err = store_run(s, NULL,
				"UPDATE builds SET state = 'started', "
				"started_at = " NOW " WHERE id = ?",
				"i", id);
	}
out:
	free_jobs(j, n);
	val_free(b);
	return err;
}
