/*
 * store.c: the server's SQLite database (the only file that includes
 * <sqlite3.h>).  See store.h for the model; this file holds the schema,
 * its migrations, a few statement helpers and the state machine that
 * moves a build on when one of its jobs changes.
 */
#include "compat.h"

#include <pthread.h>

#include <sqlite3.h>

#include "buf.h"
#include "error.h"
#include "json.h"
#include "log.h"
#include "store.h"
#include "svec.h"
#include "val.h"
#include "xalloc.h"

#define NOW "strftime('%Y-%m-%dT%H:%M:%SZ','now')"

/* Why jobs of later stages are canceled (not a user's cancellation). */
#define STAGE_REASON "an earlier stage did not pass"

struct store {
	sqlite3 *db;
	pthread_mutex_t lock;
};

/* Each entry brings the schema from version i to i + 1. */
static const char *const migrations[] = {
	/* 1: the first schema */
	"CREATE TABLE repos ("
	" id INTEGER PRIMARY KEY,"
	" slug TEXT NOT NULL UNIQUE,"
	" created_at TEXT NOT NULL DEFAULT (" NOW "));"
	"CREATE TABLE deliveries ("
	" guid TEXT PRIMARY KEY,"
	" event TEXT NOT NULL,"
	" slug TEXT,"
	" outcome TEXT NOT NULL,"
	" request_id INTEGER,"
	" received_at TEXT NOT NULL DEFAULT (" NOW "));"
	"CREATE TABLE requests ("
	" id INTEGER PRIMARY KEY,"
	" repo_id INTEGER NOT NULL REFERENCES repos(id),"
	" delivery TEXT NOT NULL,"
	" event TEXT NOT NULL,"
	" state TEXT NOT NULL DEFAULT 'pending',"
	" reason TEXT,"
	" build_id INTEGER,"
	" data_json TEXT NOT NULL,"
	" created_at TEXT NOT NULL DEFAULT (" NOW "));"
	"CREATE INDEX requests_state ON requests(state, id);"
	"CREATE TABLE builds ("
	" id INTEGER PRIMARY KEY,"
	" repo_id INTEGER NOT NULL REFERENCES repos(id),"
	" request_id INTEGER NOT NULL UNIQUE REFERENCES requests(id),"
	" number INTEGER NOT NULL,"
	" state TEXT NOT NULL DEFAULT 'created',"
	" event TEXT NOT NULL,"
	" branch TEXT, tag TEXT, pr INTEGER,"
	" commit_sha TEXT NOT NULL, status_sha TEXT NOT NULL,"
	" message TEXT, author TEXT, commit_range TEXT,"
	" pr_branch TEXT, pr_sha TEXT, pr_slug TEXT, head_slug TEXT,"
	" sender TEXT, fork INTEGER NOT NULL DEFAULT 0,"
	" clone_url TEXT, gitdir TEXT, url TEXT, default_branch TEXT,"
	" fast_finish INTEGER NOT NULL DEFAULT 0,"
	" attempt INTEGER NOT NULL DEFAULT 1,"
	" created_at TEXT NOT NULL DEFAULT (" NOW "),"
	" started_at TEXT, finished_at TEXT,"
	" UNIQUE (repo_id, number));"
	"CREATE INDEX builds_repo ON builds(repo_id, id);"
	"CREATE TABLE jobs ("
	" id INTEGER PRIMARY KEY,"
	" build_id INTEGER NOT NULL REFERENCES builds(id),"
	" number TEXT NOT NULL,"
	" position INTEGER NOT NULL,"
	" stage TEXT,"
	" allow_failure INTEGER NOT NULL DEFAULT 0,"
	" name TEXT,"
	" config_json TEXT NOT NULL,"
	" state TEXT NOT NULL,"
	" reason TEXT, exit_code INTEGER, duration REAL,"
	" attempt INTEGER NOT NULL DEFAULT 1,"
	" queued_at TEXT, started_at TEXT, finished_at TEXT);"
	"CREATE INDEX jobs_build ON jobs(build_id, position);"
	"CREATE INDEX jobs_state ON jobs(state, id);"
	"CREATE TABLE statuses ("
	" id INTEGER PRIMARY KEY,"
	" build_id INTEGER NOT NULL REFERENCES builds(id),"
	" state TEXT NOT NULL,"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" next_at INTEGER NOT NULL DEFAULT 0,"
	" sent INTEGER NOT NULL DEFAULT 0,"
	" error TEXT,"
	" created_at TEXT NOT NULL DEFAULT (" NOW "));"
	"CREATE INDEX statuses_unsent ON statuses(sent, build_id, id);",
};

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

static int db_fail(struct store *s, const char *what)
{
	return err_set(FY_EFAIL, "store: %s: %s", what, sqlite3_errmsg(s->db));
}

/*
 * Prepare `sql` and bind the arguments that `types` describes: 'i' an
 * int64_t, 't' a string (NULL binds NULL), 'd' a double, 'j' a val tree
 * stored as JSON.
 */
static int prep(struct store *s, sqlite3_stmt **st, const char *sql,
		const char *types, va_list ap)
{
	int rc = sqlite3_prepare_v2(s->db, sql, -1, st, NULL);

	if (rc != SQLITE_OK)
		return db_fail(s, "prepare");
	for (int i = 0; types && types[i]; i++) {
		const char *t;
		const struct val *v;
		char *json;

		switch (types[i]) {
		case 'i':
			rc = sqlite3_bind_int64(*st, i + 1,
						va_arg(ap, int64_t));
			break;
		case 'd':
			rc = sqlite3_bind_double(*st, i + 1,
						 va_arg(ap, double));
			break;
		case 't':
			t = va_arg(ap, const char *);
			rc = t ? sqlite3_bind_text(*st, i + 1, t, -1,
						   SQLITE_TRANSIENT)
			       : sqlite3_bind_null(*st, i + 1);
			break;
		case 'j':
			v = va_arg(ap, const struct val *);
			json = json_dump(v, 0);
			rc = sqlite3_bind_text(*st, i + 1, json, -1, free);
			break;
		default:
			BUG("bad bind type '%c'", types[i]);
		}
		if (rc != SQLITE_OK) {
			sqlite3_finalize(*st);
			*st = NULL;
			return db_fail(s, "bind");
		}
	}
	return 0;
}

/* Run a statement that returns no rows; *changes (may be NULL). */
static int run(struct store *s, long *changes, const char *sql,
	       const char *types, ...)
{
	sqlite3_stmt *st = NULL;
	va_list ap;
	int err, rc;

	va_start(ap, types);
	err = prep(s, &st, sql, types, ap);
	va_end(ap);
	if (err < 0)
		return err;
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		err = db_fail(s, "step");
	sqlite3_finalize(st);
	if (!err && changes)
		*changes = sqlite3_changes(s->db);
	return err;
}

static bool is_bool_column(const char *name)
{
	return !strcmp(name, "allow_failure") || !strcmp(name, "fork") ||
	       !strcmp(name, "fast_finish");
}

static struct val *column_val(sqlite3_stmt *st, int i, const char *name)
{
	const char *text;
	size_t n = strlen(name);
	struct val *v = NULL;
	char num[64];

	switch (sqlite3_column_type(st, i)) {
	case SQLITE_INTEGER:
		if (is_bool_column(name))
			return val_bool(sqlite3_column_int64(st, i) != 0);
		return val_numi(sqlite3_column_int64(st, i));
	case SQLITE_FLOAT:
		snprintf(num, sizeof(num), "%.3f",
			 sqlite3_column_double(st, i));
		return val_num(num);
	case SQLITE_NULL:
		return val_null();
	default:
		text = (const char *)sqlite3_column_text(st, i);
		if (n > 5 && !strcmp(name + n - 5, "_json")) {
			if (json_parse(&v, text, strlen(text), JSON_SECURE) < 0)
				v = val_null();
			return v;
		}
		return val_str(text ? text : "");
	}
}

static struct val *row_val(sqlite3_stmt *st)
{
	struct val *row = val_map();
	int n = sqlite3_column_count(st);

	for (int i = 0; i < n; i++) {
		const char *name = sqlite3_column_name(st, i);
		size_t len = strlen(name);
		struct val *v = column_val(st, i, name);

		if (len > 5 && !strcmp(name + len - 5, "_json")) {
			char *key = xmemdupz(name, len - 5);

			val_map_set(row, key, v);
			free(key);
		} else {
			val_map_set(row, name, v);
		}
	}
	return row;
}

/* All rows as a seq of maps. */
static int rows(struct store *s, struct val **out, const char *sql,
		const char *types, ...)
{
	sqlite3_stmt *st = NULL;
	struct val *seq = NULL;
	va_list ap;
	int err, rc;

	va_start(ap, types);
	err = prep(s, &st, sql, types, ap);
	va_end(ap);
	if (err < 0)
		return err;
	seq = val_seq();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		val_seq_push(seq, row_val(st));
	if (rc != SQLITE_DONE) {
		err = db_fail(s, "step");
		val_free(seq);
	} else {
		*out = seq;
	}
	sqlite3_finalize(st);
	return err;
}

/* The first row as a map; FY_ENOTFOUND when there is none. */
static int row(struct store *s, struct val **out, const char *sql,
	       const char *types, ...)
{
	sqlite3_stmt *st = NULL;
	va_list ap;
	int err, rc;

	va_start(ap, types);
	err = prep(s, &st, sql, types, ap);
	va_end(ap);
	if (err < 0)
		return err;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = row_val(st);
	else if (rc == SQLITE_DONE)
		err = err_set(FY_ENOTFOUND, "store: not found");
	else
		err = db_fail(s, "step");
	sqlite3_finalize(st);
	return err;
}

/* The first column of the first row as an integer (0 when NULL). */
static int scalar(struct store *s, int64_t *out, const char *sql,
		  const char *types, ...)
{
	sqlite3_stmt *st = NULL;
	va_list ap;
	int err, rc;

	va_start(ap, types);
	err = prep(s, &st, sql, types, ap);
	va_end(ap);
	if (err < 0)
		return err;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	else if (rc == SQLITE_DONE)
		err = err_set(FY_ENOTFOUND, "store: not found");
	else
		err = db_fail(s, "step");
	sqlite3_finalize(st);
	return err;
}

static int exec(struct store *s, const char *sql)
{
	char *msg = NULL;
	int err = 0;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK)
		err = err_set(FY_EFAIL, "store: %s", msg ? msg : "failed");
	sqlite3_free(msg);
	return err;
}

static void lock(struct store *s)
{
	pthread_mutex_lock(&s->lock);
}

static void unlock(struct store *s)
{
	pthread_mutex_unlock(&s->lock);
}

/* BEGIN IMMEDIATE under the lock; end with finish(). */
static int begin(struct store *s)
{
	lock(s);
	return exec(s, "BEGIN IMMEDIATE");
}

static int finish(struct store *s, int err)
{
	if (err < 0) {
		char *msg = xstrdup(err_msg());

		exec(s, "ROLLBACK");
		err_set(err, "%s", msg);
		free(msg);
	} else {
		err = exec(s, "COMMIT");
		if (err < 0)
			exec(s, "ROLLBACK");
	}
	unlock(s);
	return err;
}

static int migrate(struct store *s)
{
	int64_t version = 0;
	int err;

	err = exec(s, "CREATE TABLE IF NOT EXISTS schema_version "
		      "(version INTEGER NOT NULL)");
	if (err < 0)
		return err;
	if (scalar(s, &version, "SELECT max(version) FROM schema_version",
		   NULL) < 0)
		version = 0;
	if (version > (int64_t)ARRAY_SIZE(migrations))
		return err_set(FY_EINVALID,
			       "store: the database has schema version %lld, "
			       "newer than this ferry (%zu)",
			       (long long)version, ARRAY_SIZE(migrations));
	for (size_t v = (size_t)version; v < ARRAY_SIZE(migrations); v++) {
		err = exec(s, "BEGIN IMMEDIATE");
		if (!err)
			err = exec(s, migrations[v]);
		if (!err)
			err = run(s, NULL,
				  "INSERT INTO schema_version VALUES (?)", "i",
				  (int64_t)(v + 1));
		if (!err)
			err = exec(s, "COMMIT");
		if (err < 0) {
			exec(s, "ROLLBACK");
			return err_wrap(err, "store: migration to version %zu",
					v + 1);
		}
		log_info("store schema is now version %zu", v + 1);
	}
	return 0;
}

int store_open(struct store **out, const char *path)
{
	struct store *s = xcalloc(1, sizeof(*s));
	int err;

	pthread_mutex_init(&s->lock, NULL);
	if (sqlite3_open_v2(path, &s->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				    SQLITE_OPEN_FULLMUTEX,
			    NULL) != SQLITE_OK) {
		err = err_set(FY_EFAIL, "cannot open the database '%s': %s",
			      path,
			      s->db ? sqlite3_errmsg(s->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(s->db, 5000);
	err = exec(s, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
		      "PRAGMA foreign_keys=ON");
	if (!err)
		err = migrate(s);
	if (err < 0) {
		err = err_wrap(err, "database '%s'", path);
		goto fail;
	}
	*out = s;
	return 0;
fail:
	store_close(s);
	return err;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	sqlite3_close(s->db);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* ---- webhooks ------------------------------------------------------------ */

static int repo_id(struct store *s, const char *slug, int64_t *id)
{
	int err = run(s, NULL, "INSERT OR IGNORE INTO repos(slug) VALUES (?)",
		      "t", slug);

	if (!err)
		err = scalar(s, id, "SELECT id FROM repos WHERE slug = ?", "t",
			     slug);
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
	err = begin(s);
	if (!err)
		err = run(s, &changes,
			  "INSERT OR IGNORE INTO deliveries(guid, event, slug, "
			  "outcome) VALUES (?, ?, ?, ?)",
			  "tttt", guid, event, slug, outcome);
	if (!err && !changes) {
		*dup = true;
		return finish(s, 0);
	}
	if (!err && request) {
		err = repo_id(s, slug, &repo);
		if (!err)
			err = run(s, NULL,
				  "INSERT INTO requests(repo_id, delivery, "
				  "event, data_json) VALUES (?, ?, ?, ?)",
				  "ittj", repo, guid, event, request);
		rid = sqlite3_last_insert_rowid(s->db);
		if (!err)
			err = run(s, NULL,
				  "UPDATE deliveries SET request_id = ? "
				  "WHERE guid = ?",
				  "it", rid, guid);
	}
	err = finish(s, err);
	if (!err)
		*request_id = rid;
	return err;
}

int store_request_next(struct store *s, struct val **out)
{
	int err;

	lock(s);
	err = row(s, out,
		  "SELECT q.id, r.slug, q.event, q.delivery, q.data_json "
		  "FROM requests q JOIN repos r ON r.id = q.repo_id "
		  "WHERE q.state = 'pending' ORDER BY q.id LIMIT 1",
		  NULL);
	unlock(s);
	return err;
}

int store_request_close(struct store *s, int64_t id, const char *state,
			const char *reason)
{
	int err;

	lock(s);
	err = run(s, NULL,
		  "UPDATE requests SET state = ?, reason = ? "
		  "WHERE id = ?",
		  "tti", state, reason, id);
	unlock(s);
	return err;
}

/* ---- the build state machine -------------------------------------------- */

struct jrow {
	int64_t id;
	char *stage;
	bool allow_failure;
	char *state;
	bool stage_canceled;
};

static bool is_final(const char *state)
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

	err = rows(s, &seq,
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
				err = run(s, NULL,
					  "UPDATE jobs SET state = 'canceled', "
					  "reason = ?, finished_at = " NOW
					  " WHERE id = ?",
					  "ti", STAGE_REASON, j[k].id);
				set_state(&j[k], "canceled");
				j[k].stage_canceled = true;
			} else if (!blocked && !waiting &&
				   !strcmp(j[k].state, "created")) {
				err = run(s, NULL,
					  "UPDATE jobs SET state = 'queued', "
					  "queued_at = " NOW " WHERE id = ?",
					  "i", j[k].id);
				set_state(&j[k], "queued");
			}
			if (!is_final(j[k].state))
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
static int advance(struct store *s, int64_t id)
{
	struct jrow *j = NULL;
	struct val *b = NULL;
	size_t n = 0;
	bool all = true, required = true, any_started = false;
	const char *cur;
	int err;

	err = row(s, &b, "SELECT state, fast_finish FROM builds WHERE id = ?",
		  "i", id);
	if (!err)
		err = load_jobs(s, id, &j, &n);
	if (!err)
		err = advance_stages(s, j, n);
	if (err < 0)
		goto out;
	cur = val_strv(val_map_get(b, "state"));
	for (size_t i = 0; i < n; i++) {
		bool fin = is_final(j[i].state);

		all &= fin;
		if (!j[i].allow_failure)
			required &= fin;
		if (strcmp(j[i].state, "created") &&
		    strcmp(j[i].state, "queued"))
			any_started = true;
	}
	if (is_final(cur))
		goto out;
	if (all || (required && val_map_get(b, "fast_finish")->b)) {
		const char *st = build_state(j, n);

		err = run(s, NULL,
			  "UPDATE builds SET state = ?, finished_at = " NOW
			  ", started_at = coalesce(started_at, " NOW
			  ") WHERE id = ?",
			  "ti", st, id);
		if (!err)
			err = run(s, NULL,
				  "INSERT INTO statuses(build_id, state) "
				  "VALUES (?, ?)",
				  "it", id, st);
	} else if (any_started && !strcmp(cur, "created")) {
		err = run(s, NULL,
			  "UPDATE builds SET state = 'started', "
			  "started_at = " NOW " WHERE id = ?",
			  "i", id);
	}
out:
	free_jobs(j, n);
	val_free(b);
	return err;
}

/* ---- builds ------------------------------------------------------------------ */

static const char *text_of(const struct val *m, const char *key)
{
	return val_text(val_map_get(m, key));
}

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

		err = run(s, NULL,
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
			struct svec *running);

/* Cancel the unfinished builds that `build_id` supersedes. */
static int auto_cancel(struct store *s, int64_t build_id, int64_t repo,
		       const struct val *b, int64_t number,
		       struct svec *running)
{
	const char *event = text_of(b, "event");
	struct val *old = NULL;
	char *reason;
	int err;

	if (!strcmp(event, "pull_request"))
		err = rows(s, &old,
			   "SELECT id FROM builds WHERE repo_id = ? AND "
			   "id <> ? AND event = 'pull_request' AND pr = ? AND "
			   "state IN ('created', 'started')",
			   "iii", repo, build_id,
			   (int64_t)strtoll(text_of(b, "pr"), NULL, 10));
	else if (!strcmp(event, "push") && !val_strv(val_map_get(b, "tag")))
		err = rows(s, &old,
			   "SELECT id FROM builds WHERE repo_id = ? AND "
			   "id <> ? AND event = 'push' AND tag IS NULL AND "
			   "branch = ? AND state IN ('created', 'started')",
			   "iit", repo, build_id, text_of(b, "branch"));
	else
		return 0;
	if (err < 0)
		return err;
	reason = xasprintf("auto-canceled: superseded by build #%lld",
			   (long long)number);
	for (size_t i = 0; i < old->seq.n && !err; i++)
		err = cancel_build(
			s, strtoll(text_of(old->seq.v[i], "id"), NULL, 10),
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
	const char *pr = text_of(b, "pr");
	int err;

	err = begin(s);
	if (!err)
		err = repo_id(s, text_of(b, "slug"), &repo);
	if (!err)
		err = scalar(s, &number,
			     "SELECT coalesce(max(number), 0) + 1 FROM builds "
			     "WHERE repo_id = ?",
			     "i", repo);
	if (!err)
		err = run(s, NULL,
			  "INSERT INTO builds(repo_id, request_id, number, "
			  "event, branch, tag, pr, commit_sha, status_sha, "
			  "message, author, commit_range, pr_branch, pr_sha, "
			  "pr_slug, head_slug, sender, fork, clone_url, "
			  "gitdir, url, default_branch, fast_finish) VALUES "
			  "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
			  "?, ?, ?, ?, ?, ?, ?)",
			  "iiittttttttttttttitttti", repo, request_id, number,
			  text_of(b, "event"), text_of(b, "branch"),
			  val_strv(val_map_get(b, "tag")), pr,
			  text_of(b, "commit_sha"), text_of(b, "status_sha"),
			  text_of(b, "message"), text_of(b, "author"),
			  text_of(b, "range"), text_of(b, "pr_branch"),
			  text_of(b, "pr_sha"), text_of(b, "pr_slug"),
			  text_of(b, "head_slug"), text_of(b, "sender"),
			  (int64_t)(fork && fork->type == VAL_BOOL && fork->b),
			  text_of(b, "clone_url"), text_of(b, "gitdir"),
			  text_of(b, "url"), text_of(b, "default_branch"),
			  (int64_t)(ff && ff->type == VAL_BOOL && ff->b));
	id = sqlite3_last_insert_rowid(s->db);
	if (!err)
		err = insert_jobs(s, id, number, plan);
	if (!err)
		err = run(s, NULL,
			  "UPDATE requests SET state = 'built', build_id = ? "
			  "WHERE id = ?",
			  "ii", id, request_id);
	if (!err)
		err = run(s, NULL,
			  "INSERT INTO statuses(build_id, state) "
			  "VALUES (?, 'created')",
			  "i", id);
	if (!err && cancel_old)
		err = auto_cancel(s, id, repo, b, number, running);
	if (!err)
		err = advance(s, id);
	err = finish(s, err);
	if (!err)
		*build_id = id;
	return err;
}

/* ---- jobs ------------------------------------------------------------------ */

int store_job_claim(struct store *s, struct val **job, struct val **build)
{
	struct val *j = NULL, *b = NULL;
	int64_t id = 0, bid = 0;
	int err;

	err = begin(s);
	if (!err)
		err = scalar(s, &id,
			     "SELECT id FROM jobs WHERE state = 'queued' "
			     "ORDER BY id LIMIT 1",
			     NULL);
	if (!err)
		err = run(s, NULL,
			  "UPDATE jobs SET state = 'started', reason = NULL, "
			  "started_at = " NOW ", finished_at = NULL "
			  "WHERE id = ?",
			  "i", id);
	if (!err)
		err = row(s, &j, "SELECT " JOB_COLS " FROM jobs j WHERE id = ?",
			  "i", id);
	if (!err) {
		bid = strtoll(text_of(j, "build_id"), NULL, 10);
		err = advance(s, bid);
	}
	if (!err)
		err = row(s, &b,
			  "SELECT b.*, r.slug FROM builds b JOIN repos r "
			  "ON r.id = b.repo_id WHERE b.id = ?",
			  "i", bid);
	err = finish(s, err);
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

	err = begin(s);
	if (!err)
		err = scalar(s, &bid, "SELECT build_id FROM jobs WHERE id = ?",
			     "i", job_id);
	if (!err && !strcmp(state, "queued"))
		err = run(
			s, NULL,
			"UPDATE jobs SET state = 'queued', reason = ?, "
			"started_at = NULL WHERE id = ? AND state = 'started'",
			"ti", reason, job_id);
	else if (!err)
		err = run(s, NULL,
			  "UPDATE jobs SET state = ?, exit_code = ?, "
			  "duration = ?, reason = ?, finished_at = " NOW
			  " WHERE id = ? AND state = 'started'",
			  "tidti", state, (int64_t)exit_code, seconds, reason,
			  job_id);
	if (!err)
		err = advance(s, bid);
	return finish(s, err);
}

static int cancel_build(struct store *s, int64_t build_id, const char *reason,
			struct svec *running)
{
	struct val *started = NULL;
	int err;

	err = run(s, NULL,
		  "UPDATE jobs SET state = 'canceled', reason = ?, "
		  "finished_at = " NOW " WHERE build_id = ? AND "
		  "state IN ('created', 'queued')",
		  "ti", reason, build_id);
	if (!err)
		err = rows(s, &started,
			   "SELECT id FROM jobs WHERE build_id = ? AND "
			   "state = 'started'",
			   "i", build_id);
	for (size_t i = 0; !err && i < started->seq.n; i++)
		svec_push(running, text_of(started->seq.v[i], "id"));
	val_free(started);
	if (!err)
		err = advance(s, build_id);
	return err;
}

int store_build_cancel(struct store *s, int64_t build_id, const char *reason,
		       struct svec *running)
{
	struct val *b = NULL;
	int err;

	err = begin(s);
	if (!err)
		err = row(s, &b, "SELECT state FROM builds WHERE id = ?", "i",
			  build_id);
	if (!err && is_final(text_of(b, "state")))
		err = err_set(FY_EINVALID, "build %lld is finished already",
			      (long long)build_id);
	if (!err)
		err = cancel_build(s, build_id, reason, running);
	val_free(b);
	return finish(s, err);
}

int store_job_cancel(struct store *s, int64_t job_id, const char *reason,
		     bool *running)
{
	struct val *j = NULL;
	const char *st;
	int err;

	*running = false;
	err = begin(s);
	if (!err)
		err = row(s, &j,
			  "SELECT build_id, state FROM jobs WHERE id = ?", "i",
			  job_id);
	if (err < 0)
		goto out;
	st = text_of(j, "state");
	if (is_final(st)) {
		err = err_set(FY_EINVALID, "job %lld is finished already",
			      (long long)job_id);
	} else if (!strcmp(st, "started")) {
		*running = true;
	} else {
		err = run(s, NULL,
			  "UPDATE jobs SET state = 'canceled', reason = ?, "
			  "finished_at = " NOW " WHERE id = ?",
			  "ti", reason, job_id);
		if (!err)
			err = advance(
				s, strtoll(text_of(j, "build_id"), NULL, 10));
	}
out:
	val_free(j);
	return finish(s, err);
}

int store_build_restart(struct store *s, int64_t build_id)
{
	struct val *b = NULL;
	int err;

	err = begin(s);
	if (!err)
		err = row(s, &b, "SELECT state FROM builds WHERE id = ?", "i",
			  build_id);
	if (!err && !is_final(text_of(b, "state")))
		err = err_set(FY_EINVALID, "build %lld is still running",
			      (long long)build_id);
	if (!err)
		err = run(s, NULL,
			  "UPDATE jobs SET state = 'created', reason = NULL, "
			  "exit_code = NULL, duration = NULL, queued_at = "
			  "NULL, started_at = NULL, finished_at = NULL, "
			  "attempt = attempt + 1 WHERE build_id = ?",
			  "i", build_id);
	if (!err)
		err = run(s, NULL,
			  "UPDATE builds SET state = 'created', started_at = "
			  "NULL, finished_at = NULL, attempt = attempt + 1 "
			  "WHERE id = ?",
			  "i", build_id);
	if (!err)
		err = run(s, NULL,
			  "INSERT INTO statuses(build_id, state) "
			  "VALUES (?, 'created')",
			  "i", build_id);
	if (!err)
		err = advance(s, build_id);
	val_free(b);
	return finish(s, err);
}

int store_job_restart(struct store *s, int64_t job_id)
{
	struct val *j = NULL;
	int64_t bid = 0;
	long changes = 0;
	int err;

	err = begin(s);
	if (!err)
		err = row(s, &j,
			  "SELECT j.build_id, j.state, b.state AS build_state "
			  "FROM jobs j JOIN builds b ON b.id = j.build_id "
			  "WHERE j.id = ?",
			  "i", job_id);
	if (err < 0)
		goto out;
	bid = strtoll(text_of(j, "build_id"), NULL, 10);
	if (!is_final(text_of(j, "state"))) {
		err = err_set(FY_EINVALID, "job %lld is not finished",
			      (long long)job_id);
		goto out;
	}
	err = run(s, NULL,
		  "UPDATE jobs SET state = 'queued', reason = NULL, "
		  "exit_code = NULL, duration = NULL, queued_at = " NOW
		  ", started_at = NULL, finished_at = NULL, "
		  "attempt = attempt + 1 WHERE id = ?",
		  "i", job_id);
	if (!err)
		err = run(s, &changes,
			  "UPDATE builds SET state = 'started', finished_at = "
			  "NULL WHERE id = ? AND state IN ('passed', "
			  "'failed', 'errored', 'canceled')",
			  "i", bid);
	if (!err && changes)
		err = run(s, NULL,
			  "INSERT INTO statuses(build_id, state) "
			  "VALUES (?, 'created')",
			  "i", bid);
	if (!err)
		err = advance(s, bid);
out:
	val_free(j);
	return finish(s, err);
}

int store_recover(struct store *s, const char *reason, struct svec *jobs)
{
	struct val *started = NULL;
	int err;

	err = begin(s);
	if (!err)
		err = rows(s, &started,
			   "SELECT id, build_id FROM jobs "
			   "WHERE state = 'started'",
			   NULL);
	for (size_t i = 0; !err && i < started->seq.n; i++) {
		const struct val *j = started->seq.v[i];

		err = run(s, NULL,
			  "UPDATE jobs SET state = 'errored', reason = ?, "
			  "finished_at = " NOW " WHERE id = ?",
			  "ti", reason,
			  (int64_t)strtoll(text_of(j, "id"), NULL, 10));
		if (!err)
			err = advance(
				s, strtoll(text_of(j, "build_id"), NULL, 10));
	}
	for (size_t i = 0; !err && i < started->seq.n; i++)
		svec_push(jobs, text_of(started->seq.v[i], "id"));
	val_free(started);
	return finish(s, err);
}

/* ---- queries ---------------------------------------------------------------- */

int store_repos(struct store *s, struct val **out)
{
	int err;

	lock(s);
	err = rows(s, out,
		   "SELECT r.slug, r.created_at, b.id AS last_build_id, "
		   "b.number AS last_build_number, b.state AS "
		   "last_build_state, b.branch AS last_build_branch, "
		   "b.event AS last_build_event, b.finished_at AS "
		   "last_build_finished_at FROM repos r LEFT JOIN builds b "
		   "ON b.id = (SELECT max(id) FROM builds "
		   "WHERE repo_id = r.id) ORDER BY r.slug",
		   NULL);
	unlock(s);
	return err;
}

int store_builds(struct store *s, const char *slug, const char *branch,
		 long limit, int64_t before, struct val **out)
{
	int err;

	lock(s);
	err = rows(s, out,
		   "SELECT " BUILD_COLS " FROM builds b JOIN repos r "
		   "ON r.id = b.repo_id WHERE r.slug = ?1 AND "
		   "(?2 IS NULL OR b.branch = ?2) AND (?3 = 0 OR b.id < ?3) "
		   "ORDER BY b.id DESC LIMIT ?4",
		   "ttii", slug, branch, before, (int64_t)limit);
	unlock(s);
	return err;
}

int store_build(struct store *s, int64_t id, struct val **out)
{
	struct val *b = NULL, *jobs = NULL;
	int err;

	lock(s);
	err = row(s, &b,
		  "SELECT " BUILD_COLS " FROM builds b JOIN repos r "
		  "ON r.id = b.repo_id WHERE b.id = ?",
		  "i", id);
	if (!err)
		err = rows(s, &jobs,
			   "SELECT " JOB_COLS " FROM jobs j WHERE build_id = ? "
			   "ORDER BY position",
			   "i", id);
	unlock(s);
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

	lock(s);
	err = row(s, &j, "SELECT " JOB_COLS " FROM jobs j WHERE id = ?", "i",
		  id);
	if (!err)
		err = row(s, &b,
			  "SELECT " BUILD_COLS " FROM builds b JOIN repos r "
			  "ON r.id = b.repo_id WHERE b.id = ?",
			  "i",
			  (int64_t)strtoll(text_of(j, "build_id"), NULL, 10));
	unlock(s);
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

	lock(s);
	err = rows(s, out,
		   "SELECT q.id, r.slug, q.delivery, q.event, q.state, "
		   "q.reason, q.build_id, q.created_at FROM requests q "
		   "JOIN repos r ON r.id = q.repo_id WHERE "
		   "(?1 IS NULL OR r.slug = ?1) ORDER BY q.id DESC LIMIT ?2",
		   "ti", slug, (int64_t)limit);
	unlock(s);
	return err;
}

int store_badge(struct store *s, const char *slug, const char *branch,
		char **state)
{
	struct val *b = NULL;
	int err;

	lock(s);
	err = row(s, &b,
		  "SELECT b.state FROM builds b JOIN repos r ON "
		  "r.id = b.repo_id WHERE r.slug = ?1 AND b.event = 'push' "
		  "AND (?2 IS NULL OR b.branch = ?2) AND b.state IN "
		  "('passed', 'failed', 'errored', 'canceled') "
		  "ORDER BY b.id DESC LIMIT 1",
		  "tt", slug, branch);
	unlock(s);
	if (!err)
		*state = xstrdup(text_of(b, "state"));
	val_free(b);
	return err;
}

int store_counts(struct store *s, long *queued, long *running)
{
	int64_t q = 0, r = 0;
	int err;

	lock(s);
	err = scalar(s, &q, "SELECT count(*) FROM jobs WHERE state = 'queued'",
		     NULL);
	if (!err)
		err = scalar(
			s, &r,
			"SELECT count(*) FROM jobs WHERE state = 'started'",
			NULL);
	unlock(s);
	*queued = (long)q;
	*running = (long)r;
	return err;
}

int store_ping(struct store *s)
{
	int64_t v = 0;
	int err;

	lock(s);
	err = scalar(s, &v, "SELECT max(version) FROM schema_version", NULL);
	unlock(s);
	return err;
}

/* ---- the status outbox ------------------------------------------------------ */

int store_status_next(struct store *s, int64_t now, struct val **out,
		      long *wait)
{
	int64_t next = -1;
	int err;

	*wait = -1;
	lock(s);
	err = row(s, out,
		  "SELECT t.id, t.build_id, t.state, t.attempts, t.next_at, "
		  "r.slug, b.status_sha, b.event, b.pr FROM statuses t "
		  "JOIN builds b ON b.id = t.build_id JOIN repos r ON "
		  "r.id = b.repo_id WHERE t.sent = 0 AND NOT EXISTS "
		  "(SELECT 1 FROM statuses p WHERE p.sent = 0 AND "
		  "p.build_id = t.build_id AND p.id < t.id) AND "
		  "t.next_at <= ? ORDER BY t.id LIMIT 1",
		  "i", now);
	if (err == FY_ENOTFOUND &&
	    !scalar(s, &next,
		    "SELECT coalesce(min(next_at), -1) FROM statuses "
		    "WHERE sent = 0",
		    NULL) &&
	    next >= 0)
		*wait = next > now ? (long)(next - now) : 0;
	unlock(s);
	return err;
}

int store_status_done(struct store *s, int64_t id, const char *error)
{
	int err;

	lock(s);
	err = run(s, NULL,
		  "UPDATE statuses SET sent = 1, attempts = attempts + 1, "
		  "error = ? WHERE id = ?",
		  "ti", error, id);
	unlock(s);
	return err;
}

int store_status_retry(struct store *s, int64_t id, int64_t next_at,
		       const char *error)
{
	int err;

	lock(s);
	err = run(s, NULL,
		  "UPDATE statuses SET attempts = attempts + 1, next_at = ?, "
		  "error = ? WHERE id = ?",
		  "iti", next_at, error, id);
	unlock(s);
	return err;
}

int store_status_pending(struct store *s, long *n)
{
	int64_t v = 0;
	int err;

	lock(s);
	err = scalar(s, &v, "SELECT count(*) FROM statuses WHERE sent = 0",
		     NULL);
	unlock(s);
	*n = (long)v;
	return err;
}
