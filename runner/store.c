/*
 * store.c: the server's SQLite database (the only file that includes
 * <sqlite3.h>).  See store.h for the model; this file holds the schema,
 * its migrations, the connection, and the statement and transaction
 * helpers (store_int.h) that the other store_*.c files are written with.
 */
#include "compat.h"

#include <pthread.h>

#include <sqlite3.h>

#include "error.h"
#include "json.h"
#include "log.h"
#include "store.h"
#include "store_int.h"
#include "val.h"
#include "xalloc.h"

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
int store_run(struct store *s, long *changes, const char *sql,
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
int store_rows(struct store *s, struct val **out, const char *sql,
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
int store_row(struct store *s, struct val **out, const char *sql,
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
int store_scalar(struct store *s, int64_t *out, const char *sql,
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

int64_t store_last_rowid(struct store *s)
{
	return sqlite3_last_insert_rowid(s->db);
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

void store_lock(struct store *s)
{
	pthread_mutex_lock(&s->lock);
}

void store_unlock(struct store *s)
{
	pthread_mutex_unlock(&s->lock);
}

/* BEGIN IMMEDIATE under the lock; end with store_finish(). */
int store_begin(struct store *s)
{
	store_lock(s);
	return exec(s, "BEGIN IMMEDIATE");
}

int store_finish(struct store *s, int err)
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
	store_unlock(s);
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
	if (store_scalar(s, &version, "SELECT max(version) FROM schema_version",
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
			err = store_run(s, NULL,
					"INSERT INTO schema_version VALUES (?)",
					"i", (int64_t)(v + 1));
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

const char *store_text(const struct val *m, const char *key)
{
	return val_text(val_map_get(m, key));
}
